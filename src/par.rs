//! Order-preserving parallel map over a slice with scoped threads (no pool, no extra crate):
//! relay's hot loops are a few hundred to a few thousand independent file reads, writes and
//! renders, where a handful of threads for a few milliseconds is all that pays.

/// Below this many items, threads cost more than they save.
const MIN_ITEMS: usize = 32;

/// The number of cores, for CPU-bound work.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `items.iter().map(f).collect()`, split into `workers` contiguous chunks when there are
/// enough items. The result is in item order; a panic in a worker is re-raised.
pub fn par_map<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let workers = if items.len() < MIN_ITEMS {
        1
    } else {
        workers.clamp(1, items.len())
    };
    if workers == 1 {
        return items.iter().map(f).collect();
    }
    let size = items.len().div_ceil(workers);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(size)
            .map(|chunk| s.spawn(|| chunk.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Whether a batch of `n` items is run on threads by [`par_map`].
pub fn is_parallel(n: usize) -> bool {
    n >= MIN_ITEMS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_at_every_size() {
        for n in [0, 1, 31, 32, 33, 100, 1001] {
            let items: Vec<usize> = (0..n).collect();
            for workers in [1, 2, 3, 8, 64] {
                let out = par_map(&items, workers, |x| x * 2);
                assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
            }
        }
    }
}
