//! Any bytes as a compacted table's checksum sidecar (and table): verify never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use _store::disk::checksum::{sidecar_path, verify};

fuzz_target!(|data: &[u8]| {
    let (table, sidecar) = data.split_at(data.len() / 2);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("part-0.arrow");
    std::fs::write(&path, table).expect("write table");
    std::fs::write(sidecar_path(&path), sidecar).expect("write sidecar");
    let _ = verify(&path);
});
