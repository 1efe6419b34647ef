//! [`record`]: the poll loop of `bridgekeeper record`.
//!
//! Games write their pages without telling anyone, so the only way to see
//! every update is to look more often than they write. The default is a
//! fixed 1 kHz ([`PollOptions::default`]): three times the fastest page
//! known (ACC's physics page, about 333 Hz), so an update is missed only if
//! a poll is delayed by more than two milliseconds, and cheap enough on
//! ACC-shaped pages to stay within 1 % of a core (see the `record_cpu`
//! bench command). A rate that adapts to the observed change rate was not
//! chosen: it would have to fall behind a burst to notice it, which is the
//! moment a recording must not lose updates. Deadlines are absolute
//! (period after period from the start), so a late poll does not shift the
//! ones after it; polls that cannot be made in time are skipped, not
//! bunched, and counted.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::error::CaptureError;
use crate::sampler::Sampler;
use crate::writer::{CaptureOutput, CaptureWriter};

/// How often [`record`] polls.
#[derive(Debug, Clone, PartialEq)]
pub struct PollOptions {
    /// Polls per second.
    pub rate_hz: f64,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions { rate_hz: 1000.0 }
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
    while !stop.load(Ordering::Relaxed) {
        let now = writer.elapsed();
        if sampler.sample(writer, now)?.frame_written {
            report.frames += 1;
        }
        writer.tick(now)?;
        report.polls += 1;
        deadline += period;
        let after = writer.elapsed();
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
