//! The monotonic clock and absolute sleeps the player times frames with.
//!
//! A relative sleep that ends late makes every later frame late too;
//! sleeping until an absolute instant (`clock_nanosleep` with
//! `TIMER_ABSTIME`) does not. `Instant` has no absolute sleep, so deadlines
//! are ns of `CLOCK_MONOTONIC`, the clock `Instant` also reads on Linux.

/// Now, in ns of `CLOCK_MONOTONIC`.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always
    // exists on Linux, so the call cannot fail.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Sleeps until `deadline_ns` of `CLOCK_MONOTONIC` (at once if it passed).
pub fn sleep_until_ns(deadline_ns: u64) {
    let ts = libc::timespec {
        tv_sec: (deadline_ns / 1_000_000_000) as libc::time_t,
        tv_nsec: (deadline_ns % 1_000_000_000) as libc::c_long,
    };
    loop {
        // SAFETY: `ts` is a valid timespec and the remaining-time pointer
        // may be null with TIMER_ABSTIME.
        let rc = unsafe {
            libc::clock_nanosleep(
                libc::CLOCK_MONOTONIC,
                libc::TIMER_ABSTIME,
                &ts,
                std::ptr::null_mut(),
            )
        };
        // Interrupted by a signal: sleep again until the same instant.
        if rc != libc::EINTR {
            return;
        }
    }
}

/// Asks the kernel to end this thread's sleeps within `slack_ns` of their
/// deadline instead of the default 50 µs. Best effort.
pub fn set_timer_slack(slack_ns: u64) {
    // SAFETY: PR_SET_TIMERSLACK takes one integer argument and only
    // affects the calling thread.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, slack_ns as libc::c_ulong, 0, 0, 0) };
}
