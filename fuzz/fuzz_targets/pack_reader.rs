//! Any bytes as an artifact pack plus any bytes as its index: opening, listing,
//! reading and verifying never panic or hang; damage comes back as errors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use _store::disk::pack_reader::PackReader;

fuzz_target!(|data: &[u8]| {
    // first byte picks where the pack ends and the index begins
    let (split, rest) = match data.split_first() {
        Some((&s, rest)) => (usize::from(s) * rest.len() / 256, rest),
        None => (0, data),
    };
    let (pack, index) = rest.split_at(split);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("artifacts.pack");
    std::fs::write(&path, pack).expect("write pack");
    std::fs::write(dir.path().join("artifacts.pack.idx"), index).expect("write index");
    if let Ok(reader) = PackReader::open(&path) {
        for id in reader.ids() {
            let _ = reader.get(id);
        }
        let _ = reader.get(u64::MAX);
        let _ = reader.verify();
    }
});
