//! The Python face of artifact packs (`rust/disk/pack.rs`, `pack_reader.rs`).

use std::path::PathBuf;
use std::sync::RwLock;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::disk::pack::PackWriter;
use crate::disk::pack_reader::PackReader;
use crate::error::StoreError;

/// Artifact pack writer; `put` copies the bytes into a queue and returns the record id.
/// Like `TableLog`, no lock is held while waiting for the GIL.
#[pyclass(name = "PackWriter", module = "modularml._store", frozen)]
struct PyPackWriter {
    inner: RwLock<Option<PackWriter>>,
    path: PathBuf,
}

#[pymethods]
impl PyPackWriter {
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let writer = py
            .detach(|| PackWriter::create(&path))
            .map_err(PyErr::from)?;
        Ok(Self {
            inner: RwLock::new(Some(writer)),
            path,
        })
    }

    fn put(&self, data: &[u8], codec: &str) -> PyResult<u64> {
        self.with_writer(|writer| writer.put(data.to_vec(), codec))
            .map_err(PyErr::from)
    }

    #[pyo3(signature = (durable = true))]
    fn flush(&self, py: Python<'_>, durable: bool) -> PyResult<()> {
        py.detach(|| self.with_writer(|writer| writer.flush(durable)))
            .map_err(PyErr::from)
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| {
            let taken = self
                .inner
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .take();
            taken.map_or(Ok(()), |mut writer| writer.close())
        })
        .map_err(PyErr::from)
    }

    fn __len__(&self) -> usize {
        self.with_writer(|writer| Ok(writer.len() as usize))
            .unwrap_or(0)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _kind: &Bound<'_, PyAny>,
        _value: &Bound<'_, PyAny>,
        _traceback: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        self.close(py)
    }
}

impl PyPackWriter {
    fn with_writer<T>(
        &self,
        f: impl FnOnce(&PackWriter) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let guard = self
            .inner
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let closed = || StoreError::Closed {
            what: "pack",
            path: self.path.clone(),
        };
        f(guard.as_ref().ok_or_else(closed)?)
    }
}

/// Lazy, verified reader of an artifact pack.
#[pyclass(name = "PackReader", module = "modularml._store", frozen)]
struct PyPackReader {
    inner: PackReader,
}

#[pymethods]
impl PyPackReader {
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = super::detach(py, || PackReader::open(&path))??;
        Ok(Self { inner })
    }

    fn get<'py>(&self, py: Python<'py>, id: u64) -> PyResult<(Bound<'py, PyBytes>, String)> {
        let (data, codec) = super::detach(py, || self.inner.get(id))??;
        Ok((PyBytes::new(py, &data), codec))
    }

    fn ids(&self) -> Vec<u64> {
        self.inner.ids()
    }

    fn verify(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        super::detach(py, || self.inner.verify())
    }

    #[getter]
    fn corrupt(&self) -> Vec<String> {
        self.inner.problems().to_vec()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPackWriter>()?;
    m.add_class::<PyPackReader>()?;
    Ok(())
}
