//! What a session is doing now: its registry record, read together with the
//! bridge's status lines and the state of its processes.

use std::path::PathBuf;

use bridgekeeper_protocol::{Event, MappingMode, StatusLine};
use serde::Serialize;

use super::clash::is_live;
use super::registry::PrefixLock;
use super::{Registry, SessionRecord};
use bridgekeeper_host::owned_files::remove_if_same;

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
    /// What happened to the backing files during the session (see
    /// [`super::guard`]); empty while all is well.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<super::guard::FileProblem>,
    /// Known readers running now that fight the bridge (filled in on
    /// demand by [`SessionStatus::check_readers`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub readers: Vec<super::reader_check::ReaderWarning>,
    /// The shares of this session into other prefixes (see
    /// [`super::share`]), filled in by [`all`].
    pub shares: Vec<super::share::ShareRecord>,
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
            problems: record.problems.clone(),
            readers: Vec::new(),
            shares: Vec::new(),
        }
    }

    /// Fills in [`SessionStatus::readers`] for a session that runs or
    /// starts: the fighting readers that map files of its backing folder
    /// (a `/proc` scan; not for every repaint).
    pub fn check_readers(&mut self, backing_dir: &std::path::Path) {
        if self.is_active() {
            let ours: Vec<PathBuf> = self.mappings.iter().map(|m| m.file.clone()).collect();
            self.readers = super::reader_check::fighting_readers(backing_dir, &ours)
                .into_iter()
                .filter(|w| w.files.iter().any(|f| ours.contains(f)))
                .collect();
        }
    }

    /// True while the session runs or starts.
    pub fn is_active(&self) -> bool {
        matches!(self.state, SessionState::Starting | SessionState::Running)
    }
}

/// The largest events file read: a session writes a few KiB of status
/// lines.
pub const MAX_EVENTS_BYTES: u64 = 16 * 1024 * 1024;

/// This run's status lines from the record's events file: read only when
/// it is a regular file of ours (never through a link, never blocking on a
/// FIFO).
pub fn read_events(record: &SessionRecord) -> Vec<Event> {
    bridgekeeper_host::owned_files::read_regular(&record.events_file, MAX_EVENTS_BYTES)
        .map(|bytes| parse_events(&String::from_utf8_lossy(&bytes), &record.nonce))
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
    let shares = super::share::record::list(registry);
    registry
        .list()
        .0
        .iter()
        .map(|record| {
            let mut status = SessionStatus::of(record);
            status.shares = shares
                .iter()
                .filter(|s| s.session == record.id)
                .cloned()
                .collect();
            status
        })
        .collect()
}

/// Removes records of sessions that are over (ended or crashed), and the
/// backing files a crashed session left, unless it kept them or a live
/// session uses them now. Returns the removed sessions.
///
/// A session whose prefix lock another process holds is being started or
/// ended there, and is left alone. Only files the session itself prepared
/// are removed: in its recorded backing folder, ours, with the recorded
/// inode.
pub fn sweep(registry: &Registry) -> Vec<SessionStatus> {
    sweep_holding(registry, None)
}

