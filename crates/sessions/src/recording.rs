//! Recording a live session into a capture file (`bridgekeeper record`, the
//! desktop's Record button).
//!
//! A recording outlives the session it started with: games restart their
//! session (a new bridge, a new registry record, often new files at the
//! same paths) when the player goes back to the menu or the game restarts.
//! The sampler reads the files by path and records a missing or replaced
//! file as a state, never an error, so the recording itself just goes on;
//! a follower thread watches the registry and reports which session is
//! recorded now (a new live record of the same appid whose files are the
//! same), or that the new session's files lie elsewhere and cannot be
//! followed (reported, not fatal). What can end a recording: the stop flag
//! (Ctrl-C, the Stop button), the chosen duration, and a write error (a
//! full disk), which comes back as [`RecordError::Capture`]. A recorder
//! that is killed leaves a file that reads back up to its last complete
//! chunk, which the writer closes at least once a second.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bridgekeeper_capture::{
    CaptureError, CaptureHeader, CaptureWriter, PollOptions, PollReport, Sampler, SourceFile,
    WriteSummary,
};

use super::clash::is_live;
use super::status::SessionStatus;
use super::{Registry, SessionKind, SessionRecord};

/// Why a recording could not start or went wrong.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Nothing in the registry matches what was asked for.
    #[error(
        "no running session for {0:?}; `bridgekeeper status` lists the sessions (give an appid \
         or a session id), and a game is bridged by `bridgekeeper run %command%`, `attach` or \
         `watch`"
    )]
    NoSession(String),
    /// The session has no mapping to record.
    #[error("session {0} has no mappings to record")]
    NoMappings(String),
    /// A replay is not recorded again: its capture is the recording.
    #[error("session {id} is a replay of {capture}; that file already is its recording (copy it)")]
    Replay {
        /// The session.
        id: String,
        /// Its capture file.
        capture: PathBuf,
    },
    /// The capture file could not be written.
    #[error(transparent)]
    Capture(#[from] CaptureError),
}

/// What happened during a recording, for the caller to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordEvent {
    /// The recorded session ended; waiting for the game to start a new one.
    SessionEnded {
        /// The session that ended.
        id: String,
    },
    /// A new session of the same game took over the same files.
    Following {
        /// The new session.
        id: String,
    },
    /// A new session of the game uses other files; they are not recorded.
    CannotFollow {
        /// The new session.
        id: String,
        /// Its first file that is not recorded.
        file: PathBuf,
    },
}

/// What a recording did.
#[derive(Debug, Clone)]
pub struct RecordSummary {
    /// The poll loop's figures.
    pub polls: PollReport,
    /// The writer's figures.
    pub written: WriteSummary,
    /// The session recorded last.
    pub session: String,
}

/// Where the desktop app puts recordings:
/// `$XDG_DATA_HOME/bridgekeeper/captures` (`~/.local/share/...`).
pub fn default_capture_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.data_local_dir().join("bridgekeeper").join("captures"))
}

/// A new capture file name for `record` in `dir`:
/// `<profile>-<YYYYmmdd-HHMMSS>.bkcap`.
pub fn capture_name(dir: &Path, record: &SessionRecord) -> PathBuf {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let stamp: String = bridgekeeper_capture::rfc3339_utc(now)
        .chars()
        .take(19)
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .map(|c| if c == 'T' { '-' } else { c })
        .collect();
    let base = if record.profile.is_empty() {
        "capture"
    } else {
        &record.profile
    };
    dir.join(format!(
        "{base}-{stamp}.{}",
        bridgekeeper_capture::FILE_EXTENSION
    ))
}

/// The running session `what` names: a session id, or an appid (its
/// newest running session).
pub fn find_session(registry: &Registry, what: &str) -> Result<SessionRecord, RecordError> {
    let running: Vec<SessionRecord> = registry
        .list()
        .0
        .into_iter()
        .filter(|r| r.failure.is_none() && SessionStatus::of(r).is_active())
        .collect();
    let found = match what.parse::<u32>() {
        Ok(appid) => running.into_iter().rfind(|r| r.appid == appid),
        Err(_) => running.into_iter().find(|r| r.id == what),
    };
    let record = found.ok_or_else(|| RecordError::NoSession(what.to_string()))?;
    if record.kind == SessionKind::Replay {
        return Err(RecordError::Replay {
            id: record.id,
            capture: record.prefix,
        });
    }
    if record.mappings.is_empty() {
        return Err(RecordError::NoMappings(record.id));
    }
    Ok(record)
}

