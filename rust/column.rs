//! One typed column: chunked storage, null flags, dictionary and index.

use crate::chunked::{ChunkedVec, Validity, CHUNK_BITS};
use crate::dict::StringDict;
use crate::error::{StoreError, StoreResult};
use crate::index::{IntIndex, StrIndex};
use crate::schema::ColumnType;
use crate::selection::Selection;
use crate::value::{Cell, ColumnValues, Value, NULL_CODE};

/// Dictionary-coded strings with their per-code row index.
#[derive(Debug, Clone, Default)]
pub struct StrColumn {
    pub codes: ChunkedVec<u32>,
    pub dict: StringDict,
    pub index: StrIndex,
}

/// Nullable integers with their per-value run index.
#[derive(Debug, Clone, Default)]
pub struct IntColumn {
    pub values: ChunkedVec<i64>,
    pub validity: Validity,
    pub index: IntIndex,
}

/// Nullable floats.
#[derive(Debug, Clone, Default)]
pub struct F64OptColumn {
    pub values: ChunkedVec<f64>,
    pub validity: Validity,
}

/// The storage of one column.
#[derive(Debug, Clone)]
pub enum Column {
    Str(StrColumn),
    Int(IntColumn),
    F64(ChunkedVec<f64>),
    F64Opt(F64OptColumn),
    Obj(ChunkedVec<u32>),
}

impl StrColumn {
    #[inline]
    pub fn push_code(&mut self, code: u32) {
        self.codes.push(code);
        self.index.push(code);
    }

    #[inline]
    pub fn push(&mut self, value: Option<&str>) {
        let code = value.map_or(NULL_CODE, |s| self.dict.intern(s));
        self.push_code(code);
    }

    #[inline]
    pub fn get(&self, row: usize) -> Option<&str> {
        match self.codes.get(row) {
            NULL_CODE => None,
            code => Some(self.dict.get(code)),
        }
    }
}

impl IntColumn {
    #[inline]
    pub fn push(&mut self, value: Option<i64>) {
        self.values.push(value.unwrap_or(0));
        self.validity.push(value.is_some());
        self.index.push(value);
    }

    #[inline]
    pub fn get(&self, row: usize) -> Option<i64> {
        self.validity.is_valid(row).then(|| self.values.get(row))
    }
}

impl F64OptColumn {
    #[inline]
    pub fn push(&mut self, value: Option<f64>) {
        self.values.push(value.unwrap_or(0.0));
        self.validity.push(value.is_some());
    }

    #[inline]
    pub fn get(&self, row: usize) -> Option<f64> {
        self.validity.is_valid(row).then(|| self.values.get(row))
    }
}

impl Column {
    pub fn new(kind: ColumnType) -> Self {
        match kind {
            ColumnType::Str => Column::Str(StrColumn::default()),
            ColumnType::Int => Column::Int(IntColumn::default()),
            ColumnType::F64 => Column::F64(ChunkedVec::new()),
            ColumnType::F64Opt => Column::F64Opt(F64OptColumn::default()),
            ColumnType::Obj => Column::Obj(ChunkedVec::new()),
        }
    }

    pub fn kind(&self) -> ColumnType {
        match self {
            Column::Str(_) => ColumnType::Str,
            Column::Int(_) => ColumnType::Int,
            Column::F64(_) => ColumnType::F64,
            Column::F64Opt(_) => ColumnType::F64Opt,
            Column::Obj(_) => ColumnType::Obj,
        }
    }

    /// Whether `cell` can be stored in a column of type `kind`.
    pub fn accepts(kind: ColumnType, cell: &Cell<'_>) -> bool {
        matches!(
            (kind, cell),
            (ColumnType::Str, Cell::Str(_) | Cell::Null)
                | (ColumnType::Int, Cell::Int(_) | Cell::Null)
                | (ColumnType::F64, Cell::F64(_) | Cell::Int(_))
                | (ColumnType::F64Opt, Cell::F64(_) | Cell::Int(_) | Cell::Null)
                | (ColumnType::Obj, Cell::Obj(_))
        )
    }

