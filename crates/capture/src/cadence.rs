//! [`Cadence`]: when a page that changes at a steady rate can next change,
//! so that the sampler does not read it before.
//!
//! The poll loop wakes at the rate of the fastest page (ACC's physics page,
//! 333 Hz); a slower page read at every poll is read five times for each
//! change of a 60 Hz graphics page, and each read is a system call, which
//! costs several microseconds on a virtual machine. A page's shortest
//! recent interval between changes is a safe bound for its next one: it is
//! not read before [`EARLY`] of that interval has passed since its last
//! change (and at most [`LONGEST_SKIP`] later), and at every due poll
//! after. What this can lose: a change that comes sooner than three
//! quarters of the page's shortest recent interval is seen late, at that
//! bound, and two such changes in a row merge into one frame; the next
//! interval then shortens the bound, so a page that speeds up is followed
//! within a change or two.

use std::time::Duration;

/// Intervals kept; the shortest of them is the bound.
const KEPT: usize = 8;

/// The share of the shortest interval during which a page is not read.
const EARLY: f64 = 0.75;

/// A page is never left unread longer than this after a change.
pub const LONGEST_SKIP: Duration = Duration::from_millis(50);

/// The last changes of one page.
#[derive(Debug, Clone, Default)]
pub struct Cadence {
    last_change: Option<Duration>,
    /// The last intervals between changes, oldest first.
    intervals: Vec<Duration>,
}

impl Cadence {
    /// Notes a change seen at `time`.
    pub fn changed(&mut self, time: Duration) {
        if let Some(last) = self.last_change
            && time > last
        {
            if self.intervals.len() == KEPT {
                self.intervals.remove(0);
            }
            self.intervals.push(time - last);
        }
        self.last_change = Some(time);
    }

    /// Whether the page may have changed by `now`: always, until
    /// [`KEPT`] intervals are known.
    pub fn may_have_changed(&self, now: Duration) -> bool {
        let (Some(last), true) = (self.last_change, self.intervals.len() == KEPT) else {
            return true;
        };
        let shortest = self.intervals.iter().min().copied().unwrap_or_default();
        let skip = shortest.mul_f64(EARLY).min(LONGEST_SKIP);
        now >= last + skip
    }

    /// Forgets the changes (a file replaced by a new session's).
    pub fn reset(&mut self) {
        *self = Cadence::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn steady(period: Duration) -> Cadence {
        let mut cadence = Cadence::default();
        for i in 0..=KEPT as u32 {
            cadence.changed(period * i);
        }
        cadence
    }

    #[test]
    fn a_60_hz_page_is_not_read_for_three_quarters_of_its_interval() {
        let period = Duration::from_micros(16_667);
        let cadence = steady(period);
        let last = period * KEPT as u32;
        assert!(!cadence.may_have_changed(last + MS * 12));
        assert!(cadence.may_have_changed(last + MS * 13));
    }

    #[test]
    fn unknown_fast_or_slow_pages_are_bounded() {
        let mut cadence = Cadence::default();
        cadence.changed(MS);
        assert!(cadence.may_have_changed(MS), "too few intervals known");
        let slow = steady(MS * 10_000);
        let last = MS * 10_000 * KEPT as u32;
        assert!(slow.may_have_changed(last + LONGEST_SKIP));
    }

    #[test]
    fn one_short_interval_shortens_the_bound() {
        let mut cadence = steady(MS * 16);
        let last = MS * 16 * KEPT as u32;
        cadence.changed(last + MS * 4);
        assert!(cadence.may_have_changed(last + MS * 4 + MS * 3));
        cadence.reset();
        assert!(cadence.may_have_changed(Duration::ZERO));
    }
}
