//! Compaction: a table's rows as an Arrow IPC or Parquet file that Polars,
//! DuckDB, Spark or pyarrow read without this package (`polars.scan_ipc(path)`,
//! `polars.scan_parquet(path)`).
//!
//! Types: `str` -> Utf8, `int` -> Int64 (nullable), `f64` -> Float64,
//! `f64?` -> Float64 (nullable), `obj` -> UInt32 handle. Each field carries its
//! store type in metadata (`modularml.type`). Files are written atomically, so a
//! compacted file either exists whole or not at all, then get a checksum
//! sidecar `<file>.crc` (see `checksum`) so damage to them is detected too.
//!
//! Compacted files are laid out hive-style, one directory level per key:
//! `<root>/<table>/run=<run>/phase=<phase>/rank=<rank>/part-<n>.arrow` (or `.parquet`).

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, UInt32Array};
use arrow_ipc::writer::FileWriter;
use arrow_schema::{ArrowError, DataType, Field, Schema as ArrowSchema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::atomic::write_atomic;
use super::batch::{ColumnBatch, ColumnData, ColumnType};
use super::checksum::{write_sums, BlockCrc};
use super::codec::RawColumn;
use super::frame::Defect;
use super::log_reader::LogFile;
use super::slug::slug;
use crate::error::{StoreError, StoreResult};

/// Rows per Arrow record batch, so readers can stream large files.
const ROWS_PER_BATCH: usize = 1 << 20;

/// The file format of a compacted table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Arrow IPC file (`pl.scan_ipc`): fastest to write and to map.
    Ipc,
    /// Parquet, zstd-compressed (`pl.scan_parquet`, DuckDB, Spark): smallest.
    Parquet,
}

impl Format {
    /// `"ipc"` (or `"arrow"`) or `"parquet"`.
    pub fn parse(name: &str) -> StoreResult<Self> {
        match name {
            "ipc" | "arrow" => Ok(Self::Ipc),
            "parquet" => Ok(Self::Parquet),
            other => Err(StoreError::InvalidArgument {
                reason: format!("unknown table format {other:?}; expected \"ipc\" or \"parquet\""),
            }),
        }
    }
}

/// Compacts a table log into one file: every valid row of `log` is written to
/// `out` (atomically), one record batch per log frame, strings copied straight
/// from the frame dictionaries; returns the log's defect, if any.
pub fn compact_log(log: &Path, out: &Path, format: Format) -> StoreResult<Option<Defect>> {
    let file = LogFile::read(log)?;
    let decoded = file.decode();
    let schema = Arc::new(arrow_schema(decoded.schema.as_deref().unwrap_or_default()));
    let records = decoded.batches.into_iter().map(|batch| {
        let columns = batch.columns.into_iter().map(raw_array).collect();
        RecordBatch::try_new(schema.clone(), columns)
    });
    write_records(out, schema.clone(), records, format)?;
    Ok(decoded.defect)
}

/// Writes `batch` to `path` as an Arrow IPC file, atomically.
pub fn write_ipc(path: &Path, batch: &ColumnBatch) -> StoreResult<()> {
    write_table(path, batch, Format::Ipc)
}

/// Writes `batch` to `path` in `format`, atomically.
pub fn write_table(path: &Path, batch: &ColumnBatch, format: Format) -> StoreResult<()> {
    let schema = Arc::new(arrow_schema(&batch.schema()));
    let rows = batch.num_rows();
    let records = (0..rows).step_by(ROWS_PER_BATCH).map(|start| {
        let end = rows.min(start + ROWS_PER_BATCH);
        let columns = batch
            .columns
            .iter()
            .map(|c| arrow_array(slice(&c.data, start, end)))
            .collect();
        RecordBatch::try_new(schema.clone(), columns)
    });
    write_records(path, schema.clone(), records, format)
}