    /// `Ok` if `cell` fits, else the `WrongType` error naming `name`.
    pub fn check(kind: ColumnType, name: &str, cell: &Cell<'_>) -> StoreResult<()> {
        if Self::accepts(kind, cell) {
            return Ok(());
        }
        Err(StoreError::WrongType {
            column: name.to_owned(),
            expected: kind.expected(),
            got: cell.type_name().to_owned(),
        })
    }

    /// Appends `cell`, which [`Column::check`] accepted.
    #[inline]
    pub fn push(&mut self, cell: Cell<'_>) {
        match (self, cell) {
            (Column::Str(c), Cell::Str(s)) => c.push(Some(s)),
            (Column::Str(c), _) => c.push(None),
            (Column::Int(c), Cell::Int(v)) => c.push(Some(v)),
            (Column::Int(c), _) => c.push(None),
            (Column::F64(c), cell) => c.push(as_f64(cell).unwrap_or(f64::NAN)),
            (Column::F64Opt(c), cell) => c.push(as_f64(cell)),
            (Column::Obj(c), Cell::Obj(h)) => c.push(h),
            (Column::Obj(c), _) => c.push(0),
        }
    }

    /// The value at `row`.
    pub fn get(&self, row: usize) -> Value {
        match self {
            Column::Str(c) => c.get(row).map_or(Value::Null, |s| Value::Str(s.to_owned())),
            Column::Int(c) => c.get(row).map_or(Value::Null, Value::Int),
            Column::F64(c) => Value::F64(c.get(row)),
            Column::F64Opt(c) => c.get(row).map_or(Value::Null, Value::F64),
            Column::Obj(c) => Value::Obj(c.get(row)),
        }
    }

    /// The values of `rows`, in order; strings get codes local to the result.
    pub fn gather(&self, rows: &Selection) -> ColumnValues {
        match self {
            Column::Str(c) => gather_strings(c, rows),
            Column::Int(c) => ColumnValues::Int(rows.iter().map(|r| c.get(r)).collect()),
            Column::F64(c) => ColumnValues::F64(gather_plain(c, rows)),
            Column::F64Opt(c) => ColumnValues::F64Opt(rows.iter().map(|r| c.get(r)).collect()),
            Column::Obj(c) => ColumnValues::Obj(gather_plain(c, rows)),
        }
    }

    /// A new column holding `values` (result tables of `group`/`collapse`).
    pub fn from_values(values: &ColumnValues) -> Self {
        match values {
            ColumnValues::Str { strings, codes } => {
                let mut column = StrColumn::default();
                strings.iter().for_each(|s| {
                    column.dict.intern(s);
                });
                codes.iter().for_each(|&code| column.push_code(code));
                Column::Str(column)
            }
            ColumnValues::Int(v) => {
                let mut column = IntColumn::default();
                v.iter().for_each(|&x| column.push(x));
                Column::Int(column)
            }
            ColumnValues::F64(v) => {
                let mut column = ChunkedVec::new();
                column.extend_from_slice(v);
                Column::F64(column)
            }
            ColumnValues::F64Opt(v) => {
                let mut column = F64OptColumn::default();
                v.iter().for_each(|&x| column.push(x));
                Column::F64Opt(column)
            }
            ColumnValues::Obj(v) => {
                let mut column = ChunkedVec::new();
                column.extend_from_slice(v);
                Column::Obj(column)
            }
        }
    }

    /// Bytes held by values, null flags, dictionary and index.
    pub fn nbytes(&self) -> usize {
        match self {
            Column::Str(c) => c.codes.nbytes() + c.dict.nbytes() + c.index.nbytes(),
            Column::Int(c) => c.values.nbytes() + c.validity.nbytes() + c.index.nbytes(),
            Column::F64(c) => c.nbytes(),
            Column::F64Opt(c) => c.values.nbytes() + c.validity.nbytes(),
            Column::Obj(c) => c.nbytes(),
        }
    }
}

fn as_f64(cell: Cell<'_>) -> Option<f64> {
    match cell {
        Cell::F64(v) => Some(v),
        Cell::Int(v) => Some(v as f64),
        _ => None,
    }
}

