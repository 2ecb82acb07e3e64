//! Any bytes as a table log: the reader returns the valid prefix and at most one
//! defect, and reopening for append either cuts a torn tail or reports damage.
#![no_main]

use libfuzzer_sys::fuzz_target;
use _store::disk::log_reader::{read_log, LogFile};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("metrics.log");
    std::fs::write(&path, data).expect("write input");
    if let Ok(file) = LogFile::read(&path) {
        let log = file.decode();
        let _ = log.defect.as_ref().map(|d| d.to_string());
    }
    if let Ok((batch, _defect)) = read_log(&path) {
        // every column of the valid prefix has the same number of rows
        let rows: Vec<usize> = batch.columns.iter().map(|c| c.data.len()).collect();
        assert!(rows.windows(2).all(|w| w[0] == w[1]), "ragged prefix {rows:?}");
    }
});
