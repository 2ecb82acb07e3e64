//! Per-column work on large selections, split over one thread per core.

/// Selections of at least this many rows process their columns in parallel:
/// below it a column takes well under a millisecond, and starting threads on
/// a busy machine can cost more than it saves.
pub const PARALLEL_ROWS: usize = 1 << 20;

/// `(0..count).map(f)`, in order; on one thread per core (this one
/// included) when `rows` is large and there is more than one column.
pub fn map_columns<T: Send>(count: usize, rows: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(count);
    if rows < PARALLEL_ROWS || workers < 2 {
        return (0..count).map(f).collect();
    }
    let share = |worker: usize| -> Vec<(usize, T)> {
        (worker..count)
            .step_by(workers)
            .map(|i| (i, f(i)))
            .collect()
    };
    let mut results: Vec<(usize, T)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..workers)
            .map(|w| scope.spawn(move || share(w)))
            .collect();
        let mut all = share(0);
        handles
            .into_iter()
            .for_each(|h| all.extend(h.join().expect("column work does not panic")));
        all
    });
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, value)| value).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_column_order_on_both_paths() {
        for rows in [10, PARALLEL_ROWS] {
            assert_eq!(map_columns(7, rows, |i| i * i), [0, 1, 4, 9, 16, 25, 36]);
        }
    }
}
