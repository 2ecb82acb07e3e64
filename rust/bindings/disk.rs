//! The Python face of the on-disk format (`rust/disk/`): table logs, Arrow IPC and
//! Parquet compaction, checksum sidecars, atomic manifests and slugs (packs: `pack.rs`).
//!
//! Each method converts its arguments, releases the GIL for the I/O, and
//! converts the result. Errors become OSError subclasses (I/O, corruption) or
//! ValueError / TypeError / IndexError (bad arguments) in `bindings`' one `From<StoreError> for PyErr`.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::RwLock;
use std::time::Duration;

use pyo3::create_exception;
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use pyo3::IntoPyObjectExt;

use crate::batch::{Batch, Numbers};
use crate::disk::codec::RawColumn;
use crate::disk::compact::Format;
use crate::disk::log::{FlushPolicy, TableLog};
use crate::disk::log_reader::{LogFile, RawLog};
use crate::disk::{
    checksum, compact, manifest, slug as slugs, Column, ColumnBatch, ColumnData, ColumnType, Schema,
};
use crate::error::StoreError;
use crate::selection::Selection;
use crate::table::Table;
use crate::value::{ColumnValues, NULL_CODE};

create_exception!(
    _store,
    CorruptFileError,
    PyOSError,
    "A file's bytes are not what was written: checksum mismatch, bad magic or truncation."
);

fn parse_schema(schema: Vec<(String, String)>) -> PyResult<Schema> {
    let parsed = schema
        .into_iter()
        .map(|(name, kind)| Ok((name, ColumnType::parse(&kind)?)));
    parsed
        .collect::<Result<Schema, StoreError>>()
        .map_err(PyErr::from)
}

/// `{name: list}` in schema order as a batch; missing or extra names are a ValueError.
fn batch_from_dict(columns: &Bound<'_, PyDict>, schema: &Schema) -> PyResult<ColumnBatch> {
    if columns.len() != schema.len() {
        let names: Vec<&str> = schema.iter().map(|(name, _)| name.as_str()).collect();
        return Err(PyValueError::new_err(format!(
            "expected exactly the columns {names:?}, got {} columns",
            columns.len()
        )));
    }
    let mut batch = ColumnBatch::default();
    for (name, kind) in schema {
        let values = columns
            .get_item(name)?
            .ok_or_else(|| PyValueError::new_err(format!("missing column {name:?}")))?;
        let data = column_from_list(&values, *kind).map_err(|e| {
            let reason = e.value(columns.py()).to_string();
            PyTypeError::new_err(format!("column {name:?} ({}): {reason}", kind.name()))
        })?;
        batch.columns.push(Column {
            name: name.clone(),
            data,
        });
    }
    Ok(batch)
}

fn column_from_list(values: &Bound<'_, PyAny>, kind: ColumnType) -> PyResult<ColumnData> {
    Ok(match kind {
        ColumnType::Str => ColumnData::Str(values.extract()?),
        ColumnType::Int => ColumnData::Int(values.extract()?),
        ColumnType::F64 => ColumnData::F64(values.extract()?),
        ColumnType::F64Opt => ColumnData::F64Opt(values.extract()?),
        ColumnType::Obj => ColumnData::Obj(values.extract()?),
    })
}

/// A decoded log as `{name: list}` in schema order. Each frame's distinct strings
/// become one Python object each, shared by the rows that hold them.
fn raw_log_to_dict<'py>(py: Python<'py>, log: &RawLog<'_>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    let Some(schema) = &log.schema else {
        return Ok(dict);
    };
    for (index, (name, _)) in schema.iter().enumerate() {
        let mut items: Vec<Bound<'py, PyAny>> = Vec::with_capacity(log.num_rows());
        for batch in &log.batches {
            if let Some(column) = batch.columns.get(index) {
                push_column(py, column, &mut items)?;
            }
        }
        dict.set_item(name, PyList::new(py, items)?)?;
    }
    Ok(dict)
}

