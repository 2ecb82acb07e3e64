//! Checksum sidecars for files in formats that carry none (Arrow IPC files).
//!
//! `<file>.crc` is one frame (kind `CHECKSUMS`) whose payload is
//! `file_len: u64, block: u32, crc32 of each block: u32...`. It is written,
//! atomically, after its file; `verify` names the first block whose bytes
//! changed, so a flipped byte in a compacted table is detected and located.

use std::fs;
use std::path::{Path, PathBuf};

use super::atomic::write_atomic;
use super::frame::{self, kind, Defect, DefectKind};
use crate::error::{StoreError, StoreResult};

/// Bytes per checksummed block.
const BLOCK: usize = 1 << 20;

/// The sidecar of `path`: `<path>.crc`.
pub fn sidecar_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".crc");
    PathBuf::from(name)
}

/// Writes the checksum sidecar of `path` from its current bytes.
pub fn write_sidecar(path: &Path) -> StoreResult<()> {
    let bytes = fs::read(path).map_err(|e| StoreError::io("read", path, e))?;
    let mut sums = BlockCrc::new(std::io::sink());
    std::io::Write::write_all(&mut sums, &bytes)
        .map_err(|e| StoreError::io("checksum", path, e))?;
    write_sums(path, sums.into_sums())
}

/// Writes the sidecar of `path` from checksums gathered while it was written.
pub fn write_sums(path: &Path, (file_len, crcs): (u64, Vec<u32>)) -> StoreResult<()> {
    let mut payload = Vec::with_capacity(12 + crcs.len() * 4);
    payload.extend_from_slice(&file_len.to_le_bytes());
    payload.extend_from_slice(&(BLOCK as u32).to_le_bytes());
    crcs.iter()
        .for_each(|crc| payload.extend_from_slice(&crc.to_le_bytes()));
    let mut framed = Vec::new();
    frame::encode(kind::CHECKSUMS, &payload, &mut framed);
    let sidecar = sidecar_path(path);
    write_atomic(&sidecar, |out| {
        std::io::Write::write_all(out, &framed).map_err(|e| StoreError::io("write", &sidecar, e))
    })
}

/// A writer that passes bytes through and keeps the CRC32 of each block,
/// so a file's sidecar costs no second read.
pub struct BlockCrc<W> {
    inner: W,
    hasher: crc32fast::Hasher,
    in_block: usize,
    total: u64,
    crcs: Vec<u32>,
}

impl<W> BlockCrc<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: crc32fast::Hasher::new(),
            in_block: 0,
            total: 0,
            crcs: Vec::new(),
        }
    }

    /// Bytes written and the CRC of each block (the last one may be short).
    pub fn into_sums(mut self) -> (u64, Vec<u32>) {
        if self.in_block > 0 {
            self.crcs.push(self.hasher.finalize());
        }
        (self.total, self.crcs)
    }
}

impl<W: std::io::Write> std::io::Write for BlockCrc<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        let mut rest = &buf[..written];
        while !rest.is_empty() {
            let take = rest.len().min(BLOCK - self.in_block);
            self.hasher.update(&rest[..take]);
            (self.in_block, rest) = (self.in_block + take, &rest[take..]);
            if self.in_block == BLOCK {
                let full = std::mem::replace(&mut self.hasher, crc32fast::Hasher::new());
                self.crcs.push(full.finalize());
                self.in_block = 0;
            }
        }
        self.total += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Checks `path` against its sidecar: None when every block matches, else the
/// first damaged block (or a damaged / missing sidecar) as a defect.
pub fn verify(path: &Path) -> StoreResult<Option<Defect>> {
    let bytes = fs::read(path).map_err(|e| StoreError::io("read", path, e))?;
    let (file_len, block, crcs) = match read_sidecar(path)? {
        Ok(sums) => sums,
        Err(defect) => return Ok(Some(defect)),
    };
    let bad =
        |offset: usize, kind: DefectKind| Some(frame::defect_at(path, offset, bytes.len(), kind));
    let blocks = bytes.chunks(block.max(1));
    for (index, (chunk, crc)) in blocks.zip(&crcs).enumerate() {
        if crc32fast::hash(chunk) != *crc {
            return Ok(bad(index * block, DefectKind::PayloadChecksum));
        }
    }
    Ok(match (bytes.len() as u64).cmp(&file_len) {
        std::cmp::Ordering::Less => bad(bytes.len(), DefectKind::TornTail),
        std::cmp::Ordering::Greater => bad(
            file_len as usize,
            DefectKind::BadPayload("bytes past the checksummed end".into()),
        ),
        std::cmp::Ordering::Equal => None,
    })
}

