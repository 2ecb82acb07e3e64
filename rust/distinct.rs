//! `distinct`: the values of a column in first-seen order. Whole-table
//! views ask the indexes for each value's first row; other views scan.

use rustc_hash::FxHashSet;

use crate::column::{gather_plain, Column};
use crate::error::StoreResult;
use crate::group::{gather_validity, int_keys, GroupKeys};
use crate::selection::Selection;
use crate::value::{ColumnValues, NULL_CODE};
use crate::view::{hash_key, View};

impl View {
    /// The distinct values of `column`, in first-seen order.
    pub fn distinct(&self, column: &str) -> StoreResult<ColumnValues> {
        let index = self.schema().index_of(column)?;
        let data = self.read();
        let col = data.column(index);
        let firsts =
            indexed_firsts(col, self.rows()).unwrap_or_else(|| scanned_firsts(col, self.rows()));
        Ok(col.gather(&Selection::Rows(firsts.into())))
    }
}

/// The first row of each distinct value, ascending, from the indexes; `None`
/// when the view is not a range, the column has no index, or the index
/// holds more values than the view has rows (a scan is cheaper).
fn indexed_firsts(column: &Column, rows: &Selection) -> Option<Vec<u32>> {
    let Selection::Range { start, end } = *rows else {
        return None;
    };
    let (start, end) = (start as usize, end as usize);
    let mut firsts: Vec<u32> = match column {
        Column::Str(c) if c.dict.len() <= end - start => (0..c.dict.len() as u32)
            .chain([NULL_CODE])
            .filter_map(|code| c.index.first_row(code, start, end))
            .map(|row| row as u32)
            .collect(),
        Column::Int(c) => {
            let keys = c.index.keys().filter(|keys| keys.len() <= end - start)?;
            keys.iter()
                .filter_map(|&key| c.index.first_row(key, start, end))
                .map(|row| row as u32)
                .collect()
        }
        _ => return None,
    };
    firsts.sort_unstable();
    Some(firsts)
}

/// The first row of each distinct value, by a scan of the view.
fn scanned_firsts(column: &Column, rows: &Selection) -> Vec<u32> {
    match column {
        Column::Str(c) => {
            let mut seen = vec![false; c.dict.len() + 1];
            rows.iter()
                .filter(|&r| {
                    // Null codes (u32::MAX) take the last slot.
                    let slot = (c.codes.get(r) as usize).min(c.dict.len());
                    !std::mem::replace(&mut seen[slot], true)
                })
                .map(|r| r as u32)
                .collect()
        }
        Column::Int(c) => {
            let values = gather_plain(&c.values, rows);
            match int_keys(&values, gather_validity(&c.validity, rows).as_deref()) {
                // Values spanning a small range: a flag per value, no hashing.
                GroupKeys::Dense { keys, cardinality } if cardinality <= keys.len() * 4 + 1024 => {
                    let mut seen = vec![false; cardinality];
                    let fresh = keys
                        .iter()
                        .map(|&k| !std::mem::replace(&mut seen[k as usize], true));
                    rows.iter()
                        .zip(fresh)
                        .filter(|&(_, f)| f)
                        .map(|(r, _)| r as u32)
                        .collect()
                }
                _ => hashed_firsts(column, rows),
            }
        }
        col => hashed_firsts(col, rows),
    }
}

/// The first row of each distinct value, by hashing each row's value.
fn hashed_firsts(column: &Column, rows: &Selection) -> Vec<u32> {
    let mut seen = FxHashSet::default();
    rows.iter()
        .filter(|&r| seen.insert(hash_key(column, r)))
        .map(|r| r as u32)
        .collect()
}
