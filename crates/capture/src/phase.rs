//! [`PhaseLock`]: polls at the game's own cadence instead of a fixed 1 kHz.
//!
//! A fixed-rate poll loop pays for its wake-ups whether or not anything
//! changed: at 1 kHz on ACC's 333 Hz physics page, two polls in three find
//! nothing, and on a virtual machine a wake-up alone costs about 20 µs of
//! CPU (a loop that only sleeps 1000 times a second costs 2 % of a core
//! there). Games write their fastest page at a steady period, so once the
//! last 16 intervals between changes agree (12 of them near their median),
//! the loop is locked to their mean: ideally one
//! wake-up per change, just after it.
//!
//! Wake-ups are planned on the requested times, not on when the thread
//! actually woke (which comes later by the scheduler's latency, a few tens
//! of µs, more under load): a wake that finds the change plans the next one
//! a period after its own request, so the latency does not pile up and the
//! wakes cannot drift past the game's writes. To stay close to the writes
//! without knowing exactly when they happen, each wake in a row that finds
//! the change on the first try plans the next one a little earlier
//! ([`STEP`] more each time, so any error in the period is soon overcome);
//! when a wake comes too early and finds nothing, it looks again every
//! [`RETRY`] until the change is there, and the earliness starts over.
//! With ACC's physics page that is about 1.1 wake-ups per change, and each
//! change is time-stamped within a retry of when it happened.
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

/// The step of the fixed poll grid that changes are seen on before the
/// lock.
const GRID: Duration = Duration::from_millis(1);

