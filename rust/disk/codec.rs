//! The payload encodings of a table log: a schema frame, then batch frames.
//!
//! A batch is columnar: `rows: u32`, `columns: u16`, then per column its type
//! tag and its values. Strings are dictionary-coded per frame (codes 1, 2 or 4
//! bytes wide, 0 = null); nullable numbers carry a validity bitmap only when
//! some value is null. All integers are little endian.

use super::batch::{ColumnBatch, ColumnData, ColumnType, Schema};
use std::collections::HashMap;
use std::ops::Range;

/// Why a payload did not decode.
pub type DecodeError = String;

/// Encodes a schema: `columns: u16`, then per column `tag: u8, name_len: u16, name`.
pub fn encode_schema(schema: &[(String, ColumnType)], out: &mut Vec<u8>) {
    out.extend_from_slice(&(schema.len() as u16).to_le_bytes());
    for (name, kind) in schema {
        out.push(kind.tag());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
    }
}

pub fn decode_schema(payload: &[u8]) -> Result<Schema, DecodeError> {
    let mut reader = Reader::new(payload);
    let count = reader.u16()?;
    let mut schema = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let kind = reader.kind()?;
        let len = usize::from(reader.u16()?);
        let name = std::str::from_utf8(reader.take(len)?).map_err(|e| e.to_string())?;
        schema.push((name.to_owned(), kind));
    }
    reader.finish()?;
    Ok(schema)
}

/// Encodes every column of `batch` (assumed checked against its schema).
pub fn encode_batch(batch: &ColumnBatch, out: &mut Vec<u8>) {
    encode_rows(batch, 0..batch.num_rows(), out);
}

/// Encodes rows `rows` of every column of `batch`.
pub fn encode_rows(batch: &ColumnBatch, rows: Range<usize>, out: &mut Vec<u8>) {
    out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
    out.extend_from_slice(&(batch.columns.len() as u16).to_le_bytes());
    for column in &batch.columns {
        out.push(column.data.kind().tag());
        match &column.data {
            ColumnData::Str(values) => encode_strings(&values[rows.clone()], out),
            ColumnData::Int(values) => {
                encode_nullable(&values[rows.clone()], i64::to_le_bytes, out)
            }
            ColumnData::F64(values) => encode_fixed(&values[rows.clone()], f64::to_le_bytes, out),
            ColumnData::F64Opt(values) => {
                encode_nullable(&values[rows.clone()], f64::to_le_bytes, out)
            }
            ColumnData::Obj(values) => encode_fixed(&values[rows.clone()], u32::to_le_bytes, out),
        }
    }
}

fn encode_fixed<T: Copy, const N: usize>(
    values: &[T],
    to_bytes: fn(T) -> [u8; N],
    out: &mut Vec<u8>,
) {
    out.reserve(values.len() * N);
    for &value in values {
        out.extend_from_slice(&to_bytes(value));
    }
}

fn encode_strings(values: &[Option<String>], out: &mut Vec<u8>) {
    let mut codes: HashMap<&str, u32> = HashMap::new();
    let mut dictionary: Vec<&str> = Vec::new();
    let row_codes: Vec<u32> = values
        .iter()
        .map(|value| match value {
            None => 0,
            Some(s) => *codes.entry(s.as_str()).or_insert_with(|| {
                dictionary.push(s);
                dictionary.len() as u32
            }),
        })
        .collect();
    out.extend_from_slice(&(dictionary.len() as u32).to_le_bytes());
    for s in &dictionary {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    let width = code_width(dictionary.len());
    out.push(width as u8);
    for code in row_codes {
        out.extend_from_slice(&code.to_le_bytes()[..width]);
    }
}

/// Bytes per code for a dictionary of `len` strings (code 0 is null).
fn code_width(len: usize) -> usize {
    match len {
        0..=0xfe => 1,
        0xff..=0xfffe => 2,
        _ => 4,
    }
}

fn encode_nullable<T: Copy + Default, const N: usize>(
    values: &[Option<T>],
    to_bytes: fn(T) -> [u8; N],
    out: &mut Vec<u8>,
) {
    if values.iter().all(Option::is_some) {
        out.push(0);
    } else {
        out.push(1);
        let mut bitmap = vec![0u8; values.len().div_ceil(8)];
        for (i, value) in values.iter().enumerate() {
            if value.is_some() {
                bitmap[i / 8] |= 1 << (i % 8);
            }
        }
        out.extend_from_slice(&bitmap);
    }
    out.reserve(values.len() * N);
    for value in values {
        out.extend_from_slice(&to_bytes(value.unwrap_or_default()));
    }
}

/// A decoded batch whose strings still point into the payload, dictionary-coded:
/// consumers that keep strings coded (Arrow, the in-memory store, Python) skip
/// one allocation per row.
#[derive(Debug)]
pub struct RawBatch<'a> {
    pub rows: usize,
    pub columns: Vec<RawColumn<'a>>,
}

