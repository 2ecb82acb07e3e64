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

    /// A column name that the table does not have.
    #[error("unknown column {column:?}; the columns are {available:?}")]
    UnknownColumn {
        column: String,
        available: Vec<String>,
    },

    /// A schema type name outside `str`, `int`, `f64`, `f64?`, `obj`.
    #[error("unknown column type {kind:?} for column {column:?}; the types are {allowed:?}")]
    UnknownType {
        column: String,
        kind: String,
        allowed: &'static [&'static str],
    },

    /// The same column name twice in a schema.
    #[error("column {column:?} appears twice in the schema")]
    DuplicateColumn { column: String },

    /// A value whose type does not fit its column.
    #[error("column {column:?} expects {expected}, got {got}")]
    WrongType {
        column: String,
        expected: &'static str,
        got: String,
    },

    /// `append` with the wrong number of values.
    #[error("append takes {expected} values (one per column {columns:?}), got {got}")]
    WrongArity {
        expected: usize,
        got: usize,
        columns: Vec<String>,
    },

    /// `extend` without some of the table's columns.
    #[error("extend needs every column; missing {missing:?}")]
    MissingColumns { missing: Vec<String> },

    /// `extend` with columns of different lengths.
    #[error("extend got columns of different lengths: {lengths:?}")]
    LengthMismatch { lengths: Vec<(String, usize)> },

    /// A reducer name outside the native set.
    #[error("unknown reducer {reducer:?}; the reducers are {allowed:?}")]
    UnknownReducer {
        reducer: String,
        allowed: &'static [&'static str],
    },

    /// A reducer that an `obj` column cannot take.
    #[error("column {column:?} holds objects and allows only 'first' or 'last', got {reducer:?}")]
    ObjectReducer { column: String, reducer: String },

    /// A row position outside the view.
    #[error("position {position} is out of range for a view of {len} rows")]
    OutOfRange { position: i64, len: usize },

    /// The table outgrew the u32 row ids.
    #[error("a table holds at most {max} rows")]
    TooManyRows { max: usize },

    /// Building the Arrow export failed.
    #[error("arrow export failed: {0}")]
    Arrow(String),
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
