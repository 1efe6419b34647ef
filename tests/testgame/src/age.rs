//! How long ago this process was created, for `--map-after-ms`: the
//! sections of a real game appear some time after its process starts, and
//! a bridge that attaches to a starting game races that time.
//!
//! Windows (and Wine's server) stamps a process's creation time in
//! `GetProcessTimes`, as 100 ns units since 1601 on the wall clock; under
//! Wine `SystemTime::now()` reads the same clock.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use windows_sys::Win32::Foundation::FILETIME;
use windows_sys::Win32::System::Threading::{GetCurrentProcess, GetProcessTimes};

/// Seconds from 1601-01-01 (Windows' epoch) to 1970-01-01 (Unix's).
const WINDOWS_TO_UNIX_SECS: u64 = 11_644_473_600;

fn ticks(time: FILETIME) -> u64 {
    (u64::from(time.dwHighDateTime) << 32) | u64::from(time.dwLowDateTime)
}

/// Time since this process was created (zero if the clock cannot tell).
pub fn since_creation() -> Duration {
    let (mut created, mut exited) = (FILETIME::default(), FILETIME::default());
    let (mut kernel, mut user) = (FILETIME::default(), FILETIME::default());
    // SAFETY: four valid out-pointers for the current process's times.
    let ok = unsafe {
        GetProcessTimes(
            GetCurrentProcess(),
            &mut created,
            &mut exited,
            &mut kernel,
            &mut user,
        )
    };
    if ok == 0 {
        return Duration::ZERO;
    }
    let created = Duration::from_nanos(ticks(created).saturating_mul(100))
        .saturating_sub(Duration::from_secs(WINDOWS_TO_UNIX_SECS));
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(Duration::ZERO, |now| now.saturating_sub(created))
}
