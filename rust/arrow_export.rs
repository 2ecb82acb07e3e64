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
use crate::column::{gather_map, gather_plain, gather_strings, Column, StrColumn};
use crate::error::{StoreError, StoreResult};
use crate::parallel::map_columns;
use crate::schema::{ColumnType, Schema};
use crate::selection::Selection;
use crate::value::{ColumnValues, NULL_CODE};
use crate::view::View;

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
    let arrays: Vec<ArrayRef> = map_columns(columns, view.len(), |index| {
        column_array(data.column(index), view.rows())
    });
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
    let (views_of, data) = dictionary_views(column.dict.strings());
    let mut any_null = false;
    // Null codes (u32::MAX) fall outside `views_of`.
    let views = gather_map(&column.codes, rows, |code| {
        views_of.get(code as usize).copied().unwrap_or_else(|| {
            any_null = true;
            0
        })
    });
    let nulls = any_null
        .then(|| NullBuffer::from_iter(rows.iter().map(|r| column.codes.get(r) != NULL_CODE)));
    finish_string_views(views, data, nulls)
}

/// Utf8View from codes into `strings` (`NULL_CODE` is null).
fn string_view_array(strings: &[String], codes: &[u32]) -> StringViewArray {
    let (views_of, data) = dictionary_views(strings);
    let views = codes
        .iter()
        .map(|&c| views_of.get(c as usize).copied().unwrap_or(0))
        .collect();
    let nulls = codes
        .contains(&NULL_CODE)
        .then(|| NullBuffer::from_iter(codes.iter().map(|&c| c != NULL_CODE)));
    finish_string_views(views, data, nulls)
}

/// The view of each string, and the buffer holding those longer than 12 bytes.
fn dictionary_views(strings: &[String]) -> (Vec<u128>, Vec<u8>) {
    let mut data = Vec::new();
    let views = strings
        .iter()
        .map(|s| {
            let offset = data.len() as u32;
            if s.len() > 12 {
                data.extend_from_slice(s.as_bytes());
            }
            make_view(s.as_bytes(), offset)
        })
        .collect();
    (views, data)
}

fn finish_string_views(
    views: Vec<u128>,
    data: Vec<u8>,
    nulls: Option<NullBuffer>,
) -> StringViewArray {
    let buffers = if data.is_empty() {
        Vec::new()
    } else {
        vec![Buffer::from_vec(data)]
    };
    // SAFETY: every view comes from `make_view` over a whole `&str` (valid
    // UTF-8); long ones point inside buffer 0 at the offset where that string
    // was copied; null rows have zero views. That is all `try_new` would check.
    unsafe { StringViewArray::new_unchecked(ScalarBuffer::from(views), buffers.into(), nulls) }
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
