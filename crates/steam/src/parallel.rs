//! [`map`]: the same work over many items, on all cores, in order.
//!
//! Discovery is mostly small file reads and `stat`s, hundreds per library,
//! and on a virtual machine each system call costs a few microseconds: a
//! 500-app library spent two thirds of `bridgekeeper games` in the kernel
//! on one core. The work per item is independent (one manifest, one
//! prefix), so it is split into one slice per core.

/// `f` applied to each of `items`, in the order of `items`, on up to one
/// thread per core (one thread for fewer than [`MIN_PER_THREAD`] items a
/// thread). A panic in `f` is a panic here.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(MIN_PER_THREAD);
    if items.len() <= chunk {
        return items.iter().map(&f).collect();
    }
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a discovery thread panicked"))
            .collect()
    })
}

/// Below this many items per thread, a thread costs more than it saves.
pub const MIN_PER_THREAD: usize = 32;

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_order_of_the_items() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled = super::map(&items, |i| i * 2);
        assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        assert!(super::map(&[] as &[u32], |i| *i).is_empty());
    }
}
