//! The Python face of the core: every `#[pyclass]` lives here, and the
//! exported surface is declared once, in `_store`.

use std::borrow::Cow;

use arrow_array::RecordBatch;
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyIndexError, PyKeyError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyCapsule, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;
use rustc_hash::FxHashMap;

use crate::arrow_export;
use crate::batch::{Batch, Numbers};
use crate::error::StoreError;
use crate::schema::{ColumnType, Schema};
use crate::table::Table;
use crate::value::{Cell, ColumnValues, Value, NULL_CODE};
use crate::view::View;

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
            | StoreError::Arrow(_) => PyValueError::new_err(message),
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
        let batches: Vec<Batch<'_>> = sources.iter().map(Source::batch).collect();
        py.detach(|| self.inner.extend(&batches))?;
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
        let keys = values
            .try_iter()?
            .map(|v| key_value(&v?))
            .collect::<PyResult<Vec<Value>>>()?;
        let inner = py.detach(|| self.inner.where_in(column, &keys))?;
        Ok(PyView { inner })
    }

    fn distinct<'py>(&self, py: Python<'py>, column: &str) -> PyResult<Bound<'py, PyList>> {
        let values = py.detach(|| self.inner.distinct(column))?;
        values_to_list(py, &values)
    }

    fn column<'py>(&self, py: Python<'py>, column: &str) -> PyResult<Bound<'py, PyList>> {
        let values = py.detach(|| self.inner.column(column))?;
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
        let inner = py.detach(|| self.inner.take(&positions))?;
        Ok(PyView { inner })
    }

    fn sort_positions(&self, py: Python<'_>, by: Vec<String>) -> PyResult<Vec<usize>> {
        let by: Vec<&str> = by.iter().map(String::as_str).collect();
        Ok(py.detach(|| self.inner.sort_positions(&by))?)
    }

    fn group(&self, py: Python<'_>, by: Vec<String>) -> PyResult<(PyView, Vec<Vec<u32>>)> {
        let by: Vec<&str> = by.iter().map(String::as_str).collect();
        let (keys, positions) = py.detach(|| self.inner.group(&by))?;
        Ok((PyView { inner: keys }, positions))
    }

    fn collapse(&self, py: Python<'_>, by: Vec<String>, reducer: &str) -> PyResult<PyView> {
        let by: Vec<&str> = by.iter().map(String::as_str).collect();
        let inner = py.detach(|| self.inner.collapse(&by, reducer))?;
        Ok(PyView { inner })
    }

    fn to_arrow(&self, py: Python<'_>) -> PyResult<PyArrowStream> {
        let batch = py.detach(|| arrow_export::record_batch(&self.inner))?;
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

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "object".to_owned(), |n| n.to_string())
}

fn wrong_type(kind: ColumnType, name: &str, value: &Bound<'_, PyAny>) -> PyErr {
    StoreError::WrongType {
        column: name.to_owned(),
        expected: kind.expected(),
        got: type_name(value),
    }
    .into()
}

/// Reads one row's values into `cells`, typed by the schema.
fn fill_cells<'a>(
    schema: &Schema,
    values: &'a Bound<'_, PyTuple>,
    cells: &mut [Cell<'a>],
) -> PyResult<()> {
    for (index, cell) in cells.iter_mut().enumerate().take(schema.len()) {
        let value = values.get_borrowed_item(index)?;
        *cell = cell_of(schema.kind(index), schema.name(index), value)?;
    }
    Ok(())
}

/// One Python value as a cell of a column of type `kind`.
#[inline]
fn cell_of<'a>(kind: ColumnType, name: &str, value: Borrowed<'a, '_, PyAny>) -> PyResult<Cell<'a>> {
    if value.is_none() {
        return Ok(Cell::Null);
    }
    let cell = match kind {
        ColumnType::Str => value.extract::<&'a str>().ok().map(Cell::Str),
        ColumnType::Int => value.extract::<i64>().ok().map(Cell::Int),
        ColumnType::F64 | ColumnType::F64Opt => value.extract::<f64>().ok().map(Cell::F64),
        ColumnType::Obj => value.extract::<u32>().ok().map(Cell::Obj),
    };
    cell.ok_or_else(|| wrong_type(kind, name, &value.to_owned()))
}

