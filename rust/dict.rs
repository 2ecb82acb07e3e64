//! Dictionary encoding for string axis columns: each distinct string gets a
//! dense `u32` code in first-seen order.

use rustc_hash::FxHashMap;

use crate::error::{StoreError, StoreResult};

/// Interns strings to dense codes, in first-seen order.
#[derive(Debug, Default, Clone)]
pub struct StringDict {
    codes: FxHashMap<String, u32>,
    strings: Vec<String>,
}

impl StringDict {
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the code of `s`, adding it if it is new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&code) = self.codes.get(s) {
            return code;
        }
        let code = self.strings.len() as u32;
        self.strings.push(s.to_owned());
        self.codes.insert(s.to_owned(), code);
        code
    }

    /// The code of `s`, if it was interned.
    pub fn code(&self, s: &str) -> Option<u32> {
        self.codes.get(s).copied()
    }

    /// The string behind `code`.
    pub fn lookup(&self, code: u32) -> StoreResult<&str> {
        self.strings
            .get(code as usize)
            .map(String::as_str)
            .ok_or(StoreError::UnknownCode {
                code,
                len: self.strings.len(),
            })
    }

    /// The string behind `code`, which must come from this dictionary.
    #[inline]
    pub fn get(&self, code: u32) -> &str {
        &self.strings[code as usize]
    }

    pub fn strings(&self) -> &[String] {
        &self.strings
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// Bytes held by the strings and the lookup table.
    pub fn nbytes(&self) -> usize {
        let text: usize = self.strings.iter().map(|s| s.capacity() * 2 + 24).sum();
        text + self.codes.capacity() * 40
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_dense_and_first_seen() {
        let mut dict = StringDict::new();
        assert_eq!(dict.intern("train_loss"), 0);
        assert_eq!(dict.intern("val_loss"), 1);
        assert_eq!(dict.intern("train_loss"), 0);
        assert_eq!(dict.len(), 2);
        assert_eq!(dict.lookup(1).unwrap(), "val_loss");
        assert_eq!(dict.code("missing"), None);
    }

    #[test]
    fn unknown_code_is_an_error() {
        let dict = StringDict::new();
        let err = dict.lookup(3).unwrap_err();
        assert!(err.to_string().contains("unknown dictionary code 3"));
    }
}
