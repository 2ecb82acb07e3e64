//! Arrow export of views: one `RecordBatch` (str -> Utf8View, int -> Int64,
//! f64/f64? -> Float64, obj -> UInt32) behind an Arrow C stream.

use std::sync::Arc;

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, RecordBatchIterator, RecordBatchOptions,
    StringViewArray, UInt32Array,
};
use arrow_buffer::{Buffer, NullBuffer, ScalarBuffer};
use arrow_data::ByteView;
use arrow_schema::{DataType, Field, Schema as ArrowSchema};

use crate::chunked::Validity;
use crate::column::{gather_plain, gather_strings, Column, StrColumn};
use crate::error::{StoreError, StoreResult};
use crate::schema::{ColumnType, Schema};
use crate::selection::Selection;
use crate::value::{ColumnValues, NULL_CODE};
use crate::view::View;

/// Exports of at least this many rows gather columns in parallel.
const PARALLEL_ROWS: usize = 1 << 16;

/// The Arrow type of a column type.
pub fn arrow_type(kind: ColumnType) -> DataType {
    match kind {
        ColumnType::Str => DataType::Utf8View,
        ColumnType::Int => DataType::Int64,
        ColumnType::F64 | ColumnType::F64Opt => DataType::Float64,
        ColumnType::Obj => DataType::UInt32,
    }
}

/// The Arrow schema of a table schema.
pub fn arrow_schema(schema: &Schema) -> ArrowSchema {
    let fields: Vec<Field> = schema
        .names()
        .iter()
        .zip(schema.types())
        .map(|(name, &kind)| Field::new(name, arrow_type(kind), kind.nullable()))
        .collect();
    ArrowSchema::new(fields)
}

/// The view's rows as one record batch.
pub fn record_batch(view: &View) -> StoreResult<RecordBatch> {
    let schema = Arc::new(arrow_schema(view.schema()));
    let data = view.read();
    let columns = view.schema().len();
    let arrays: Vec<ArrayRef> = if view.len() < PARALLEL_ROWS || columns < 2 {
        (0..columns)
            .map(|index| column_array(data.column(index), view.rows()))
            .collect()
    } else {
        // Large exports gather their columns on one thread each.
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..columns)
                .map(|index| {
                    let (data, rows) = (&data, view.rows());
                    scope.spawn(move || column_array(data.column(index), rows))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("gather does not panic"))
                .collect()
        })
    };
    let options = RecordBatchOptions::new().with_row_count(Some(view.len()));
    RecordBatch::try_new_with_options(schema, arrays, &options)
        .map_err(|e| StoreError::Arrow(e.to_string()))
}

/// An Arrow C stream yielding `batch` once.
pub fn stream(batch: RecordBatch) -> FFI_ArrowArrayStream {
    let schema = batch.schema();
    let reader = RecordBatchIterator::new(vec![Ok(batch)], schema);
    FFI_ArrowArrayStream::new(Box::new(reader))
}

/// One column's rows as an Arrow array, gathered straight into Arrow buffers.
fn column_array(column: &Column, rows: &Selection) -> ArrayRef {
    match column {
        Column::Str(c) => Arc::new(str_array(c, rows)),
        Column::Int(c) => Arc::new(Int64Array::new(
            gather_plain(&c.values, rows).into(),
            nulls(&c.validity, rows),
        )),
        Column::F64(c) => Arc::new(Float64Array::new(gather_plain(c, rows).into(), None)),
        Column::F64Opt(c) => Arc::new(Float64Array::new(
            gather_plain(&c.values, rows).into(),
            nulls(&c.validity, rows),
        )),
        Column::Obj(c) => Arc::new(UInt32Array::new(gather_plain(c, rows).into(), None)),
    }
}

/// The null flags of `rows`, or `None` when the column holds no null.
fn nulls(validity: &Validity, rows: &Selection) -> Option<NullBuffer> {
    (validity.null_count() > 0)
        .then(|| NullBuffer::from_iter(rows.iter().map(|r| validity.is_valid(r))))
}

/// Utf8View of a string column; views are computed once per dictionary
/// code when the dictionary is small next to the selection.
fn str_array(column: &StrColumn, rows: &Selection) -> StringViewArray {
    if column.dict.len() > rows.len() {
        let ColumnValues::Str { strings, codes } = gather_strings(column, rows) else {
            unreachable!("a string column gathers strings")
        };
        return string_view_array(&strings, &codes);
    }
    let codes = gather_plain(&column.codes, rows);
    string_view_array(column.dict.strings(), &codes)
}

/// Utf8View from dictionary codes: each distinct string is stored once and
/// every row gets that string's 16-byte view.
fn string_view_array(strings: &[String], codes: &[u32]) -> StringViewArray {
    let mut data = Vec::new();
    let views_of: Vec<u128> = strings
        .iter()
        .map(|s| {
            let offset = data.len() as u32;
            if s.len() > 12 {
                data.extend_from_slice(s.as_bytes());
            }
            make_view(s.as_bytes(), offset)
        })
        .collect();
    let views: Vec<u128> = codes
        .iter()
        .map(|&c| {
            if c == NULL_CODE {
                0
            } else {
                views_of[c as usize]
            }
        })
        .collect();
    let nulls = codes
        .contains(&NULL_CODE)
        .then(|| NullBuffer::from_iter(codes.iter().map(|&c| c != NULL_CODE)));
    let buffers = if data.is_empty() {
        Vec::new()
    } else {
        vec![Buffer::from_vec(data)]
    };
    StringViewArray::try_new(ScalarBuffer::from(views), buffers, nulls)
        .expect("views are built valid")
}

/// The view of `bytes`: inline when short, else prefix + offset into buffer 0.
fn make_view(bytes: &[u8], offset: u32) -> u128 {
    if bytes.len() <= 12 {
        let mut raw = [0u8; 16];
        raw[..4].copy_from_slice(&(bytes.len() as u32).to_le_bytes());
        raw[4..4 + bytes.len()].copy_from_slice(bytes);
        return u128::from_le_bytes(raw);
    }
    let mut prefix = [0u8; 4];
    prefix.copy_from_slice(&bytes[..4]);
    ByteView {
        length: bytes.len() as u32,
        prefix: u32::from_le_bytes(prefix),
        buffer_index: 0,
        offset,
    }
    .as_u128()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;

    #[test]
    fn string_views_round_trip_short_long_and_null() {
        let strings = vec!["short".to_owned(), "a string longer than twelve".to_owned()];
        let array = string_view_array(&strings, &[1, NULL_CODE, 0, 1]);
        assert_eq!(array.len(), 4);
        assert_eq!(array.value(0), "a string longer than twelve");
        assert!(array.is_null(1));
        assert_eq!(array.value(2), "short");
        assert_eq!(array.value(3), "a string longer than twelve");
    }
}
