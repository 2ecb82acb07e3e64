//! Append-only columnar tables: `TableData` holds the columns, `Table` shares
//! it between threads behind a read-write lock.

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::batch::Batch;
use crate::column::Column;
use crate::error::{StoreError, StoreResult};
use crate::schema::Schema;
use crate::value::{Cell, ColumnValues};
use crate::view::View;

/// Row ids are `u32`.
pub const MAX_ROWS: usize = u32::MAX as usize;

/// The columns of one table, all of the same length.
#[derive(Debug, Clone)]
pub struct TableData {
    schema: Arc<Schema>,
    columns: Vec<Column>,
    len: usize,
}

impl TableData {
    pub fn new(schema: Arc<Schema>) -> Self {
        let columns = schema
            .types()
            .iter()
            .map(|&kind| Column::new(kind))
            .collect();
        Self {
            schema,
            columns,
            len: 0,
        }
    }

    /// A table holding `values`, one per schema column, all of length `len`.
    pub fn from_values(schema: Arc<Schema>, values: &[ColumnValues], len: usize) -> Self {
        debug_assert!(values.iter().all(|v| v.len() == len));
        let columns = values.iter().map(Column::from_values).collect();
        Self {
            schema,
            columns,
            len,
        }
    }

    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn column(&self, index: usize) -> &Column {
        &self.columns[index]
    }

