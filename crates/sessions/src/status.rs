//! What a session is doing now: its registry record, read together with the
//! bridge's status lines and the state of its processes.

use std::path::PathBuf;

use bridgekeeper_protocol::{Event, MappingMode, StatusLine};
use serde::Serialize;

use super::clash::is_live;
use super::{Registry, SessionRecord};

/// The state of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum SessionState {
    /// The bridge is creating its mappings.
    Starting,
    /// Every mapping is set up; data flows.
    Running,
    /// The bridge stopped and said why.
    Ended {
        /// The bridge's reason (`game-exited`, `stop-requested` …).
        reason: String,
        /// Its exit code.
        exit_code: u32,
    },
    /// The session's process is gone without a word from the bridge: it
    /// was killed or crashed.
    Crashed,
    /// The session could not start (the game ran without a bridge).
    Failed {
        /// Why, in a sentence that says what to do.
        message: String,
    },
}

impl std::fmt::Display for SessionState {
    /// The state in the words every view uses (`status`, the Sessions
    /// panel, notices).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionState::Starting => f.write_str("starting"),
            SessionState::Running => f.write_str("running"),
            SessionState::Ended { reason, exit_code } => {
                write!(f, "ended ({reason}, exit code {exit_code})")
            }
            SessionState::Crashed => f.write_str("crashed: the bridge is gone without a word"),
            SessionState::Failed { message } => write!(f, "not bridged: {message}"),
        }
    }
}

/// One mapping as the bridge last reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappingStatus {
    /// Win32 name.
    pub name: String,
    /// Backing file.
    pub file: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// `shared`, `copy`, or absent while pending or failed.
    pub mode: Option<MappingMode>,
    /// Why it failed.
    pub error: Option<String>,
}

/// A session and its state.
#[derive(Debug, Clone, Serialize)]
pub struct SessionStatus {
    /// Session id.
    pub id: String,
    /// Steam appid.
    pub appid: u32,
    /// Game name.
    pub game: String,
    /// Profile id.
    pub profile: String,
    /// `launcher` or `attach`.
    pub kind: super::SessionKind,
    /// Wine prefix.
    pub prefix: PathBuf,
    /// Linux pid of the bridge, if known.
    pub bridge_pid: Option<u32>,
    /// State.
    #[serde(flatten)]
    pub state: SessionState,
    /// Mappings.
    pub mappings: Vec<MappingStatus>,
    /// Advice for the user, e.g. why copy mode and how to avoid it.
    pub advice: Option<String>,
    /// How the session ended, in a sentence (see [`super::ending`]).
    pub ending: Option<String>,
    /// Exit code of the last game process that ended (Windows code;
    /// `0xC0000000` and up means it crashed).
    pub game_exit_code: Option<u32>,
}

impl SessionStatus {
    /// The status of one record.
    pub fn of(record: &SessionRecord) -> SessionStatus {
        Self::with_events(record, read_events(record))
    }

    /// The status of one record whose bridge wrote `events`.
    pub fn with_events(record: &SessionRecord, events: Vec<Event>) -> SessionStatus {
        let mut mappings: Vec<MappingStatus> = record
            .mappings
            .iter()
            .map(|m| MappingStatus {
                name: m.name.clone(),
                file: m.file.clone(),
                size: m.size,
                mode: m.mode,
                error: m.error.clone(),
            })
            .collect();
        let mut setup_done = false;
        let mut ended = None;
        let mut ending = None;
        for event in &events {
            match event {
                Event::Ready { name, mode, .. } => {
                    if let Some(m) = mappings.iter_mut().find(|m| &m.name == name) {
                        m.mode = Some(*mode);
                    }
                }
                Event::Failed { name, message, .. } => {
                    if let Some(m) = mappings.iter_mut().find(|m| &m.name == name) {
                        m.error = Some(message.clone());
                    }
                }
                Event::AllReady { .. } | Event::SetupIncomplete { .. } => setup_done = true,
                Event::Stopping { reason, exit_code } => {
                    ending = Some(super::ending::describe(*reason, &events));
                    let reason = serde_json::to_value(reason)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    ended = Some(SessionState::Ended {
                        reason,
                        exit_code: *exit_code,
                    });
                }
                _ => {}
            }
        }
        let state = match ended {
            _ if record.failure.is_some() => SessionState::Failed {
                message: record.failure.clone().unwrap_or_default(),
            },
            Some(ended) => ended,
            None if !is_live(record) => {
                ending = Some(
                    "the bridge is gone without a word: it was killed or crashed; its files \
                     are cleaned up when the next session starts"
                        .into(),
                );
                SessionState::Crashed
            }
            None if setup_done => SessionState::Running,
            None => SessionState::Starting,
        };
        let advice = mappings.iter().any(|m| m.mode == Some(MappingMode::Copy)).then(|| {
            "The game created some sections before the bridge, so they are copied (about 1 ms behind, \
             game to Linux only). Set the game's launch options to `bridgekeeper run %command%` for \
             zero copy."
                .to_string()
        });
        SessionStatus {
            id: record.id.clone(),
            appid: record.appid,
            game: record.game.clone(),
            profile: record.profile.clone(),
            kind: record.kind,
            prefix: record.prefix.clone(),
            bridge_pid: record.bridge_pid,
            state,
            mappings,
            advice,
            game_exit_code: super::ending::last_game_exit(&events).map(|(_, code)| code),
            ending,
        }
    }

