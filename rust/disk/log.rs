//! `TableLog`: an append log of one scalar table that stays readable after a crash.
//!
//! The file is a schema frame followed by batch frames (see `frame`, `codec`).
//! `append` only checks the batch and queues it; a background thread gathers
//! queued rows and writes them as one frame when `flush` is called, when the
//! gathered rows exceed `FlushPolicy::max_bytes`, or when the oldest has waited
//! `FlushPolicy::max_delay`. A process killed at any instant therefore loses at
//! most the rows appended in the last `max_delay` (and at most `max_bytes` of
//! them); rows written by a `flush(durable = true)` also survive power loss.

use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::atomic::{parent_of, sync_dir};
use super::batch::{describe, ColumnBatch, ColumnType, Schema};
use super::codec::{decode_schema, encode_rows, encode_schema};
use super::frame::{self, kind, Defect, DefectKind, Frame};
use super::writer::{check_failure, record_failure, FlushCommand, SharedFailure, WriterHandle};
use crate::error::{StoreError, StoreResult};

/// When the background writer writes gathered rows without being asked.
#[derive(Debug, Clone, Copy)]
pub struct FlushPolicy {
    /// Write once the gathered rows' encoded size reaches this many bytes.
    pub max_bytes: usize,
    /// Write once the oldest gathered row has waited this long.
    pub max_delay: Duration,
}

impl Default for FlushPolicy {
    fn default() -> Self {
        Self {
            max_bytes: 4 << 20,
            max_delay: Duration::from_millis(200),
        }
    }
}

/// Most rows in one frame, so a frame stays far below the 4 GiB length limit.
const MAX_FRAME_ROWS: usize = 1 << 20;

/// Bytes of encoding buffer kept between writes.
const KEEP_BUFFER: usize = 16 << 20;

/// Queued commands never exceed this many, so a slow disk slows `append` down.
const QUEUE_DEPTH: usize = 1024;

enum Command {
    Append(ColumnBatch),
    Flush {
        durable: bool,
        done: mpsc::Sender<()>,
    },
}

impl FlushCommand for Command {
    fn flush(durable: bool, done: mpsc::Sender<()>) -> Self {
        Command::Flush { durable, done }
    }
}

/// Writer of one table's append log.
pub struct TableLog {
    schema: Schema,
    writer: WriterHandle<Command>,
}

impl TableLog {
    /// Opens `path` for appending with the default flush policy (see `with_policy`).
    pub fn open(path: &Path, schema: Schema) -> StoreResult<Self> {
        Self::with_policy(path, schema, FlushPolicy::default())
    }

    /// Creates the log, or reopens an existing one with the same schema (a torn
    /// tail left by a crash is cut off first; other damage is an error).
    pub fn with_policy(path: &Path, schema: Schema, policy: FlushPolicy) -> StoreResult<Self> {
        check_schema(&schema)?;
        let file = open_for_append(path, &schema)?;
        Self::start(path, schema, file, policy)
    }

    /// Starts the background writer on `file`, positioned where frames go next.
    fn start(path: &Path, schema: Schema, file: File, policy: FlushPolicy) -> StoreResult<Self> {
        let failure = SharedFailure::default();
        let worker = Worker {
            file,
            path: path.to_path_buf(),
            pending: ColumnBatch::empty(&schema),
            pending_bytes: 0,
            pending_since: None,
            row_bytes: row_bytes(&schema),
            policy,
            failure: failure.clone(),
            frame: Vec::new(),
            payload: Vec::new(),
        };
        let run = move |receiver| worker.run(receiver);
        let writer = WriterHandle::spawn(
            "table log",
            "modularml-log",
            path,
            QUEUE_DEPTH,
            failure,
            run,
        )?;
        Ok(Self { schema, writer })
    }