/// Where an `extend` column's values come from.
enum Source<'py> {
    Array(ArrayGuard<'py>),
    Values(Batch<'static>),
}

/// A borrowed 1-d numpy array of a dtype read in place.
enum ArrayGuard<'py> {
    F64(PyReadonlyArray1<'py, f64>),
    F32(PyReadonlyArray1<'py, f32>),
    I64(PyReadonlyArray1<'py, i64>),
    I32(PyReadonlyArray1<'py, i32>),
}

fn slice_or_copy<'a, T: numpy::Element + Copy>(array: &'a PyReadonlyArray1<'_, T>) -> Cow<'a, [T]> {
    match array.as_slice() {
        Ok(slice) => Cow::Borrowed(slice),
        Err(_) => Cow::Owned(array.as_array().iter().copied().collect()),
    }
}

impl<'py> ArrayGuard<'py> {
    fn new(array: &Bound<'py, PyUntypedArray>) -> Option<Self> {
        let any = array.as_any();
        if let Ok(a) = any.cast::<PyArray1<f64>>() {
            return Some(Self::F64(a.readonly()));
        }
        if let Ok(a) = any.cast::<PyArray1<f32>>() {
            return Some(Self::F32(a.readonly()));
        }
        if let Ok(a) = any.cast::<PyArray1<i64>>() {
            return Some(Self::I64(a.readonly()));
        }
        any.cast::<PyArray1<i32>>()
            .ok()
            .map(|a| Self::I32(a.readonly()))
    }

    fn numbers(&self) -> Numbers<'_> {
        match self {
            Self::F64(a) => Numbers::F64(slice_or_copy(a)),
            Self::F32(a) => Numbers::F32(slice_or_copy(a)),
            Self::I64(a) => Numbers::I64(slice_or_copy(a)),
            Self::I32(a) => Numbers::I32(slice_or_copy(a)),
        }
    }
}

impl<'py> Source<'py> {
    fn new(kind: ColumnType, name: &str, value: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(array) = value.cast::<PyUntypedArray>() {
            if array.ndim() != 1 {
                let message = format!(
                    "column {name:?}: expected a 1-d array, got {} dimensions",
                    array.ndim()
                );
                return Err(PyValueError::new_err(message));
            }
            if kind != ColumnType::Str {
                if let Some(guard) = ArrayGuard::new(array) {
                    return Ok(Source::Array(guard));
                }
            }
            return Ok(Source::Values(list_batch(kind, name, value)?));
        }
        if is_scalar(value) {
            return Ok(Source::Values(Batch::Scalar(scalar_value(
                kind, name, value,
            )?)));
        }
        match value.try_iter() {
            Ok(_) => Ok(Source::Values(list_batch(kind, name, value)?)),
            Err(_) => Ok(Source::Values(Batch::Scalar(scalar_value(
                kind, name, value,
            )?))),
        }
    }

    fn batch(&self) -> Batch<'_> {
        match self {
            Source::Array(guard) => Batch::Numbers(guard.numbers()),
            Source::Values(batch) => batch.clone(),
        }
    }
}

fn is_scalar(value: &Bound<'_, PyAny>) -> bool {
    value.is_none()
        || value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyBytes>()
        || value.is_instance_of::<PyInt>()
        || value.is_instance_of::<PyFloat>()
        || value.is_instance_of::<PyBool>()
}

fn scalar_value(kind: ColumnType, name: &str, value: &Bound<'_, PyAny>) -> PyResult<Value> {
    Ok(cell_of(kind, name, value.as_borrowed())?.to_value())
}

/// The values of a Python iterable, typed by the column.
fn list_batch(kind: ColumnType, name: &str, values: &Bound<'_, PyAny>) -> PyResult<Batch<'static>> {
    let items = values.try_iter()?;
    Ok(match kind {
        ColumnType::Str => {
            let mut lookup: FxHashMap<String, u32> = FxHashMap::default();
            let mut strings = Vec::new();
            let mut codes = Vec::new();
            for item in items {
                let item = item?;
                let code = match cell_of(kind, name, item.as_borrowed())? {
                    Cell::Str(s) => *lookup.entry(s.to_owned()).or_insert_with(|| {
                        strings.push(s.to_owned());
                        strings.len() as u32 - 1
                    }),
                    _ => NULL_CODE,
                };
                codes.push(code);
            }
            Batch::Strs { strings, codes }
        }
        ColumnType::Int => Batch::Ints(
            items
                .map(|i| typed(kind, name, &i?, |c| c.as_int()))
                .collect::<PyResult<_>>()?,
        ),
        ColumnType::F64 | ColumnType::F64Opt => Batch::Floats(
            items
                .map(|i| typed(kind, name, &i?, |c| c.as_float()))
                .collect::<PyResult<_>>()?,
        ),
        ColumnType::Obj => Batch::Handles(
            items
                .map(|i| {
                    let item = i?;
                    match cell_of(kind, name, item.as_borrowed())? {
                        Cell::Obj(h) => Ok(h),
                        _ => Err(wrong_type(kind, name, &item)),
                    }
                })
                .collect::<PyResult<_>>()?,
        ),
    })
}

fn typed<T>(
    kind: ColumnType,
    name: &str,
    item: &Bound<'_, PyAny>,
    get: impl Fn(Cell<'_>) -> Option<T>,
) -> PyResult<Option<T>> {
    let cell = cell_of(kind, name, item.as_borrowed())?;
    Ok(get(cell))
}

impl Cell<'_> {
    fn as_int(self) -> Option<i64> {
        match self {
            Cell::Int(v) => Some(v),
            _ => None,
        }
    }

    fn as_float(self) -> Option<f64> {
        match self {
            Cell::F64(v) => Some(v),
            _ => None,
        }
    }
}

/// A `where_in` key: None, bool/int, float or str.
fn key_value(value: &Bound<'_, PyAny>) -> PyResult<Value> {
    if value.is_none() {
        Ok(Value::Null)
    } else if let Ok(s) = value.cast::<PyString>() {
        Ok(Value::Str(s.to_str()?.to_owned()))
    } else if value.is_instance_of::<PyFloat>() {
        Ok(Value::F64(value.extract()?))
    } else if let Ok(v) = value.extract::<i64>() {
        Ok(Value::Int(v))
    } else if let Ok(v) = value.extract::<f64>() {
        Ok(Value::F64(v))
    } else {
        let message = format!(
            "where_in values must be str, int, float or None, got {}",
            type_name(value)
        );
        Err(PyTypeError::new_err(message))
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
    Ok(())
}
