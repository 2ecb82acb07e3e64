//! Framing: every record on disk is a frame, so a reader can tell where the
//! valid bytes end.
//!
//! Layout (little endian, 20-byte header, then the payload):
//!
//! | bytes  | field                                        |
//! |--------|----------------------------------------------|
//! | 0..4   | magic `MMLF`                                 |
//! | 4      | format version (1)                           |
//! | 5      | kind (schema, batch, artifact record, index) |
//! | 6..8   | reserved, 0                                  |
//! | 8..12  | payload length                               |
//! | 12..16 | CRC32 of the payload                         |
//! | 16..20 | CRC32 of bytes 0..16                         |
//!
//! The header has its own checksum so a damaged length is never trusted.

use std::fmt;
use std::path::{Path, PathBuf};

pub const MAGIC: [u8; 4] = *b"MMLF";
pub const VERSION: u8 = 1;
pub const HEADER_LEN: usize = 20;

/// What a frame holds.
pub mod kind {
    pub const SCHEMA: u8 = 1;
    pub const BATCH: u8 = 2;
    pub const RECORD: u8 = 3;
    pub const INDEX: u8 = 4;
    pub const CHECKSUMS: u8 = 5;
}

/// Why the bytes at some offset are not a valid frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefectKind {
    /// The file ends inside a frame, or in zero fill: an interrupted write.
    TornTail,
    /// The bytes do not start with the frame magic.
    BadMagic,
    /// A frame of a format version this build cannot read.
    UnsupportedVersion(u8),
    /// The header's checksum does not match its bytes.
    HeaderChecksum,
    /// The payload's checksum does not match its bytes.
    PayloadChecksum,
    /// The checksums match but the payload does not decode.
    BadPayload(String),
}

/// The first bad frame of a file: where, why, and how many bytes were dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defect {
    pub path: PathBuf,
    pub offset: u64,
    pub kind: DefectKind,
    /// Bytes from `offset` to the end of the file, none of which were read.
    pub dropped: u64,
}

impl Defect {
    /// A torn tail is what a killed writer leaves; anything else is damage.
    pub fn is_torn_tail(&self) -> bool {
        self.kind == DefectKind::TornTail
    }
}

impl fmt::Display for DefectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TornTail => write!(f, "torn tail (interrupted write)"),
            Self::BadMagic => write!(f, "bad magic (not a frame)"),
            Self::UnsupportedVersion(v) => write!(f, "unsupported format version {v}"),
            Self::HeaderChecksum => write!(f, "frame header checksum mismatch"),
            Self::PayloadChecksum => write!(f, "frame payload checksum mismatch"),
            Self::BadPayload(reason) => write!(f, "undecodable payload ({reason})"),
        }
    }
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} at byte offset {}; {} bytes from there on were dropped",
            self.path.display(),
            self.kind,
            self.offset,
            self.dropped
        )
    }
}

/// Appends one frame of `kind` holding `payload` to `out`.
pub fn encode(kind: u8, payload: &[u8], out: &mut Vec<u8>) {
    let mut header = [0u8; HEADER_LEN];
    header[0..4].copy_from_slice(&MAGIC);
    header[4] = VERSION;
    header[5] = kind;
    header[8..12].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    header[12..16].copy_from_slice(&crc32fast::hash(payload).to_le_bytes());
    let header_crc = crc32fast::hash(&header[0..16]);
    header[16..20].copy_from_slice(&header_crc.to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(payload);
}

/// A checked frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub kind: u8,
    pub payload_len: u32,
    pub payload_crc: u32,
}

impl Header {
    /// Header plus payload, in bytes.
    pub fn frame_len(&self) -> u64 {
        HEADER_LEN as u64 + u64::from(self.payload_len)
    }
}

/// Parses and checks the header at the start of `bytes` (which may hold more).
pub fn parse_header(bytes: &[u8]) -> Result<Header, DefectKind> {
    if bytes.len() < HEADER_LEN {
        return Err(tail_kind(bytes, DefectKind::TornTail));
    }
    if bytes[0..4] != MAGIC {
        return Err(tail_kind(bytes, DefectKind::BadMagic));
    }
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    if crc32fast::hash(&bytes[0..16]) != word(16) {
        return Err(DefectKind::HeaderChecksum);
    }
    if bytes[4] != VERSION {
        return Err(DefectKind::UnsupportedVersion(bytes[4]));
    }
    Ok(Header {
        kind: bytes[5],
        payload_len: word(8),
        payload_crc: word(12),
    })
}

/// Zero fill to the end of the file is a torn tail (space allocated, never written).
fn tail_kind(rest: &[u8], otherwise: DefectKind) -> DefectKind {
    if rest.iter().all(|&b| b == 0) {
        DefectKind::TornTail
    } else {
        otherwise
    }
}

/// Checks a payload against its header.
pub fn check_payload(header: &Header, payload: &[u8]) -> Result<(), DefectKind> {
    if payload.len() < header.payload_len as usize {
        return Err(DefectKind::TornTail);
    }
    if crc32fast::hash(payload) != header.payload_crc {
        return Err(DefectKind::PayloadChecksum);
    }
    Ok(())
}

/// One valid frame inside a scanned buffer.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub kind: u8,
    /// Byte offset of the frame's header in the file.
    pub offset: u64,
    pub payload: &'a [u8],
}

/// The valid frames of a file, the length of that valid prefix, and the first defect.
#[derive(Debug)]
pub struct Scan<'a> {
    pub frames: Vec<Frame<'a>>,
    pub valid_len: u64,
    pub defect: Option<Defect>,
}

