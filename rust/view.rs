//! Views: an immutable selection of rows of one table, and the row-level
//! queries on it (`where_in`, `column`, `row`, `take`). `distinct`, `group`,
//! `sort_positions` and `collapse` live in their own modules.

use std::hash::Hash;
use std::sync::{Arc, RwLock, RwLockReadGuard};

use rustc_hash::FxHashSet;

use crate::chunked::ChunkedVec;
use crate::column::Column;
use crate::error::{StoreError, StoreResult};
use crate::schema::Schema;
use crate::selection::Selection;
use crate::table::TableData;
use crate::value::{ColumnValues, Value, NULL_CODE};

/// A selection of rows of a table, fixed when it is made.
#[derive(Debug, Clone)]
pub struct View {
    table: Arc<RwLock<TableData>>,
    schema: Arc<Schema>,
    rows: Selection,
}

/// The keys of a `where_in`, in the column's own terms, deduplicated.
enum Keys {
    Codes(Vec<u32>),
    Ints(Vec<Option<i64>>),
    Floats(Vec<Option<u64>>),
    Handles(Vec<u32>),
    /// Per-code flags (last slot: null), for scans with many string keys.
    CodeMask(Vec<bool>),
    IntSet(FxHashSet<Option<i64>>),
}

impl View {
    pub(crate) fn new(table: Arc<RwLock<TableData>>, schema: Arc<Schema>, rows: Selection) -> Self {
        Self {
            table,
            schema,
            rows,
        }
    }