fn write_records<I>(
    path: &Path,
    schema: Arc<ArrowSchema>,
    records: I,
    format: Format,
) -> StoreResult<()>
where
    I: Iterator<Item = Result<RecordBatch, ArrowError>>,
{
    let failed = |e: &dyn std::fmt::Display| {
        StoreError::io("write table", path, std::io::Error::other(e.to_string()))
    };
    let mut sums = None;
    write_atomic(path, |out| {
        let mut hashing = BlockCrc::new(out);
        write_format(&mut hashing, schema, records, format, &failed)?;
        sums = Some(hashing.into_sums());
        Ok(())
    })?;
    sums.map_or(Ok(()), |sums| write_sums(path, sums))
}

fn write_format<I, E>(
    out: &mut BlockCrc<&mut BufWriter<File>>,
    schema: Arc<ArrowSchema>,
    records: I,
    format: Format,
    failed: &E,
) -> StoreResult<()>
where
    I: Iterator<Item = Result<RecordBatch, ArrowError>>,
    E: Fn(&dyn std::fmt::Display) -> StoreError,
{
    match format {
        Format::Ipc => {
            let mut writer = FileWriter::try_new(out, &schema).map_err(|e| failed(&e))?;
            for record in records {
                writer
                    .write(&record.map_err(|e| failed(&e))?)
                    .map_err(|e| failed(&e))?;
            }
            writer.finish().map_err(|e| failed(&e))
        }
        Format::Parquet => {
            let properties = WriterProperties::builder()
                .set_compression(Compression::ZSTD(ZstdLevel::default()))
                .build();
            let mut writer = ArrowWriter::try_new(out, schema.clone(), Some(properties))
                .map_err(|e| failed(&e))?;
            for record in records {
                writer
                    .write(&record.map_err(|e| failed(&e))?)
                    .map_err(|e| failed(&e))?;
            }
            writer.close().map(|_| ()).map_err(|e| failed(&e))
        }
    }
}

fn arrow_schema(schema: &[(String, ColumnType)]) -> ArrowSchema {
    let fields: Vec<Field> = schema
        .iter()
        .map(|(name, kind)| {
            let (data_type, nullable) = match kind {
                ColumnType::Str => (DataType::Utf8, true),
                ColumnType::Int => (DataType::Int64, true),
                ColumnType::F64 => (DataType::Float64, false),
                ColumnType::F64Opt => (DataType::Float64, true),
                ColumnType::Obj => (DataType::UInt32, false),
            };
            let metadata = HashMap::from([("modularml.type".to_string(), kind.name().to_string())]);
            Field::new(name, data_type, nullable).with_metadata(metadata)
        })
        .collect();
    let metadata = HashMap::from([("modularml.format".to_string(), "1".to_string())]);
    ArrowSchema::new_with_metadata(fields, metadata)
}

/// Rows `start..end` of a column, copied.
fn slice(data: &ColumnData, start: usize, end: usize) -> ColumnData {
    match data {
        ColumnData::Str(values) => ColumnData::Str(values[start..end].to_vec()),
        ColumnData::Int(values) => ColumnData::Int(values[start..end].to_vec()),
        ColumnData::F64(values) => ColumnData::F64(values[start..end].to_vec()),
        ColumnData::F64Opt(values) => ColumnData::F64Opt(values[start..end].to_vec()),
        ColumnData::Obj(values) => ColumnData::Obj(values[start..end].to_vec()),
    }
}

fn arrow_array(data: ColumnData) -> ArrayRef {
    match data {
        ColumnData::Str(values) => {
            Arc::new(values.iter().map(Option::as_deref).collect::<StringArray>())
        }
        ColumnData::Int(values) => Arc::new(Int64Array::from(values)),
        ColumnData::F64(values) => Arc::new(Float64Array::from(values)),
        ColumnData::F64Opt(values) => Arc::new(Float64Array::from(values)),
        ColumnData::Obj(values) => Arc::new(UInt32Array::from(values)),
    }
}

