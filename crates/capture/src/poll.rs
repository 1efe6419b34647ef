//! [`record`]: the poll loop of `bridgekeeper record`.
//!
//! Games write their pages without telling anyone, so the only way to see
//! every update is to look more often than they write. Until the changes
//! show a steady cadence the loop polls at a fixed 1 kHz
//! ([`PollOptions::default`]): three times the fastest page known (ACC's
//! physics page, about 333 Hz), so an update is missed only if a poll is
//! delayed by more than two milliseconds. Deadlines are absolute (period
//! after period from the start), so a late poll does not shift the ones
//! after it; polls that cannot be made in time are skipped, not bunched,
//! and counted. Once the cadence is steady, the loop locks to it
//! ([`crate::phase::PhaseLock`]): it wakes just after each change is due
//! and retries briefly when too early, which brings the wake-ups that
//! dominate the recorder's cost (see the `record_cpu` bench command) down
//! to about one per change; any change of cadence drops the lock and
//! returns to the fixed rate before an update can be lost.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::error::CaptureError;
use crate::phase::PhaseLock;
use crate::sampler::Sampler;
use crate::writer::{CaptureOutput, CaptureWriter};

/// How often [`record`] polls.
#[derive(Debug, Clone, PartialEq)]
pub struct PollOptions {
    /// Polls per second while not locked to the game's cadence.
    pub rate_hz: f64,
    /// Lock to the cadence of the changes once it is steady.
    pub phase_lock: bool,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            rate_hz: 1000.0,
            phase_lock: true,
        }
    }
}

/// What a [`record`] run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Polls made.
    pub polls: u64,
    /// Polls that found a change and wrote a frame.
    pub frames: u64,
    /// Polls skipped because the previous one ended after their deadline.
    pub skipped: u64,
    /// Polls made while locked to the game's cadence.
    pub locked_polls: u64,
    /// Time from the first poll to the stop.
    pub elapsed: Duration,
}

/// Polls `sampler` into `writer` at `options.rate_hz` until `stop` is set
/// (from another thread or a signal handler), then writes the pending
/// chunk. Frame times are [`CaptureWriter::elapsed`]. The caller finishes
/// the writer. Stops early only when the writer fails.
pub fn record<W: CaptureOutput>(
    sampler: &mut Sampler,
    writer: &mut CaptureWriter<W>,
    options: &PollOptions,
    stop: &AtomicBool,
) -> Result<PollReport, CaptureError> {
    let rate = if options.rate_hz.is_finite() && options.rate_hz > 0.0 {
        options.rate_hz.min(1e6)
    } else {
        PollOptions::default().rate_hz
    };
    let period = Duration::from_secs_f64(1.0 / rate);
    let mut report = PollReport::default();
    let start = writer.elapsed();
    let mut deadline = start;
    let mut lock = PhaseLock::default();
    while !stop.load(Ordering::Relaxed) {
        let now = writer.elapsed();
        let changed = sampler.sample(writer, now)?.frame_written;
        if changed {
            report.frames += 1;
        }
        writer.tick(now)?;
        report.polls += 1;
        let after = writer.elapsed();
        if options.phase_lock
            && let Some(wake) = lock.after_poll(now, changed)
        {
            report.locked_polls += 1;
            // The fixed grid goes on from here when the lock is dropped.
            deadline = wake;
            std::thread::sleep(wake.saturating_sub(after));
            continue;
        }
        deadline += period;
        if after > deadline + period {
            // More than a whole period late: skip the polls that can no
            // longer be on time and poll at once.
            let missed = (after - deadline).as_nanos() / period.as_nanos();
            report.skipped += missed as u64;
            deadline += Duration::from_nanos((period.as_nanos() * missed) as u64);
        }
        std::thread::sleep(deadline.saturating_sub(after));
    }
    writer.flush()?;
    report.elapsed = writer.elapsed() - start;
    Ok(report)
}
