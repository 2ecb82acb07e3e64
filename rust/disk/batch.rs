//! The plain data that crosses into the disk layer: a batch of typed columns.
//!
//! It mirrors the store's column types (`str`, `int`, `f64`, `f64?`, `obj`) so
//! the in-memory table and the on-disk format meet without sharing code.

use crate::error::{StoreError, StoreResult};

/// The type of one column, as written in a schema (`"str"`, `"int"`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Str,
    Int,
    F64,
    F64Opt,
    Obj,
}

impl ColumnType {
    /// Every type, in tag order (the tag is the position + 1).
    pub const ALL: [ColumnType; 5] = [Self::Str, Self::Int, Self::F64, Self::F64Opt, Self::Obj];

    /// Parses a schema type name: `str`, `int`, `f64`, `f64?` or `obj`.
    pub fn parse(name: &str) -> StoreResult<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| StoreError::InvalidBatch {
                reason: format!(
                    "unknown column type {name:?}; expected str, int, f64, f64? or obj"
                ),
            })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Str => "str",
            Self::Int => "int",
            Self::F64 => "f64",
            Self::F64Opt => "f64?",
            Self::Obj => "obj",
        }
    }

    /// The one-byte tag used on disk.
    pub fn tag(self) -> u8 {
        Self::ALL.iter().position(|&kind| kind == self).unwrap_or(0) as u8 + 1
    }

    pub fn from_tag(tag: u8) -> Option<Self> {
        Self::ALL.get(usize::from(tag).checked_sub(1)?).copied()
    }
}

/// A column's values; nullable variants hold `Option`s.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    Str(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    F64(Vec<f64>),
    F64Opt(Vec<Option<f64>>),
    Obj(Vec<u32>),
}

impl ColumnData {
    /// An empty column of `kind`.
    pub fn empty(kind: ColumnType) -> Self {
        match kind {
            ColumnType::Str => Self::Str(Vec::new()),
            ColumnType::Int => Self::Int(Vec::new()),
            ColumnType::F64 => Self::F64(Vec::new()),
            ColumnType::F64Opt => Self::F64Opt(Vec::new()),
            ColumnType::Obj => Self::Obj(Vec::new()),
        }
    }

    pub fn kind(&self) -> ColumnType {
        match self {
            Self::Str(_) => ColumnType::Str,
            Self::Int(_) => ColumnType::Int,
            Self::F64(_) => ColumnType::F64,
            Self::F64Opt(_) => ColumnType::F64Opt,
            Self::Obj(_) => ColumnType::Obj,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Self::Str(values) => values.len(),
            Self::Int(values) => values.len(),
            Self::F64(values) => values.len(),
            Self::F64Opt(values) => values.len(),
            Self::Obj(values) => values.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Room for `additional` more values.
    pub fn reserve(&mut self, additional: usize) {
        match self {
            Self::Str(values) => values.reserve(additional),
            Self::Int(values) => values.reserve(additional),
            Self::F64(values) => values.reserve(additional),
            Self::F64Opt(values) => values.reserve(additional),
            Self::Obj(values) => values.reserve(additional),
        }
    }

    /// Moves `other`'s values to the end of this column; false (and nothing
    /// moved) when the types differ.
    pub fn append(&mut self, other: ColumnData) -> bool {
        match (self, other) {
            (Self::Str(a), Self::Str(mut b)) => a.append(&mut b),
            (Self::Int(a), Self::Int(mut b)) => a.append(&mut b),
            (Self::F64(a), Self::F64(mut b)) => a.append(&mut b),
            (Self::F64Opt(a), Self::F64Opt(mut b)) => a.append(&mut b),
            (Self::Obj(a), Self::Obj(mut b)) => a.append(&mut b),
            _ => return false,
        }
        true
    }
}

/// One named column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub data: ColumnData,
}

/// Column names and types, in order.
pub type Schema = Vec<(String, ColumnType)>;

/// Rows of a table, column by column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnBatch {
    pub columns: Vec<Column>,
}

