//! Any bytes as a manifest: read_json returns the text or a clear error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use _store::disk::manifest::read_json;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("manifest.json");
    std::fs::write(&path, data).expect("write input");
    match read_json(&path) {
        Ok(text) => assert_eq!(text.as_bytes(), data),
        Err(err) => assert!(!err.to_string().is_empty()),
    }
});