/// One decoded column: strings as a frame dictionary plus codes, others owned.
#[derive(Debug)]
pub enum RawColumn<'a> {
    /// `codes[i] == 0` is null, else the row's value is `dictionary[codes[i] - 1]`.
    Str {
        dictionary: Vec<&'a str>,
        codes: Vec<u32>,
    },
    Plain(ColumnData),
}

impl RawColumn<'_> {
    /// Rows in this column.
    pub fn len(&self) -> usize {
        match self {
            RawColumn::Str { codes, .. } => codes.len(),
            RawColumn::Plain(data) => data.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends this column's values to `out` (of the same type).
    pub fn extend_into(self, out: &mut ColumnData) {
        match (self, out) {
            (RawColumn::Str { dictionary, codes }, ColumnData::Str(values)) => {
                let text = |code: u32| {
                    dictionary
                        .get((code as usize).wrapping_sub(1))
                        .map(|s| (*s).to_owned())
                };
                values.extend(codes.into_iter().map(text));
            }
            (RawColumn::Plain(data), out) => {
                out.append(data); // callers pair columns by schema, so the types match
            }
            _ => {}
        }
    }
}

/// Decodes a batch payload and checks it against `schema`.
pub fn decode_batch(
    payload: &[u8],
    schema: &[(String, ColumnType)],
) -> Result<ColumnBatch, DecodeError> {
    let raw = decode_raw(payload, schema)?;
    let mut batch = ColumnBatch::empty(schema);
    for (column, out) in raw.columns.into_iter().zip(&mut batch.columns) {
        column.extend_into(&mut out.data);
    }
    Ok(batch)
}

/// Decodes a batch payload, strings left dictionary-coded, checked against `schema`.
pub fn decode_raw<'a>(
    payload: &'a [u8],
    schema: &[(String, ColumnType)],
) -> Result<RawBatch<'a>, DecodeError> {
    let mut reader = Reader::new(payload);
    let rows = reader.u32()? as usize;
    let count = usize::from(reader.u16()?);
    if count != schema.len() {
        return Err(format!("{count} columns, the schema has {}", schema.len()));
    }
    let mut columns = Vec::with_capacity(count);
    for (name, kind) in schema {
        let tag = reader.kind()?;
        if tag != *kind {
            return Err(format!(
                "column {name:?} is {}, the schema says {}",
                tag.name(),
                kind.name()
            ));
        }
        columns.push(decode_column(&mut reader, *kind, rows)?);
    }
    reader.finish()?;
    Ok(RawBatch { rows, columns })
}

/// Rows of a batch payload, read from its first four bytes.
pub fn batch_rows(payload: &[u8]) -> usize {
    payload
        .get(0..4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

fn decode_column<'a>(
    reader: &mut Reader<'a>,
    kind: ColumnType,
    rows: usize,
) -> Result<RawColumn<'a>, DecodeError> {
    Ok(RawColumn::Plain(match kind {
        ColumnType::Str => {
            let (dictionary, codes) = decode_strings(reader, rows)?;
            return Ok(RawColumn::Str { dictionary, codes });
        }
        ColumnType::Int => ColumnData::Int(decode_nullable(reader, rows, i64::from_le_bytes)?),
        ColumnType::F64 => ColumnData::F64(reader.fixed(rows, f64::from_le_bytes)?),
        ColumnType::F64Opt => {
            ColumnData::F64Opt(decode_nullable(reader, rows, f64::from_le_bytes)?)
        }
        ColumnType::Obj => ColumnData::Obj(reader.fixed(rows, u32::from_le_bytes)?),
    }))
}

type Dictionary<'a> = (Vec<&'a str>, Vec<u32>);

fn decode_strings<'a>(reader: &mut Reader<'a>, rows: usize) -> Result<Dictionary<'a>, DecodeError> {
    let len = reader.u32()? as usize;
    let mut dictionary = Vec::with_capacity(len.min(reader.remaining() / 4));
    for _ in 0..len {
        let size = reader.u32()? as usize;
        let text = std::str::from_utf8(reader.take(size)?).map_err(|e| e.to_string())?;
        dictionary.push(text);
    }
    let width = usize::from(reader.u8()?);
    if width != code_width(len) {
        return Err(format!(
            "string code width {width} for a dictionary of {len}"
        ));
    }
    let bytes = reader.take(rows.checked_mul(width).ok_or("too many rows")?)?;
    let codes: Vec<u32> = match width {
        1 => bytes.iter().map(|&b| u32::from(b)).collect(),
        2 => bytes
            .chunks_exact(2)
            .map(|c| u32::from(u16::from_le_bytes([c[0], c[1]])))
            .collect(),
        _ => bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    };
    match codes.iter().find(|&&code| code as usize > len) {
        Some(code) => Err(format!("string code {code} outside a dictionary of {len}")),
        None => Ok((dictionary, codes)),
    }
}

