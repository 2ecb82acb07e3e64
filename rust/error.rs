//! The one error type of the native core. `bindings` maps it to Python exceptions.

use thiserror::Error;

/// Every failure the store can report.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A code that no string was interned under.
    #[error("unknown dictionary code {code}; the dictionary holds {len} strings")]
    UnknownCode { code: u32, len: usize },
}

pub type StoreResult<T> = Result<T, StoreError>;
