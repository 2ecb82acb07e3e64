//! Atomic file replacement: write a temp file in the same directory, fsync it,
//! rename it over the target, fsync the directory. Readers see the old file or
//! the new one, never a mix, even after a crash or power loss.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{StoreError, StoreResult};

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `path` atomically with what `write` puts into the buffered temp file.
pub fn write_atomic<F>(path: &Path, write: F) -> StoreResult<()>
where
    F: FnOnce(&mut BufWriter<File>) -> StoreResult<()>,
{
    let temp = temp_path(path);
    let result = write_then_rename(&temp, path, write);
    if result.is_err() {
        let _ = fs::remove_file(&temp); // best effort: the error below is what matters
    }
    result
}

fn write_then_rename<F>(temp: &Path, path: &Path, write: F) -> StoreResult<()>
where
    F: FnOnce(&mut BufWriter<File>) -> StoreResult<()>,
{
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temp)
        .map_err(|e| StoreError::io("create", temp, e))?;
    let mut buffered = BufWriter::with_capacity(1 << 20, file);
    write(&mut buffered)?;
    buffered
        .flush()
        .map_err(|e| StoreError::io("write", temp, e))?;
    let file = buffered
        .into_inner()
        .map_err(|e| StoreError::io("write", temp, e.into_error()))?;
    file.sync_all()
        .map_err(|e| StoreError::io("fsync", temp, e))?;
    fs::rename(temp, path).map_err(|e| StoreError::io("rename", path, e))?;
    sync_dir(parent_of(path))
}

/// Makes a directory's entries (a created or renamed file) durable.
pub fn sync_dir(dir: &Path) -> StoreResult<()> {
    let handle = File::open(dir).map_err(|e| StoreError::io("open directory", dir, e))?;
    handle
        .sync_all()
        .map_err(|e| StoreError::io("fsync directory", dir, e))
}

/// The directory holding `path` (`.` for a bare file name).
pub fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// `.<name>.<pid>.<n>.tmp` beside `path`: hidden, unique within this machine.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    parent_of(path).join(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_atomic(&path, |w| {
            w.write_all(b"one")
                .map_err(|e| StoreError::io("write", "x", e))
        })
        .unwrap();
        write_atomic(&path, |w| {
            w.write_all(b"two")
                .map_err(|e| StoreError::io("write", "x", e))
        })
        .unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_removes_the_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        fs::write(&path, b"old").unwrap();
        let err = write_atomic(&path, |_| {
            Err(StoreError::InvalidBatch {
                reason: "boom".into(),
            })
        });
        assert!(err.is_err());
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_directory_is_an_io_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("a.json");
        let err = write_atomic(&path, |_| Ok(())).unwrap_err().to_string();
        assert!(err.contains("missing"), "{err}");
    }
}