/// Splits `bytes` (a whole file, named `path` in reports) into its valid frames.
/// Stops at the first bad frame; never panics; each step moves forward.
pub fn scan<'a>(path: &Path, bytes: &'a [u8]) -> Scan<'a> {
    let mut frames = Vec::new();
    let mut offset = 0;
    let defect = loop {
        if offset == bytes.len() {
            break None;
        }
        match next_frame(&bytes[offset..]) {
            Ok((kind, payload)) => {
                frames.push(Frame {
                    kind,
                    offset: offset as u64,
                    payload,
                });
                offset += HEADER_LEN + payload.len();
            }
            Err(kind) => break Some(defect_at(path, offset, bytes.len(), kind)),
        }
    };
    Scan {
        frames,
        valid_len: offset as u64,
        defect,
    }
}

fn next_frame(rest: &[u8]) -> Result<(u8, &[u8]), DefectKind> {
    let header = parse_header(rest)?;
    let end = HEADER_LEN + header.payload_len as usize;
    let payload = rest.get(HEADER_LEN..end).ok_or(DefectKind::TornTail)?;
    check_payload(&header, payload)?;
    Ok((header.kind, payload))
}

/// A defect at `offset` of a file of `file_len` bytes.
pub fn defect_at(path: &Path, offset: usize, file_len: usize, kind: DefectKind) -> Defect {
    Defect {
        path: path.to_path_buf(),
        offset: offset as u64,
        kind,
        dropped: (file_len - offset.min(file_len)) as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut out = Vec::new();
        encode(kind::SCHEMA, b"schema", &mut out);
        encode(kind::BATCH, b"first batch", &mut out);
        encode(kind::BATCH, b"", &mut out);
        encode(kind::BATCH, b"last", &mut out);
        out
    }

    fn path() -> PathBuf {
        PathBuf::from("t.log")
    }

    #[test]
    fn round_trip_of_frames() {
        let bytes = sample();
        let scan = scan(&path(), &bytes);
        assert!(scan.defect.is_none());
        assert_eq!(scan.valid_len, bytes.len() as u64);
        let payloads: Vec<&[u8]> = scan.frames.iter().map(|f| f.payload).collect();
        assert_eq!(payloads, [&b"schema"[..], b"first batch", b"", b"last"]);
        assert_eq!(scan.frames[1].offset, (HEADER_LEN + 6) as u64);
        assert_eq!(scan.frames[0].kind, kind::SCHEMA);
    }

    #[test]
    fn every_truncation_keeps_the_whole_frames_and_reports_a_torn_tail() {
        let bytes = sample();
        let ends: Vec<usize> = scan(&path(), &bytes)
            .frames
            .iter()
            .map(|f| f.offset as usize + HEADER_LEN + f.payload.len())
            .collect();
        for cut in 0..bytes.len() {
            let scan = scan(&path(), &bytes[..cut]);
            let whole = ends.iter().filter(|&&end| end <= cut).count();
            assert_eq!(scan.frames.len(), whole, "cut at {cut}");
            let at_boundary = cut == 0 || ends.contains(&cut);
            match scan.defect {
                None => assert!(at_boundary, "cut at {cut} not reported"),
                Some(defect) => {
                    assert_eq!(defect.kind, DefectKind::TornTail, "cut at {cut}");
                    assert_eq!(defect.offset + defect.dropped, cut as u64);
                }
            }
        }
    }

    #[test]
    fn every_single_byte_flip_is_detected_and_the_prefix_kept() {
        let bytes = sample();
        let clean = scan(&path(), &bytes);
        for at in 0..bytes.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut damaged = bytes.clone();
                damaged[at] ^= flip;
                let scan = scan(&path(), &damaged);
                let defect = scan.defect.expect("flip not detected");
                let hit = clean
                    .frames
                    .iter()
                    .rposition(|f| f.offset as usize <= at)
                    .unwrap();
                assert_eq!(defect.offset, clean.frames[hit].offset, "flip at {at}");
                assert_eq!(scan.frames.len(), hit, "flip at {at}");
                assert_ne!(defect.kind, DefectKind::TornTail, "flip at {at}");
            }
        }
    }

    #[test]
    fn zero_fill_is_a_torn_tail_and_garbage_is_bad_magic() {
        let mut bytes = sample();
        let len = bytes.len();
        bytes.extend_from_slice(&[0u8; 100]);
        let defect = scan(&path(), &bytes).defect.unwrap();
        assert_eq!(
            (defect.kind, defect.offset, defect.dropped),
            (DefectKind::TornTail, len as u64, 100)
        );
        bytes[len + 50] = 7;
        let defect = scan(&path(), &bytes).defect.unwrap();
        assert_eq!(defect.kind, DefectKind::BadMagic);
        let text = defect.to_string();
        assert!(
            text.contains("t.log") && text.contains(&format!("offset {len}")),
            "{text}"
        );
    }

    #[test]
    fn unknown_version_is_named() {
        let mut bytes = Vec::new();
        encode(kind::BATCH, b"x", &mut bytes);
        bytes[4] = 9;
        let crc = crc32fast::hash(&bytes[0..16]).to_le_bytes();
        bytes[16..20].copy_from_slice(&crc);
        let defect = scan(&path(), &bytes).defect.unwrap();
        assert_eq!(defect.kind, DefectKind::UnsupportedVersion(9));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for len in 0..400 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state >> 24) as u8
                })
                .collect();
            let scan = scan(&path(), &bytes);
            assert!(scan.valid_len <= len as u64);
        }
    }
}