/// How much earlier than the last, per wake in a row that found its change
/// on the first try, the next wake is planned.
pub const STEP: Duration = Duration::from_micros(5);

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
    /// The wake last planned, and whether it was a retry.
    planned: Option<(Duration, bool)>,
    /// Wakes in a row that found their change on the first try.
    streak: u32,
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
        let planned = self.planned.take();
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
                self.streak = 0;
            }
            // Refined at every change while locked: the changes seen then
            // are within a retry of the game's writes, so the mean interval
            // gets closer to the game's period than the poll grid allows.
            self.period = self.steady_period();
            let period = self.period?;
            // The request this wake answered: it was at most this late.
            let base = match planned {
                Some((at, retry)) if at <= now => {
                    self.streak = if retry { 0 } else { self.streak + 1 };
                    at
                }
                _ => now,
            };
            let earlier = (STEP * self.streak).min(period / 4);
            return Some(self.plan(base + period - earlier, false));
        }
        let (period, last) = (self.period?, last?);
        if now > last + period + period / 2 {
            // Half a period past due: paused, or a new cadence.
            self.unlock();
            return None;
        }
        Some(self.plan(now + RETRY, true))
    }

    fn plan(&mut self, at: Duration, retry: bool) -> Duration {
        self.planned = Some((at, retry));
        at
    }

    fn unlock(&mut self) {
        self.period = None;
        self.changes.clear();
        self.planned = None;
        self.streak = 0;
    }

    /// The period of the changes, when the history is full and steady:
    /// at least [`AGREEING`] of the intervals near their median (within a
    /// quarter of it, plus [`GRID`], as the changes seen before the lock
    /// are on the fixed poll grid), and none of those missed or merged.
    /// The period is the mean of those intervals, not their median: seen
    /// on a 1 ms grid, the intervals are whole milliseconds, and only
    /// their mean is near a period such as ACC's 3.003 ms or a 400 Hz
    /// page's 2.5 ms.
    fn steady_period(&self) -> Option<Duration> {
        if self.changes.len() < HISTORY + 1 {
            return None;
        }
        // Computed at every change while locked: no allocation.
        let mut intervals = [Duration::ZERO; HISTORY];
        for (interval, w) in intervals.iter_mut().zip(self.changes.windows(2)) {
            *interval = w[1] - w[0];
        }
        intervals.sort_unstable();
        let median = intervals[HISTORY / 2];
        let near = || {
            intervals
                .iter()
                .filter(move |i| i.abs_diff(median) <= median / 4 + GRID)
        };
        let count = near().count();
        if count < AGREEING {
            return None;
        }
        let mean = near().sum::<Duration>() / count as u32;
        (MIN_PERIOD..=MAX_PERIOD).contains(&mean).then_some(mean)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// A number in `0..bound` that looks random, from `seed`.
    fn noise(seed: u64, bound: Duration) -> Duration {
        let mixed = seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29)
            .wrapping_mul(0xBF58_476D_1CE4_E5B9);
        Duration::from_nanos((mixed >> 11) % bound.as_nanos().max(1) as u64)
    }

    /// How a simulated run went.
    #[derive(Debug)]
    struct Run {
        polls: u64,
        written: u64,
        seen: u64,
        worst: Duration,
    }

    /// Plays a writer that changes the page every `period` (each write up
    /// to `jitter` late) against a loop that polls when the lock says, at
    /// 1 kHz otherwise, each wake `latency` plus up to `spread` late.
    fn simulate(
        period: Duration,
        seconds: u64,
        jitter: Duration,
        latency: Duration,
        spread: Duration,
    ) -> Run {
        let write_at = |k: u64| period * k as u32 + noise(k, jitter);
        // The newest write at or before `now`.
        let newest = |now: Duration| {
            let k = (now.as_nanos() / period.as_nanos()) as u64;
            if write_at(k) <= now {
                k
            } else {
                k.wrapping_sub(1)
            }
        };
        let mut lock = PhaseLock::default();
        let end = Duration::from_secs(seconds);
        let (mut now, mut polls, mut seen, mut worst) =
            (Duration::ZERO, 0u64, 0u64, Duration::ZERO);
        let mut deadline = Duration::ZERO;
        let mut last_written_seen = None;
        while now < end {
            polls += 1;
            let written = newest(now);
            let changed = now >= write_at(1) && last_written_seen != Some(written);
            if changed {
                if let Some(previous) = last_written_seen {
                    seen += u64::from(written > previous);
                    // A merge: more than one write since the last sighting.
                    assert!(
                        written - previous <= 1 || lock.period().is_none(),
                        "merged at {now:?}"
                    );
                }
                worst = worst.max(now - write_at(written));
                last_written_seen = Some(written);
            }
            // As `record` does: the fixed grid goes on from the last
            // locked wake.
            deadline = lock.after_poll(now, changed).unwrap_or(deadline + MS);
            now = deadline.max(now + US) + latency + noise(polls, spread);
        }
        let written = newest(end);
        Run {
            polls,
            written,
            seen,
            worst,
        }
    }

    const ACC_PHYSICS: Duration = Duration::from_nanos(3_003_003);
    const US: Duration = Duration::from_micros(1);

    #[test]
    fn locks_to_acc_physics_with_about_one_wake_per_change_and_loses_none() {
        for (jitter, latency, spread) in [
            (Duration::ZERO, US * 60, Duration::ZERO),
            (US * 100, US * 60, US * 40),
            (US * 400, US * 80, US * 200),
        ] {
            let run = simulate(ACC_PHYSICS, 10, jitter, latency, spread);
            let per_change = run.polls as f64 / run.written as f64;
            assert!(
                per_change < 1.2,
                "{per_change:.2} polls per change ({jitter:?} jitter, {latency:?}+{spread:?} latency): {run:?}"
            );
            assert!(run.seen + 2 >= run.written, "{run:?}");
            // No later than the fixed grid's worst, give or take a retry
            // and the game's and the wake's lateness.
            assert!(
                run.worst <= MS + RETRY + jitter + latency + spread,
                "{run:?}"
            );
        }
    }

    #[test]
    fn periods_between_the_grid_points_lock_without_merging_changes() {
        // 400 Hz, 137 Hz, 60 Hz: seen on the 1 ms grid their intervals
        // are whole milliseconds that differ from the period.
        for period in [US * 2_500, US * 7_300, US * 16_667] {
            let run = simulate(period, 60, US * 100, US * 60, US * 40);
            assert!(run.seen + 2 >= run.written, "{period:?}: {run:?}");
            let per_change = run.polls as f64 / run.written as f64;
            assert!(
                per_change < 1.3,
                "{period:?}: {per_change:.2} polls per change"
            );
        }
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