fn raw_array(column: RawColumn<'_>) -> ArrayRef {
    match column {
        RawColumn::Str { dictionary, codes } => {
            let text = |code: u32| dictionary.get((code as usize).wrapping_sub(1)).copied();
            Arc::new(codes.into_iter().map(text).collect::<StringArray>())
        }
        RawColumn::Plain(data) => arrow_array(data),
    }
}

/// The hive-style directory for one partition of a compacted table:
/// `<root>/<table>/<key>=<value>/...`, every part slugged so any label is safe.
pub fn partition_dir(root: &Path, table: &str, keys: &[(&str, &str)]) -> PathBuf {
    keys.iter()
        .fold(root.join(slug(table)), |dir, (key, value)| {
            dir.join(format!("{}={}", slug(key), slug(value)))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disk::batch::Column;
    use arrow_array::Array;
    use arrow_ipc::reader::FileReader;

    fn batch(rows: usize) -> ColumnBatch {
        let text = |i: usize| (i % 4 != 3).then(|| format!("ü{}", i % 3));
        ColumnBatch {
            columns: vec![
                Column {
                    name: "name".into(),
                    data: ColumnData::Str((0..rows).map(text).collect()),
                },
                Column {
                    name: "epoch".into(),
                    data: ColumnData::Int(
                        (0..rows)
                            .map(|i| (i % 2 == 0).then_some(i as i64))
                            .collect(),
                    ),
                },
                Column {
                    name: "value".into(),
                    data: ColumnData::F64((0..rows).map(|i| i as f64).collect()),
                },
                Column {
                    name: "aux".into(),
                    data: ColumnData::F64Opt(
                        (0..rows).map(|i| (i % 3 == 0).then_some(0.5)).collect(),
                    ),
                },
                Column {
                    name: "obj".into(),
                    data: ColumnData::Obj((0..rows as u32).collect()),
                },
            ],
        }
    }

    #[test]
    fn ipc_files_read_back_with_arrow() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.arrow");
        write_ipc(&path, &batch(10)).unwrap();
        let reader = FileReader::try_new(std::fs::File::open(&path).unwrap(), None).unwrap();
        let field = reader.schema().field(3).clone();
        assert_eq!(field.metadata()["modularml.type"], "f64?");
        let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
        assert_eq!(batches.len(), 1);
        let names = batches[0]
            .column(0)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert_eq!((names.value(0), names.is_null(3)), ("ü0", true));
        let epochs = batches[0]
            .column(1)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        assert_eq!((epochs.value(2), epochs.null_count()), (2, 5));
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["metrics.arrow", "metrics.arrow.crc"],
            "temp file left behind"
        );
        assert_eq!(crate::disk::checksum::verify(&path).unwrap(), None);
    }

    #[test]
    fn a_log_compacts_to_the_same_rows() {
        let dir = tempfile::tempdir().unwrap();
        let (log_path, ipc_path) = (dir.path().join("m.log"), dir.path().join("m.arrow"));
        let mut log = crate::disk::log::TableLog::open(&log_path, batch(0).schema()).unwrap();
        log.append(batch(3000)).unwrap();
        log.close().unwrap();
        assert_eq!(
            compact_log(&log_path, &ipc_path, Format::Ipc).unwrap(),
            None
        );
        let reader = FileReader::try_new(std::fs::File::open(&ipc_path).unwrap(), None).unwrap();
        let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
        assert_eq!(rows, 3000);
    }

    #[test]
    fn partitions_are_hive_style_and_path_safe() {
        let dir = partition_dir(
            Path::new("/r"),
            "metrics",
            &[("run", "exp/1"), ("phase", ".."), ("rank", "0")],
        );
        let parts: Vec<String> = dir
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        assert_eq!(parts[..3], ["/", "r", "metrics"]);
        assert!(
            parts[3].starts_with("run=exp_1-") && parts[4].starts_with("phase=x-"),
            "{parts:?}"
        );
        assert_eq!(parts[5], "rank=0");
    }
}
