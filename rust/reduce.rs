//! Native reducers and `collapse`: one value per group for every `f64`,
//! `f64?` and `obj` column, skipping nulls.

use crate::column::{gather_plain, Column};
use crate::error::{StoreError, StoreResult};
use crate::group::{gather_validity, group_ids, project, resolve_columns, Groups};
use crate::parallel::map_columns;
use crate::schema::{ColumnType, Schema};
use crate::selection::Selection;
use crate::table::TableData;
use crate::value::ColumnValues;
use crate::view::View;

/// The reducer names `collapse` runs natively.
pub const REDUCERS: &[&str] = &["mean", "sum", "min", "max", "first", "last", "count"];

/// A native reducer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reducer {
    Mean,
    Sum,
    Min,
    Max,
    First,
    Last,
    Count,
}

impl Reducer {
    pub fn parse(name: &str) -> StoreResult<Self> {
        Ok(match name {
            "mean" => Self::Mean,
            "sum" => Self::Sum,
            "min" => Self::Min,
            "max" => Self::Max,
            "first" => Self::First,
            "last" => Self::Last,
            "count" => Self::Count,
            _ => {
                return Err(StoreError::UnknownReducer {
                    reducer: name.to_owned(),
                    allowed: REDUCERS,
                })
            }
        })
    }

    /// The output type for an input column of type `kind`.
    fn output(self, kind: ColumnType) -> ColumnType {
        match (self, kind) {
            (Reducer::Count, _) => ColumnType::Int,
            (_, kind) => kind,
        }
    }
}

/// Per-group accumulators of one column.
struct Accumulators {
    reducer: Reducer,
    values: Vec<f64>,
    seen: Vec<u32>,
}

impl Accumulators {
    fn new(reducer: Reducer, groups: usize) -> Self {
        Self {
            reducer,
            values: vec![0.0; groups],
            seen: vec![0; groups],
        }
    }

    /// Folds `values` (skipping invalid ones) into the groups `ids`.
    fn add_all(&mut self, ids: &[u32], values: &[f64], valid: Option<&[bool]>) {
        match self.reducer {
            Reducer::Mean | Reducer::Sum | Reducer::Count => {
                self.fold(ids, values, valid, |acc, _, v| *acc += v)
            }
            Reducer::Min => self.fold(ids, values, valid, |acc, seen, v| {
                if seen == 0 || v < *acc {
                    *acc = v
                }
            }),
            Reducer::Max => self.fold(ids, values, valid, |acc, seen, v| {
                if seen == 0 || v > *acc {
                    *acc = v
                }
            }),
            Reducer::First => self.fold(ids, values, valid, |acc, seen, v| {
                if seen == 0 {
                    *acc = v
                }
            }),
            Reducer::Last => self.fold(ids, values, valid, |acc, _, v| *acc = v),
        }
    }

    /// One tight loop per reducer: `step(acc, seen, value)`.
    #[inline]
    fn fold(
        &mut self,
        ids: &[u32],
        values: &[f64],
        valid: Option<&[bool]>,
        step: impl Fn(&mut f64, u32, f64),
    ) {
        let (accs, seen) = (&mut self.values, &mut self.seen);
        let mut add = |g: u32, v: f64| {
            let g = g as usize;
            step(&mut accs[g], seen[g], v);
            seen[g] += 1;
        };
        match valid {
            None => ids.iter().zip(values).for_each(|(&g, &v)| add(g, v)),
            Some(valid) => ids
                .iter()
                .zip(values)
                .zip(valid)
                .filter(|(_, &ok)| ok)
                .for_each(|((&g, &v), _)| add(g, v)),
        }
    }

    fn finish(self, kind: ColumnType) -> ColumnValues {
        let Accumulators {
            reducer,
            values,
            seen,
        } = self;
        if reducer == Reducer::Count {
            return ColumnValues::Int(seen.iter().map(|&n| Some(i64::from(n))).collect());
        }
        let results = values
            .iter()
            .zip(&seen)
            .map(|(&acc, &n)| match (n, reducer) {
                (0, _) => None,
                (n, Reducer::Mean) => Some(acc / f64::from(n)),
                _ => Some(acc),
            });
        match kind {
            ColumnType::F64 => ColumnValues::F64(results.map(|v| v.unwrap_or(f64::NAN)).collect()),
            _ => ColumnValues::F64Opt(results.collect()),
        }
    }
}

/// Reduces one float column over `rows` grouped by `groups`.
fn reduce_floats(
    column: &Column,
    rows: &Selection,
    groups: &Groups,
    reducer: Reducer,
) -> ColumnValues {
    let (values, valid) = match column {
        Column::F64(c) => (c, None),
        Column::F64Opt(c) => (&c.values, gather_validity(&c.validity, rows)),
        _ => unreachable!("float columns only"),
    };
    let mut acc = Accumulators::new(reducer, groups.count());
    match rows {
        // Ranges fold chunk by chunk, straight from storage.
        Selection::Range { start, end } => {
            let start = *start as usize;
            values.for_each_slice(start, *end as usize, |offset, slice| {
                let at = offset - start..offset - start + slice.len();
                acc.add_all(
                    &groups.ids[at.clone()],
                    slice,
                    valid.as_ref().map(|v| &v[at]),
                );
            });
        }
        Selection::Rows(_) => {
            acc.add_all(&groups.ids, &gather_plain(values, rows), valid.as_deref())
        }
    }
    acc.finish(column.kind())
}

