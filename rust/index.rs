//! Indexes kept on append, answering "which rows hold this value" in
//! O(log n + matches): per-code row lists for strings, per-value row ranges
//! for integers.

use std::mem::size_of;

use rustc_hash::FxHashMap;

use crate::chunked::{CHUNK, CHUNK_BITS};
use crate::value::NULL_CODE;

/// Row lists of one full chunk, grouped by code: `rows[starts[i]..starts[i + 1]]`
/// are the offsets (inside the chunk) of the rows holding `codes[i]`.
#[derive(Debug, Clone)]
struct ChunkLists {
    codes: Box<[u32]>,
    starts: Box<[u32]>,
    rows: Box<[u16]>,
}

impl ChunkLists {
    fn rows_of(&self, code: u32) -> &[u16] {
        match self.codes.binary_search(&code) {
            Ok(i) => &self.rows[self.starts[i] as usize..self.starts[i + 1] as usize],
            Err(_) => &[],
        }
    }

    fn nbytes(&self) -> usize {
        self.codes.len() * 4 + self.starts.len() * 4 + self.rows.len() * 2
    }
}

/// Per-code sorted row lists of a dictionary-coded column, two bytes a row.
#[derive(Debug, Clone, Default)]
pub struct StrIndex {
    sealed: Vec<ChunkLists>,
    /// Offsets in the growing chunk, by code; the last slot is for nulls.
    active: Vec<Vec<u16>>,
    active_len: usize,
}

impl StrIndex {
    #[inline]
    pub fn push(&mut self, code: u32) {
        if self.active_len == CHUNK {
            self.seal();
        }
        let slot = self.slot(code);
        self.active[slot].push(self.active_len as u16);
        self.active_len += 1;
    }

    /// Appends `count` rows holding `code`.
    pub fn push_repeat(&mut self, code: u32, mut count: usize) {
        while count > 0 {
            if self.active_len == CHUNK {
                self.seal();
            }
            let take = count.min(CHUNK - self.active_len);
            let slot = self.slot(code);
            let first = self.active_len;
            self.active[slot].extend((first..first + take).map(|o| o as u16));
            self.active_len += take;
            count -= take;
        }
    }

    /// Rows in `[start, end)` holding `code`, ascending.
    pub fn rows(&self, code: u32, start: usize, end: usize, out: &mut Vec<u32>) {
        if start >= end {
            return;
        }
        for chunk in start >> CHUNK_BITS..=(end - 1) >> CHUNK_BITS {
            let base = chunk * CHUNK;
            let offsets: &[u16] = match self.sealed.get(chunk) {
                Some(lists) => lists.rows_of(code),
                None => self.active_rows(code),
            };
            let lo = offsets.partition_point(|&o| base + (o as usize) < start);
            let hi = offsets.partition_point(|&o| base + (o as usize) < end);
            out.extend(offsets[lo..hi].iter().map(|&o| (base + o as usize) as u32));
        }
    }

    pub fn nbytes(&self) -> usize {
        let sealed: usize = self.sealed.iter().map(ChunkLists::nbytes).sum();
        let active: usize = self
            .active
            .iter()
            .map(|l| l.capacity() * 2 + size_of::<Vec<u16>>())
            .sum();
        sealed + active + self.sealed.capacity() * size_of::<ChunkLists>()
    }

    fn active_rows(&self, code: u32) -> &[u16] {
        let slot = if code == NULL_CODE {
            0
        } else {
            code as usize + 1
        };
        self.active.get(slot).map_or(&[], Vec::as_slice)
    }

    /// Slot 0 holds nulls, slot `code + 1` holds `code`.
    #[inline]
    fn slot(&mut self, code: u32) -> usize {
        let slot = if code == NULL_CODE {
            0
        } else {
            code as usize + 1
        };
        if slot >= self.active.len() {
            self.active.resize_with(slot + 1, Vec::new);
        }
        slot
    }

    fn seal(&mut self) {
        let (mut codes, mut starts, mut rows) = (Vec::new(), Vec::new(), Vec::with_capacity(CHUNK));
        // Codes ascending with null (u32::MAX) last, so lookups binary-search.
        let order = (1..self.active.len()).chain(std::iter::once(0));
        for slot in order {
            let list = &mut self.active[slot];
            if list.is_empty() {
                continue;
            }
            codes.push(if slot == 0 {
                NULL_CODE
            } else {
                slot as u32 - 1
            });
            starts.push(rows.len() as u32);
            rows.extend_from_slice(list);
            list.clear();
        }
        starts.push(rows.len() as u32);
        self.sealed.push(ChunkLists {
            codes: codes.into_boxed_slice(),
            starts: starts.into_boxed_slice(),
            rows: rows.into_boxed_slice(),
        });
        self.active_len = 0;
    }
}

/// Integer key of the run index: `None` is null.
type IntKey = Option<i64>;

/// Per-value lists of row ranges of an integer column. Values that arrive in
/// runs (epochs) cost a few bytes per run; a column that fragments into more
/// than one run per `MAX_ROWS_PER_RUN` rows drops its index and is scanned.
#[derive(Debug, Clone, Default)]
pub struct IntIndex {
    runs: FxHashMap<IntKey, Vec<(u32, u32)>>,
    current: Option<(IntKey, u32)>,
    run_count: usize,
    len: usize,
    dropped: bool,
}

/// Fewer rows per run than this (past `MIN_RUNS_TO_DROP` runs) drops the index.
const MAX_ROWS_PER_RUN: usize = 16;
const MIN_RUNS_TO_DROP: usize = 4096;

