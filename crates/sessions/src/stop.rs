//! Stopping attach sessions on request.

use std::time::{Duration, Instant};

use super::attach::stop_file;
use super::clash::{is_live, live_sessions};
use super::status::SessionStatus;
use super::{Registry, SessionKind, SessionRecord};
use bridgekeeper_host::owned_files::{OwnedError, create_new};

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

/// Why a bridge could not be asked to stop.
#[derive(Debug, thiserror::Error)]
#[error("cannot ask the bridge of {game} to stop: {source}")]
pub struct StopError {
    /// The game.
    pub game: String,
    /// Why the stop file could not be made.
    pub source: OwnedError,
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
/// An empty list means there was none. The stop file is created new in the
/// registry folder, never through a link.
pub fn stop(registry: &Registry, appid: u32) -> Result<Vec<StopOutcome>, StopError> {
    let mut outcomes = Vec::new();
    for record in live_sessions(registry)
        .into_iter()
        .filter(|r| r.appid == appid)
    {
        if record.kind == SessionKind::Launcher {
            outcomes.push(StopOutcome::EndsWithGame(Box::new(record)));
            continue;
        }
        create_new(&stop_file(registry, &record.id)).map_err(|source| StopError {
            game: record.game.clone(),
            source,
        })?;
        let deadline = Instant::now() + STOP_TIMEOUT;
        while is_live(&record) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if is_live(&record) {
            outcomes.push(StopOutcome::TimedOut(Box::new(record)));
            continue;
        }
        let status = SessionStatus::of(&record);
        registry.remove_session(&record);
        outcomes.push(StopOutcome::Stopped(Box::new(status)));
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SessionMapping;

    /// Issue #16: `stop` wrote `<id>.stop` through a symbolic link,
    /// truncating whatever the link pointed at.
    #[test]
    fn the_stop_file_is_never_written_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(&dir.path().join("run"));
        let mut owner = std::process::Command::new("sleep")
            .arg("1")
            .spawn()
            .unwrap();
        let pid = owner.id();
        let record = SessionRecord {
            id: "7-n".into(),
            appid: 7,
            game: "Stopped Sim".into(),
            profile: "stopped".into(),
            kind: SessionKind::Attach,
            prefix: dir.path().join("pfx"),
            proton: None,
            mappings: vec![SessionMapping {
                name: "page".into(),
                file: dir.path().join("page"),
                size: 4096,
                mode: None,
                error: None,
                dev: None,
                inode: None,
            }],
            bridge_pid: Some(pid),
            owner_pid: pid,
            owner_start_time: bridgekeeper_host::process_info::start_time(pid as i32).unwrap(),
            owner_pid_namespace: None,
            nonce: "n".into(),
            events_file: registry.events_file("7-n"),
            started_at: 1,
            keep_files: false,
            backing_dir: None,
            failure: None,
            problems: Vec::new(),
        };
        registry.save(&record).unwrap();
        let victim = dir.path().join("precious.txt");
        std::fs::write(&victim, b"precious").unwrap();
        std::os::unix::fs::symlink(&victim, stop_file(&registry, "7-n")).unwrap();
        let err = stop(&registry, 7).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        owner.wait().unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    }
}
