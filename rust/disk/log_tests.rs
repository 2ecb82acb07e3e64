use super::*;
use crate::disk::batch::{Column, ColumnData};

fn schema() -> Schema {
    vec![
        ("name".into(), ColumnType::Str),
        ("epoch".into(), ColumnType::Int),
        ("value".into(), ColumnType::F64),
    ]
}

fn rows(start: usize, count: usize) -> ColumnBatch {
    let range = start..start + count;
    ColumnBatch {
        columns: vec![
            Column {
                name: "name".into(),
                data: ColumnData::Str(range.clone().map(|i| Some(format!("m{}", i % 3))).collect()),
            },
            Column {
                name: "epoch".into(),
                data: ColumnData::Int(
                    range
                        .clone()
                        .map(|i| (i % 5 != 0).then_some(i as i64))
                        .collect(),
                ),
            },
            Column {
                name: "value".into(),
                data: ColumnData::F64(range.map(|i| i as f64 * 0.5).collect()),
            },
        ],
    }
}

fn values(batch: &ColumnBatch) -> Vec<f64> {
    match batch.column("value") {
        Some(ColumnData::F64(values)) => values.clone(),
        other => panic!("no value column: {other:?}"),
    }
}

/// A log of 4 frames (flushed one by one) and the row count after each frame.
fn small_log(path: &Path) -> Vec<(u64, usize)> {
    let log = TableLog::open(path, schema()).unwrap();
    let mut ends = vec![(fs::metadata(path).unwrap().len(), 0)];
    let mut total = 0;
    for count in [1, 3, 2, 4] {
        log.append(rows(total, count)).unwrap();
        log.flush(false).unwrap();
        total += count;
        ends.push((fs::metadata(path).unwrap().len(), total));
    }
    ends
}

#[test]
fn appended_rows_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.log");
    let mut log = TableLog::open(&path, schema()).unwrap();
    log.append(rows(0, 10)).unwrap();
    log.append(rows(10, 5)).unwrap();
    log.flush(true).unwrap();
    log.append(rows(15, 1)).unwrap();
    log.close().unwrap();
    let (batch, defect) = read_log(&path).unwrap();
    assert!(defect.is_none());
    assert_eq!(batch, rows(0, 16));
}

#[test]
fn frames_split_at_max_rows_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    let big = MAX_FRAME_ROWS + 10;
    let mut log = TableLog::open(&path, schema()).unwrap();
    log.append(rows(0, big)).unwrap();
    log.close().unwrap();
    let bytes = fs::read(&path).unwrap();
    assert_eq!(frame::scan(&path, &bytes).frames.len(), 3);
    assert_eq!(read_log(&path).unwrap().0.num_rows(), big);
}

#[test]
fn rows_are_written_after_max_delay_or_max_bytes_without_flush() {
    let dir = tempfile::tempdir().unwrap();
    for (name, policy) in [
        (
            "time.log",
            FlushPolicy {
                max_bytes: usize::MAX,
                max_delay: Duration::from_millis(20),
            },
        ),
        (
            "size.log",
            FlushPolicy {
                max_bytes: 1,
                max_delay: Duration::from_secs(3600),
            },
        ),
    ] {
        let path = dir.path().join(name);
        let log = TableLog::with_policy(&path, schema(), policy).unwrap();
        log.append(rows(0, 7)).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while read_log(&path).unwrap().0.num_rows() < 7 {
            assert!(Instant::now() < deadline, "{name}: rows never written");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

#[test]
fn every_truncation_reads_the_whole_frames_and_reopens_for_append() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.log");
    let ends = small_log(&path);
    let bytes = fs::read(&path).unwrap();
    let cut_path = dir.path().join("cut.log");
    for cut in 0..=bytes.len() {
        fs::write(&cut_path, &bytes[..cut]).unwrap();
        let (batch, defect) = read_log(&cut_path).unwrap();
        let expected = ends
            .iter()
            .filter(|(end, _)| *end <= cut as u64)
            .map(|(_, n)| *n)
            .next_back()
            .unwrap_or(0);
        assert_eq!(batch.num_rows(), expected, "cut at {cut}");
        if let Some(defect) = defect {
            assert!(defect.is_torn_tail(), "cut at {cut}: {defect}");
        }
        let mut log = TableLog::open(&cut_path, schema()).unwrap();
        log.append(rows(100, 1)).unwrap();
        log.close().unwrap();
        let (batch, defect) = read_log(&cut_path).unwrap();
        assert!(defect.is_none(), "cut at {cut}");
        assert_eq!(batch.num_rows(), expected + 1, "cut at {cut}");
        assert_eq!(values(&batch).last(), Some(&50.0));
    }
}

#[test]
fn every_byte_flip_is_detected_and_the_prefix_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.log");
    let ends = small_log(&path);
    let bytes = fs::read(&path).unwrap();
    let flipped = dir.path().join("flipped.log");
    for at in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x10;
        fs::write(&flipped, &damaged).unwrap();
        let (batch, defect) = read_log(&flipped).unwrap();
        let defect = defect.unwrap_or_else(|| panic!("flip at {at} not detected"));
        assert!(!defect.is_torn_tail(), "flip at {at}: {defect}");
        assert!(defect.to_string().contains("flipped.log"));
        let frame_start = ends
            .iter()
            .rfind(|(end, _)| *end <= at as u64)
            .unwrap_or(&(0, 0));
        assert_eq!(defect.offset, frame_start.0.min(at as u64), "flip at {at}");
        assert_eq!(batch.num_rows(), frame_start.1, "flip at {at}");
        assert!(matches!(
            TableLog::open(&flipped, schema()),
            Err(StoreError::Corrupt(_))
        ));
    }
}

