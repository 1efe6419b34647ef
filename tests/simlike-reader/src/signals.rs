//! SIGTERM, SIGINT and SIGUSR1, taken synchronously.
//!
//! The signals are blocked at start and collected with `sigtimedwait`,
//! which also paces the sampling loop. Nothing runs inside a signal handler,
//! so a signal can never land in the middle of a file operation, and
//! SIGBUS keeps its default action (the process dies, as simd does).

use std::io;
use std::time::Duration;

/// A signal the reader acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM or SIGINT: exit cleanly.
    Terminate(&'static str),
    /// SIGUSR1: behave as if the game's session ended.
    SessionEnded,
}

/// The blocked signal set.
#[derive(Debug)]
pub struct Signals {
    set: libc::sigset_t,
}

impl Signals {
    /// Blocks SIGTERM, SIGINT and SIGUSR1 for this (single-threaded) process.
    pub fn block() -> io::Result<Self> {
        // SAFETY: sigset_t is plain data, initialised by sigemptyset before use.
        let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is a valid sigset_t; the signal numbers are valid.
        let rc = unsafe {
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGTERM);
            libc::sigaddset(&mut set, libc::SIGINT);
            libc::sigaddset(&mut set, libc::SIGUSR1);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        Ok(Signals { set })
    }

    /// Waits up to `timeout` for one of the blocked signals.
    pub fn wait(&self, timeout: Duration) -> Option<Signal> {
        let ts = libc::timespec {
            tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(libc::time_t::MAX),
            tv_nsec: libc::c_long::from(timeout.subsec_nanos()),
        };
        // SAFETY: `set` was built by `block`; a null siginfo is allowed.
        let signo = unsafe { libc::sigtimedwait(&self.set, std::ptr::null_mut(), &ts) };
        match signo {
            libc::SIGTERM => Some(Signal::Terminate("SIGTERM")),
            libc::SIGINT => Some(Signal::Terminate("SIGINT")),
            libc::SIGUSR1 => Some(Signal::SessionEnded),
            // -1 with EAGAIN (time out) or EINTR.
            _ => None,
        }
    }
}