/// [`sweep`] by a process that holds the lock `held` (its own prefix's
/// sessions are not waited for).
pub fn sweep_holding(registry: &Registry, held: Option<&PrefixLock>) -> Vec<SessionStatus> {
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
        let _lock = match held {
            Some(lock) if lock.covers(&record.prefix) => None,
            _ => match registry.try_lock_prefix(&record.prefix) {
                Some(lock) => Some(lock),
                None => continue,
            },
        };
        if status.state == SessionState::Crashed && !record.keep_files {
            for (file, id) in record.removable_files() {
                if !live_files.contains(&file) {
                    remove_if_same(&file, id);
                }
            }
        }
        registry.remove_session(record);
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
            prefix: "/pfx-parent/pfx".into(),
            proton: None,
            mappings: vec![SessionMapping {
                name: "page".into(),
                file: "/nonexistent/page".into(),
                size: 4096,
                mode: None,
                error: None,
                dev: None,
                inode: None,
            }],
            bridge_pid: None,
            owner_pid: owner,
            owner_start_time: bridgekeeper_host::process_info::start_time(owner as i32)
                .unwrap_or(0),
            owner_pid_namespace: None,
            nonce: "n".into(),
            events_file: format!("/pfx-parent/bridgekeeper/{id}.events").into(),
            started_at: 1,
            keep_files: false,
            backing_dir: None,
            failure: Some("Full Sim is not bridged: no space".into()),
            problems: Vec::new(),
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

    /// Issue #16: a crashed record's `file` is unlinked by the sweep. A
    /// record naming a file outside its backing directory (or an old record
    /// that does not say which file it made) must never cost the user that
    /// file.
    #[test]
    fn the_sweep_never_removes_a_file_the_session_did_not_make() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(&dir.path().join("run"));
        let victim = dir.path().join("precious.txt");
        std::fs::write(&victim, b"precious").unwrap();
        let mut crashed = failed_record("crashed", ended_pid());
        crashed.failure = None;
        crashed.mappings[0].file = victim.clone();
        registry.save(&crashed).unwrap();
        sweep(&registry);
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    }

    /// Issue #16: an events file that is a FIFO hung `status` (and
    /// `bridgekeeper run` before the game started).
    #[test]
    fn an_events_file_that_is_a_fifo_does_not_hang_status() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(dir.path());
        registry.save(&failed_record("placeholder", 1)).unwrap();
        let mut record = failed_record("fifo", std::process::id());
        record.failure = None;
        record.events_file = registry.events_file("fifo");
        let path =
            std::ffi::CString::new(record.events_file.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
        registry.save(&record).unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        let dir_path = dir.path().to_path_buf();
        std::thread::spawn(move || {
            let statuses = all(&Registry::new(&dir_path));
            sweep(&Registry::new(&dir_path));
            let _ = sender.send(statuses);
        });
        let statuses = receiver
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("status returns although the events file is a FIFO");
        let fifo = statuses.iter().find(|s| s.id == "fifo").unwrap();
        assert_eq!(fifo.state, SessionState::Starting, "no events read");
    }

    /// A crashed session of `dir` whose mapping `name` is the file `name`
    /// in `dir`, written now and recorded with its identity.
    fn crashed_with_file(dir: &std::path::Path, id: &str, name: &str) -> SessionRecord {
        use std::os::unix::fs::MetadataExt;
        let mut record = failed_record(id, ended_pid());
        record.failure = None;
        record.backing_dir = Some(dir.to_path_buf());
        record.mappings[0].name = name.into();
        record.mappings[0].file = dir.join(name);
        std::fs::write(&record.mappings[0].file, b"stale").unwrap();
        let meta = std::fs::metadata(&record.mappings[0].file).unwrap();
        record.mappings[0].dev = Some(meta.dev());
        record.mappings[0].inode = Some(meta.ino());
        record
    }

    #[test]
    fn a_crashed_sessions_files_go_at_the_next_sweep_unless_kept() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(&dir.path().join("run"));
        let crashed = crashed_with_file(dir.path(), "crashed", "page");
        let mut kept = crashed_with_file(dir.path(), "kept", "kept-page");
        kept.keep_files = true;
        registry.save(&crashed).unwrap();
        registry.save(&kept).unwrap();
        assert_eq!(SessionStatus::of(&crashed).state, SessionState::Crashed);
        assert_eq!(sweep(&registry).len(), 2);
        assert!(!crashed.mappings[0].file.exists(), "removed");
        assert!(kept.mappings[0].file.exists(), "kept");
    }

    /// Only the very file the session prepared is removed: not a new file
    /// at its path (another inode), not one that became someone else's.
    #[test]
    fn the_sweep_removes_only_the_file_with_the_recorded_identity() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(&dir.path().join("run"));
        let replaced = crashed_with_file(dir.path(), "replaced", "replaced-page");
        let path = &replaced.mappings[0].file;
        let keep_inode_busy = dir.path().join("holder");
        std::fs::rename(path, &keep_inode_busy).unwrap();
        std::fs::write(path, b"a new file at the same path").unwrap();
        let foreign = crashed_with_file(dir.path(), "foreign", "foreign-page");
        std::os::unix::fs::lchown(&foreign.mappings[0].file, Some(65534), None).unwrap();
        registry.save(&replaced).unwrap();
        registry.save(&foreign).unwrap();
        assert_eq!(sweep(&registry).len(), 2, "both records go");
        assert_eq!(std::fs::read(path).unwrap(), b"a new file at the same path");
        assert!(
            foreign.mappings[0].file.exists(),
            "another user's file stays"
        );
    }

    /// A session whose prefix another process holds locked is being
    /// started or ended there: the sweep leaves it.
    #[test]
    fn the_sweep_leaves_a_session_whose_prefix_is_locked() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(&dir.path().join("run"));
        let crashed = crashed_with_file(dir.path(), "crashed", "page");
        registry.save(&crashed).unwrap();
        let held = registry.lock_prefix(&crashed.prefix).unwrap();
        let other = registry.clone();
        let swept = std::thread::spawn(move || {
            // Another process's view: its own lock file descriptor.
            sweep(&other).len()
        })
        .join()
        .unwrap();
        assert_eq!(swept, 0);
        assert!(crashed.mappings[0].file.exists());
        assert_eq!(sweep_holding(&registry, Some(&held)).len(), 1);
        assert!(!crashed.mappings[0].file.exists());
    }
}
