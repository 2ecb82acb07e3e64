//! Which rows of a table a view holds: a contiguous range or an explicit list.

use std::sync::Arc;

/// The rows of a view, in view order.
#[derive(Debug, Clone)]
pub enum Selection {
    /// Rows `start..end`, in order (whole-table views and index hits).
    Range { start: u32, end: u32 },
    /// Explicit row ids, in view order.
    Rows(Arc<Vec<u32>>),
}

impl Selection {
    pub fn all(len: usize) -> Self {
        Selection::Range {
            start: 0,
            end: len as u32,
        }
    }

    /// Builds the smallest selection holding `rows` (ascending ranges merge).
    pub fn from_ranges(ranges: &[(u32, u32)]) -> Self {
        match ranges {
            [] => Selection::Range { start: 0, end: 0 },
            [(start, end)] => Selection::Range {
                start: *start,
                end: *end,
            },
            _ => Selection::Rows(Arc::new(ranges.iter().flat_map(|&(s, e)| s..e).collect())),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Selection::Range { start, end } => (end - start) as usize,
            Selection::Rows(rows) => rows.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The table row at view position `position` (< len).
    #[inline]
    pub fn row(&self, position: usize) -> usize {
        match self {
            Selection::Range { start, .. } => *start as usize + position,
            Selection::Rows(rows) => rows[position] as usize,
        }
    }

    /// Table rows in view order.
    pub fn iter(&self) -> SelectionIter<'_> {
        match self {
            Selection::Range { start, end } => SelectionIter::Range(*start as usize..*end as usize),
            Selection::Rows(rows) => SelectionIter::Rows(rows.iter()),
        }
    }

    /// The rows at `positions` (each < len), in that order.
    pub fn take(&self, positions: &[usize]) -> Selection {
        Selection::Rows(Arc::new(
            positions.iter().map(|&p| self.row(p) as u32).collect(),
        ))
    }
}

/// Iterator over the table rows of a [`Selection`].
pub enum SelectionIter<'a> {
    Range(std::ops::Range<usize>),
    Rows(std::slice::Iter<'a, u32>),
}

impl Iterator for SelectionIter<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        match self {
            SelectionIter::Range(range) => range.next(),
            SelectionIter::Rows(rows) => rows.next().map(|&r| r as usize),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            SelectionIter::Range(range) => range.size_hint(),
            SelectionIter::Rows(rows) => rows.size_hint(),
        }
    }
}

impl ExactSizeIterator for SelectionIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_rows_map_positions_to_rows() {
        let range = Selection::Range { start: 10, end: 14 };
        assert_eq!(range.iter().collect::<Vec<_>>(), [10, 11, 12, 13]);
        let picked = range.take(&[3, 0]);
        assert_eq!(picked.iter().collect::<Vec<_>>(), [13, 10]);
        assert_eq!(picked.row(1), 10);
        let merged = Selection::from_ranges(&[(0, 2), (5, 6)]);
        assert_eq!(merged.iter().collect::<Vec<_>>(), [0, 1, 5]);
        assert!(matches!(
            Selection::from_ranges(&[(3, 9)]),
            Selection::Range { start: 3, end: 9 }
        ));
    }
}
