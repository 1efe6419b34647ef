//! [`PhaseLock`]: polls at the game's own cadence instead of a fixed 1 kHz.
//!
//! A fixed-rate poll loop pays for its wake-ups whether or not anything
//! changed: at 1 kHz on ACC's 333 Hz physics page, two polls in three find
//! nothing, and the wake-ups alone cost about 1 % of a core on a loaded
//! machine. Games write their fastest page at a steady period, so once the
//! last 16 intervals between changes agree (12 of them within a quarter of
//! their median), the loop is locked: it wakes [`LEAD`] before the next
//! change is due (one period after the last one seen), and if the change is
//! not there yet, again every [`RETRY`] until it is. A wake that finds the
//! change shifts the next one earlier by `LEAD`, a retry later by `RETRY`,
//! so the wake-ups stay within a retry of the game's writes: about 1.5 per
//! period (500 a second on ACC), and each change is time-stamped within
//! `RETRY` of when it happened, closer than the fixed 1 ms grid does.
//!
//! What can go wrong is a change of cadence: two changes before a wake
//! would merge into one frame. So the lock is dropped, back to the fixed
//! rate, as soon as a change comes half a period early or no change has
//! come for half a period past due (a pause, a menu, a loading screen),
//! and taken again only after 16 steady intervals. Periods shorter than
//! [`MIN_PERIOD`] are never locked (the fixed rate is as good there), nor
//! longer than [`MAX_PERIOD`] (the fixed rate is cheap there).

use std::time::Duration;

/// Intervals that must agree before the loop locks.
const HISTORY: usize = 16;

/// Of the [`HISTORY`] intervals, how many must lie within a quarter of
/// their median.
const AGREEING: usize = 12;

/// How long before a change is due the locked loop wakes.
pub const LEAD: Duration = Duration::from_micros(250);

/// How often a locked loop looks again when the change is not there yet.
pub const RETRY: Duration = Duration::from_micros(250);

/// Shortest period locked to.
pub const MIN_PERIOD: Duration = Duration::from_micros(1500);

/// Longest period locked to.
pub const MAX_PERIOD: Duration = Duration::from_millis(100);

/// The cadence of changes seen so far, and whether the loop is locked to it.
#[derive(Debug, Clone, Default)]
pub struct PhaseLock {
    /// Last change times seen (newest last), at most `HISTORY + 1`.
    changes: Vec<Duration>,
    /// The period locked to, if locked.
    period: Option<Duration>,
}

impl PhaseLock {
    /// The period locked to, if locked.
    pub fn period(&self) -> Option<Duration> {
        self.period
    }

    /// Takes the outcome of the poll at `now` (whether it found a change)
    /// and returns when to poll next, or `None` for the fixed rate.
    pub fn after_poll(&mut self, now: Duration, changed: bool) -> Option<Duration> {
        let last = self.changes.last().copied();
        if changed {
            if let (Some(period), Some(last)) = (self.period, last)
                && now < last + period / 2
            {
                // Early by half a period: the cadence changed.
                self.unlock();
            }
            self.changes.push(now);
            if self.changes.len() > HISTORY + 1 {
                self.changes.remove(0);
            }
            if self.period.is_none() {
                self.period = self.steady_period();
            }
            return self.period.map(|p| now + p.saturating_sub(LEAD));
        }
        let (period, last) = (self.period?, last?);
        if now > last + period + period / 2 {
            // Half a period past due: paused, or a new cadence.
            self.unlock();
            return None;
        }
        Some(now + RETRY)
    }

    fn unlock(&mut self) {
        self.period = None;
        self.changes.clear();
    }

    /// The median interval, when the history is full and steady.
    fn steady_period(&self) -> Option<Duration> {
        if self.changes.len() < HISTORY + 1 {
            return None;
        }
        let mut intervals: Vec<Duration> = self.changes.windows(2).map(|w| w[1] - w[0]).collect();
        intervals.sort();
        let median = intervals[HISTORY / 2];
        if !(MIN_PERIOD..=MAX_PERIOD).contains(&median) {
            return None;
        }
        let agreeing = intervals
            .iter()
            .filter(|i| i.abs_diff(median) <= median / 4)
            .count();
        (agreeing >= AGREEING).then_some(median)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Plays a writer that changes the page every `period` (first at
    /// `offset`) against a loop that polls when the lock says, at 1 kHz
    /// otherwise, with `latency` added to every wake. Returns (polls,
    /// changes written, changes seen, worst delay of a sighting).
    fn simulate(period: Duration, seconds: u64, latency: Duration) -> (u64, u64, u64, Duration) {
        let mut lock = PhaseLock::default();
        let end = Duration::from_secs(seconds);
        let (mut now, mut polls, mut seen, mut worst) =
            (Duration::ZERO, 0u64, 0u64, Duration::ZERO);
        let mut last_written_seen = None;
        while now < end {
            polls += 1;
            // The newest write at or before now.
            let written = (now.as_nanos() / period.as_nanos()) as u64;
            let changed = now >= period && last_written_seen != Some(written);
            if changed {
                if let Some(previous) = last_written_seen {
                    seen += u64::from(written > previous);
                    // A merge: more than one write since the last sighting.
                    assert!(
                        written - previous <= 1 || lock.period().is_none(),
                        "merged at {now:?}"
                    );
                }
                let at = period * written as u32;
                worst = worst.max(now - at);
                last_written_seen = Some(written);
            }
            let next = lock.after_poll(now, changed).unwrap_or(now + MS);
            now = next.max(now + Duration::from_micros(1)) + latency;
        }
        let written = (end.as_nanos() / period.as_nanos()) as u64 - 1;
        (polls, written, seen, worst)
    }

    #[test]
    fn locks_to_acc_physics_and_wakes_half_as_often_without_losing_a_change() {
        let period = Duration::from_nanos(3_003_003);
        let (polls, written, seen, worst) = simulate(period, 10, Duration::from_micros(60));
        assert!(polls < 6_000, "{polls} polls in 10 s");
        assert!(seen + 2 >= written, "{seen} of {written} changes seen");
        assert!(worst <= MS, "a change seen {worst:?} late");
    }

    #[test]
    fn does_not_lock_to_slow_fast_or_irregular_changes() {
        let mut lock = PhaseLock::default();
        for i in 0..40u32 {
            assert_eq!(lock.after_poll(MS * i, true), None, "1 kHz is not locked");
        }
        let mut lock = PhaseLock::default();
        let mut t = Duration::ZERO;
        for i in 0..40u32 {
            t += MS * (2 + (i * 7) % 9);
            lock.after_poll(t, true);
        }
        assert_eq!(lock.period(), None, "irregular intervals are not locked");
    }

    #[test]
    fn a_pause_unlocks() {
        let mut lock = PhaseLock::default();
        for i in 0..20u32 {
            lock.after_poll(MS * 3 * i, true);
        }
        assert_eq!(lock.period(), Some(MS * 3));
        let last = MS * 3 * 19;
        assert!(lock.after_poll(last + MS * 3, false).is_some(), "a retry");
        assert_eq!(lock.after_poll(last + MS * 5, false), None, "unlocked");
        assert_eq!(lock.period(), None);
    }
}