#[test]
fn concurrent_appends_and_flushes_keep_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("concurrent.log");
    let log = TableLog::open(&path, schema()).unwrap();
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let (log, path) = (&log, &path);
            scope.spawn(move || {
                for i in 0..200 {
                    log.append(rows(thread * 1000 + i, 1)).unwrap();
                    if i % 17 == 0 {
                        log.flush(i % 2 == 0).unwrap();
                        assert!(read_log(path).unwrap().0.num_rows() > i);
                    }
                }
            });
        }
    });
    log.flush(true).unwrap();
    let mut seen = values(&read_log(&path).unwrap().0);
    assert_eq!(seen.len(), 800);
    let in_order = |t: f64| {
        seen.iter()
            .filter(|v| (**v / 500.0).floor() == t * 2.0)
            .copied()
            .collect::<Vec<_>>()
    };
    for thread in 0..4 {
        let mine = in_order(thread as f64);
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "thread {thread} out of order"
        );
    }
    seen.sort_by(f64::total_cmp);
    seen.dedup();
    assert_eq!(seen.len(), 800);
}

#[test]
fn a_background_write_error_surfaces_at_the_next_call_and_stays() {
    let full = OpenOptions::new().write(true).open("/dev/full").unwrap();
    let log = TableLog::start(
        Path::new("/dev/full"),
        schema(),
        full,
        FlushPolicy::default(),
    )
    .unwrap();
    log.append(rows(0, 3)).unwrap();
    let err = log.flush(false).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::WriterFailed {
                errno: Some(28),
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("/dev/full"));
    assert!(log.append(rows(3, 1)).is_err());
    assert!(log.flush(true).is_err());
}

#[test]
fn reopening_with_another_schema_or_after_close_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.log");
    let mut log = TableLog::open(&path, schema()).unwrap();
    log.close().unwrap();
    assert!(matches!(
        log.append(rows(0, 1)),
        Err(StoreError::Closed { .. })
    ));
    let other = vec![("name".to_string(), ColumnType::Str)];
    let err = TableLog::open(&path, other).err().unwrap().to_string();
    assert!(
        err.contains("holds columns [name: str, epoch: int, value: f64]"),
        "{err}"
    );
    let bad = ColumnBatch { columns: vec![] };
    let log = TableLog::open(&path, schema()).unwrap();
    assert!(matches!(
        log.append(bad),
        Err(StoreError::InvalidBatch { .. })
    ));
}

#[test]
fn an_empty_or_foreign_file_reads_as_no_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.log");
    fs::write(&path, b"").unwrap();
    assert_eq!(read_log(&path).unwrap(), (ColumnBatch::default(), None));
    fs::write(&path, b"PAR1 not a log at all").unwrap();
    let (batch, defect) = read_log(&path).unwrap();
    assert_eq!(batch.num_rows(), 0);
    assert_eq!(defect.unwrap().kind, DefectKind::BadMagic);
    assert!(read_log(&dir.path().join("missing.log")).is_err());
}

#[test]
fn schemas_the_format_cannot_hold_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let long = vec![("n".repeat(70_000), ColumnType::Int)];
    let err = TableLog::open(&dir.path().join("a.log"), long)
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("column name of 70000 bytes"),
        "{err}"
    );
    assert!(!dir.path().join("a.log").exists());
}

#[test]
fn large_logs_read_back_in_order_across_parallel_groups() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.log");
    let policy = FlushPolicy {
        max_bytes: usize::MAX,
        max_delay: Duration::from_secs(3600),
    };
    let mut log = TableLog::with_policy(&path, schema(), policy).unwrap();
    let mut total = 0;
    for count in [60_000, 1, 90_000, 70_000, 3, 80_000] {
        log.append(rows(total, count)).unwrap();
        log.flush(false).unwrap();
        total += count;
    }
    log.close().unwrap();
    let (batch, defect) = read_log(&path).unwrap();
    assert!(defect.is_none());
    assert_eq!(batch, rows(0, total));
}
