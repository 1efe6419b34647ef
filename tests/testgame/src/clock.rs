//! `--clock`: on every tick the game stamps the wall-clock time of the write
//! into its sections, so a Linux reader can tell how long a write took to
//! reach the `/dev/shm` file (the copy-lag benchmark).
//!
//! Under Wine, `SystemTime::now()` is `GetSystemTimePreciseAsFileTime`,
//! which reads the Linux `CLOCK_REALTIME`: the same clock as a Linux
//! reader's `SystemTime::now()`.

use std::time::{SystemTime, UNIX_EPOCH};

/// Offset of the stamp's sequence number (u64, little endian).
pub const SEQUENCE_OFFSET: usize = 24;
/// Offset of the stamp's time, in nanoseconds since the Unix epoch (u64).
pub const TIME_OFFSET: usize = 32;
/// Sections smaller than this get no stamp.
pub const MIN_SIZE: usize = TIME_OFFSET + 8;

/// Writes `sequence`, then the current time, into `view`.
///
/// # Safety
/// `view` must point to a writable, 8-byte-aligned view of at least
/// [`MIN_SIZE`] bytes.
pub unsafe fn stamp(view: *mut u8, sequence: u64) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    // SAFETY: the caller keeps both aligned u64s inside the view. The time is
    // written last: a reader that sees a new time sees its sequence too.
    unsafe {
        view.add(SEQUENCE_OFFSET)
            .cast::<u64>()
            .write_volatile(sequence);
        view.add(TIME_OFFSET).cast::<u64>().write_volatile(now);
    }
}