    /// True while the session runs or starts.
    pub fn is_active(&self) -> bool {
        matches!(self.state, SessionState::Starting | SessionState::Running)
    }
}

/// This run's status lines from the record's events file.
pub fn read_events(record: &SessionRecord) -> Vec<Event> {
    std::fs::read_to_string(&record.events_file)
        .map(|text| parse_events(&text, &record.nonce))
        .unwrap_or_default()
}

/// The events of the run with `nonce` in the text of an events file.
pub fn parse_events(text: &str, nonce: &str) -> Vec<Event> {
    text.lines()
        .filter_map(StatusLine::from_json)
        .filter(|line| line.nonce == nonce)
        .map(|line| line.event)
        .collect()
}

/// The status of every session in the registry.
pub fn all(registry: &Registry) -> Vec<SessionStatus> {
    registry.list().0.iter().map(SessionStatus::of).collect()
}

/// Removes records of sessions that are over (ended or crashed), and the
/// backing files a crashed session left, unless it kept them or a live
/// session uses them now. Returns the removed sessions.
pub fn sweep(registry: &Registry) -> Vec<SessionStatus> {
    let (records, _) = registry.list();
    let live_files: Vec<PathBuf> = records
        .iter()
        .filter(|r| r.failure.is_none() && is_live(r))
        .flat_map(|r| r.mappings.iter().map(|m| m.file.clone()))
        .collect();
    let mut removed = Vec::new();
    for record in &records {
        let status = SessionStatus::of(record);
        let failed_game_runs =
            matches!(status.state, SessionState::Failed { .. }) && is_live(record);
        if status.is_active() || failed_game_runs {
            continue;
        }
        if status.state == SessionState::Crashed && !record.keep_files {
            for mapping in &record.mappings {
                if !live_files.contains(&mapping.file) {
                    let _ = std::fs::remove_file(&mapping.file);
                }
            }
        }
        registry.remove(&record.id);
        removed.push(status);
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SessionKind, SessionMapping};

    fn failed_record(id: &str, owner: u32) -> SessionRecord {
        SessionRecord {
            id: id.into(),
            appid: 7,
            game: "Full Sim".into(),
            profile: "full".into(),
            kind: SessionKind::Launcher,
            prefix: "/pfx".into(),
            proton: None,
            mappings: vec![SessionMapping {
                name: "page".into(),
                file: "/nonexistent/page".into(),
                size: 4096,
                mode: None,
                error: None,
            }],
            bridge_pid: None,
            owner_pid: owner,
            owner_start_time: bridgekeeper_host::process_info::start_time(owner as i32)
                .unwrap_or(0),
            nonce: "n".into(),
            events_file: "/nonexistent/events".into(),
            started_at: 1,
            keep_files: false,
            failure: Some("Full Sim is not bridged: no space".into()),
        }
    }

    /// The pid of a process that has ended (and been reaped).
    fn ended_pid() -> u32 {
        let mut ended = std::process::Command::new("true").spawn().unwrap();
        ended.wait().unwrap();
        ended.id()
    }

    #[test]
    fn a_failed_session_shows_while_its_game_runs_and_is_swept_after() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(dir.path());
        let ended_pid = ended_pid();
        registry
            .save(&failed_record("running", std::process::id()))
            .unwrap();
        registry.save(&failed_record("over", ended_pid)).unwrap();
        let statuses = all(&registry);
        assert!(statuses.iter().all(|s| s.state
            == SessionState::Failed {
                message: "Full Sim is not bridged: no space".into()
            }));
        let swept: Vec<String> = sweep(&registry).into_iter().map(|s| s.id).collect();
        assert_eq!(swept, ["over"]);
        assert_eq!(registry.list().0.len(), 1);
        assert!(super::super::clash::live_sessions(&registry).is_empty());
    }

    #[test]
    fn a_crashed_sessions_files_go_at_the_next_sweep_unless_kept() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(dir.path());
        let ended_pid = ended_pid();
        let mut crashed = failed_record("crashed", ended_pid);
        crashed.failure = None;
        crashed.mappings[0].file = dir.path().join("page");
        std::fs::write(&crashed.mappings[0].file, b"stale").unwrap();
        let mut kept = crashed.clone();
        kept.id = "kept".into();
        kept.keep_files = true;
        kept.mappings[0].file = dir.path().join("kept-page");
        std::fs::write(&kept.mappings[0].file, b"stale").unwrap();
        registry.save(&crashed).unwrap();
        registry.save(&kept).unwrap();
        assert_eq!(SessionStatus::of(&crashed).state, SessionState::Crashed);
        assert_eq!(sweep(&registry).len(), 2);
        assert!(!crashed.mappings[0].file.exists(), "removed");
        assert!(kept.mappings[0].file.exists(), "kept");
    }
}