fn push_column<'py>(
    py: Python<'py>,
    column: &RawColumn<'_>,
    items: &mut Vec<Bound<'py, PyAny>>,
) -> PyResult<()> {
    fn push<'py, T: IntoPyObject<'py> + Copy>(
        py: Python<'py>,
        values: &[T],
        items: &mut Vec<Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        for value in values {
            items.push((*value).into_bound_py_any(py)?);
        }
        Ok(())
    }
    match column {
        RawColumn::Str { dictionary, codes } => {
            let none = py.None().into_bound(py);
            let strings: Vec<Bound<'py, PyAny>> = dictionary
                .iter()
                .map(|s| PyString::new(py, s).into_any())
                .collect();
            let value = |code: u32| {
                strings
                    .get((code as usize).wrapping_sub(1))
                    .unwrap_or(&none)
                    .clone()
            };
            items.extend(codes.iter().map(|&code| value(code)));
            Ok(())
        }
        RawColumn::Plain(ColumnData::Int(values)) => push(py, values, items),
        RawColumn::Plain(ColumnData::F64(values)) => push(py, values, items),
        RawColumn::Plain(ColumnData::F64Opt(values)) => push(py, values, items),
        RawColumn::Plain(ColumnData::Obj(values)) => push(py, values, items),
        RawColumn::Plain(ColumnData::Str(values)) => {
            items.extend(
                values
                    .iter()
                    .map(|v| v.as_deref().into_bound_py_any(py))
                    .collect::<PyResult<Vec<_>>>()?,
            );
            Ok(())
        }
    }
}

/// Append log of one table; see `rust/disk/log.rs` for the format and the kill bound.
///
/// Locks are taken and released only while the GIL is released, so a thread
/// waiting for the GIL never holds one (no lock-order deadlock with `close`).
#[pyclass(name = "TableLog", module = "modularml._store", frozen)]
struct PyTableLog {
    inner: RwLock<Option<TableLog>>,
    schema: Schema,
    path: PathBuf,
}

#[pymethods]
impl PyTableLog {
    #[new]
    #[pyo3(signature = (path, schema, *, max_delay = 0.2, max_bytes = 4_194_304))]
    fn new(
        py: Python<'_>,
        path: PathBuf,
        schema: Vec<(String, String)>,
        max_delay: f64,
        max_bytes: usize,
    ) -> PyResult<Self> {
        let schema = parse_schema(schema)?;
        let max_delay = Duration::try_from_secs_f64(max_delay).map_err(|_| {
            PyValueError::new_err(format!("max_delay must be >= 0 seconds, got {max_delay}"))
        })?;
        let policy = FlushPolicy {
            max_bytes,
            max_delay,
        };
        let log = py
            .detach(|| TableLog::with_policy(&path, schema.clone(), policy))
            .map_err(PyErr::from)?;
        Ok(Self {
            inner: RwLock::new(Some(log)),
            schema,
            path,
        })
    }

    fn append(&self, py: Python<'_>, columns: &Bound<'_, PyDict>) -> PyResult<()> {
        let batch = batch_from_dict(columns, &self.schema)?;
        py.detach(|| self.with_log(|log| log.append(batch)))
            .map_err(PyErr::from)
    }

    /// Appends rows `start..` of an in-memory table (columns matched by name)
    /// in one call, without Python objects per row; returns the table's length.
    fn append_table(
        &self,
        py: Python<'_>,
        table: &Bound<'_, super::PyTable>,
        start: usize,
    ) -> PyResult<usize> {
        let table = &table.get().inner;
        py.detach(|| {
            let (batch, end) = table_rows(table, &self.schema, start)?;
            if batch.num_rows() > 0 {
                self.with_log(|log| log.append(batch))?;
            }
            Ok::<_, StoreError>(end)
        })
        .map_err(PyErr::from)
    }

    #[pyo3(signature = (durable = true))]
    fn flush(&self, py: Python<'_>, durable: bool) -> PyResult<()> {
        py.detach(|| self.with_log(|log| log.flush(durable)))
            .map_err(PyErr::from)
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| {
            let taken = self
                .inner
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .take();
            taken.map_or(Ok(()), |mut log| log.close())
        })
        .map_err(PyErr::from)
    }

    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
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

impl PyTableLog {
    /// Runs `f` on the open log; call with the GIL released.
    fn with_log<T>(
        &self,
        f: impl FnOnce(&TableLog) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let guard = self
            .inner
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let closed = || StoreError::Closed {
            what: "table log",
            path: self.path.clone(),
        };
        f(guard.as_ref().ok_or_else(closed)?)
    }
}

