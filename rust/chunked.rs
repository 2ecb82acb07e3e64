//! Bounded column storage: fixed-size chunks, so growth never copies the
//! whole column and spare capacity is at most one chunk.

use std::mem::size_of;

/// log2 of the rows per chunk.
pub const CHUNK_BITS: u32 = 14;
/// Rows per chunk; row offsets inside a chunk fit a `u16`.
pub const CHUNK: usize = 1 << CHUNK_BITS;
const MASK: usize = CHUNK - 1;

/// An append-only vector stored as full chunks plus one growing chunk.
#[derive(Debug, Clone)]
pub struct ChunkedVec<T> {
    sealed: Vec<Box<[T]>>,
    active: Vec<T>,
}

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        Self {
            sealed: Vec::new(),
            active: Vec::new(),
        }
    }
}

impl<T: Copy> ChunkedVec<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.sealed.len() * CHUNK + self.active.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn push(&mut self, value: T) {
        if self.active.len() == CHUNK {
            self.seal();
        }
        self.active.push(value);
    }

    /// Appends `values`, filling chunks with bulk copies.
    pub fn extend_from_slice(&mut self, mut values: &[T]) {
        while !values.is_empty() {
            if self.active.len() == CHUNK {
                self.seal();
            }
            let take = values.len().min(CHUNK - self.active.len());
            self.reserve_active(take);
            self.active.extend_from_slice(&values[..take]);
            values = &values[take..];
        }
    }

    /// Appends every item of `values`.
    pub fn extend<I: IntoIterator<Item = T>>(&mut self, values: I) {
        for value in values {
            self.push(value);
        }
    }

    /// Appends `value` `count` times.
    pub fn extend_repeat(&mut self, value: T, mut count: usize) {
        while count > 0 {
            if self.active.len() == CHUNK {
                self.seal();
            }
            let take = count.min(CHUNK - self.active.len());
            self.reserve_active(take);
            self.active.extend(std::iter::repeat_n(value, take));
            count -= take;
        }
    }

    #[inline]
    pub fn get(&self, index: usize) -> T {
        let chunk = index >> CHUNK_BITS;
        match self.sealed.get(chunk) {
            Some(full) => full[index & MASK],
            None => self.active[index - self.sealed.len() * CHUNK],
        }
    }

    /// The values of chunk `index` (full chunks, then the growing one).
    #[inline]
    pub fn chunk(&self, index: usize) -> &[T] {
        self.sealed.get(index).map_or(&self.active, |full| full)
    }

    /// The last value, for in-place updates of the newest element.
    pub fn last_mut(&mut self) -> Option<&mut T> {
        self.active.last_mut()
    }

    /// Calls `f(offset, slice)` for the slices covering rows `[start, end)`.
    pub fn for_each_slice(&self, start: usize, end: usize, mut f: impl FnMut(usize, &[T])) {
        let mut row = start;
        while row < end {
            let chunk = row >> CHUNK_BITS;
            let data: &[T] = match self.sealed.get(chunk) {
                Some(full) => full,
                None => &self.active,
            };
            let first = row & MASK;
            let stop = (end - chunk * CHUNK).min(data.len());
            f(row, &data[first..stop]);
            row = chunk * CHUNK + stop;
        }
    }

    /// Bytes held, counting spare capacity.
    pub fn nbytes(&self) -> usize {
        let sealed = self.sealed.len() * CHUNK * size_of::<T>();
        sealed
            + self.active.capacity() * size_of::<T>()
            + self.sealed.capacity() * size_of::<Box<[T]>>()
    }

    fn seal(&mut self) {
        let full = std::mem::take(&mut self.active);
        self.sealed.push(full.into_boxed_slice());
    }

    /// Grows the active chunk in powers of two, never past `CHUNK`.
    fn reserve_active(&mut self, additional: usize) {
        let needed = self.active.len() + additional;
        if needed > self.active.capacity() {
            let target = needed.next_power_of_two().min(CHUNK);
            self.active.reserve_exact(target - self.active.len());
        }
    }
}

/// Null flags of a column: no storage until the first null arrives.
#[derive(Debug, Clone, Default)]
pub struct Validity {
    words: ChunkedVec<u64>,
    len: usize,
    nulls: usize,
    materialized: bool,
}

impl Validity {
    #[inline]
    pub fn push(&mut self, valid: bool) {
        if !valid && !self.materialized {
            self.materialize();
        }
        if self.materialized {
            let bit = self.len & 63;
            if bit == 0 {
                self.words.push(0);
            }
            if valid {
                *self.words.last_mut().expect("a word was pushed") |= 1 << bit;
            }
        }
        self.nulls += usize::from(!valid);
        self.len += 1;
    }

    /// Appends `count` valid flags.
    pub fn push_valid(&mut self, count: usize) {
        if !self.materialized {
            self.len += count;
            return;
        }
        for _ in 0..count {
            self.push(true);
        }
    }

    #[inline]
    pub fn is_valid(&self, index: usize) -> bool {
        !self.materialized || (self.words.get(index >> 6) >> (index & 63)) & 1 == 1
    }

    pub fn null_count(&self) -> usize {
        self.nulls
    }

    pub fn nbytes(&self) -> usize {
        self.words.nbytes()
    }

    fn materialize(&mut self) {
        self.materialized = true;
        let full_words = self.len / 64;
        self.words.extend_repeat(u64::MAX, full_words);
        if self.len % 64 != 0 {
            self.words.push((1u64 << (self.len % 64)) - 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_vec_reads_back_across_chunks() {
        let mut values = ChunkedVec::new();
        values.extend_from_slice(&(0..CHUNK as u32 + 10).collect::<Vec<_>>());
        for v in 0..CHUNK as u32 * 2 {
            values.push(v + 1_000_000);
        }
        assert_eq!(values.len(), CHUNK * 3 + 10);
        assert_eq!(values.get(0), 0);
        assert_eq!(values.get(CHUNK + 9), CHUNK as u32 + 9);
        assert_eq!(values.get(CHUNK + 10), 1_000_000);
        assert_eq!(values.get(CHUNK * 3 + 9), 1_000_000 + CHUNK as u32 * 2 - 1);
    }

    #[test]
    fn for_each_slice_covers_exactly_the_range() {
        let mut values = ChunkedVec::new();
        values.extend(0..(CHUNK * 2 + 5) as u64);
        let mut seen = Vec::new();
        values.for_each_slice(3, CHUNK * 2 + 2, |offset, slice| {
            assert_eq!(slice[0], offset as u64);
            seen.extend_from_slice(slice);
        });
        assert_eq!(seen, (3..(CHUNK * 2 + 2) as u64).collect::<Vec<_>>());
    }

    #[test]
    fn capacity_stays_within_one_chunk_of_the_length() {
        let mut values = ChunkedVec::new();
        values.extend_repeat(1.5f64, CHUNK * 4 + 1);
        assert!(
            values.nbytes() <= (CHUNK * 4 + 8) * 8 + 1024,
            "{}",
            values.nbytes()
        );
    }

    #[test]
    fn validity_is_free_until_a_null_and_exact_after() {
        let mut validity = Validity::default();
        validity.push_valid(70);
        assert_eq!(validity.nbytes(), 0);
        validity.push(false);
        validity.push(true);
        assert_eq!(validity.null_count(), 1);
        assert!((0..70).all(|i| validity.is_valid(i)));
        assert!(!validity.is_valid(70));
        assert!(validity.is_valid(71));
    }
}
