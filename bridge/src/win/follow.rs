//! Following the game: the process the bridge started, and the live exes a
//! launcher hands over to (AMS2, PCARS2 and LMU's launchers exit early).

use std::time::{Duration, Instant};

use bridgekeeper_protocol::Event;

use super::process::{self, Process};
use crate::status::Status;

/// How often the process list is scanned for live exes.
pub const SCAN_INTERVAL: Duration = Duration::from_millis(250);

/// The set of game processes being waited for.
#[derive(Debug)]
pub struct Follower {
    names: Vec<String>,
    tracked: Vec<Process>,
    /// A process named in `names` has been seen.
    pub seen_live: bool,
    /// Exit code of the last live exe that ended.
    pub last_live_exit: Option<u32>,
    /// Exit code of the last process of any kind that ended.
    pub last_exit: Option<u32>,
    gone_since: Option<Instant>,
}

impl Follower {
    /// Follows exes named `names` (lower-case).
    pub fn new(names: &[String]) -> Self {
        Follower {
            names: names.to_vec(),
            tracked: Vec::new(),
            seen_live: false,
            last_live_exit: None,
            last_exit: None,
            gone_since: Some(Instant::now()),
        }
    }

    fn is_live(&self, exe: &str) -> bool {
        self.names.contains(&exe.to_lowercase())
    }

    /// Follows a process the bridge started itself.
    pub fn track(&mut self, process: Process) {
        self.seen_live |= self.is_live(&process.exe);
        self.tracked.push(process);
        self.gone_since = None;
    }

    /// Looks for new live exes while none is followed, then waits up to one
    /// scan interval for a followed process to end.
    ///
    /// Listing processes is costly under Wine (it asks the wineserver, which
    /// reads /proc for every thread), so it is skipped while a live exe is
    /// followed: its handle tells when it ends.
    pub fn step(&mut self, status: &Status) {
        let following_live = self.tracked.iter().any(|p| self.is_live(&p.exe));
        let found = if following_live {
            Vec::new()
        } else {
            process::find(&self.names)
        };
        for (pid, exe) in found {
            if self.tracked.iter().any(|p| p.pid == pid) {
                continue;
            }
            if let Some(found) = process::open(pid, exe) {
                status.emit(Event::Following {
                    exe: found.exe.clone(),
                    pid,
                });
                self.track(found);
            }
        }
        if let Some(index) = process::wait_any(&self.tracked, SCAN_INTERVAL) {
            let ended = self.tracked.swap_remove(index);
            let code = ended.exit_code().unwrap_or(0);
            status.emit(Event::ProcessExited {
                exe: ended.exe.clone(),
                pid: ended.pid,
                code,
            });
            self.last_exit = Some(code);
            if self.is_live(&ended.exe) {
                self.last_live_exit = Some(code);
            }
            if self.tracked.is_empty() {
                self.gone_since = Some(Instant::now());
            }
        }
    }

    /// How long no followed process has been running, if none is.
    pub fn gone_for(&self) -> Option<Duration> {
        self.gone_since.map(|since| since.elapsed())
    }
}
