//! Grouping rows by the values of some columns, groups numbered in
//! first-seen order; `group` and `sort_positions` on views.

use std::cmp::Ordering;

use rustc_hash::FxHashMap;

use crate::chunked::Validity;
use crate::column::{gather_map, gather_plain, visit, Column};
use crate::error::StoreResult;
use crate::schema::Schema;
use crate::selection::Selection;
use crate::table::TableData;
use crate::view::{hash_key, View};

/// The group of each position of a view, and each group's first position.
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    /// Group id per view position; ids count up in first-seen order.
    pub ids: Vec<u32>,
    /// The first view position of each group.
    pub firsts: Vec<usize>,
}

impl Groups {
    pub fn count(&self) -> usize {
        self.firsts.len()
    }
}

/// Per-row keys of one column: small dense integers, or hashable pairs.
pub(crate) enum GroupKeys {
    Dense { keys: Vec<u32>, cardinality: usize },
    Sparse(Vec<(bool, u64)>),
}

/// Groups the view positions by the values of columns `by` (indexes).
pub fn group_ids(data: &TableData, rows: &Selection, by: &[usize]) -> Groups {
    let mut ids = vec![0u32; rows.len()];
    let mut count = usize::from(!rows.is_empty());
    for &index in by {
        count = refine(&mut ids, count, column_keys(data.column(index), rows));
    }
    let mut firsts = vec![usize::MAX; count];
    for (position, &id) in ids.iter().enumerate() {
        if firsts[id as usize] == usize::MAX {
            firsts[id as usize] = position;
        }
    }
    Groups { ids, firsts }
}

fn column_keys(column: &Column, rows: &Selection) -> GroupKeys {
    match column {
        Column::Str(c) => {
            let mut keys = gather_plain(&c.codes, rows);
            // Null codes (u32::MAX) wrap to 0; real codes shift up by one.
            keys.iter_mut().for_each(|k| *k = k.wrapping_add(1));
            GroupKeys::Dense {
                keys,
                cardinality: c.dict.len() + 1,
            }
        }
        Column::Int(c) => {
            let valid = gather_validity(&c.validity, rows);
            if valid.is_none() {
                // No nulls: bounds in one pass, then dense keys straight from storage.
                let (mut lo, mut hi) = (i64::MAX, i64::MIN);
                visit(&c.values, rows, |v| (lo, hi) = (lo.min(v), hi.max(v)));
                if let Some(span) = small_span(lo, hi) {
                    let keys = gather_map(&c.values, rows, |v| (v - lo) as u32 + 1);
                    return GroupKeys::Dense {
                        keys,
                        cardinality: span + 2,
                    };
                }
            }
            int_keys(&gather_plain(&c.values, rows), valid.as_deref())
        }
        col => GroupKeys::Sparse(rows.iter().map(|r| hash_key(col, r)).collect()),
    }
}

/// Validity flags of `rows`, or `None` when the column holds no null.
pub(crate) fn gather_validity(validity: &Validity, rows: &Selection) -> Option<Vec<bool>> {
    (validity.null_count() > 0).then(|| rows.iter().map(|r| validity.is_valid(r)).collect())
}

/// `max - min` when it is small enough for dense keys (0 when empty).
fn small_span(min: i64, max: i64) -> Option<usize> {
    if min > max {
        return Some(0);
    }
    max.checked_sub(min)
        .filter(|&s| s < 1 << 24)
        .map(|s| s as usize)
}

/// Dense keys when the integers span a small range, else hashable pairs.
pub(crate) fn int_keys(values: &[i64], valid: Option<&[bool]>) -> GroupKeys {
    let bounds = |(lo, hi): (i64, i64), &v: &i64| (lo.min(v), hi.max(v));
    let (min, max) = match valid {
        None => values.iter().fold((i64::MAX, i64::MIN), bounds),
        Some(valid) => values
            .iter()
            .zip(valid)
            .filter(|(_, &ok)| ok)
            .map(|(v, _)| v)
            .fold((i64::MAX, i64::MIN), bounds),
    };
    let span = small_span(min, max).map(|s| s as i64);
    let is_valid = |i: usize| valid.is_none_or(|valid| valid[i]);
    match span {
        Some(span) => GroupKeys::Dense {
            keys: match valid {
                None => values.iter().map(|&v| (v - min) as u32 + 1).collect(),
                Some(_) => values
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| if is_valid(i) { (v - min) as u32 + 1 } else { 0 })
                    .collect(),
            },
            cardinality: span as usize + 2,
        },
        None => GroupKeys::Sparse(
            values
                .iter()
                .enumerate()
                .map(|(i, &v)| (is_valid(i), if is_valid(i) { v as u64 } else { 0 }))
                .collect(),
        ),
    }
}

/// Splits each current group by `keys`; new ids follow first-seen order.
fn refine(ids: &mut [u32], count: usize, keys: GroupKeys) -> usize {
    let budget = (ids.len() * 4).max(1024);
    match keys {
        GroupKeys::Dense { keys, cardinality } if count.saturating_mul(cardinality) <= budget => {
            let mut table = vec![u32::MAX; count * cardinality];
            let mut next = 0u32;
            for (id, &key) in ids.iter_mut().zip(&keys) {
                let slot = &mut table[*id as usize * cardinality + key as usize];
                if *slot == u32::MAX {
                    *slot = next;
                    next += 1;
                }
                *id = *slot;
            }
            next as usize
        }
        GroupKeys::Dense { keys, .. } => {
            refine_hashed(ids, keys.iter().map(|&k| (true, u64::from(k))))
        }
        GroupKeys::Sparse(keys) => refine_hashed(ids, keys.into_iter()),
    }
}