/// Loads every valid row of a log into an in-memory table (columns matched by
/// name), frame dictionaries interned once; returns the first defect or None.
#[pyfunction]
fn load_log(
    py: Python<'_>,
    path: PathBuf,
    table: &Bound<'_, super::PyTable>,
) -> PyResult<Option<String>> {
    let table = &table.get().inner;
    py.detach(|| {
        let file = LogFile::read(&path)?;
        let log = file.decode();
        let defect = log.defect.as_ref().map(ToString::to_string);
        let Some(schema) = log.schema.clone() else {
            return Ok(defect);
        };
        let order = table
            .schema()
            .names()
            .iter()
            .map(|name| {
                schema
                    .iter()
                    .position(|(n, _)| n == name)
                    .ok_or_else(|| StoreError::InvalidBatch {
                        reason: format!("the log has no column {name:?}"),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        for raw in log.batches {
            let mut columns: Vec<Option<RawColumn<'_>>> =
                raw.columns.into_iter().map(Some).collect();
            let batches: Vec<Batch<'_>> = order
                .iter()
                .map(|&i| store_batch(columns[i].take()))
                .collect();
            table.extend(&batches)?;
        }
        Ok::<_, StoreError>(defect)
    })
    .map_err(PyErr::from)
}

/// One decoded log column as an in-memory `extend` batch.
fn store_batch(column: Option<RawColumn<'_>>) -> Batch<'static> {
    match column {
        Some(RawColumn::Str { dictionary, codes }) => Batch::Strs {
            strings: dictionary.iter().map(|s| (*s).to_owned()).collect(),
            codes: codes
                .into_iter()
                .map(|c| c.checked_sub(1).unwrap_or(NULL_CODE))
                .collect(),
        },
        Some(RawColumn::Plain(ColumnData::Str(values))) => {
            let codes = (0..values.len() as u32).collect();
            let strings = values.into_iter().map(Option::unwrap_or_default).collect();
            Batch::Strs { strings, codes }
        }
        Some(RawColumn::Plain(ColumnData::Int(values))) => Batch::Ints(values),
        Some(RawColumn::Plain(ColumnData::F64(values))) => {
            Batch::Numbers(Numbers::F64(Cow::Owned(values)))
        }
        Some(RawColumn::Plain(ColumnData::F64Opt(values))) => Batch::Floats(values),
        Some(RawColumn::Plain(ColumnData::Obj(values))) => Batch::Handles(values),
        None => Batch::Handles(Vec::new()),
    }
}

/// Rows `start..len` of `table` as a batch with the log's columns, and `len`.
fn table_rows(
    table: &Table,
    schema: &Schema,
    start: usize,
) -> Result<(ColumnBatch, usize), StoreError> {
    let view = table.view();
    let data = view.read();
    let end = view.len();
    let rows = Selection::Range {
        start: start.min(end) as u32,
        end: end as u32,
    };
    let mut batch = ColumnBatch::default();
    for (name, kind) in schema {
        let index = view.schema().index_of(name)?;
        let values = data.column(index).gather(&rows);
        batch.columns.push(Column {
            name: name.clone(),
            data: column_data(values, *kind, name)?,
        });
    }
    Ok((batch, end))
}

/// An in-memory column's values as a disk column of `kind`.
fn column_data(
    values: ColumnValues,
    kind: ColumnType,
    name: &str,
) -> Result<ColumnData, StoreError> {
    Ok(match (values, kind) {
        (ColumnValues::Str { strings, codes }, ColumnType::Str) => ColumnData::Str(
            codes
                .iter()
                .map(|&code| (code != NULL_CODE).then(|| strings[code as usize].clone()))
                .collect(),
        ),
        (ColumnValues::Int(values), ColumnType::Int) => ColumnData::Int(values),
        (ColumnValues::F64(values), ColumnType::F64) => ColumnData::F64(values),
        (ColumnValues::F64(values), ColumnType::F64Opt) => {
            ColumnData::F64Opt(values.into_iter().map(Some).collect())
        }
        (ColumnValues::F64Opt(values), ColumnType::F64Opt) => ColumnData::F64Opt(values),
        (ColumnValues::Obj(values), ColumnType::Obj) => ColumnData::Obj(values),
        _ => {
            return Err(StoreError::InvalidBatch {
                reason: format!(
                    "column {name:?} of the table does not have the log's type {}",
                    kind.name()
                ),
            })
        }
    })
}

/// Every valid row of a log as `{name: list}`, and a message naming the first
/// defect (file and byte offset) or None. Damage never raises; a missing file does.
#[pyfunction]
fn read_log<'py>(py: Python<'py>, path: PathBuf) -> PyResult<(Bound<'py, PyDict>, Option<String>)> {
    // readers run under catch_unwind: no input may take Python down (see docs/errors.md)
    let file = super::detach(py, || LogFile::read(&path))??;
    let log = super::detach(py, || file.decode())?;
    Ok((
        raw_log_to_dict(py, &log)?,
        log.defect.as_ref().map(|d| d.to_string()),
    ))
}

/// Writes `{name: list}` (typed by `schema`) as an Arrow IPC file, atomically.
#[pyfunction]
fn write_ipc(
    py: Python<'_>,
    path: PathBuf,
    columns: &Bound<'_, PyDict>,
    schema: Vec<(String, String)>,
) -> PyResult<()> {
    write_table(py, path, columns, schema, Format::Ipc)
}

/// Writes `{name: list}` (typed by `schema`) as a zstd Parquet file, atomically.
#[pyfunction]
fn write_parquet(
    py: Python<'_>,
    path: PathBuf,
    columns: &Bound<'_, PyDict>,
    schema: Vec<(String, String)>,
) -> PyResult<()> {
    write_table(py, path, columns, schema, Format::Parquet)
}

fn write_table(
    py: Python<'_>,
    path: PathBuf,
    columns: &Bound<'_, PyDict>,
    schema: Vec<(String, String)>,
    format: Format,
) -> PyResult<()> {
    let batch = batch_from_dict(columns, &parse_schema(schema)?)?;
    batch.check(&batch.schema()).map_err(PyErr::from)?;
    py.detach(|| compact::write_table(&path, &batch, format))
        .map_err(PyErr::from)
}

/// Compacts a table log into an Arrow IPC (`format="ipc"`) or Parquet file,
/// atomically, without crossing into Python; returns the log's defect message or None.
#[pyfunction]
#[pyo3(signature = (log_path, out_path, format = "ipc"))]
fn compact_log(
    py: Python<'_>,
    log_path: PathBuf,
    out_path: PathBuf,
    format: &str,
) -> PyResult<Option<String>> {
    let format = Format::parse(format).map_err(PyErr::from)?;
    let defect = py
        .detach(|| compact::compact_log(&log_path, &out_path, format))
        .map_err(PyErr::from)?;
    Ok(defect.map(|d| d.to_string()))
}

/// Checks a compacted table against its `<file>.crc` sidecar: None when intact,
/// else a message naming the file and the byte offset of the first damaged block.
#[pyfunction]
fn verify_table(py: Python<'_>, path: PathBuf) -> PyResult<Option<String>> {
    let defect = super::detach(py, || checksum::verify(&path))??;
    Ok(defect.map(|d| d.to_string()))
}

/// Replaces `path` with `text` atomically (temp file, fsync, rename, fsync dir).
#[pyfunction]
fn write_json_atomic(py: Python<'_>, path: PathBuf, text: &str) -> PyResult<()> {
    let text = text.to_owned();
    py.detach(|| manifest::write_json_atomic(&path, &text))
        .map_err(PyErr::from)
}

/// A path-safe name for any label.
#[pyfunction]
fn slug(label: &str) -> String {
    slugs::slug(label)
}

/// Creates a new run directory under `parent`; never reuses an existing one.
#[pyfunction]
fn create_run_dir(py: Python<'_>, parent: PathBuf, label: &str) -> PyResult<PathBuf> {
    let label = label.to_owned();
    py.detach(|| manifest::create_run_dir(&parent, &label))
        .map_err(PyErr::from)
}

/// `<root>/<table>/<key>=<value>/...` with every part slugged (hive-style partitions).
#[pyfunction]
fn partition_dir(root: PathBuf, table: &str, keys: Vec<(String, String)>) -> PathBuf {
    let keys: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    compact::partition_dir(&root, table, &keys)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("CorruptFileError", m.py().get_type::<CorruptFileError>())?;
    m.add_class::<PyTableLog>()?;
    m.add_function(wrap_pyfunction!(read_log, m)?)?;
    m.add_function(wrap_pyfunction!(load_log, m)?)?;
    m.add_function(wrap_pyfunction!(write_ipc, m)?)?;
    m.add_function(wrap_pyfunction!(write_parquet, m)?)?;
    m.add_function(wrap_pyfunction!(compact_log, m)?)?;
    m.add_function(wrap_pyfunction!(verify_table, m)?)?;
    m.add_function(wrap_pyfunction!(write_json_atomic, m)?)?;
    m.add_function(wrap_pyfunction!(slug, m)?)?;
    m.add_function(wrap_pyfunction!(create_run_dir, m)?)?;
    m.add_function(wrap_pyfunction!(partition_dir, m)?)?;
    Ok(())
}
