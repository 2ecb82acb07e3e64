//! Artifact packs: many artifacts in one append-only file, found through an index.
//!
//! `<name>` holds one frame per artifact (kind `RECORD`); its payload is
//! `id: u64, compression: u8 (0 raw, 1 zstd), codec_len: u8, codec, raw_len: u64, bytes`.
//! `<name>.idx` holds `INDEX` frames of `(id: u64, offset: u64, frame_len: u64)`
//! entries, written after the records they point at. Records written after the
//! last index frame are found again by scanning the pack's tail, so a kill loses
//! only artifacts the background writer had not yet written.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::atomic::{parent_of, sync_dir};
use super::frame::{self, kind, HEADER_LEN};
use super::writer::{check_failure, record_failure, FlushCommand, SharedFailure, WriterHandle};
use crate::error::{StoreError, StoreResult};

/// Payloads smaller than this are stored as they are.
const MIN_COMPRESS: usize = 256;
/// zstd is kept only when it saves at least 1/8 of the bytes.
const KEEP_IF_SAVES: usize = 8;
const ZSTD_LEVEL: i32 = 3;
/// Bytes compressed first to decide whether a large payload is worth compressing.
const SAMPLE: usize = 8 << 10;
/// Index entries are written at least this often while records arrive.
const INDEX_DELAY: Duration = Duration::from_millis(200);
/// Largest artifact: a frame's payload length is a u32 (with room for the record header).
const MAX_RECORD: usize = u32::MAX as usize - 512;
/// Queued artifacts; a full queue makes `put` wait for the disk.
const QUEUE_DEPTH: usize = 256;

/// The index file beside a pack: `<pack>.idx`.
pub fn index_path(pack: &Path) -> PathBuf {
    let mut name = pack.as_os_str().to_owned();
    name.push(".idx");
    PathBuf::from(name)
}

enum Command {
    Put {
        id: u64,
        data: Vec<u8>,
        codec: String,
    },
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

/// Writer of one pack; `put` copies nothing and returns at once.
pub struct PackWriter {
    next_id: AtomicU64,
    writer: WriterHandle<Command>,
}

impl PackWriter {
    /// Creates a new pack and its index; fails if either exists.
    pub fn create(path: &Path) -> StoreResult<Self> {
        let pack = create_new(path)?;
        let index = create_new(&index_path(path))?;
        sync_dir(parent_of(path))?;
        let failure = SharedFailure::default();
        let worker = Worker {
            path: path.to_path_buf(),
            pack,
            index,
            offset: 0,
            entries: Vec::new(),
            oldest: None,
            failure: failure.clone(),
        };
        let run = move |receiver| worker.run(receiver);
        let writer =
            WriterHandle::spawn("pack", "modularml-pack", path, QUEUE_DEPTH, failure, run)?;
        Ok(Self {
            next_id: AtomicU64::new(0),
            writer,
        })
    }

    /// Queues `data` (described by `codec`, e.g. `"npy"`) and returns its record id.
    /// Safe to call from several threads; ids are unique and dense unless a put fails.
    pub fn put(&self, data: Vec<u8>, codec: &str) -> StoreResult<u64> {
        if codec.len() > usize::from(u8::MAX) {
            let reason = format!("codec tag of {} bytes; at most 255", codec.len());
            return Err(StoreError::InvalidArgument { reason });
        }
        if data.len() > MAX_RECORD {
            let reason = format!(
                "artifact of {} bytes; at most {MAX_RECORD} per record",
                data.len()
            );
            return Err(StoreError::InvalidArgument { reason });
        }
        self.writer.check()?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let codec = codec.to_owned();
        self.writer.send(Command::Put { id, data, codec })?;
        Ok(id)
    }

    /// Blocks until every artifact put so far and its index entry are written
    /// (and fsynced when `durable`).
    pub fn flush(&self, durable: bool) -> StoreResult<()> {
        self.writer.flush(durable)
    }

    /// Writes and fsyncs everything, then stops the writer.
    pub fn close(&mut self) -> StoreResult<()> {
        self.writer.close()
    }

    /// Records put so far.
    pub fn len(&self) -> u64 {
        self.next_id.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn create_new(path: &Path) -> StoreResult<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| StoreError::io("create", path, e))
}

/// Where one record's frame lies in the pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub id: u64,
    pub offset: u64,
    pub len: u64,
}

struct Worker {
    path: PathBuf,
    pack: File,
    index: File,
    offset: u64,
    entries: Vec<Entry>,
    oldest: Option<Instant>,
    failure: SharedFailure,
}

