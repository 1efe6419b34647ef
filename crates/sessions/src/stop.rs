//! Stopping attach sessions on request.

use std::time::{Duration, Instant};

use super::attach::stop_file;
use super::clash::{is_live, live_sessions};
use super::status::SessionStatus;
use super::{Registry, SessionKind, SessionRecord};

/// How long a bridge gets to stop.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// What happened to one session.
#[derive(Debug, Clone)]
pub enum StopOutcome {
    /// The bridge stopped.
    Stopped(Box<SessionStatus>),
    /// A launcher-mode bridge is the game's parent; it ends with the game.
    EndsWithGame(Box<SessionRecord>),
    /// The bridge did not stop in time.
    TimedOut(Box<SessionRecord>),
}

impl std::fmt::Display for StopOutcome {
    /// What happened, in a sentence that says what to do when the session
    /// did not stop.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopOutcome::Stopped(status) => write!(f, "the bridge of {} stopped", status.game),
            StopOutcome::EndsWithGame(record) => write!(
                f,
                "{} was started with `bridgekeeper run`; its bridge is the game's parent and \
                 ends with the game. Quit the game to end the session.",
                record.game
            ),
            StopOutcome::TimedOut(record) => write!(
                f,
                "the bridge of {} did not stop within {} s",
                record.game,
                STOP_TIMEOUT.as_secs()
            ),
        }
    }
}

/// Asks every live attach session of `appid` to stop, and waits for each.
/// An empty list means there was none.
pub fn stop(registry: &Registry, appid: u32) -> std::io::Result<Vec<StopOutcome>> {
    let mut outcomes = Vec::new();
    for record in live_sessions(registry)
        .into_iter()
        .filter(|r| r.appid == appid)
    {
        if record.kind == SessionKind::Launcher {
            outcomes.push(StopOutcome::EndsWithGame(Box::new(record)));
            continue;
        }
        std::fs::write(stop_file(registry, &record.id), b"")?;
        let deadline = Instant::now() + STOP_TIMEOUT;
        while is_live(&record) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if is_live(&record) {
            outcomes.push(StopOutcome::TimedOut(Box::new(record)));
            continue;
        }
        let status = SessionStatus::of(&record);
        registry.remove(&record.id);
        let _ = std::fs::remove_file(stop_file(registry, &record.id));
        outcomes.push(StopOutcome::Stopped(Box::new(status)));
    }
    Ok(outcomes)
}
