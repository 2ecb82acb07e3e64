//! Column types and the schema of a table: names in order, one type each.

use crate::error::{StoreError, StoreResult};

/// The storage type of one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Dictionary-coded string, nullable.
    Str,
    /// `i64`, nullable.
    Int,
    /// `f64`, never null.
    F64,
    /// `f64` with validity, nullable.
    F64Opt,
    /// `u32` handle into a Python-side list of objects.
    Obj,
}

/// The type names a schema may use, in the order of [`ColumnType`].
pub const TYPE_NAMES: &[&str] = &["str", "int", "f64", "f64?", "obj"];

impl ColumnType {
    /// Parses a schema type name (`"str"`, `"int"`, `"f64"`, `"f64?"`, `"obj"`).
    pub fn parse(column: &str, kind: &str) -> StoreResult<Self> {
        Ok(match kind {
            "str" => Self::Str,
            "int" => Self::Int,
            "f64" => Self::F64,
            "f64?" => Self::F64Opt,
            "obj" => Self::Obj,
            _ => {
                return Err(StoreError::UnknownType {
                    column: column.to_owned(),
                    kind: kind.to_owned(),
                    allowed: TYPE_NAMES,
                })
            }
        })
    }

    /// The schema name of this type.
    pub fn name(self) -> &'static str {
        match self {
            Self::Str => "str",
            Self::Int => "int",
            Self::F64 => "f64",
            Self::F64Opt => "f64?",
            Self::Obj => "obj",
        }
    }

    /// What a value of this column must be, in words, for error messages.
    pub fn expected(self) -> &'static str {
        match self {
            Self::Str => "str or None",
            Self::Int => "int or None",
            Self::F64 => "float",
            Self::F64Opt => "float or None",
            Self::Obj => "int handle (0 <= h < 2**32)",
        }
    }

    pub fn nullable(self) -> bool {
        matches!(self, Self::Str | Self::Int | Self::F64Opt)
    }

    /// Whether `collapse` reduces this column (instead of dropping it).
    pub fn is_value(self) -> bool {
        matches!(self, Self::F64 | Self::F64Opt | Self::Obj)
    }
}

/// Column names in order, with their types.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    names: Vec<String>,
    types: Vec<ColumnType>,
}

impl Schema {
    /// Builds a schema from `(name, type name)` pairs; names must be unique.
    pub fn parse<S: AsRef<str>>(columns: &[(S, S)]) -> StoreResult<Self> {
        let mut schema = Self::new(Vec::new());
        for (name, kind) in columns {
            let (name, kind) = (name.as_ref(), kind.as_ref());
            schema.push(name, ColumnType::parse(name, kind)?)?;
        }
        Ok(schema)
    }

    pub fn new(columns: Vec<(String, ColumnType)>) -> Self {
        let (names, types) = columns.into_iter().unzip();
        Self { names, types }
    }

    /// Adds a column at the end; the name must be new.
    pub fn push(&mut self, name: &str, kind: ColumnType) -> StoreResult<()> {
        if self.names.iter().any(|n| n == name) {
            return Err(StoreError::DuplicateColumn {
                column: name.to_owned(),
            });
        }
        self.names.push(name.to_owned());
        self.types.push(kind);
        Ok(())
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn types(&self) -> &[ColumnType] {
        &self.types
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn name(&self, index: usize) -> &str {
        &self.names[index]
    }

    pub fn kind(&self, index: usize) -> ColumnType {
        self.types[index]
    }

    /// The position of `name`, or `UnknownColumn` listing the columns.
    pub fn index_of(&self, name: &str) -> StoreResult<usize> {
        self.names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| StoreError::UnknownColumn {
                column: name.to_owned(),
                available: self.names.clone(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_type_in_order() {
        let schema = Schema::parse(&[
            ("a", "str"),
            ("b", "int"),
            ("c", "f64"),
            ("d", "f64?"),
            ("e", "obj"),
        ])
        .unwrap();
        assert_eq!(schema.names(), ["a", "b", "c", "d", "e"]);
        assert_eq!(
            schema.types(),
            [
                ColumnType::Str,
                ColumnType::Int,
                ColumnType::F64,
                ColumnType::F64Opt,
                ColumnType::Obj
            ]
        );
        assert_eq!(schema.index_of("d").unwrap(), 3);
    }

    #[test]
    fn rejects_unknown_types_duplicates_and_columns() {
        let err = Schema::parse(&[("a", "float")]).unwrap_err();
        assert!(err.to_string().contains("\"float\""), "{err}");
        let err = Schema::parse(&[("a", "int"), ("a", "str")]).unwrap_err();
        assert!(matches!(err, StoreError::DuplicateColumn { .. }));
        let schema = Schema::parse(&[("a", "int")]).unwrap();
        let err = schema.index_of("z").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown column \"z\"; the columns are [\"a\"]"
        );
    }
}