impl IntIndex {
    #[inline]
    pub fn push(&mut self, value: IntKey) {
        if !self.dropped {
            match self.current {
                Some((key, _)) if key == value => {}
                Some((key, start)) => self.close_run(key, start, value),
                None => self.current = Some((value, self.len as u32)),
            }
        }
        self.len += 1;
    }

    /// Appends `count` rows holding `value`: one run at most.
    pub fn push_repeat(&mut self, value: IntKey, count: usize) {
        if count > 0 {
            self.push(value);
            self.len += count - 1;
        }
    }

    /// Appends the values of `values`, all non-null.
    pub fn push_slice(&mut self, values: &[i64]) {
        if self.dropped {
            self.len += values.len();
            return;
        }
        values.iter().for_each(|&v| self.push(Some(v)));
    }

    /// Whether the index is kept (else callers scan the column).
    pub fn is_kept(&self) -> bool {
        !self.dropped
    }

    /// Row ranges in `[start, end)` holding `value`, ascending; `None` when
    /// the index was dropped.
    pub fn ranges(&self, value: IntKey, start: usize, end: usize) -> Option<Vec<(u32, u32)>> {
        if self.dropped {
            return None;
        }
        let (start, end) = (start as u32, end.min(self.len) as u32);
        let closed = self.runs.get(&value).map_or(&[][..], Vec::as_slice);
        let current = match self.current {
            Some((key, from)) if key == value => Some((from, self.len as u32)),
            _ => None,
        };
        let first = closed.partition_point(|&(_, stop)| stop <= start);
        let clipped = closed[first..]
            .iter()
            .copied()
            .chain(current)
            .take_while(|&(from, _)| from < end)
            .map(|(from, stop)| (from.max(start), stop.min(end)))
            .filter(|(from, stop)| from < stop);
        Some(clipped.collect())
    }

    pub fn nbytes(&self) -> usize {
        let lists: usize = self.runs.values().map(|v| v.capacity() * 8).sum();
        lists + self.runs.capacity() * (size_of::<IntKey>() + size_of::<Vec<(u32, u32)>>() + 1)
    }

    fn close_run(&mut self, key: IntKey, start: u32, next: IntKey) {
        self.runs
            .entry(key)
            .or_default()
            .push((start, self.len as u32));
        self.run_count += 1;
        self.current = Some((next, self.len as u32));
        if self.run_count > MIN_RUNS_TO_DROP && self.run_count * MAX_ROWS_PER_RUN > self.len {
            self.dropped = true;
            self.runs = FxHashMap::default();
            self.current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_index_lists_rows_per_code_across_chunks() {
        let mut index = StrIndex::default();
        let codes: Vec<u32> = (0..CHUNK * 2 + 100)
            .map(|i| {
                if i % 7 == 0 {
                    NULL_CODE
                } else {
                    (i % 3) as u32
                }
            })
            .collect();
        for &code in &codes {
            index.push(code);
        }
        for code in [0, 1, 2, NULL_CODE, 9] {
            let mut rows = Vec::new();
            index.rows(code, 5, codes.len() - 3, &mut rows);
            let expected: Vec<u32> = (5..codes.len() - 3)
                .filter(|&i| codes[i] == code)
                .map(|i| i as u32)
                .collect();
            assert_eq!(rows, expected, "code {code}");
        }
    }

    #[test]
    fn int_index_keeps_runs_and_clips_them() {
        let mut index = IntIndex::default();
        let values: Vec<IntKey> = [0, 0, 0, 1, 1, 0, 2, 2, 2]
            .iter()
            .map(|&v| Some(v))
            .chain([None, None])
            .collect();
        for &v in &values {
            index.push(v);
        }
        assert_eq!(index.ranges(Some(0), 0, 11).unwrap(), [(0, 3), (5, 6)]);
        assert_eq!(index.ranges(Some(2), 0, 8).unwrap(), [(6, 8)]);
        assert_eq!(index.ranges(Some(0), 1, 11).unwrap(), [(1, 3), (5, 6)]);
        assert_eq!(index.ranges(None, 0, 11).unwrap(), [(9, 11)]);
        assert_eq!(index.ranges(Some(5), 0, 11).unwrap(), []);
    }

    #[test]
    fn repeated_pushes_match_single_pushes() {
        let (mut bulk, mut single) = (StrIndex::default(), StrIndex::default());
        let (mut bulk_ints, mut single_ints) = (IntIndex::default(), IntIndex::default());
        for (code, count) in [(0u32, CHUNK - 3), (NULL_CODE, 10), (1, CHUNK + 5), (0, 2)] {
            bulk.push_repeat(code, count);
            bulk_ints.push_repeat(Some(i64::from(code % 7)), count);
            for _ in 0..count {
                single.push(code);
                single_ints.push(Some(i64::from(code % 7)));
            }
        }
        let end = CHUNK * 2 + 14;
        for code in [0, 1, NULL_CODE] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            bulk.rows(code, 1, end, &mut a);
            single.rows(code, 1, end, &mut b);
            assert_eq!(a, b);
            let key = Some(i64::from(code % 7));
            assert_eq!(
                bulk_ints.ranges(key, 1, end),
                single_ints.ranges(key, 1, end)
            );
        }
    }

    #[test]
    fn int_index_drops_itself_when_values_do_not_run() {
        let mut index = IntIndex::default();
        for i in 0..100_000 {
            index.push(Some(i % 5));
        }
        assert!(!index.is_kept());
        assert_eq!(index.ranges(Some(1), 0, 10), None);
        assert_eq!(index.nbytes(), 0);
    }
}
