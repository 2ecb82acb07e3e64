//! The Python face of the core: every `#[pyclass]` lives here, and the
//! exported surface is declared once, in `_store`.

mod disk;
mod extract;
mod pack;

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use arrow_array::RecordBatch;
use pyo3::create_exception;
use pyo3::exceptions::{
    PyIndexError, PyKeyError, PyOSError, PyRuntimeError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict, PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;

use crate::arrow_export;
use crate::batch::Batch;
use crate::error::StoreError;
use crate::schema::Schema;
use crate::table::Table;
use crate::value::{Cell, ColumnValues, Value, NULL_CODE};
use crate::view::View;

use extract::{fill_cells, key_value, Source};

impl From<StoreError> for PyErr {
    fn from(err: StoreError) -> PyErr {
        let message = err.to_string();
        match err {
            StoreError::UnknownCode { .. } | StoreError::UnknownColumn { .. } => {
                PyKeyError::new_err(message)
            }
            StoreError::WrongType { .. } | StoreError::WrongArity { .. } => {
                PyTypeError::new_err(message)
            }
            StoreError::OutOfRange { .. } => PyIndexError::new_err(message),
            StoreError::UnknownType { .. }
            | StoreError::DuplicateColumn { .. }
            | StoreError::MissingColumns { .. }
            | StoreError::LengthMismatch { .. }
            | StoreError::UnknownReducer { .. }
            | StoreError::ObjectReducer { .. }
            | StoreError::TooManyRows { .. }
            | StoreError::Arrow(_)
            | StoreError::InvalidBatch { .. }
            | StoreError::InvalidArgument { .. }
            | StoreError::Closed { .. } => PyValueError::new_err(message),
            StoreError::UnknownRecord { .. } => PyIndexError::new_err(message),
            // OSError(errno, message, path) picks the subclass: PermissionError, ...
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
                disk::CorruptFileError::new_err(message)
            }
        }
    }
}

create_exception!(
    _store,
    StorePanicError,
    PyRuntimeError,
    "An internal error (a Rust panic) inside the results store. The call failed and \
     changed nothing; the store stays usable (locks recover from the panic)."
);

/// Runs `f` with the GIL released; a Rust panic becomes `StorePanicError` instead of
/// unwinding into Python as PyO3's `PanicException` (a `BaseException`).
pub(crate) fn detach<T: Send>(py: Python<'_>, f: impl FnOnce() -> T + Send) -> PyResult<T> {
    py.detach(|| catch_unwind(AssertUnwindSafe(f)))
        .map_err(panic_error)
}

fn panic_error(payload: Box<dyn Any + Send>) -> PyErr {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string());
    StorePanicError::new_err(format!(
        "internal error in the results store (Rust panic: {message}); the call changed \
         nothing and the store is still usable; please report this"
    ))
}