impl ColumnBatch {
    /// An empty batch with the columns of `schema`.
    pub fn empty(schema: &[(String, ColumnType)]) -> Self {
        let columns = schema
            .iter()
            .map(|(name, kind)| Column {
                name: name.clone(),
                data: ColumnData::empty(*kind),
            })
            .collect();
        Self { columns }
    }

    /// Rows in the batch (0 when it has no columns).
    pub fn num_rows(&self) -> usize {
        self.columns.first().map_or(0, |column| column.data.len())
    }

    pub fn schema(&self) -> Schema {
        self.columns
            .iter()
            .map(|c| (c.name.clone(), c.data.kind()))
            .collect()
    }

    pub fn column(&self, name: &str) -> Option<&ColumnData> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.data)
    }

    /// Checks that the batch has exactly `schema`'s columns, in order, of equal length.
    pub fn check(&self, schema: &[(String, ColumnType)]) -> StoreResult<()> {
        if self.schema() != schema {
            return Err(invalid(format!(
                "columns {} do not match the schema {}",
                describe(&self.schema()),
                describe(schema)
            )));
        }
        let rows = self.num_rows();
        match self.columns.iter().find(|c| c.data.len() != rows) {
            Some(c) => Err(invalid(format!(
                "column {:?} has {} values, column {:?} has {rows}",
                c.name,
                c.data.len(),
                self.columns[0].name
            ))),
            None => Ok(()),
        }
    }

    /// Moves `other`'s rows to the end of this batch; both must have the same schema.
    pub fn append(&mut self, other: ColumnBatch) -> StoreResult<()> {
        if self.schema() != other.schema() {
            return Err(invalid("appended batch has a different schema".into()));
        }
        for (mine, theirs) in self.columns.iter_mut().zip(other.columns) {
            mine.data.append(theirs.data);
        }
        Ok(())
    }
}

/// `[name: type, ...]`, for messages.
pub fn describe(schema: &[(String, ColumnType)]) -> String {
    let parts: Vec<String> = schema
        .iter()
        .map(|(name, kind)| format!("{name}: {}", kind.name()))
        .collect();
    format!("[{}]", parts.join(", "))
}

fn invalid(reason: String) -> StoreError {
    StoreError::InvalidBatch { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics() -> ColumnBatch {
        ColumnBatch {
            columns: vec![
                Column {
                    name: "name".into(),
                    data: ColumnData::Str(vec![Some("loss".into()), None]),
                },
                Column {
                    name: "value".into(),
                    data: ColumnData::F64(vec![1.0, 2.0]),
                },
            ],
        }
    }

    #[test]
    fn type_names_and_tags_round_trip() {
        for kind in ColumnType::ALL {
            assert_eq!(ColumnType::parse(kind.name()).unwrap(), kind);
            assert_eq!(ColumnType::from_tag(kind.tag()), Some(kind));
        }
        assert_eq!(ColumnType::from_tag(0), None);
        assert_eq!(ColumnType::from_tag(6), None);
        assert!(ColumnType::parse("float")
            .unwrap_err()
            .to_string()
            .contains("\"float\""));
    }

    #[test]
    fn check_names_schema_and_length_mismatches() {
        let batch = metrics();
        batch.check(&batch.schema()).unwrap();
        let other = vec![("name".to_string(), ColumnType::Str)];
        assert!(batch
            .check(&other)
            .unwrap_err()
            .to_string()
            .contains("do not match"));
        let mut ragged = metrics();
        ragged.columns[1].data = ColumnData::F64(vec![1.0]);
        let err = ragged.check(&batch.schema()).unwrap_err().to_string();
        assert!(err.contains("\"value\" has 1 values"), "{err}");
    }

    #[test]
    fn append_moves_rows() {
        let mut batch = metrics();
        batch.append(metrics()).unwrap();
        assert_eq!(batch.num_rows(), 4);
        assert_eq!(
            batch.column("value"),
            Some(&ColumnData::F64(vec![1.0, 2.0, 1.0, 2.0]))
        );
        assert!(batch.append(ColumnBatch::default()).is_err());
    }
}
