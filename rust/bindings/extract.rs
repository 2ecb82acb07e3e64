//! Reading Python values into the core's inputs: typed cells for `append`,
//! column batches for `extend` (numpy arrays read in place), `where_in` keys.

use std::borrow::Cow;

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyString, PyTuple};
use rustc_hash::FxHashMap;

use crate::batch::{Batch, Numbers};
use crate::error::StoreError;
use crate::schema::{ColumnType, Schema};
use crate::value::{Cell, Value, NULL_CODE};

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
pub(super) fn fill_cells<'a>(
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
pub(super) enum Source<'py> {
    Array(ArrayGuard<'py>),
    Values(Batch<'static>),
}

/// A borrowed 1-d numpy array of a dtype read in place.
pub(super) enum ArrayGuard<'py> {
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
    pub(super) fn new(kind: ColumnType, name: &str, value: &Bound<'py, PyAny>) -> PyResult<Self> {
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

    /// The batch to append: arrays borrowed in place, lists moved out.
    pub(super) fn take_batch(&mut self) -> Batch<'_> {
        match self {
            Source::Array(guard) => Batch::Numbers(guard.numbers()),
            Source::Values(batch) => std::mem::replace(batch, Batch::Scalar(Value::Null)),
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

/// A `where_in` key: None, bool/int, float or str.
pub(super) fn key_value(value: &Bound<'_, PyAny>) -> PyResult<Value> {
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