/// Test hook: panics inside the store while holding the table's write lock, so tests can
/// show that the panic surfaces as `StorePanicError` and that the poisoned lock recovers.
#[pyfunction]
fn _panic_holding_table_lock(py: Python<'_>, table: &PyTable) -> PyResult<()> {
    detach(py, || table.inner.panic_holding_lock())
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

/// An append-only, thread-safe columnar table.
#[pyclass(name = "Table", module = "modularml._store", frozen)]
struct PyTable {
    inner: Table,
}

/// An immutable selection of rows of one table.
#[pyclass(name = "View", module = "modularml._store", frozen)]
struct PyView {
    inner: View,
}

/// A view's rows as Arrow, read through `__arrow_c_stream__`.
#[pyclass(name = "ArrowStream", module = "modularml._store", frozen)]
struct PyArrowStream {
    batch: RecordBatch,
}

/// Rows appended with at most this many columns build their cells on the stack.
const INLINE_COLUMNS: usize = 8;

#[pymethods]
impl PyTable {
    #[new]
    fn new(schema: Vec<(String, String)>) -> PyResult<Self> {
        Ok(Self {
            inner: Table::new(Schema::parse(&schema)?),
        })
    }

    #[pyo3(signature = (*values))]
    fn append(&self, values: &Bound<'_, PyTuple>) -> PyResult<()> {
        let schema = self.inner.schema();
        if values.len() != schema.len() {
            return Err(StoreError::WrongArity {
                expected: schema.len(),
                got: values.len(),
                columns: schema.names().to_vec(),
            }
            .into());
        }
        if schema.len() <= INLINE_COLUMNS {
            let mut cells = [Cell::Null; INLINE_COLUMNS];
            fill_cells(schema, values, &mut cells)?;
            return Ok(self.inner.append(&cells[..schema.len()])?);
        }
        let mut cells = vec![Cell::Null; schema.len()];
        fill_cells(schema, values, &mut cells)?;
        Ok(self.inner.append(&cells)?)
    }

    fn extend(&self, py: Python<'_>, columns: &Bound<'_, PyDict>) -> PyResult<()> {
        let schema = self.inner.schema().clone();
        for key in columns.keys() {
            schema.index_of(&key.extract::<String>()?)?;
        }
        let missing: Vec<String> = schema
            .names()
            .iter()
            .filter(|n| !columns.contains(n.as_str()).unwrap_or(false))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(StoreError::MissingColumns { missing }.into());
        }
        let mut sources = Vec::with_capacity(schema.len());
        for (name, &kind) in schema.names().iter().zip(schema.types()) {
            let value = columns.get_item(name)?.expect("checked present");
            sources.push(Source::new(kind, name, &value)?);
        }
        let batches: Vec<Batch<'_>> = sources.iter_mut().map(Source::take_batch).collect();
        detach(py, || self.inner.extend(&batches))??;
        Ok(())
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    #[getter]
    fn columns(&self) -> Vec<String> {
        self.inner.schema().names().to_vec()
    }

    fn nbytes(&self) -> usize {
        self.inner.nbytes()
    }

    fn view(&self) -> PyView {
        PyView {
            inner: self.inner.view(),
        }
    }
}

#[pymethods]
impl PyView {
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    #[getter]
    fn columns(&self) -> Vec<String> {
        self.inner.columns().to_vec()
    }

    fn where_in(
        &self,
        py: Python<'_>,
        column: &str,
        values: &Bound<'_, PyAny>,
    ) -> PyResult<PyView> {
        if values.is_instance_of::<PyString>() {
            // A bare str is iterable; its characters are never what was meant.
            return Err(PyTypeError::new_err(
                "where_in takes a list of values, not a str",
            ));
        }
        let keys = values
            .try_iter()?
            .map(|v| key_value(&v?))
            .collect::<PyResult<Vec<Value>>>()?;
        let inner = detach(py, || self.inner.where_in(column, &keys))??;
        Ok(PyView { inner })
    }

    fn distinct<'py>(&self, py: Python<'py>, column: &str) -> PyResult<Bound<'py, PyList>> {
        let values = detach(py, || self.inner.distinct(column))??;
        values_to_list(py, &values)
    }

    fn column<'py>(&self, py: Python<'py>, column: &str) -> PyResult<Bound<'py, PyList>> {
        let values = detach(py, || self.inner.column(column))??;
        values_to_list(py, &values)
    }

    fn row<'py>(&self, py: Python<'py>, position: i64) -> PyResult<Bound<'py, PyTuple>> {
        let values = self.inner.row(position)?;
        let items = values
            .iter()
            .map(|v| value_to_py(py, v))
            .collect::<PyResult<Vec<_>>>()?;
        PyTuple::new(py, items)
    }

    fn take(&self, py: Python<'_>, positions: Vec<i64>) -> PyResult<PyView> {
        let inner = detach(py, || self.inner.take(&positions))??;
        Ok(PyView { inner })
    }

    fn sort_positions(&self, py: Python<'_>, by: Vec<String>) -> PyResult<Vec<usize>> {
        let by: Vec<&str> = by.iter().map(String::as_str).collect();
        Ok(detach(py, || self.inner.sort_positions(&by))??)
    }

    fn group(&self, py: Python<'_>, by: Vec<String>) -> PyResult<(PyView, Vec<Vec<u32>>)> {
        let by: Vec<&str> = by.iter().map(String::as_str).collect();
        let (keys, positions) = detach(py, || self.inner.group(&by))??;
        Ok((PyView { inner: keys }, positions))
    }

    fn collapse(&self, py: Python<'_>, by: Vec<String>, reducer: &str) -> PyResult<PyView> {
        let by: Vec<&str> = by.iter().map(String::as_str).collect();
        let inner = detach(py, || self.inner.collapse(&by, reducer))??;
        Ok(PyView { inner })
    }

    fn to_arrow(&self, py: Python<'_>) -> PyResult<PyArrowStream> {
        let batch = detach(py, || arrow_export::record_batch(&self.inner))??;
        Ok(PyArrowStream { batch })
    }
}

#[pymethods]
impl PyArrowStream {
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        // The schema is fixed by the view; a consumer that asked for another
        // casts on its side, as the protocol allows.
        let _ = requested_schema;
        let stream = arrow_export::stream(self.batch.clone());
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    fn __len__(&self) -> usize {
        self.batch.num_rows()
    }
}

fn value_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    match value {
        Value::Null => Ok(py.None().into_bound(py)),
        Value::Str(s) => s.into_bound_py_any(py),
        Value::Int(v) => v.into_bound_py_any(py),
        Value::F64(v) => v.into_bound_py_any(py),
        Value::Obj(h) => h.into_bound_py_any(py),
    }
}

/// A Python list of `values`; each distinct string becomes one `str` object.
fn values_to_list<'py>(py: Python<'py>, values: &ColumnValues) -> PyResult<Bound<'py, PyList>> {
    match values {
        ColumnValues::Str { strings, codes } => {
            let none = py.None().into_bound(py);
            let objects: Vec<Bound<'py, PyAny>> = strings
                .iter()
                .map(|s| PyString::new(py, s).into_any())
                .collect();
            PyList::new(
                py,
                codes.iter().map(|&c| {
                    if c == NULL_CODE {
                        &none
                    } else {
                        &objects[c as usize]
                    }
                }),
            )
        }
        ColumnValues::Int(v) => PyList::new(py, v),
        ColumnValues::F64(v) => PyList::new(py, v),
        ColumnValues::F64Opt(v) => PyList::new(py, v),
        ColumnValues::Obj(v) => PyList::new(py, v),
    }
}

#[pymodule]
fn _store(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", crate::VERSION)?;
    m.add_class::<PyStringDict>()?;
    m.add_class::<PyTable>()?;
    m.add_class::<PyView>()?;
    m.add_class::<PyArrowStream>()?;
    m.add("StorePanicError", m.py().get_type::<StorePanicError>())?;
    m.add_function(wrap_pyfunction!(_panic_holding_table_lock, m)?)?;
    disk::register(m)?;
    pack::register(m)?;
    Ok(())
}