    pub fn path(&self) -> &Path {
        self.writer.path()
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Queues `batch` for writing. Fails if it does not match the schema, or if
    /// the background writer failed earlier (the failure is reported again).
    pub fn append(&self, batch: ColumnBatch) -> StoreResult<()> {
        batch.check(&self.schema)?;
        self.writer.check()?;
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.writer.send(Command::Append(batch))
    }

    /// Blocks until every row appended so far is written (and fsynced when `durable`).
    pub fn flush(&self, durable: bool) -> StoreResult<()> {
        self.writer.flush(durable)
    }

    /// Writes and fsyncs everything, then stops the writer. Later calls fail.
    pub fn close(&mut self) -> StoreResult<()> {
        self.writer.close()
    }
}

/// The schema frame stores counts and name lengths as u16.
fn check_schema(schema: &Schema) -> StoreResult<()> {
    let too_long = schema
        .iter()
        .find(|(name, _)| name.len() > usize::from(u16::MAX));
    let reason = match too_long {
        _ if schema.len() > usize::from(u16::MAX) => {
            format!("{} columns; at most 65535", schema.len())
        }
        Some((name, _)) => format!("column name of {} bytes; at most 65535", name.len()),
        None => return Ok(()),
    };
    Err(StoreError::InvalidBatch { reason })
}

/// Approximate encoded bytes per row, to apply `max_bytes` without encoding.
fn row_bytes(schema: &[(String, ColumnType)]) -> usize {
    let width = |kind: &ColumnType| match kind {
        ColumnType::Str => 2,
        ColumnType::Obj => 4,
        _ => 8,
    };
    schema
        .iter()
        .map(|(_, kind)| width(kind))
        .sum::<usize>()
        .max(1)
}

/// The background half: gathers rows, writes frames, fsyncs on request.
struct Worker {
    file: File,
    path: PathBuf,
    pending: ColumnBatch,
    pending_bytes: usize,
    pending_since: Option<Instant>,
    row_bytes: usize,
    policy: FlushPolicy,
    failure: SharedFailure,
    frame: Vec<u8>,
    payload: Vec<u8>,
}

impl Worker {
    fn run(mut self, commands: Receiver<Command>) {
        loop {
            let next = match self.pending_since {
                Some(since) => {
                    commands.recv_timeout(self.policy.max_delay.saturating_sub(since.elapsed()))
                }
                None => commands.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match next {
                Ok(Command::Append(batch)) => self.gather(batch),
                Ok(Command::Flush { durable, done }) => {
                    self.write_pending();
                    if durable {
                        self.sync();
                    }
                    let _ = done.send(()); // the caller may have given up waiting
                }
                Err(RecvTimeoutError::Timeout) => self.write_pending(),
                Err(RecvTimeoutError::Disconnected) => return self.write_pending(),
            }
        }
    }

    fn gather(&mut self, batch: ColumnBatch) {
        self.pending_bytes += batch.num_rows() * self.row_bytes;
        self.pending_since.get_or_insert_with(Instant::now);
        if let Err(err) = self.pending.append(batch) {
            record_failure(&self.failure, &err);
        }
        if self.pending_bytes >= self.policy.max_bytes {
            self.write_pending();
        }
    }

    fn write_pending(&mut self) {
        let rows = self.pending.num_rows();
        self.pending_since = None;
        self.pending_bytes = 0;
        if rows == 0 || check_failure(&self.failure, &self.path).is_err() {
            self.pending = ColumnBatch::empty(&self.pending.schema());
            return;
        }
        self.frame.clear();
        for start in (0..rows).step_by(MAX_FRAME_ROWS) {
            self.payload.clear();
            encode_rows(
                &self.pending,
                start..rows.min(start + MAX_FRAME_ROWS),
                &mut self.payload,
            );
            frame::encode(kind::BATCH, &self.payload, &mut self.frame);
        }
        self.pending = ColumnBatch::empty(&self.pending.schema());
        if let Err(e) = self.file.write_all(&self.frame) {
            record_failure(&self.failure, &StoreError::io("write", &self.path, e));
        }
        // One huge append must not pin its buffer for the life of the log.
        self.frame.shrink_to(KEEP_BUFFER);
        self.payload.shrink_to(KEEP_BUFFER);
    }

    fn sync(&mut self) {
        if let Err(e) = self.file.sync_data() {
            record_failure(&self.failure, &StoreError::io("fsync", &self.path, e));
        }
    }
}

/// Opens (creating if needed) a log and positions it after its last valid frame.
fn open_for_append(path: &Path, schema: &Schema) -> StoreResult<File> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| StoreError::io("open", path, e))?;
    let bytes = fs::read(path).map_err(|e| StoreError::io("read", path, e))?;
    let scan = frame::scan(path, &bytes);
    if let Some(defect) = scan.defect.filter(|d| !d.is_torn_tail()) {
        return Err(StoreError::Corrupt(defect));
    }
    if let Some(first) = scan.frames.first() {
        check_existing_schema(path, first, schema)?;
    }
    let end = if scan.frames.is_empty() {
        0
    } else {
        scan.valid_len
    };
    file.set_len(end)
        .map_err(|e| StoreError::io("truncate torn tail of", path, e))?;
    file.seek(SeekFrom::Start(end))
        .map_err(|e| StoreError::io("seek", path, e))?;
    if end == 0 {
        write_schema(&mut file, path, schema)?;
    }
    Ok(file)
}

fn write_schema(file: &mut File, path: &Path, schema: &Schema) -> StoreResult<()> {
    let (mut payload, mut bytes) = (Vec::new(), Vec::new());
    encode_schema(schema, &mut payload);
    frame::encode(kind::SCHEMA, &payload, &mut bytes);
    file.write_all(&bytes)
        .map_err(|e| StoreError::io("write", path, e))?;
    file.sync_data()
        .map_err(|e| StoreError::io("fsync", path, e))?;
    sync_dir(parent_of(path))
}

fn check_existing_schema(path: &Path, first: &Frame<'_>, schema: &Schema) -> StoreResult<()> {
    let existing = read_schema(path, first).map_err(StoreError::Corrupt)?;
    if &existing != schema {
        return Err(StoreError::InvalidBatch {
            reason: format!(
                "{} holds columns {}, not {}",
                path.display(),
                describe(&existing),
                describe(schema)
            ),
        });
    }
    Ok(())
}

pub(crate) fn read_schema(path: &Path, first: &Frame<'_>) -> Result<Schema, Defect> {
    let bad = |reason: String| Defect {
        path: path.to_path_buf(),
        offset: first.offset,
        kind: DefectKind::BadPayload(reason),
        dropped: 0,
    };
    if first.kind != kind::SCHEMA {
        return Err(bad(format!(
            "first frame has kind {}, not a schema",
            first.kind
        )));
    }
    decode_schema(first.payload).map_err(bad)
}

pub use super::log_reader::read_log;

#[cfg(test)]
#[path = "log_tests.rs"]
mod tests;
