//! [`ChangeTracker`]: which bytes of a page changed, and when.
//!
//! Each byte keeps the number of the update that last changed it (a `u32`,
//! not an `Instant`, so a 1.2 MB page costs 4.8 MB); the times of the recent
//! updates are kept in a ring, enough to fade highlights out.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Updates remembered with their time (highlights older than these are
/// treated as old).
const HISTORY: usize = 1024;

/// How far back the update rate looks.
const RATE_WINDOW: Duration = Duration::from_secs(1);

/// Follows a page across reads.
#[derive(Debug, Default)]
pub struct ChangeTracker {
    prev: Vec<u8>,
    changed_in: Vec<u32>,
    update: u32,
    times: VecDeque<(u32, Instant)>,
    changes: VecDeque<Instant>,
    last_change: Option<Instant>,
    last_count: usize,
}

impl ChangeTracker {
    /// A tracker that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Compares `data` with the previous read and records the bytes that
    /// differ; returns how many did. The first read, and bytes past the old
    /// length, are not changes.
    pub fn update(&mut self, data: &[u8], now: Instant) -> usize {
        let first = self.update == 0 && self.prev.is_empty();
        self.update = self.update.wrapping_add(1).max(1);
        let stamp = self.update;
        let common = self.prev.len().min(data.len());
        let mut count = 0;
        if !first {
            const BLOCK: usize = 64;
            let mut start = 0;
            while start < common {
                let end = (start + BLOCK).min(common);
                if self.prev[start..end] != data[start..end] {
                    let old = &self.prev[start..end];
                    let new = &data[start..end];
                    let stamps = &mut self.changed_in[start..end];
                    for ((o, n), s) in old.iter().zip(new).zip(stamps) {
                        if o != n {
                            *s = stamp;
                            count += 1;
                        }
                    }
                }
                start = end;
            }
        }
        self.changed_in.resize(data.len(), 0);
        if self.prev.len() != data.len() {
            self.prev.resize(data.len(), 0);
        }
        self.prev.copy_from_slice(data);
        self.times.push_back((stamp, now));
        if self.times.len() > HISTORY {
            self.times.pop_front();
        }
        if count > 0 {
            self.last_change = Some(now);
            self.changes.push_back(now);
        }
        while self
            .changes
            .front()
            .is_some_and(|t| now.duration_since(*t) > RATE_WINDOW)
        {
            self.changes.pop_front();
        }
        self.last_count = count;
        count
    }

    /// The last page seen.
    pub fn data(&self) -> &[u8] {
        &self.prev
    }

    /// How long ago the byte at `offset` last changed, if it did within the
    /// remembered updates.
    pub fn age(&self, offset: usize, now: Instant) -> Option<Duration> {
        let stamp = *self.changed_in.get(offset)?;
        if stamp == 0 {
            return None;
        }
        let (first, _) = *self.times.front()?;
        let index = stamp.wrapping_sub(first) as usize;
        let (s, t) = *self.times.get(index)?;
        (s == stamp).then(|| now.saturating_duration_since(t))
    }

    /// Updates that changed something in the last second.
    pub fn updates_per_second(&self, now: Instant) -> usize {
        self.changes
            .iter()
            .filter(|t| now.saturating_duration_since(**t) <= RATE_WINDOW)
            .count()
    }

    /// When a byte last changed, if one ever did.
    pub fn last_change(&self) -> Option<Instant> {
        self.last_change
    }

    /// Bytes changed by the last update.
    pub fn last_count(&self) -> usize {
        self.last_count
    }

    /// Whether no data flows: nothing changed for `quiet` (or ever).
    pub fn is_stale(&self, now: Instant, quiet: Duration) -> bool {
        self.last_change
            .is_none_or(|t| now.saturating_duration_since(t) > quiet)
    }
}

/// How strongly to highlight a byte that changed `age` ago: 1 at once,
/// fading linearly to 0 after `fade`.
pub fn fade(age: Option<Duration>, fade: Duration) -> f32 {
    match age {
        Some(a) if a < fade => 1.0 - a.as_secs_f32() / fade.as_secs_f32(),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_changed_bytes_and_rate() {
        let t0 = Instant::now();
        let mut t = ChangeTracker::new();
        assert_eq!(t.update(&[0u8; 200], t0), 0);
        assert!(t.is_stale(t0, Duration::from_secs(1)));
        let mut page = [0u8; 200];
        page[3] = 1;
        page[150] = 7;
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(t.update(&page, t1), 2);
        assert_eq!(t.age(3, t1), Some(Duration::ZERO));
        assert_eq!(
            t.age(150, t1 + Duration::from_millis(50)),
            Some(Duration::from_millis(50))
        );
        assert_eq!(t.age(4, t1), None);
        assert_eq!(t.last_change(), Some(t1));
        assert_eq!(t.update(&page, t1 + Duration::from_millis(200)), 0);
        assert_eq!(t.updates_per_second(t1 + Duration::from_millis(200)), 1);
        assert_eq!(t.updates_per_second(t1 + Duration::from_secs(3)), 0);
        assert!(t.is_stale(t1 + Duration::from_secs(3), Duration::from_secs(2)));
        assert!(!t.is_stale(t1, Duration::from_secs(2)));
    }

    #[test]
    fn length_changes_are_not_byte_changes() {
        let t0 = Instant::now();
        let mut t = ChangeTracker::new();
        t.update(&[1, 2, 3], t0);
        assert_eq!(t.update(&[1, 2], t0), 0);
        assert_eq!(t.update(&[1, 9, 0, 0], t0), 1);
        assert_eq!(t.data(), &[1, 9, 0, 0]);
        assert_eq!(t.age(1, t0), Some(Duration::ZERO));
        assert_eq!(t.age(3, t0), None);
        assert_eq!(t.age(99, t0), None);
    }

    #[test]
    fn fading() {
        let f = Duration::from_secs(1);
        assert_eq!(fade(None, f), 0.0);
        assert_eq!(fade(Some(Duration::ZERO), f), 1.0);
        assert!((fade(Some(Duration::from_millis(500)), f) - 0.5).abs() < 1e-6);
        assert_eq!(fade(Some(Duration::from_secs(2)), f), 0.0);
    }
}
