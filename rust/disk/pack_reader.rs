//! `PackReader`: lazy, verified reads of an artifact pack (format in `pack`).
//!
//! Opening reads the index and scans only the pack's unindexed tail; `get`
//! reads one record and checks its checksums before returning its bytes.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use super::frame::{self, kind, Defect, DefectKind, HEADER_LEN};
use super::pack::{decode_entries, decode_record, index_path, Entry};
use crate::error::{StoreError, StoreResult};

/// Reader of one pack.
pub struct PackReader {
    path: PathBuf,
    file: File,
    file_len: u64,
    entries: Vec<Option<Entry>>,
    count: usize,
    problems: Vec<String>,
}

impl PackReader {
    /// Opens a pack. Damage is not an error here: it is listed in `problems`,
    /// and records before it (and every indexed record) stay readable.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let file = File::open(path).map_err(|e| StoreError::io("open", path, e))?;
        let file_len = file
            .metadata()
            .map_err(|e| StoreError::io("stat", path, e))?
            .len();
        let mut reader = Self {
            path: path.to_path_buf(),
            file,
            file_len,
            entries: Vec::new(),
            count: 0,
            problems: Vec::new(),
        };
        reader.load_index()?;
        reader.scan_tail()?;
        Ok(reader)
    }

    /// Records that can be asked for (ids are `0..len` less any lost ones).
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Record ids present, ascending.
    pub fn ids(&self) -> Vec<u64> {
        self.entries
            .iter()
            .flatten()
            .map(|entry| entry.id)
            .collect()
    }

    /// Damage found on open: index or pack defects other than a torn tail.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// The bytes and codec tag of record `id`, verified against their checksums.
    pub fn get(&self, id: u64) -> StoreResult<(Vec<u8>, String)> {
        let entry = usize::try_from(id)
            .ok()
            .and_then(|i| self.entries.get(i).copied().flatten());
        let entry = entry.ok_or(StoreError::UnknownRecord {
            id,
            len: self.count,
        })?;
        let corrupt = |kind: DefectKind| StoreError::CorruptRecord {
            id,
            defect: self.defect(entry.offset, kind),
        };
        let bytes = self.read(entry.offset, entry.len)?;
        let header = frame::parse_header(&bytes).map_err(corrupt)?;
        let payload = bytes.get(HEADER_LEN..).unwrap_or_default();
        if header.kind != kind::RECORD || header.frame_len() != entry.len {
            return Err(corrupt(DefectKind::BadPayload(
                "index entry does not match the record".into(),
            )));
        }
        frame::check_payload(&header, payload).map_err(corrupt)?;
        let (stored_id, codec, data) =
            decode_record(payload).map_err(|r| corrupt(DefectKind::BadPayload(r)))?;
        if stored_id != id {
            return Err(corrupt(DefectKind::BadPayload(format!(
                "holds record {stored_id}"
            ))));
        }
        Ok((data, codec))
    }

    /// Reads and checks every record; one message per bad record.
    pub fn verify(&self) -> Vec<String> {
        self.ids()
            .into_iter()
            .filter_map(|id| self.get(id).err().map(|e| e.to_string()))
            .collect()
    }

    fn defect(&self, offset: u64, kind: DefectKind) -> Defect {
        Defect {
            path: self.path.clone(),
            offset,
            kind,
            dropped: 0,
        }
    }

    fn read(&self, offset: u64, len: u64) -> StoreResult<Vec<u8>> {
        let len = usize::try_from(len).map_err(|_| StoreError::InvalidArgument {
            reason: "record too large".into(),
        })?;
        let mut bytes = vec![0u8; len];
        read_exact_at(&self.file, &mut bytes, offset)
            .map_err(|e| StoreError::io("read", &self.path, e))?;
        Ok(bytes)
    }

    fn add(&mut self, entry: Entry) {
        let Ok(slot) = usize::try_from(entry.id) else {
            return;
        };
        if slot >= self.entries.len() {
            self.entries.resize(slot + 1, None);
        }
        if self.entries[slot].replace(entry).is_none() {
            self.count += 1;
        }
    }

    /// Adds the entries of every valid index frame that point inside the pack.
    fn load_index(&mut self) -> StoreResult<()> {
        let index = index_path(&self.path);
        let bytes = match fs::read(&index) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(), // rebuilt from the pack
            Err(e) => return Err(StoreError::io("read", &index, e)),
        };
        let scan = frame::scan(&index, &bytes);
        for frame in &scan.frames {
            match decode_entries(frame.payload) {
                Ok(entries) => entries
                    .into_iter()
                    .for_each(|e| self.add_checked(e, &index)),
                Err(reason) => {
                    let defect = frame::defect_at(
                        &index,
                        frame.offset as usize,
                        bytes.len(),
                        DefectKind::BadPayload(reason),
                    );
                    self.problems.push(defect.to_string());
                    break;
                }
            }
        }
        self.problems.extend(
            scan.defect
                .filter(|d| !d.is_torn_tail())
                .map(|d| d.to_string()),
        );
        Ok(())
    }

    fn add_checked(&mut self, entry: Entry, index: &Path) {
        match entry.offset.checked_add(entry.len) {
            Some(end) if end <= self.file_len => self.add(entry),
            _ => self.problems.push(format!(
                "{}: entry for record {} points past the end of {} ({} bytes)",
                index.display(),
                entry.id,
                self.path.display(),
                self.file_len
            )),
        }
    }

    /// Finds records written after the last index frame (a crash before the
    /// index caught up) by scanning the pack from the end of the indexed ones.
    fn scan_tail(&mut self) -> StoreResult<()> {
        let start = self
            .entries
            .iter()
            .flatten()
            .map(|e| e.offset + e.len)
            .max()
            .unwrap_or(0);
        let tail = self.read(start, self.file_len - start)?;
        let scan = frame::scan(&self.path, &tail);
        for frame in &scan.frames {
            let header_and_payload = (HEADER_LEN + frame.payload.len()) as u64;
            match decode_record_id(frame.kind, frame.payload) {
                Some(id) => self.add(Entry {
                    id,
                    offset: start + frame.offset,
                    len: header_and_payload,
                }),
                None => {
                    self.problems.push(format!(
                        "{}: unreadable record at byte offset {}",
                        self.path.display(),
                        start + frame.offset
                    ));
                    break;
                }
            }
        }
        if let Some(mut defect) = scan.defect.filter(|d| !d.is_torn_tail()) {
            defect.offset += start;
            self.problems.push(defect.to_string());
        }
        Ok(())
    }
}

fn decode_record_id(frame_kind: u8, payload: &[u8]) -> Option<u64> {
    if frame_kind != kind::RECORD {
        return None;
    }
    Some(u64::from_le_bytes(payload.get(0..8)?.try_into().ok()?))
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}