fn refine_hashed(ids: &mut [u32], keys: impl Iterator<Item = (bool, u64)>) -> usize {
    let mut table: FxHashMap<(u32, bool, u64), u32> = FxHashMap::default();
    for (id, key) in ids.iter_mut().zip(keys) {
        let next = table.len() as u32;
        *id = *table.entry((*id, key.0, key.1)).or_insert(next);
    }
    table.len()
}

/// Column indexes of `by`, each once, in the order given.
pub(crate) fn resolve_columns(schema: &Schema, by: &[&str]) -> StoreResult<Vec<usize>> {
    let mut indexes = Vec::with_capacity(by.len());
    for name in by {
        let index = schema.index_of(name)?;
        if !indexes.contains(&index) {
            indexes.push(index);
        }
    }
    Ok(indexes)
}

/// A schema holding the columns `indexes` of `schema`.
pub(crate) fn project(schema: &Schema, indexes: &[usize]) -> Schema {
    Schema::new(
        indexes
            .iter()
            .map(|&i| (schema.name(i).to_owned(), schema.kind(i)))
            .collect(),
    )
}

impl View {
    /// Groups in first-seen order: a view of the `by` values of each group's
    /// first row, and each group's positions.
    pub fn group(&self, by: &[&str]) -> StoreResult<(View, Vec<Vec<u32>>)> {
        let indexes = resolve_columns(self.schema(), by)?;
        let data = self.read();
        let groups = group_ids(&data, self.rows(), &indexes);
        let mut positions = vec![Vec::new(); groups.count()];
        for (position, &id) in groups.ids.iter().enumerate() {
            positions[id as usize].push(position as u32);
        }
        let keys = first_rows_table(&data, self.rows(), &indexes, &groups);
        Ok((View::owned(keys), positions))
    }

    /// View positions in stable ascending order of `by`, nulls first.
    pub fn sort_positions(&self, by: &[&str]) -> StoreResult<Vec<usize>> {
        let indexes = resolve_columns(self.schema(), by)?;
        let data = self.read();
        let keys: Vec<SortKeys> = indexes
            .iter()
            .map(|&i| SortKeys::new(data.column(i), self.rows()))
            .collect();
        let mut positions: Vec<usize> = (0..self.len()).collect();
        positions.sort_by(|&a, &b| {
            keys.iter()
                .map(|k| k.compare(a, b))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
        Ok(positions)
    }
}

/// A table of the `indexes` columns at each group's first row.
pub(crate) fn first_rows_table(
    data: &TableData,
    rows: &Selection,
    indexes: &[usize],
    groups: &Groups,
) -> TableData {
    let firsts = rows.take(&groups.firsts);
    let values: Vec<_> = indexes
        .iter()
        .map(|&i| data.column(i).gather(&firsts))
        .collect();
    TableData::from_values(
        project(data.schema(), indexes).into(),
        &values,
        groups.count(),
    )
}

/// Per-position sort keys of one column (`None` sorts first).
enum SortKeys {
    Ranks(Vec<u32>),
    Ints(Vec<Option<i64>>),
    Floats(Vec<Option<f64>>),
}

impl SortKeys {
    fn new(column: &Column, rows: &Selection) -> SortKeys {
        match column {
            Column::Str(c) => {
                // Rank codes by their strings; null ranks 0, before every string.
                let mut order: Vec<u32> = (0..c.dict.len() as u32).collect();
                order.sort_by(|&a, &b| c.dict.get(a).cmp(c.dict.get(b)));
                let mut rank = vec![0u32; c.dict.len()];
                order
                    .iter()
                    .enumerate()
                    .for_each(|(r, &code)| rank[code as usize] = r as u32 + 1);
                SortKeys::Ranks(
                    rows.iter()
                        .map(|r| c.codes.get(r))
                        .map(|code| rank.get(code as usize).copied().unwrap_or(0))
                        .collect(),
                )
            }
            Column::Int(c) => SortKeys::Ints(rows.iter().map(|r| c.get(r)).collect()),
            Column::F64(c) => SortKeys::Floats(rows.iter().map(|r| Some(c.get(r))).collect()),
            Column::F64Opt(c) => SortKeys::Floats(rows.iter().map(|r| c.get(r)).collect()),
            Column::Obj(c) => SortKeys::Ranks(rows.iter().map(|r| c.get(r)).collect()),
        }
    }

    fn compare(&self, a: usize, b: usize) -> Ordering {
        match self {
            SortKeys::Ranks(k) => k[a].cmp(&k[b]),
            SortKeys::Ints(k) => k[a].cmp(&k[b]),
            SortKeys::Floats(k) => match (k[a], k[b]) {
                // -0.0 equals 0.0 (as in Python); NaN sorts after every number.
                (Some(x), Some(y)) => x
                    .partial_cmp(&y)
                    .unwrap_or_else(|| x.is_nan().cmp(&y.is_nan())),
                (x, y) => x.is_some().cmp(&y.is_some()),
            },
        }
    }
}
