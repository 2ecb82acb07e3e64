//! Reading a table log (format in `log`): the valid frames, decoded on all
//! cores, with strings still dictionary-coded until a consumer needs them.

use std::fs;
use std::path::{Path, PathBuf};

use super::batch::{Column, ColumnBatch, ColumnData, ColumnType, Schema};
use super::codec::{batch_rows, decode_raw, RawBatch, RawColumn};
use super::frame::{self, kind, Defect, DefectKind, Frame};
use super::log::read_schema;
use crate::error::{StoreError, StoreResult};

/// Fewer rows than this are not worth a thread.
const PARALLEL_ROWS: usize = 100_000;

/// The bytes of a log file, read once; `decode` borrows from them.
pub struct LogFile {
    path: PathBuf,
    bytes: Vec<u8>,
}

/// A decoded log: its schema (None when not even that was written), the valid
/// batches in order, and the first defect.
pub struct RawLog<'a> {
    pub schema: Option<Schema>,
    pub batches: Vec<RawBatch<'a>>,
    pub defect: Option<Defect>,
}

impl RawLog<'_> {
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(|batch| batch.rows).sum()
    }

    /// Every row as one batch (strings materialised, on all cores).
    pub fn into_batch(self) -> ColumnBatch {
        let Some(schema) = self.schema else {
            return ColumnBatch::default();
        };
        let rows = self.batches.iter().map(|batch| batch.rows).sum();
        let mut per_column: Vec<Vec<RawColumn<'_>>> = schema.iter().map(|_| Vec::new()).collect();
        for batch in self.batches {
            for (parts, column) in per_column.iter_mut().zip(batch.columns) {
                parts.push(column);
            }
        }
        let columns = schema
            .into_iter()
            .zip(per_column)
            .map(|((name, kind), parts)| Column {
                name,
                data: materialize(parts, kind, rows),
            })
            .collect();
        ColumnBatch { columns }
    }
}

/// One column's parts, concatenated.
fn materialize(parts: Vec<RawColumn<'_>>, kind: ColumnType, rows: usize) -> ColumnData {
    if kind == ColumnType::Str {
        return ColumnData::Str(materialize_strings(&parts, rows));
    }
    let mut out = ColumnData::empty(kind);
    out.reserve(rows);
    for part in parts {
        part.extend_into(&mut out);
    }
    out
}

/// One `String` per row is the costly part of reading: split the rows into
/// contiguous groups of parts and fill each group's slice on its own core.
fn materialize_strings(parts: &[RawColumn<'_>], rows: usize) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = Vec::new();
    out.resize_with(rows, || None);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let target = rows.div_ceil(threads).max(PARALLEL_ROWS);
    std::thread::scope(|scope| {
        let mut rest: &mut [Option<String>] = &mut out;
        let mut group_start = 0;
        let mut group_rows = 0;
        for (index, part) in parts.iter().enumerate() {
            group_rows += part.len();
            if group_rows >= target || index + 1 == parts.len() {
                let taken = std::mem::take(&mut rest);
                let (slots, tail) = taken.split_at_mut(group_rows.min(taken.len()));
                let group = &parts[group_start..=index];
                scope.spawn(move || fill_strings(group, slots));
                rest = tail;
                (group_start, group_rows) = (index + 1, 0);
            }
        }
    });
    out
}

fn fill_strings(parts: &[RawColumn<'_>], out: &mut [Option<String>]) {
    let mut slots = out.iter_mut();
    for part in parts {
        if let RawColumn::Str { dictionary, codes } = part {
            // codes first: zip must not take a slot it cannot fill
            for (&code, slot) in codes.iter().zip(slots.by_ref()) {
                *slot = dictionary
                    .get((code as usize).wrapping_sub(1))
                    .map(|s| (*s).to_owned());
            }
        }
    }
}

impl LogFile {
    pub fn read(path: &Path) -> StoreResult<Self> {
        let bytes = fs::read(path).map_err(|e| StoreError::io("read", path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            bytes,
        })
    }

    /// Decodes every valid frame; stops at the first bad one and reports it.
    /// Never fails and never panics on damaged contents.
    pub fn decode(&self) -> RawLog<'_> {
        let (path, file_len) = (self.path.as_path(), self.bytes.len());
        let scan = frame::scan(path, &self.bytes);
        let Some(first) = scan.frames.first() else {
            return RawLog {
                schema: None,
                batches: Vec::new(),
                defect: scan.defect,
            };
        };
        let schema = match read_schema(path, first) {
            Ok(schema) => schema,
            Err(mut defect) => {
                defect.dropped = (file_len as u64).saturating_sub(defect.offset);
                return RawLog {
                    schema: None,
                    batches: Vec::new(),
                    defect: Some(defect),
                };
            }
        };
        let (batches, bad) = decode_frames(&scan.frames[1..], &schema);
        let defect = match bad {
            Some((frame, reason)) => Some(frame::defect_at(
                path,
                frame.offset as usize,
                file_len,
                DefectKind::BadPayload(reason),
            )),
            None => scan.defect,
        };
        RawLog {
            schema: Some(schema),
            batches,
            defect,
        }
    }
}

/// Every valid row of a log and, if the file does not end cleanly, its first defect.
/// Never fails on damaged contents; only a file that cannot be read is an error.
pub fn read_log(path: &Path) -> StoreResult<(ColumnBatch, Option<Defect>)> {
    let file = LogFile::read(path)?;
    let log = file.decode();
    let defect = log.defect.clone();
    Ok((log.into_batch(), defect))
}

type BadFrame<'a> = Option<(Frame<'a>, String)>;

/// Decodes `frames` in order on all cores; stops at the first that does not decode.
fn decode_frames<'a>(frames: &[Frame<'a>], schema: &Schema) -> (Vec<RawBatch<'a>>, BadFrame<'a>) {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let total: usize = frames.iter().map(|f| batch_rows(f.payload)).sum();
    if threads == 1 || total < PARALLEL_ROWS {
        return decode_in_order(frames, schema);
    }
    let chunk = frames.len().div_ceil(threads).max(1);
    let parts: Vec<(Vec<RawBatch<'a>>, BadFrame<'a>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = frames
            .chunks(chunk)
            .map(|part| scope.spawn(move || decode_in_order(part, schema)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut batches = Vec::with_capacity(frames.len());
    for (part, bad) in parts {
        batches.extend(part);
        if bad.is_some() {
            return (batches, bad);
        }
    }
    (batches, None)
}

fn decode_in_order<'a>(frames: &[Frame<'a>], schema: &Schema) -> (Vec<RawBatch<'a>>, BadFrame<'a>) {
    let mut batches = Vec::with_capacity(frames.len());
    for frame in frames {
        let decoded = match frame.kind {
            kind::BATCH => decode_raw(frame.payload, schema),
            other => Err(format!("unexpected frame kind {other} in a table log")),
        };
        match decoded {
            Ok(batch) => batches.push(batch),
            Err(reason) => return (batches, Some((*frame, reason))),
        }
    }
    (batches, None)
}