/// The capture header for `record`: its mappings, game, appid, profile and
/// Proton build.
pub fn header_for(record: &SessionRecord) -> CaptureHeader {
    let mut header = CaptureHeader::new(record.mappings.iter().map(|m| (m.name.clone(), m.size)));
    header.game = Some(record.game.clone());
    header.appid = Some(record.appid);
    header.profile = (!record.profile.is_empty()).then(|| record.profile.clone());
    header.proton = record
        .proton
        .as_ref()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    header
}

/// Records `session` into a new file `output` until `stop` is set or
/// `duration` has passed, following restarts of the session (see the
/// module documentation); `on_event` hears of them (from another thread).
pub fn record_session(
    registry: &Registry,
    session: &SessionRecord,
    output: &Path,
    duration: Option<Duration>,
    stop: &Arc<AtomicBool>,
    on_event: impl Fn(RecordEvent) + Send + 'static,
) -> Result<RecordSummary, RecordError> {
    let sources: Vec<SourceFile> = session
        .mappings
        .iter()
        .map(|m| SourceFile {
            name: m.name.clone(),
            path: m.file.clone(),
            size: m.size,
        })
        .collect();
    let mut sampler = Sampler::new(sources);
    let mut writer = CaptureWriter::create(output, header_for(session))?;
    let done = Arc::new(AtomicBool::new(false));
    let follower = {
        let (registry, session, stop, done) = (
            registry.clone(),
            session.clone(),
            stop.clone(),
            done.clone(),
        );
        std::thread::Builder::new()
            .name("record-follow".into())
            .spawn(move || follow(&registry, session, duration, &stop, &done, on_event))
            .ok()
    };
    let polled = bridgekeeper_capture::record(
        &mut sampler,
        &mut writer,
        &PollOptions::default(),
        stop.as_ref(),
    );
    done.store(true, Ordering::Relaxed);
    let last = follower
        .and_then(|f| f.join().ok())
        .unwrap_or_else(|| session.id.clone());
    let polls = polled?;
    let written = writer.finish()?;
    Ok(RecordSummary {
        polls,
        written,
        session: last,
    })
}

/// How often the follower looks at the clock and the registry.
const FOLLOW_EVERY: Duration = Duration::from_millis(200);

/// Sets `stop` when `duration` is over; reports session ends and restarts.
/// Returns the id of the session followed last.
fn follow(
    registry: &Registry,
    mut session: SessionRecord,
    duration: Option<Duration>,
    stop: &AtomicBool,
    done: &AtomicBool,
    on_event: impl Fn(RecordEvent),
) -> String {
    let started = Instant::now();
    let mut ended = false;
    let mut refused = Vec::new();
    while !done.load(Ordering::Relaxed) && !stop.load(Ordering::Relaxed) {
        if duration.is_some_and(|d| started.elapsed() >= d) {
            stop.store(true, Ordering::Relaxed);
            break;
        }
        std::thread::sleep(FOLLOW_EVERY);
        if !ended && !is_running(&session) {
            ended = true;
            on_event(RecordEvent::SessionEnded {
                id: session.id.clone(),
            });
        }
        if !ended {
            continue;
        }
        let next = registry.list().0.into_iter().rfind(|r| {
            r.appid == session.appid
                && r.id != session.id
                && !refused.contains(&r.id)
                && r.kind != SessionKind::Replay
                && is_running(r)
        });
        let Some(next) = next else { continue };
        let elsewhere = next
            .mappings
            .iter()
            .find(|m| !session.mappings.iter().any(|s| s.file == m.file));
        match elsewhere {
            Some(m) => {
                on_event(RecordEvent::CannotFollow {
                    id: next.id.clone(),
                    file: m.file.clone(),
                });
                refused.push(next.id);
            }
            None => {
                on_event(RecordEvent::Following {
                    id: next.id.clone(),
                });
                session = next;
                ended = false;
            }
        }
    }
    session.id
}

fn is_running(record: &SessionRecord) -> bool {
    record.failure.is_none() && is_live(record) && SessionStatus::of(record).is_active()
}