/// The values at `rows`, copied slice by slice for ranges.
pub(crate) fn gather_plain<T: Copy>(values: &ChunkedVec<T>, rows: &Selection) -> Vec<T> {
    gather_map(values, rows, |v| v)
}

/// Calls `f` with the values at `rows`, in order, chunk by chunk.
pub(crate) fn visit<T: Copy>(values: &ChunkedVec<T>, rows: &Selection, mut f: impl FnMut(T)) {
    match rows {
        Selection::Range { start, end } => {
            values.for_each_slice(*start as usize, *end as usize, |_, s| {
                s.iter().for_each(|&v| f(v))
            })
        }
        Selection::Rows(ids) => ids.iter().for_each(|&r| f(values.get(r as usize))),
    }
}

/// `map` of the values at `rows`, chunk by chunk (no per-row chunk lookup).
pub(crate) fn gather_map<T: Copy, U>(
    values: &ChunkedVec<T>,
    rows: &Selection,
    mut map: impl FnMut(T) -> U,
) -> Vec<U> {
    let mut out = Vec::with_capacity(rows.len());
    match rows {
        Selection::Range { start, end } => {
            values.for_each_slice(*start as usize, *end as usize, |_, s| {
                out.extend(s.iter().map(|&v| map(v)))
            });
        }
        Selection::Rows(ids) => {
            // Rows mostly come sorted (index hits): resolve the chunk once per run.
            let mut rest = ids.as_slice();
            while let Some(&first) = rest.first() {
                let chunk = first >> CHUNK_BITS;
                let data = values.chunk(chunk as usize);
                let base = chunk << CHUNK_BITS;
                let run = rest
                    .iter()
                    .position(|&r| r >> CHUNK_BITS != chunk)
                    .unwrap_or(rest.len());
                out.extend(rest[..run].iter().map(|&r| map(data[(r - base) as usize])));
                rest = &rest[run..];
            }
        }
    }
    out
}

/// Gathers codes, renumbering them in first-seen order into a local dictionary.
pub(crate) fn gather_strings(column: &StrColumn, rows: &Selection) -> ColumnValues {
    let mut local = vec![NULL_CODE; column.dict.len()];
    let mut strings = Vec::new();
    let codes = rows
        .iter()
        .map(|r| match column.codes.get(r) {
            NULL_CODE => NULL_CODE,
            code => {
                let slot = &mut local[code as usize];
                if *slot == NULL_CODE {
                    *slot = strings.len() as u32;
                    strings.push(column.dict.get(code).to_owned());
                }
                *slot
            }
        })
        .collect();
    ColumnValues::Str { strings, codes }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_store_and_gather_each_type() {
        let mut names = Column::new(ColumnType::Str);
        for cell in [Cell::Str("b"), Cell::Null, Cell::Str("a"), Cell::Str("b")] {
            Column::check(ColumnType::Str, "name", &cell).unwrap();
            names.push(cell);
        }
        let gathered = names.gather(&Selection::Rows(vec![3, 1, 2].into()));
        assert_eq!(
            gathered,
            ColumnValues::Str {
                strings: vec!["b".into(), "a".into()],
                codes: vec![0, NULL_CODE, 1]
            }
        );
        let mut epochs = Column::new(ColumnType::Int);
        [Cell::Int(4), Cell::Null]
            .into_iter()
            .for_each(|c| epochs.push(c));
        assert_eq!(
            epochs.gather(&Selection::all(2)),
            ColumnValues::Int(vec![Some(4), None])
        );
        assert_eq!(epochs.get(1), Value::Null);
    }

    #[test]
    fn check_names_the_column_and_the_expected_type() {
        let err = Column::check(ColumnType::F64, "value", &Cell::Null).unwrap_err();
        assert_eq!(err.to_string(), "column \"value\" expects float, got None");
        assert!(Column::check(ColumnType::Int, "epoch", &Cell::F64(1.0)).is_err());
        assert!(Column::check(ColumnType::F64Opt, "x", &Cell::Int(1)).is_ok());
    }
}
