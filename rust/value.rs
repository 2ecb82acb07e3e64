//! Plain values crossing the core's API: borrowed cells going in, owned
//! values and gathered columns coming out.

/// Dictionary code that marks a null string.
pub const NULL_CODE: u32 = u32::MAX;

/// One input value, borrowed from the caller (used by `append`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Null,
    Str(&'a str),
    Int(i64),
    F64(f64),
    Obj(u32),
}

/// One owned value (a row's field, a broadcast scalar, a `where_in` key).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Str(String),
    Int(i64),
    F64(f64),
    Obj(u32),
}

impl Value {
    pub fn as_cell(&self) -> Cell<'_> {
        match self {
            Value::Null => Cell::Null,
            Value::Str(s) => Cell::Str(s),
            Value::Int(v) => Cell::Int(*v),
            Value::F64(v) => Cell::F64(*v),
            Value::Obj(h) => Cell::Obj(*h),
        }
    }

    /// The Python-ish type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        self.as_cell().type_name()
    }
}

impl Cell<'_> {
    pub fn type_name(&self) -> &'static str {
        match self {
            Cell::Null => "None",
            Cell::Str(_) => "str",
            Cell::Int(_) => "int",
            Cell::F64(_) => "float",
            Cell::Obj(_) => "obj",
        }
    }

    pub fn as_int(self) -> Option<i64> {
        match self {
            Cell::Int(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_float(self) -> Option<f64> {
        match self {
            Cell::F64(v) => Some(v),
            _ => None,
        }
    }

    pub fn to_value(self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Str(s) => Value::Str(s.to_owned()),
            Cell::Int(v) => Value::Int(v),
            Cell::F64(v) => Value::F64(v),
            Cell::Obj(h) => Value::Obj(h),
        }
    }
}

/// A column's values for some rows, in row order.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    /// Codes into `strings` (local to this result; `NULL_CODE` is null).
    Str {
        strings: Vec<String>,
        codes: Vec<u32>,
    },
    Int(Vec<Option<i64>>),
    F64(Vec<f64>),
    F64Opt(Vec<Option<f64>>),
    Obj(Vec<u32>),
}

impl ColumnValues {
    pub fn len(&self) -> usize {
        match self {
            ColumnValues::Str { codes, .. } => codes.len(),
            ColumnValues::Int(v) => v.len(),
            ColumnValues::F64(v) => v.len(),
            ColumnValues::F64Opt(v) => v.len(),
            ColumnValues::Obj(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `index` (tests and small results).
    pub fn get(&self, index: usize) -> Value {
        match self {
            ColumnValues::Str { strings, codes } => match codes[index] {
                NULL_CODE => Value::Null,
                code => Value::Str(strings[code as usize].clone()),
            },
            ColumnValues::Int(v) => v[index].map_or(Value::Null, Value::Int),
            ColumnValues::F64(v) => Value::F64(v[index]),
            ColumnValues::F64Opt(v) => v[index].map_or(Value::Null, Value::F64),
            ColumnValues::Obj(v) => Value::Obj(v[index]),
        }
    }
}