impl Worker {
    fn run(mut self, commands: Receiver<Command>) {
        loop {
            let next = match self.oldest {
                Some(since) => commands.recv_timeout(INDEX_DELAY.saturating_sub(since.elapsed())),
                None => commands.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match next {
                Ok(Command::Put { id, data, codec }) => self.write_record(id, &data, &codec),
                Ok(Command::Flush { durable, done }) => {
                    self.write_index(durable);
                    let _ = done.send(()); // the caller may have given up waiting
                }
                Err(RecvTimeoutError::Timeout) => self.write_index(false),
                Err(RecvTimeoutError::Disconnected) => return self.write_index(false),
            }
        }
    }

    fn write_record(&mut self, id: u64, data: &[u8], codec: &str) {
        if check_failure(&self.failure, &self.path).is_err() {
            return;
        }
        let mut bytes = Vec::with_capacity(data.len() + HEADER_LEN + 32);
        frame::encode(kind::RECORD, &encode_record(id, data, codec), &mut bytes);
        match self.pack.write_all(&bytes) {
            Ok(()) => {
                let len = bytes.len() as u64;
                self.entries.push(Entry {
                    id,
                    offset: self.offset,
                    len,
                });
                self.offset += len;
                self.oldest.get_or_insert_with(Instant::now);
            }
            Err(e) => record_failure(&self.failure, &StoreError::io("write", &self.path, e)),
        }
    }

    /// Writes pending index entries (records are already in the pack file).
    fn write_index(&mut self, durable: bool) {
        self.oldest = None;
        if check_failure(&self.failure, &self.path).is_err() {
            return;
        }
        if durable {
            if let Err(e) = self.pack.sync_data() {
                return record_failure(&self.failure, &StoreError::io("fsync", &self.path, e));
            }
        }
        let index = index_path(&self.path);
        if !self.entries.is_empty() {
            let mut bytes = Vec::new();
            frame::encode(kind::INDEX, &encode_entries(&self.entries), &mut bytes);
            if let Err(e) = self.index.write_all(&bytes) {
                return record_failure(&self.failure, &StoreError::io("write", &index, e));
            }
            self.entries.clear();
        }
        if durable {
            if let Err(e) = self.index.sync_data() {
                record_failure(&self.failure, &StoreError::io("fsync", &index, e));
            }
        }
    }
}

/// A record payload, zstd-compressed when that saves a useful share of the bytes.
fn encode_record(id: u64, data: &[u8], codec: &str) -> Vec<u8> {
    let compressed = worth_trying(data)
        .then(|| zstd::bulk::compress(data, ZSTD_LEVEL).ok())
        .flatten()
        .filter(|small| saves_enough(data.len(), small.len()));
    let (flag, body) = match &compressed {
        Some(small) => (1u8, small.as_slice()),
        None => (0u8, data),
    };
    let mut out = Vec::with_capacity(body.len() + codec.len() + 18);
    out.extend_from_slice(&id.to_le_bytes());
    out.push(flag);
    out.push(codec.len() as u8);
    out.extend_from_slice(codec.as_bytes());
    out.extend_from_slice(&(data.len() as u64).to_le_bytes());
    out.extend_from_slice(body);
    out
}

fn saves_enough(raw: usize, compressed: usize) -> bool {
    compressed <= raw - raw / KEEP_IF_SAVES
}

/// Small payloads are not worth it; large ones are tried only if a sample from
/// their middle compresses (noise-like arrays and PNGs cost a sample, not a pass).
fn worth_trying(data: &[u8]) -> bool {
    if data.len() < MIN_COMPRESS {
        return false;
    }
    if data.len() <= 4 * SAMPLE {
        return true;
    }
    let start = data.len() / 2 - SAMPLE / 2;
    let sample = &data[start..start + SAMPLE];
    zstd::bulk::compress(sample, 1).is_ok_and(|small| saves_enough(SAMPLE, small.len()))
}

/// A decoded record: id, codec tag and the original bytes.
pub(crate) fn decode_record(payload: &[u8]) -> Result<(u64, String, Vec<u8>), String> {
    let short = || "record shorter than its header".to_string();
    let id = u64::from_le_bytes(
        payload
            .get(0..8)
            .ok_or_else(short)?
            .try_into()
            .map_err(|_| short())?,
    );
    let flag = *payload.get(8).ok_or_else(short)?;
    let codec_len = usize::from(*payload.get(9).ok_or_else(short)?);
    let codec = payload.get(10..10 + codec_len).ok_or_else(short)?;
    let codec = std::str::from_utf8(codec)
        .map_err(|e| e.to_string())?
        .to_owned();
    let at = 10 + codec_len;
    let raw_len = payload.get(at..at + 8).ok_or_else(short)?;
    let raw_len = u64::from_le_bytes(raw_len.try_into().map_err(|_| short())?) as usize;
    let body = &payload[at + 8..];
    let data = match flag {
        0 => body.to_vec(),
        1 => zstd::bulk::decompress(body, raw_len).map_err(|e| format!("zstd: {e}"))?,
        other => return Err(format!("unknown compression {other}")),
    };
    if data.len() != raw_len {
        return Err(format!("{} bytes, the record says {raw_len}", data.len()));
    }
    Ok((id, codec, data))
}

fn encode_entries(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + entries.len() * 24);
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for entry in entries {
        for word in [entry.id, entry.offset, entry.len] {
            out.extend_from_slice(&word.to_le_bytes());
        }
    }
    out
}

pub(crate) fn decode_entries(payload: &[u8]) -> Result<Vec<Entry>, String> {
    let count = payload
        .get(0..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let body = payload.get(4..).unwrap_or_default();
    if count.map(|n| n.checked_mul(24)) != Some(Some(body.len())) {
        return Err(format!(
            "index frame of {} bytes does not hold its entries",
            payload.len()
        ));
    }
    let word = |chunk: &[u8], at: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&chunk[at..at + 8]);
        u64::from_le_bytes(bytes)
    };
    Ok(body
        .chunks_exact(24)
        .map(|c| Entry {
            id: word(c, 0),
            offset: word(c, 8),
            len: word(c, 16),
        })
        .collect())
}

#[cfg(test)]
#[path = "pack_tests.rs"]
mod tests;
