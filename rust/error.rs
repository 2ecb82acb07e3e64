//! The one error type of the native core. `bindings` maps it to Python exceptions.

use thiserror::Error;

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
}

pub type StoreResult<T> = Result<T, StoreError>;