fn decode_nullable<T, const N: usize>(
    reader: &mut Reader<'_>,
    rows: usize,
    from_bytes: fn([u8; N]) -> T,
) -> Result<Vec<Option<T>>, DecodeError> {
    let bitmap = match reader.u8()? {
        0 => None,
        1 => Some(reader.take(rows.div_ceil(8))?),
        flag => return Err(format!("validity flag {flag}")),
    };
    let values = reader.fixed(rows, from_bytes)?;
    Ok(match bitmap {
        None => values.into_iter().map(Some).collect(),
        Some(bits) => values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (bits[i / 8] >> (i % 8) & 1 == 1).then_some(v))
            .collect(),
    })
}

/// Bounds-checked reads from a payload; every failure is an `Err`, never a panic.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], DecodeError> {
        if len > self.remaining() {
            return Err(format!(
                "needs {len} bytes at {}, {} left",
                self.pos,
                self.remaining()
            ));
        }
        let slice = &self.bytes[self.pos..self.pos + len];
        self.pos += len;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        self.array().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        self.array().map(u32::from_le_bytes)
    }

    fn kind(&mut self) -> Result<ColumnType, DecodeError> {
        let tag = self.u8()?;
        ColumnType::from_tag(tag).ok_or_else(|| format!("unknown column type tag {tag}"))
    }

    /// `rows` fixed-width values.
    fn fixed<T, const N: usize>(
        &mut self,
        rows: usize,
        from_bytes: fn([u8; N]) -> T,
    ) -> Result<Vec<T>, DecodeError> {
        let bytes = self.take(rows.checked_mul(N).ok_or("too many rows")?)?;
        Ok(bytes
            .chunks_exact(N)
            .map(|chunk| {
                let mut word = [0u8; N];
                word.copy_from_slice(chunk);
                from_bytes(word)
            })
            .collect())
    }

    fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            extra => Err(format!("{extra} bytes left over")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disk::batch::Column;

    pub(crate) fn every_type() -> ColumnBatch {
        let text = |s: &str| Some(s.to_owned());
        ColumnBatch {
            columns: vec![
                Column {
                    name: "name".into(),
                    data: ColumnData::Str(vec![text("loss"), None, text("ünï/λ"), text("loss")]),
                },
                Column {
                    name: "epoch".into(),
                    data: ColumnData::Int(vec![Some(0), None, Some(-5), Some(i64::MAX)]),
                },
                Column {
                    name: "value".into(),
                    data: ColumnData::F64(vec![0.5, f64::NAN, -0.0, 1e300]),
                },
                Column {
                    name: "aux".into(),
                    data: ColumnData::F64Opt(vec![None, Some(2.5), None, Some(1.0)]),
                },
                Column {
                    name: "obj".into(),
                    data: ColumnData::Obj(vec![0, 1, u32::MAX, 7]),
                },
            ],
        }
    }

    fn same(a: &ColumnBatch, b: &ColumnBatch) -> bool {
        format!("{a:?}") == format!("{b:?}") // NaN != NaN, but prints the same
    }

    #[test]
    fn batches_round_trip_every_type() {
        let batch = every_type();
        let mut payload = Vec::new();
        encode_batch(&batch, &mut payload);
        assert!(same(
            &decode_batch(&payload, &batch.schema()).unwrap(),
            &batch
        ));
        let mut schema_bytes = Vec::new();
        encode_schema(&batch.schema(), &mut schema_bytes);
        assert_eq!(decode_schema(&schema_bytes).unwrap(), batch.schema());
    }

    #[test]
    fn wide_dictionaries_round_trip() {
        for distinct in [254usize, 255, 300, 70_000] {
            let values: Vec<Option<String>> = (0..distinct + 3)
                .map(|i| Some(format!("s{}", i % distinct)))
                .collect();
            let batch = ColumnBatch {
                columns: vec![Column {
                    name: "s".into(),
                    data: ColumnData::Str(values),
                }],
            };
            let mut payload = Vec::new();
            encode_batch(&batch, &mut payload);
            assert_eq!(
                decode_batch(&payload, &batch.schema()).unwrap(),
                batch,
                "{distinct}"
            );
        }
    }

    #[test]
    fn truncated_or_mismatched_payloads_are_errors() {
        let batch = every_type();
        let mut payload = Vec::new();
        encode_batch(&batch, &mut payload);
        for cut in 0..payload.len() {
            assert!(
                decode_batch(&payload[..cut], &batch.schema()).is_err(),
                "cut at {cut}"
            );
        }
        let wrong = vec![("name".to_string(), ColumnType::Int)];
        assert!(decode_batch(&payload, &wrong).is_err());
        for at in 0..payload.len() {
            let mut damaged = payload.clone();
            damaged[at] ^= 0xff;
            let _ = decode_batch(&damaged, &batch.schema()); // must not panic
        }
    }
}
