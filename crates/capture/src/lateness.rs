//! [`Lateness`]: how late the player wrote frames, as a histogram.

use std::time::Duration;

/// Buckets of 1 µs, up to this many; later frames count in the last one.
const BUCKETS: usize = 10_000;

/// A histogram of how late frames were written after their deadline, with
/// 1 µs resolution up to 10 ms (the maximum is exact).
#[derive(Debug, Clone)]
pub struct Lateness {
    buckets: Vec<u64>,
    count: u64,
    sum_ns: u128,
    max_ns: u64,
}

impl Default for Lateness {
    fn default() -> Self {
        Lateness {
            buckets: vec![0; BUCKETS],
            count: 0,
            sum_ns: 0,
            max_ns: 0,
        }
    }
}

impl Lateness {
    /// Counts one frame written `late_ns` after its deadline.
    pub fn record(&mut self, late_ns: u64) {
        let bucket = ((late_ns / 1000) as usize).min(BUCKETS - 1);
        self.buckets[bucket] += 1;
        self.count += 1;
        self.sum_ns += u128::from(late_ns);
        self.max_ns = self.max_ns.max(late_ns);
    }

    /// Frames counted.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The latest frame's lateness.
    pub fn max(&self) -> Duration {
        Duration::from_nanos(self.max_ns)
    }

    /// The mean lateness.
    pub fn mean(&self) -> Duration {
        if self.count == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos((self.sum_ns / u128::from(self.count)) as u64)
    }

    /// The lateness that fraction `p` (0–1) of frames stayed within, to the
    /// µs above (the exact maximum past 10 ms).
    pub fn percentile(&self, p: f64) -> Duration {
        if self.count == 0 {
            return Duration::ZERO;
        }
        let rank = ((p.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                if i == BUCKETS - 1 {
                    return self.max();
                }
                return Duration::from_micros(i as u64 + 1).min(self.max());
            }
        }
        self.max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_follow_the_samples() {
        let mut l = Lateness::default();
        for us in 1..=100u64 {
            l.record(us * 1000 - 500);
        }
        assert_eq!(l.count(), 100);
        assert_eq!(l.percentile(0.5), Duration::from_micros(50));
        assert_eq!(l.percentile(0.99), Duration::from_micros(99));
        assert_eq!(l.max(), Duration::from_nanos(99_500));
        l.record(50_000_000);
        assert_eq!(l.percentile(1.0), Duration::from_millis(50));
    }
}
