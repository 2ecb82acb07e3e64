//! Column batches for `extend`: lists, numeric slices (read in place from
//! numpy) and broadcast scalars, checked against the schema before any row
//! is written.

use std::borrow::Cow;

use crate::column::{Column, F64OptColumn, IntColumn, StrColumn};
use crate::error::{StoreError, StoreResult};
use crate::schema::ColumnType;
use crate::value::{Value, NULL_CODE};

/// A contiguous numeric array, borrowed when the source allows it.
#[derive(Debug, Clone)]
pub enum Numbers<'a> {
    F64(Cow<'a, [f64]>),
    F32(Cow<'a, [f32]>),
    I64(Cow<'a, [i64]>),
    I32(Cow<'a, [i32]>),
}

/// Many values for one column.
#[derive(Debug, Clone)]
pub enum Batch<'a> {
    /// One value repeated to the batch length.
    Scalar(Value),
    /// Strings coded into a local dictionary (`NULL_CODE` is null).
    Strs {
        strings: Vec<String>,
        codes: Vec<u32>,
    },
    Ints(Vec<Option<i64>>),
    Floats(Vec<Option<f64>>),
    Handles(Vec<u32>),
    Numbers(Numbers<'a>),
}

impl Numbers<'_> {
    pub fn len(&self) -> usize {
        match self {
            Numbers::F64(v) => v.len(),
            Numbers::F32(v) => v.len(),
            Numbers::I64(v) => v.len(),
            Numbers::I32(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn is_integer(&self) -> bool {
        matches!(self, Numbers::I64(_) | Numbers::I32(_))
    }

    fn type_name(&self) -> &'static str {
        match self {
            Numbers::F64(_) => "float64 array",
            Numbers::F32(_) => "float32 array",
            Numbers::I64(_) => "int64 array",
            Numbers::I32(_) => "int32 array",
        }
    }

    fn fits_u32(&self) -> bool {
        match self {
            Numbers::I64(v) => v.iter().all(|&x| u32::try_from(x).is_ok()),
            Numbers::I32(v) => v.iter().all(|&x| x >= 0),
            _ => false,
        }
    }

    fn to_f64(&self) -> Cow<'_, [f64]> {
        match self {
            Numbers::F64(v) => Cow::Borrowed(v),
            Numbers::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Numbers::I64(v) => v.iter().map(|&x| x as f64).collect(),
            Numbers::I32(v) => v.iter().map(|&x| f64::from(x)).collect(),
        }
    }

    fn to_i64(&self) -> Cow<'_, [i64]> {
        match self {
            Numbers::I64(v) => Cow::Borrowed(v),
            Numbers::I32(v) => v.iter().map(|&x| i64::from(x)).collect(),
            _ => unreachable!("checked: integer arrays only"),
        }
    }
}

impl Batch<'_> {
    /// The number of values, `None` for a broadcast scalar.
    pub fn rows(&self) -> Option<usize> {
        match self {
            Batch::Scalar(_) => None,
            Batch::Strs { codes, .. } => Some(codes.len()),
            Batch::Ints(v) => Some(v.len()),
            Batch::Floats(v) => Some(v.len()),
            Batch::Handles(v) => Some(v.len()),
            Batch::Numbers(n) => Some(n.len()),
        }
    }

    /// `Ok` if every value fits a column of type `kind` named `name`.
    pub fn check(&self, kind: ColumnType, name: &str) -> StoreResult<()> {
        let fits = match (self, kind) {
            (Batch::Scalar(v), _) => return Column::check(kind, name, &v.as_cell()),
            (Batch::Strs { .. }, ColumnType::Str) => true,
            (Batch::Ints(_), ColumnType::Int | ColumnType::F64Opt) => true,
            (Batch::Ints(v), ColumnType::F64) => v.iter().all(Option::is_some),
            (Batch::Floats(_), ColumnType::F64Opt) => true,
            (Batch::Floats(v), ColumnType::F64) => v.iter().all(Option::is_some),
            (Batch::Handles(_), ColumnType::Obj) => true,
            (Batch::Numbers(_), ColumnType::F64 | ColumnType::F64Opt) => true,
            (Batch::Numbers(n), ColumnType::Int) => n.is_integer(),
            (Batch::Numbers(n), ColumnType::Obj) => n.fits_u32(),
            _ => false,
        };
        if fits {
            return Ok(());
        }
        Err(StoreError::WrongType {
            column: name.to_owned(),
            expected: kind.expected(),
            got: self.describe(),
        })
    }

    fn describe(&self) -> String {
        match self {
            Batch::Scalar(v) => v.type_name().to_owned(),
            Batch::Strs { .. } => "a list of str".to_owned(),
            Batch::Ints(v) if v.iter().any(Option::is_none) => "a list with None".to_owned(),
            Batch::Ints(_) => "a list of int".to_owned(),
            Batch::Floats(v) if v.iter().any(Option::is_none) => "a list with None".to_owned(),
            Batch::Floats(_) => "a list of float".to_owned(),
            Batch::Handles(_) => "a list of handles".to_owned(),
            Batch::Numbers(n) if n.is_integer() => {
                "an integer array with values outside u32".to_owned()
            }
            Batch::Numbers(n) => n.type_name().to_owned(),
        }
    }
}

impl Column {
    /// Appends `len` values from `batch`, which [`Batch::check`] accepted.
    pub fn extend(&mut self, batch: &Batch<'_>, len: usize) {
        match self {
            Column::Str(c) => extend_str(c, batch, len),
            Column::Int(c) => extend_int(c, batch, len),
            Column::F64(c) => match batch {
                Batch::Numbers(n) => c.extend_from_slice(&n.to_f64()),
                _ => c.extend(float_values(batch, len).map(|v| v.unwrap_or(f64::NAN))),
            },
            Column::F64Opt(c) => extend_f64_opt(c, batch, len),
            Column::Obj(c) => match batch {
                Batch::Handles(h) => c.extend_from_slice(h),
                Batch::Numbers(n) => c.extend(n.to_i64().iter().map(|&x| x as u32)),
                Batch::Scalar(Value::Obj(h)) => c.extend_repeat(*h, len),
                _ => unreachable!("checked: handles only"),
            },
        }
    }
}

fn extend_str(column: &mut StrColumn, batch: &Batch<'_>, len: usize) {
    match batch {
        Batch::Strs { strings, codes } => {
            let table_codes: Vec<u32> = strings.iter().map(|s| column.dict.intern(s)).collect();
            for &code in codes {
                column.push_code(if code == NULL_CODE {
                    NULL_CODE
                } else {
                    table_codes[code as usize]
                });
            }
        }
        Batch::Scalar(Value::Str(s)) => {
            let code = column.dict.intern(s);
            (0..len).for_each(|_| column.push_code(code));
        }
        _ => (0..len).for_each(|_| column.push_code(NULL_CODE)),
    }
}

fn extend_int(column: &mut IntColumn, batch: &Batch<'_>, len: usize) {
    match batch {
        Batch::Numbers(n) => {
            let values = n.to_i64();
            column.values.extend_from_slice(&values);
            column.validity.push_valid(values.len());
            column.index.push_slice(&values);
        }
        Batch::Ints(values) => values.iter().for_each(|&v| column.push(v)),
        Batch::Scalar(Value::Int(v)) => {
            column.values.extend_repeat(*v, len);
            column.validity.push_valid(len);
            column.index.push_repeat(Some(*v), len);
        }
        _ => {
            column.values.extend_repeat(0, len);
            (0..len).for_each(|_| column.validity.push(false));
            column.index.push_repeat(None, len);
        }
    }
}

fn extend_f64_opt(column: &mut F64OptColumn, batch: &Batch<'_>, len: usize) {
    if let Batch::Numbers(n) = batch {
        let values = n.to_f64();
        column.values.extend_from_slice(&values);
        column.validity.push_valid(values.len());
        return;
    }
    float_values(batch, len).for_each(|v| column.push(v));
}

/// The values of a float-compatible, non-array batch.
fn float_values<'b>(
    batch: &'b Batch<'_>,
    len: usize,
) -> Box<dyn Iterator<Item = Option<f64>> + 'b> {
    match batch {
        Batch::Floats(v) => Box::new(v.iter().copied()),
        Batch::Ints(v) => Box::new(v.iter().map(|x| x.map(|x| x as f64))),
        Batch::Scalar(Value::F64(x)) => Box::new(std::iter::repeat_n(Some(*x), len)),
        Batch::Scalar(Value::Int(x)) => Box::new(std::iter::repeat_n(Some(*x as f64), len)),
        _ => Box::new(std::iter::repeat_n(None, len)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selection::Selection;
    use crate::value::ColumnValues;

    #[test]
    fn numbers_fill_numeric_columns_and_scalars_broadcast() {
        let mut values = Column::new(ColumnType::F64);
        let batch = Batch::Numbers(Numbers::I32(Cow::Owned(vec![1, 2])));
        batch.check(ColumnType::F64, "v").unwrap();
        values.extend(&batch, 2);
        values.extend(&Batch::Scalar(Value::F64(0.5)), 2);
        assert_eq!(
            values.gather(&Selection::all(4)),
            ColumnValues::F64(vec![1.0, 2.0, 0.5, 0.5])
        );
    }

    #[test]
    fn check_rejects_what_does_not_fit() {
        let floats = Batch::Numbers(Numbers::F64(Cow::Owned(vec![1.0])));
        let err = floats.check(ColumnType::Int, "epoch").unwrap_err();
        assert_eq!(
            err.to_string(),
            "column \"epoch\" expects int or None, got float64 array"
        );
        let with_none = Batch::Floats(vec![Some(1.0), None]);
        assert!(with_none.check(ColumnType::F64, "value").is_err());
        assert!(with_none.check(ColumnType::F64Opt, "value").is_ok());
        let negative = Batch::Numbers(Numbers::I64(Cow::Owned(vec![-1])));
        assert!(negative.check(ColumnType::Obj, "obj").is_err());
    }

    #[test]
    fn local_string_codes_map_to_the_table_dictionary() {
        let mut names = Column::new(ColumnType::Str);
        names.push(crate::value::Cell::Str("z"));
        let batch = Batch::Strs {
            strings: vec!["a".into(), "z".into()],
            codes: vec![1, 0, NULL_CODE],
        };
        names.extend(&batch, 3);
        let Column::Str(c) = &names else {
            unreachable!()
        };
        assert_eq!(
            [c.get(0), c.get(1), c.get(2), c.get(3)],
            [Some("z"), Some("z"), Some("a"), None]
        );
    }
}