/// First or last handle of each group.
fn reduce_handles(
    column: &Column,
    rows: &Selection,
    groups: &Groups,
    reducer: Reducer,
) -> ColumnValues {
    let Column::Obj(c) = column else {
        unreachable!("obj columns only")
    };
    let mut out = vec![0u32; groups.count()];
    let mut seen = vec![false; groups.count()];
    for (r, &g) in rows.iter().zip(&groups.ids) {
        let g = g as usize;
        if reducer == Reducer::Last || !seen[g] {
            out[g] = c.get(r);
            seen[g] = true;
        }
    }
    ColumnValues::Obj(out)
}

impl View {
    /// One row per group of `by` (first-seen order): the `by` values, then
    /// every `f64`/`f64?`/`obj` column reduced by `reducer`.
    pub fn collapse(&self, by: &[&str], reducer: &str) -> StoreResult<View> {
        let reducer = Reducer::parse(reducer)?;
        let schema = self.schema().clone();
        let by = resolve_columns(&schema, by)?;
        let values: Vec<usize> = (0..schema.len())
            .filter(|i| schema.kind(*i).is_value() && !by.contains(i))
            .collect();
        check_objects(&schema, &values, reducer)?;
        let data = self.read();
        let groups = group_ids(&data, self.rows(), &by);
        let firsts = self.rows().take(&groups.firsts);
        let mut columns: Vec<ColumnValues> =
            by.iter().map(|&i| data.column(i).gather(&firsts)).collect();
        let mut out_schema = project(&schema, &by);
        let reduced = map_columns(values.len(), self.len(), |i| {
            let column = data.column(values[i]);
            match column.kind() {
                ColumnType::Obj => reduce_handles(column, self.rows(), &groups, reducer),
                _ => reduce_floats(column, self.rows(), &groups, reducer),
            }
        });
        for (&index, reduced) in values.iter().zip(reduced) {
            let kind = match data.column(index).kind() {
                ColumnType::Obj => ColumnType::Obj,
                kind => reducer.output(kind),
            };
            out_schema.push(schema.name(index), kind)?;
            columns.push(reduced);
        }
        Ok(View::owned(TableData::from_values(
            out_schema.into(),
            &columns,
            groups.count(),
        )))
    }
}

fn check_objects(schema: &Schema, values: &[usize], reducer: Reducer) -> StoreResult<()> {
    let allowed = matches!(reducer, Reducer::First | Reducer::Last);
    match values.iter().find(|&&i| schema.kind(i) == ColumnType::Obj) {
        Some(&i) if !allowed => Err(StoreError::ObjectReducer {
            column: schema.name(i).to_owned(),
            reducer: format!("{reducer:?}").to_lowercase(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use crate::batch::Batch;
    use crate::schema::Schema;
    use crate::table::Table;
    use crate::value::{ColumnValues, Value};

    fn losses() -> Table {
        let schema = Schema::parse(&[
            ("label", "str"),
            ("epoch", "int"),
            ("loss", "f64?"),
            ("lr", "f64"),
        ])
        .unwrap();
        let table = Table::new(schema);
        let batches = [
            Batch::Strs {
                strings: vec!["train".into(), "val".into()],
                codes: vec![0, 1, 0, 0, 1],
            },
            Batch::Ints(vec![Some(0), Some(0), Some(0), Some(1), Some(1)]),
            Batch::Floats(vec![Some(1.0), None, Some(3.0), None, Some(5.0)]),
            Batch::Floats(vec![Some(0.1), Some(0.2), Some(0.3), Some(0.4), Some(0.5)]),
        ];
        table.extend(&batches).unwrap();
        table
    }

    fn collapse(reducer: &str) -> (ColumnValues, ColumnValues) {
        let result = losses()
            .view()
            .collapse(&["epoch", "label"], reducer)
            .unwrap();
        assert_eq!(result.columns(), ["epoch", "label", "loss", "lr"]);
        (result.column("loss").unwrap(), result.column("lr").unwrap())
    }

    #[test]
    fn reducers_skip_nulls_and_empty_groups_give_null() {
        assert_eq!(
            collapse("mean").0,
            ColumnValues::F64Opt(vec![Some(2.0), None, None, Some(5.0)])
        );
        assert_eq!(
            collapse("sum").1,
            ColumnValues::F64(vec![0.4, 0.2, 0.4, 0.5])
        );
        assert_eq!(
            collapse("min").0,
            ColumnValues::F64Opt(vec![Some(1.0), None, None, Some(5.0)])
        );
        assert_eq!(
            collapse("max").1,
            ColumnValues::F64(vec![0.3, 0.2, 0.4, 0.5])
        );
        assert_eq!(
            collapse("first").1,
            ColumnValues::F64(vec![0.1, 0.2, 0.4, 0.5])
        );
        assert_eq!(
            collapse("last").0,
            ColumnValues::F64Opt(vec![Some(3.0), None, None, Some(5.0)])
        );
        assert_eq!(
            collapse("count").0,
            ColumnValues::Int(vec![Some(2), Some(0), Some(0), Some(1)])
        );
    }

    #[test]
    fn groups_follow_first_seen_order() {
        let result = losses().view().collapse(&["label"], "count").unwrap();
        assert_eq!(
            result.row(0).unwrap(),
            [Value::Str("train".into()), Value::Int(2), Value::Int(3)]
        );
        assert_eq!(
            result.row(1).unwrap(),
            [Value::Str("val".into()), Value::Int(1), Value::Int(2)]
        );
    }

    #[test]
    fn unknown_reducer_lists_the_allowed() {
        let err = losses().view().collapse(&["label"], "median").unwrap_err();
        assert!(err
            .to_string()
            .contains("[\"mean\", \"sum\", \"min\", \"max\", \"first\", \"last\", \"count\"]"));
    }
}