type Sums = (u64, usize, Vec<u32>);

fn read_sidecar(path: &Path) -> StoreResult<Result<Sums, Defect>> {
    let sidecar = sidecar_path(path);
    let bytes = fs::read(&sidecar).map_err(|e| StoreError::io("read checksums", &sidecar, e))?;
    let scan = frame::scan(&sidecar, &bytes);
    let bad = |reason: &str| {
        frame::defect_at(
            &sidecar,
            0,
            bytes.len(),
            DefectKind::BadPayload(reason.into()),
        )
    };
    let frame = match (scan.frames.first(), scan.defect) {
        (_, Some(defect)) => return Ok(Err(defect)),
        (Some(frame), None) if frame.kind == kind::CHECKSUMS => frame.payload,
        _ => return Ok(Err(bad("not a checksum file"))),
    };
    if frame.len() < 12 || (frame.len() - 12) % 4 != 0 {
        return Ok(Err(bad("checksum payload of the wrong size")));
    }
    let word =
        |at: usize| u32::from_le_bytes([frame[at], frame[at + 1], frame[at + 2], frame[at + 3]]);
    let file_len = u64::from(word(0)) | (u64::from(word(4)) << 32);
    let crcs = (12..frame.len()).step_by(4).map(word).collect();
    Ok(Ok((file_len, word(8) as usize, crcs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flipped_byte_is_located_to_its_block() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.arrow");
        let bytes: Vec<u8> = (0..(BLOCK * 2 + 100)).map(|i| (i % 251) as u8).collect();
        fs::write(&path, &bytes).unwrap();
        write_sidecar(&path).unwrap();
        assert_eq!(verify(&path).unwrap(), None);
        for at in [0, 5, BLOCK - 1, BLOCK, BLOCK * 2 + 99] {
            let mut damaged = bytes.clone();
            damaged[at] ^= 1;
            fs::write(&path, &damaged).unwrap();
            let defect = verify(&path).unwrap().unwrap();
            assert_eq!(
                (defect.kind, defect.offset),
                (DefectKind::PayloadChecksum, (at / BLOCK * BLOCK) as u64)
            );
        }
        fs::write(&path, &bytes[..BLOCK]).unwrap();
        assert_eq!(verify(&path).unwrap().unwrap().kind, DefectKind::TornTail);
    }

    #[test]
    fn sums_gathered_while_writing_match_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.arrow");
        let bytes: Vec<u8> = (0..(BLOCK * 3 + 7)).map(|i| (i * 7 % 256) as u8).collect();
        let mut hashing = BlockCrc::new(Vec::new());
        for piece in bytes.chunks(333_333) {
            std::io::Write::write_all(&mut hashing, piece).unwrap();
        }
        fs::write(&path, &hashing.inner).unwrap();
        write_sums(&path, hashing.into_sums()).unwrap();
        assert_eq!(verify(&path).unwrap(), None);
        let streamed = fs::read(sidecar_path(&path)).unwrap();
        write_sidecar(&path).unwrap();
        assert_eq!(fs::read(sidecar_path(&path)).unwrap(), streamed);
    }

    #[test]
    fn a_damaged_or_missing_sidecar_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.arrow");
        fs::write(&path, b"table bytes").unwrap();
        assert!(verify(&path).is_err(), "no sidecar");
        write_sidecar(&path).unwrap();
        let sidecar = sidecar_path(&path);
        let mut bytes = fs::read(&sidecar).unwrap();
        bytes[25] ^= 1;
        fs::write(&sidecar, &bytes).unwrap();
        let defect = verify(&path).unwrap().unwrap();
        assert!(defect.to_string().contains("t.arrow.crc"), "{defect}");
    }
}
