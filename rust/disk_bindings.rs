//! The Python face of the on-disk format (`rust/disk/`): table logs, Arrow IPC
//! compaction, artifact packs, atomic manifests and path slugs.

use pyo3::create_exception;
use pyo3::exceptions::{PyIndexError, PyKeyError, PyOSError, PyValueError};
use pyo3::prelude::*;

use crate::error::StoreError;

create_exception!(
    _store,
    CorruptFileError,
    PyOSError,
    "A file's bytes are not what was written: checksum mismatch, bad magic or truncation."
);

/// Maps the disk layer's errors to Python exceptions (OSError subclasses for I/O).
pub(crate) fn to_py_err(err: StoreError) -> PyErr {
    let message = err.to_string();
    match err {
        StoreError::Io { source, path, .. } => match source.raw_os_error() {
            Some(errno) => PyOSError::new_err((errno, message, path.display().to_string())),
            None => PyOSError::new_err(message),
        },
        StoreError::WriterFailed {
            errno: Some(errno),
            path,
            ..
        } => PyOSError::new_err((errno, message, path.display().to_string())),
        StoreError::WriterFailed { .. } => PyOSError::new_err(message),
        StoreError::Corrupt(_) | StoreError::CorruptRecord { .. } => {
            CorruptFileError::new_err(message)
        }
        StoreError::InvalidBatch { .. }
        | StoreError::InvalidArgument { .. }
        | StoreError::Closed { .. } => PyValueError::new_err(message),
        StoreError::UnknownRecord { .. } => PyIndexError::new_err(message),
        StoreError::UnknownCode { .. } => PyKeyError::new_err(message),
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("CorruptFileError", m.py().get_type::<CorruptFileError>())?;
    Ok(())
}