    /// Appends one row; nothing is written unless every value fits.
    pub fn append(&mut self, cells: &[Cell<'_>]) -> StoreResult<()> {
        if cells.len() != self.columns.len() {
            return Err(StoreError::WrongArity {
                expected: self.columns.len(),
                got: cells.len(),
                columns: self.schema.names().to_vec(),
            });
        }
        for (index, cell) in cells.iter().enumerate() {
            Column::check(self.schema.kind(index), self.schema.name(index), cell)?;
        }
        self.reserve_rows(1)?;
        for (column, &cell) in self.columns.iter_mut().zip(cells) {
            column.push(cell);
        }
        self.len += 1;
        Ok(())
    }

    /// Appends one batch per column (schema order); all-or-nothing.
    /// Returns the number of rows added.
    pub fn extend(&mut self, batches: &[Batch<'_>]) -> StoreResult<usize> {
        let rows = self.batch_len(batches)?;
        for (index, batch) in batches.iter().enumerate() {
            batch.check(self.schema.kind(index), self.schema.name(index))?;
        }
        self.reserve_rows(rows)?;
        for (column, batch) in self.columns.iter_mut().zip(batches) {
            column.extend(batch, rows);
        }
        self.len += rows;
        Ok(rows)
    }

    /// Bytes held by every column and index.
    pub fn nbytes(&self) -> usize {
        self.columns.iter().map(Column::nbytes).sum()
    }

    /// The common length of the batches; all scalars make one row.
    fn batch_len(&self, batches: &[Batch<'_>]) -> StoreResult<usize> {
        if batches.len() != self.columns.len() {
            return Err(StoreError::WrongArity {
                expected: self.columns.len(),
                got: batches.len(),
                columns: self.schema.names().to_vec(),
            });
        }
        let lengths: Vec<(String, usize)> = batches
            .iter()
            .enumerate()
            .filter_map(|(i, b)| b.rows().map(|n| (self.schema.name(i).to_owned(), n)))
            .collect();
        match lengths.first() {
            None => Ok(1),
            Some(&(_, n)) if lengths.iter().all(|&(_, m)| m == n) => Ok(n),
            Some(_) => Err(StoreError::LengthMismatch { lengths }),
        }
    }

    fn reserve_rows(&self, rows: usize) -> StoreResult<()> {
        if self.len + rows > MAX_ROWS {
            return Err(StoreError::TooManyRows { max: MAX_ROWS });
        }
        Ok(())
    }
}

/// A thread-safe table: appends take the write lock, views the read lock.
#[derive(Debug, Clone)]
pub struct Table {
    schema: Arc<Schema>,
    data: Arc<RwLock<TableData>>,
}

impl Table {
    pub fn new(schema: Schema) -> Self {
        let schema = Arc::new(schema);
        let data = Arc::new(RwLock::new(TableData::new(schema.clone())));
        Self { schema, data }
    }

    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    pub fn append(&self, cells: &[Cell<'_>]) -> StoreResult<()> {
        self.write().append(cells)
    }

    pub fn extend(&self, batches: &[Batch<'_>]) -> StoreResult<usize> {
        self.write().extend(batches)
    }

    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn nbytes(&self) -> usize {
        self.read().nbytes()
    }

    /// A snapshot of the rows present now; later appends never change it.
    pub fn view(&self) -> View {
        let len = self.read().len();
        View::new(
            self.data.clone(),
            self.schema.clone(),
            crate::selection::Selection::all(len),
        )
    }

    /// Test hook (see the bindings): panics while holding the write lock, poisoning it.
    #[doc(hidden)]
    pub fn panic_holding_lock(&self) {
        let _guard = self.write();
        panic!("deliberate panic while holding the table lock (test hook)");
    }

    fn read(&self) -> RwLockReadGuard<'_, TableData> {
        // A panic while holding the lock cannot leave a half-written row:
        // pushes happen only after every check passed.
        self.data
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, TableData> {
        self.data
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn metrics() -> Table {
        Table::new(
            Schema::parse(&[
                ("name", "str"),
                ("epoch", "int"),
                ("batch", "int"),
                ("value", "f64"),
            ])
            .unwrap(),
        )
    }

    #[test]
    fn a_panic_holding_the_lock_leaves_the_table_usable() {
        let table = metrics();
        let row = [Cell::Str("loss"), Cell::Int(0), Cell::Null, Cell::F64(1.0)];
        table.append(&row).unwrap();
        let panicked = std::panic::catch_unwind(|| table.panic_holding_lock());
        assert!(panicked.is_err());
        table.append(&row).unwrap();
        assert_eq!(table.len(), 2);
        assert_eq!(table.view().column("value").unwrap().len(), 2);
    }

    #[test]
    fn append_checks_every_value_before_writing() {
        let table = metrics();
        table
            .append(&[Cell::Str("loss"), Cell::Int(0), Cell::Null, Cell::F64(1.0)])
            .unwrap();
        let err = table
            .append(&[Cell::Str("loss"), Cell::Int(0), Cell::Null, Cell::Null])
            .unwrap_err();
        assert_eq!(err.to_string(), "column \"value\" expects float, got None");
        assert_eq!(table.len(), 1);
        assert_eq!(table.view().row(0).unwrap()[2], Value::Null);
    }

    #[test]
    fn views_are_snapshots() {
        let table = metrics();
        table
            .append(&[Cell::Str("a"), Cell::Int(0), Cell::Int(0), Cell::F64(1.0)])
            .unwrap();
        let before = table.view();
        table
            .append(&[Cell::Str("a"), Cell::Int(0), Cell::Int(1), Cell::F64(2.0)])
            .unwrap();
        assert_eq!(before.len(), 1);
        assert_eq!(
            before
                .where_in("name", &[Value::Str("a".into())])
                .unwrap()
                .len(),
            1
        );
        assert_eq!(before.where_in("epoch", &[Value::Int(0)]).unwrap().len(), 1);
        assert_eq!(
            table
                .view()
                .where_in("epoch", &[Value::Int(0)])
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn concurrent_appends_are_all_kept() {
        let table = metrics();
        let names = ["w0", "w1", "w2", "w3"];
        std::thread::scope(|scope| {
            for name in names {
                let table = &table;
                scope.spawn(move || {
                    for i in 0..20_000i64 {
                        table
                            .append(&[
                                Cell::Str(name),
                                Cell::Int(i / 1000),
                                Cell::Int(i),
                                Cell::F64(i as f64),
                            ])
                            .unwrap();
                    }
                });
            }
            scope.spawn(|| {
                for _ in 0..100 {
                    let view = table.view();
                    let counts = view
                        .collapse(&["name"], "count")
                        .unwrap()
                        .column("value")
                        .unwrap();
                    let ColumnValues::Int(counts) = counts else {
                        panic!("count gives ints")
                    };
                    assert_eq!(counts.iter().flatten().sum::<i64>() as usize, view.len());
                }
            });
        });
        let view = table.view();
        assert_eq!(view.len(), 80_000);
        for name in names {
            let mine = view.where_in("name", &[Value::Str(name.into())]).unwrap();
            assert_eq!(mine.len(), 20_000);
            assert_eq!(
                mine.column("batch").unwrap(),
                ColumnValues::Int((0..20_000).map(Some).collect())
            );
            assert_eq!(
                mine.where_in("epoch", &[Value::Int(7)]).unwrap().len(),
                1000
            );
        }
    }
}
