//! Run manifests and run directories.
//!
//! A manifest is JSON text replaced atomically (see `atomic`); rank 0 owns it.
//! A run directory is created with create-new semantics: a second run with
//! the same label gets `<slug>-1`, `<slug>-2`, ... and never writes into another.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::atomic::{sync_dir, write_atomic};
use super::slug::slug;
use crate::error::{StoreError, StoreResult};

/// Replaces `path` with `text` atomically and durably.
pub fn write_json_atomic(path: &Path, text: &str) -> StoreResult<()> {
    write_atomic(path, |w| {
        w.write_all(text.as_bytes())
            .map_err(|e| StoreError::io("write", path, e))
    })
}

/// The text of a manifest written by `write_json_atomic`.
pub fn read_json(path: &Path) -> StoreResult<String> {
    fs::read_to_string(path).map_err(|e| StoreError::io("read", path, e))
}

/// Creates a new, empty directory for a run labelled `label` under `parent`.
pub fn create_run_dir(parent: &Path, label: &str) -> StoreResult<PathBuf> {
    fs::create_dir_all(parent).map_err(|e| StoreError::io("create directory", parent, e))?;
    let base = slug(label);
    for attempt in 0..10_000u32 {
        let name = if attempt == 0 {
            base.clone()
        } else {
            format!("{base}-{attempt}")
        };
        let dir = parent.join(name);
        match fs::create_dir(&dir) {
            Ok(()) => {
                sync_dir(parent)?;
                return Ok(dir);
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(StoreError::io("create directory", dir, e)),
        }
    }
    let exists = std::io::Error::from(ErrorKind::AlreadyExists);
    Err(StoreError::io(
        "create run directory",
        parent.join(base),
        exists,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trips_and_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        write_json_atomic(&path, "{\"a\": 1}").unwrap();
        write_json_atomic(&path, "{\"ü\": 2}").unwrap();
        assert_eq!(read_json(&path).unwrap(), "{\"ü\": 2}");
        let err = read_json(&dir.path().join("none.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("none.json"), "{err}");
    }

    #[test]
    fn run_dirs_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let first = create_run_dir(dir.path(), "exp/1").unwrap();
        let second = create_run_dir(dir.path(), "exp/1").unwrap();
        let third = create_run_dir(dir.path(), "exp/1").unwrap();
        assert_ne!(first, second);
        assert_eq!(
            second.file_name().unwrap().to_str().unwrap(),
            format!("{}-1", slug("exp/1"))
        );
        assert!(third.to_str().unwrap().ends_with("-2"));
        assert!(first.parent() == Some(dir.path()) && first.is_dir());
    }
}
