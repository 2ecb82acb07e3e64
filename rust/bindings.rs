//! The Python face of the core: every `#[pyclass]` lives here, and the
//! exported surface is declared once, in `_store`.

use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;

use crate::error::StoreError;

impl From<StoreError> for PyErr {
    fn from(err: StoreError) -> PyErr {
        match err {
            StoreError::UnknownCode { .. } => PyKeyError::new_err(err.to_string()),
            _ => crate::disk_bindings::to_py_err(err),
        }
    }
}

/// Interns strings to dense integer codes (first-seen order).
#[pyclass(name = "StringDict", module = "modularml._store")]
#[derive(Default)]
struct PyStringDict {
    inner: crate::StringDict,
}

#[pymethods]
impl PyStringDict {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    fn intern(&mut self, value: &str) -> u32 {
        self.inner.intern(value)
    }

    fn lookup(&self, code: u32) -> PyResult<String> {
        Ok(self.inner.lookup(code)?.to_owned())
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }
}

#[pymodule]
fn _store(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", crate::VERSION)?;
    m.add_class::<PyStringDict>()?;
    crate::disk_bindings::register(m)?;
    Ok(())
}
