//! The one error type of the native core. `bindings` maps it to Python exceptions.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

use crate::disk::frame::Defect;

/// Every failure the store can report.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A code that no string was interned under.
    #[error("unknown dictionary code {code}; the dictionary holds {len} strings")]
    UnknownCode { code: u32, len: usize },

    /// An operating-system error while touching `path`.
    #[error("{op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A background writer failed earlier; every later call reports it again.
    #[error("background writer for {} failed: {message}", path.display())]
    WriterFailed {
        path: PathBuf,
        errno: Option<i32>,
        message: String,
    },

    /// A file's bytes are not what was written (checksum, magic, truncation).
    #[error("{0}")]
    Corrupt(Defect),

    /// One artifact record of a pack failed verification.
    #[error("artifact record {id}: {defect}")]
    CorruptRecord { id: u64, defect: Defect },

    /// Columns that do not fit the schema, or a bad schema.
    #[error("invalid batch: {reason}")]
    InvalidBatch { reason: String },

    /// An argument outside what the format can hold.
    #[error("invalid argument: {reason}")]
    InvalidArgument { reason: String },

    /// An artifact id that the pack does not hold.
    #[error("unknown artifact record {id}; the pack holds {len} records")]
    UnknownRecord { id: u64, len: usize },

    /// A writer used after `close()`.
    #[error("{what} {} is closed", path.display())]
    Closed { what: &'static str, path: PathBuf },
}

impl StoreError {
    /// Wraps an `io::Error` with the operation and the path it concerned.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
