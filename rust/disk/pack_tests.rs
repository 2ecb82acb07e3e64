use super::*;
use crate::disk::pack_reader::PackReader;
use std::fs;

fn artifacts() -> Vec<(Vec<u8>, &'static str)> {
    let mut state = 0u64;
    let noise: Vec<u8> = (0..5000)
        .map(|_| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15); // splitmix64
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) as u8
        })
        .collect();
    vec![
        (b"{\"a\": 1}".to_vec(), "json"),
        (vec![0u8; 80_000], "npy"),
        (noise, "png"),
        (Vec::new(), "empty"),
        ("ünïcode λ ".repeat(100).into_bytes(), "text/ü"),
    ]
}

fn write_pack(path: &Path) -> Vec<(Vec<u8>, &'static str)> {
    let mut writer = PackWriter::create(path).unwrap();
    for (i, (data, codec)) in artifacts().into_iter().enumerate() {
        assert_eq!(writer.put(data, codec).unwrap(), i as u64);
        if i == 2 {
            writer.flush(false).unwrap();
        }
    }
    writer.close().unwrap();
    artifacts()
}

fn check_all(reader: &PackReader, expected: &[(Vec<u8>, &str)]) {
    for (id, (data, codec)) in expected.iter().enumerate() {
        let (got, tag) = reader.get(id as u64).unwrap();
        assert_eq!((&got, tag.as_str()), (data, *codec), "record {id}");
    }
}

#[test]
fn artifacts_round_trip_and_compress_when_it_pays() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("artifacts.pack");
    let expected = write_pack(&path);
    let reader = PackReader::open(&path).unwrap();
    assert_eq!(reader.len(), expected.len());
    assert!(reader.problems().is_empty() && reader.verify().is_empty());
    check_all(&reader, &expected);
    let raw: usize = expected.iter().map(|(d, _)| d.len()).sum();
    let on_disk = fs::metadata(&path).unwrap().len() as usize;
    assert!(
        on_disk < raw - 70_000,
        "80 KB of zeros not compressed: {on_disk} bytes"
    );
    assert!(matches!(
        reader.get(99),
        Err(StoreError::UnknownRecord { id: 99, len: 5 })
    ));
    assert!(
        PackWriter::create(&path).is_err(),
        "an existing pack was overwritten"
    );
}

#[test]
fn incompressible_bytes_are_stored_raw() {
    let noise = artifacts().swap_remove(2).0;
    let record = encode_record(0, &noise, "png");
    assert_eq!(record[8], 0);
    assert_eq!(
        decode_record(&record).unwrap(),
        (0, "png".to_string(), noise.clone())
    );
    assert_eq!(encode_record(1, &[0u8; 4096], "npy")[8], 1);
    let big_noise: Vec<u8> = noise
        .iter()
        .cycle()
        .take(100_000)
        .enumerate()
        .map(|(i, b)| b ^ (i / 5000) as u8)
        .collect();
    assert_eq!(
        encode_record(2, &big_noise, "npy")[8],
        0,
        "sample of noise compressed"
    );
    let mut mostly_zeros = vec![0u8; 100_000];
    mostly_zeros[..5000].copy_from_slice(&noise);
    let record = encode_record(3, &mostly_zeros, "npy");
    assert_eq!(record[8], 1, "large compressible payload stored raw");
    assert_eq!(decode_record(&record).unwrap().2, mostly_zeros);
}

#[test]
fn records_after_the_last_index_frame_are_found_by_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.pack");
    let expected = write_pack(&path);
    let index = fs::read(index_path(&path)).unwrap();
    let first_frame = frame::scan(&path, &index).frames[0];
    let first_len = HEADER_LEN + first_frame.payload.len();
    for kept in [0, first_len, first_len + 7] {
        fs::write(index_path(&path), &index[..kept]).unwrap();
        let reader = PackReader::open(&path).unwrap();
        assert_eq!(reader.len(), expected.len(), "index cut to {kept}");
        check_all(&reader, &expected);
    }
    fs::remove_file(index_path(&path)).unwrap();
    check_all(&PackReader::open(&path).unwrap(), &expected);
}

#[test]
fn every_truncation_keeps_the_whole_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.pack");
    let expected = write_pack(&path);
    let bytes = fs::read(&path).unwrap();
    let index = fs::read(index_path(&path)).unwrap();
    let ends: Vec<u64> = frame::scan(&path, &bytes)
        .frames
        .iter()
        .map(|f| f.offset + (HEADER_LEN + f.payload.len()) as u64)
        .collect();
    let cut_path = dir.path().join("cut.pack");
    for cut in (0..=bytes.len()).step_by(7).chain([bytes.len() - 1]) {
        fs::write(&cut_path, &bytes[..cut]).unwrap();
        fs::write(index_path(&cut_path), &index).unwrap();
        let reader = PackReader::open(&cut_path).unwrap();
        let whole = ends.iter().filter(|&&end| end <= cut as u64).count();
        assert_eq!(reader.len(), whole, "cut at {cut}");
        check_all(&reader, &expected[..whole]);
    }
}

#[test]
fn a_flipped_byte_names_the_record_and_the_others_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.pack");
    let expected = write_pack(&path);
    let bytes = fs::read(&path).unwrap();
    let frames: Vec<(u64, u64)> = frame::scan(&path, &bytes)
        .frames
        .iter()
        .map(|f| (f.offset, f.offset + (HEADER_LEN + f.payload.len()) as u64))
        .collect();
    for at in (0..bytes.len()).step_by(3) {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x04;
        fs::write(&path, &damaged).unwrap();
        let reader = PackReader::open(&path).unwrap();
        let hit = frames
            .iter()
            .position(|(start, end)| (*start..*end).contains(&(at as u64)))
            .unwrap();
        let err = reader.get(hit as u64).unwrap_err().to_string();
        assert!(
            err.contains(&format!("record {hit}"))
                && err.contains("a.pack")
                && err.contains(&format!("offset {}", frames[hit].0)),
            "flip at {at}: {err}"
        );
        assert_eq!(reader.verify().len(), 1, "flip at {at}");
        let others: Vec<_> = (0..expected.len()).filter(|&i| i != hit).collect();
        for id in others {
            assert_eq!(reader.get(id as u64).unwrap().0, expected[id].0);
        }
    }
}

#[test]
fn a_flipped_index_byte_is_reported_and_every_record_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.pack");
    let expected = write_pack(&path);
    let index = fs::read(index_path(&path)).unwrap();
    for at in 0..index.len() {
        let mut damaged = index.clone();
        damaged[at] ^= 0x40;
        fs::write(index_path(&path), &damaged).unwrap();
        let reader = PackReader::open(&path).unwrap();
        assert_eq!(reader.problems().len(), 1, "flip at {at}");
        assert!(
            reader.problems()[0].contains("a.pack.idx"),
            "{:?}",
            reader.problems()
        );
        check_all(&reader, &expected);
    }
}

#[test]
fn long_codec_tags_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let writer = PackWriter::create(&dir.path().join("a.pack")).unwrap();
    assert!(matches!(
        writer.put(vec![1], &"x".repeat(256)),
        Err(StoreError::InvalidArgument { .. })
    ));
    assert_eq!(writer.put(vec![1], "ok").unwrap(), 0);
}