    /// A view of all rows of a freshly built result table.
    pub(crate) fn owned(data: TableData) -> Self {
        let schema = data.schema().clone();
        let rows = Selection::all(data.len());
        Self::new(Arc::new(RwLock::new(data)), schema, rows)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn columns(&self) -> &[String] {
        self.schema.names()
    }

    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    pub(crate) fn rows(&self) -> &Selection {
        &self.rows
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, TableData> {
        self.table
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn with_rows(&self, rows: Selection) -> View {
        View::new(self.table.clone(), self.schema.clone(), rows)
    }

    /// Rows whose `column` value is one of `values` (`Value::Null` matches null).
    pub fn where_in(&self, column: &str, values: &[Value]) -> StoreResult<View> {
        let index = self.schema.index_of(column)?;
        let data = self.read();
        let col = data.column(index);
        let keys = Keys::new(col, column, values)?;
        let rows = match (&self.rows, col, &keys) {
            (Selection::Range { start, end }, Column::Str(c), Keys::Codes(codes)) => {
                let mut rows = Vec::new();
                codes.iter().for_each(|&code| {
                    c.index
                        .rows(code, *start as usize, *end as usize, &mut rows)
                });
                if codes.len() > 1 {
                    rows.sort_unstable();
                }
                Selection::Rows(rows.into())
            }
            (Selection::Range { start, end }, Column::Int(c), Keys::Ints(ints))
                if c.index.is_kept() =>
            {
                let mut ranges: Vec<(u32, u32)> = ints
                    .iter()
                    .flat_map(|&v| {
                        c.index
                            .ranges(v, *start as usize, *end as usize)
                            .unwrap_or_default()
                    })
                    .collect();
                ranges.sort_unstable();
                Selection::from_ranges(&ranges)
            }
            (Selection::Range { start, end }, Column::Int(c), Keys::Ints(ints))
                if c.validity.null_count() == 0 =>
            {
                Selection::Rows(Arc::new(scan_values(&c.values, *start, *end, ints)))
            }
            _ => {
                let keys = keys.for_scan(col);
                let hits = self.rows.iter().filter(|&r| keys.matches(col, r));
                Selection::Rows(Arc::new(hits.map(|r| r as u32).collect()))
            }
        };
        Ok(self.with_rows(rows))
    }

    /// The values of `column` for the view's rows, in order.
    pub fn column(&self, column: &str) -> StoreResult<ColumnValues> {
        let index = self.schema.index_of(column)?;
        Ok(self.read().column(index).gather(&self.rows))
    }

    /// Every column's value at `position` (negative counts from the end).
    pub fn row(&self, position: i64) -> StoreResult<Vec<Value>> {
        let row = self.rows.row(self.resolve(position)?);
        let data = self.read();
        Ok((0..self.schema.len())
            .map(|i| data.column(i).get(row))
            .collect())
    }

    /// The rows at `positions` (negative counts from the end), in that order.
    pub fn take(&self, positions: &[i64]) -> StoreResult<View> {
        let resolved = positions
            .iter()
            .map(|&p| self.resolve(p))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(self.with_rows(self.rows.take(&resolved)))
    }

    fn resolve(&self, position: i64) -> StoreResult<usize> {
        let len = self.len();
        let resolved = if position < 0 {
            position + len as i64
        } else {
            position
        };
        if (0..len as i64).contains(&resolved) {
            return Ok(resolved as usize);
        }
        Err(StoreError::OutOfRange { position, len })
    }
}

/// Rows in `[start, end)` of a column without nulls whose value is one of
/// `keys`, scanned slice by slice (columns whose index was dropped).
fn scan_values(values: &ChunkedVec<i64>, start: u32, end: u32, keys: &[Option<i64>]) -> Vec<u32> {
    let wanted: Vec<i64> = keys.iter().flatten().copied().collect();
    let mut rows = Vec::new();
    values.for_each_slice(start as usize, end as usize, |offset, slice| {
        for (i, value) in slice.iter().enumerate() {
            if wanted.contains(value) {
                rows.push((offset + i) as u32);
            }
        }
    });
    rows
}

/// A hashable identity of the value at `row` (not for strings: use codes).
pub(crate) fn hash_key(column: &Column, row: usize) -> (bool, u64) {
    match column {
        Column::Str(c) => (true, u64::from(c.codes.get(row))),
        Column::Int(c) => c.get(row).map_or((false, 0), |v| (true, v as u64)),
        Column::F64(c) => (true, float_bits(c.get(row))),
        Column::F64Opt(c) => c.get(row).map_or((false, 0), |v| (true, float_bits(v))),
        Column::Obj(c) => (true, u64::from(c.get(row))),
    }
}

/// Bits that compare equal exactly when the floats do (-0.0 == 0.0).
pub(crate) fn float_bits(value: f64) -> u64 {
    if value == 0.0 {
        0
    } else {
        value.to_bits()
    }
}

impl Keys {
    fn new(column: &Column, name: &str, values: &[Value]) -> StoreResult<Keys> {
        let wrong = |v: &Value| StoreError::WrongType {
            column: name.to_owned(),
            expected: column.kind().expected(),
            got: v.type_name().to_owned(),
        };
        let mut keys = match column {
            Column::Str(c) => Keys::Codes(
                values
                    .iter()
                    .filter_map(|v| match v {
                        Value::Null => Some(Ok(NULL_CODE)),
                        Value::Str(s) => c.dict.code(s).map(Ok),
                        other => Some(Err(wrong(other))),
                    })
                    .collect::<StoreResult<_>>()?,
            ),
            Column::Int(_) => Keys::Ints(
                values
                    .iter()
                    .map(|v| int_key(v).ok_or_else(|| wrong(v)))
                    .collect::<StoreResult<_>>()?,
            ),
            Column::F64(_) | Column::F64Opt(_) => Keys::Floats(
                values
                    .iter()
                    .map(|v| float_key(v).ok_or_else(|| wrong(v)))
                    .collect::<StoreResult<_>>()?,
            ),
            Column::Obj(_) => Keys::Handles(
                values
                    .iter()
                    .map(|v| handle_key(v).ok_or_else(|| wrong(v)))
                    .collect::<StoreResult<_>>()?,
            ),
        };
        keys.dedup();
        Ok(keys)
    }

    fn dedup(&mut self) {
        fn dedup_in_order<T: Hash + Eq + Copy>(items: &mut Vec<T>) {
            let mut seen = FxHashSet::default();
            items.retain(|item| seen.insert(*item));
        }
        match self {
            Keys::Codes(v) | Keys::Handles(v) => dedup_in_order(v),
            Keys::Ints(v) => dedup_in_order(v),
            Keys::Floats(v) => dedup_in_order(v),
            Keys::CodeMask(_) | Keys::IntSet(_) => {}
        }
    }

    /// Keys for a row-by-row scan: many keys become a mask or a set.
    fn for_scan(self, column: &Column) -> Keys {
        const FEW: usize = 8;
        match (self, column) {
            (Keys::Codes(codes), Column::Str(c)) if codes.len() > FEW => {
                let mut mask = vec![false; c.dict.len() + 1];
                // Null codes (u32::MAX) take the last slot.
                codes
                    .iter()
                    .for_each(|&code| mask[(code as usize).min(c.dict.len())] = true);
                Keys::CodeMask(mask)
            }
            (Keys::Ints(ints), _) if ints.len() > FEW => Keys::IntSet(ints.into_iter().collect()),
            (keys, _) => keys,
        }
    }

    #[inline]
    fn matches(&self, column: &Column, row: usize) -> bool {
        match (self, column) {
            (Keys::Codes(codes), Column::Str(c)) => codes.contains(&c.codes.get(row)),
            (Keys::CodeMask(mask), Column::Str(c)) => {
                mask[(c.codes.get(row) as usize).min(mask.len() - 1)]
            }
            (Keys::IntSet(ints), Column::Int(c)) => ints.contains(&c.get(row)),
            (Keys::Ints(ints), Column::Int(c)) => ints.contains(&c.get(row)),
            (Keys::Floats(floats), Column::F64(c)) => {
                floats.contains(&Some(float_bits(c.get(row))))
            }
            (Keys::Floats(floats), Column::F64Opt(c)) => {
                floats.contains(&c.get(row).map(float_bits))
            }
            (Keys::Handles(handles), Column::Obj(c)) => handles.contains(&c.get(row)),
            _ => false,
        }
    }
}

fn int_key(value: &Value) -> Option<Option<i64>> {
    match value {
        Value::Null => Some(None),
        Value::Int(v) => Some(Some(*v)),
        _ => None,
    }
}

fn float_key(value: &Value) -> Option<Option<u64>> {
    match value {
        Value::Null => Some(None),
        Value::Int(v) => Some(Some(float_bits(*v as f64))),
        Value::F64(v) => Some(Some(float_bits(*v))),
        _ => None,
    }
}

fn handle_key(value: &Value) -> Option<u32> {
    match value {
        Value::Obj(h) => Some(*h),
        Value::Int(v) => u32::try_from(*v).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunked::CHUNK;
    use crate::table::Table;
    use crate::value::Cell;

    /// Names cycle with nulls; epochs run in blocks of 1000; batches repeat.
    fn table(rows: usize) -> Table {
        let schema = Schema::parse(&[("name", "str"), ("epoch", "int"), ("batch", "int")]).unwrap();
        let table = Table::new(schema);
        let names = ["a", "b", "c"];
        for i in 0..rows {
            let name = if i % 11 == 0 {
                Cell::Null
            } else {
                Cell::Str(names[i % 3])
            };
            let batch = if i % 13 == 0 {
                Cell::Null
            } else {
                Cell::Int((i % 50) as i64)
            };
            table
                .append(&[name, Cell::Int((i / 1000) as i64), batch])
                .unwrap();
        }
        table
    }

    fn brute(view: &View, column: &str, keys: &[Value]) -> Vec<Value> {
        let index = view.schema().index_of(column).unwrap();
        (0..view.len() as i64)
            .map(|p| view.row(p).unwrap())
            .filter(|r| keys.contains(&r[index]))
            .map(|r| r[0].clone())
            .collect()
    }

    fn names(view: &View) -> Vec<Value> {
        let values = view.column("name").unwrap();
        (0..values.len()).map(|i| values.get(i)).collect()
    }

    #[test]
    fn indexed_and_scanned_where_in_agree_with_brute_force() {
        let rows = CHUNK * 2 + 777;
        let whole = table(rows).view();
        let shuffled = whole
            .take(&(0..rows as i64).rev().collect::<Vec<_>>())
            .unwrap();
        let cases: [(&str, Vec<Value>); 4] = [
            ("name", vec![Value::Str("b".into()), Value::Null]),
            ("epoch", vec![Value::Int(3), Value::Int(20)]),
            ("batch", vec![Value::Int(7), Value::Null]),
            ("name", vec![Value::Str("zzz".into())]),
        ];
        for (column, keys) in cases {
            for view in [&whole, &shuffled] {
                let hit = view.where_in(column, &keys).unwrap();
                assert_eq!(names(&hit), brute(view, column, &keys), "{column} {keys:?}");
            }
        }
    }

    #[test]
    fn columns_without_an_index_are_scanned_slice_by_slice() {
        let table = Table::new(Schema::parse(&[("k", "int")]).unwrap());
        let rows = CHUNK * 2 + 50;
        (0..rows).for_each(|i| table.append(&[Cell::Int((i % 7) as i64)]).unwrap());
        let whole = table.view();
        let hit = whole
            .where_in("k", &[Value::Int(3), Value::Int(5), Value::Null])
            .unwrap();
        let expected: Vec<Option<i64>> = (0..rows)
            .map(|i| (i % 7) as i64)
            .filter(|k| [3, 5].contains(k))
            .map(Some)
            .collect();
        assert_eq!(hit.column("k").unwrap(), ColumnValues::Int(expected));
        let tail = whole.take(&[-1]).unwrap();
        assert_eq!(tail.row(0).unwrap(), [Value::Int(((rows - 1) % 7) as i64)]);
    }

    #[test]
    fn indexed_and_scanned_distinct_agree() {
        let rows = CHUNK * 2 + 333;
        let table = table(rows);
        table
            .append(&[Cell::Str("late"), Cell::Int(-4), Cell::Int(1 << 40)])
            .unwrap();
        let whole = table.view();
        let listed = whole
            .take(&(0..whole.len() as i64).collect::<Vec<_>>())
            .unwrap();
        let middle = whole
            .where_in("epoch", &[Value::Int(5), Value::Int(6)])
            .unwrap();
        for column in ["name", "epoch", "batch"] {
            assert_eq!(
                whole.distinct(column).unwrap(),
                listed.distinct(column).unwrap(),
                "{column}"
            );
            let scanned = middle
                .take(&(0..middle.len() as i64).collect::<Vec<_>>())
                .unwrap();
            assert_eq!(
                middle.distinct(column).unwrap(),
                scanned.distinct(column).unwrap(),
                "{column}"
            );
        }
        let ColumnValues::Int(epochs) = whole.distinct("epoch").unwrap() else {
            unreachable!()
        };
        assert_eq!(epochs.len(), rows / 1000 + 2);
        assert_eq!(epochs.last(), Some(&Some(-4)));
    }

    #[test]
    fn distinct_is_first_seen() {
        let view = table(40).view();
        assert_eq!(
            view.distinct("name").unwrap(),
            ColumnValues::Str {
                strings: vec!["b".into(), "c".into(), "a".into()],
                codes: vec![NULL_CODE, 0, 1, 2]
            }
        );
        assert_eq!(
            view.distinct("epoch").unwrap(),
            ColumnValues::Int(vec![Some(0)])
        );
    }
}
