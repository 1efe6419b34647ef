//! Session events: a session started or ended, a game was refused, a
//! mapping's file ran into a problem. The D-Bus service turns them into
//! signals and desktop notifications.
//!
//! Failure mode: sessions are started by several processes (the watcher of
//! `bridgekeeper watch` or of the desktop app, `bridgekeeper attach`,
//! `bridgekeeper run` from Steam's launch options), so no one process sees
//! every start and end in its own code; and a bridge killed with SIGKILL
//! announces nothing at all.
//!
//! Design: the registry is the one place where every session appears, so
//! the events come from it. Its folder is watched (inotify, through
//! `notify`) and read again on every change and every [`TICK`] (a dead
//! owner changes no file), and each session's status is compared with the
//! one seen before:
//!
//! - [`SessionEvent::Started`] once a session's setup is done (state
//!   `running`), so it carries each mapping's mode (zero copy or copy);
//! - [`SessionEvent::Ended`] once a started session is over (ended,
//!   crashed, or its record removed after its owner exited); every `Ended`
//!   follows a `Started` of the same session;
//! - [`SessionEvent::Refused`] for a session recorded as failed (the game
//!   runs without a bridge).
//!
//! Sessions already in the registry when the source starts are not
//! announced (they are the current state, which `status` shows), but their
//! end is. What only another part of the program notices (the watcher's
//! refusals, a guard over the backing files) comes in through an
//! [`EventSender`].

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher as _};
use serde::{Deserialize, Serialize};

use bridgekeeper_host::process_info::ProcessInfo;
use bridgekeeper_profiles::Catalog;

use super::Registry;
use super::adopt::FollowedSession;
use super::clash::is_live;
use super::status::{SessionState, SessionStatus};
use super::watcher::Notice;

/// How often the registry is read again without a change in its folder
/// (to notice owners that died).
pub const TICK: Duration = Duration::from_millis(500);

/// Something that happened to a session.
#[derive(Debug, Clone)]
pub enum SessionEvent {
    /// A session's bridge set up its mappings.
    Started(Box<SessionStatus>),
    /// A started session is over.
    Ended(Box<SessionStatus>),
    /// A game was not bridged.
    Refused(Refusal),
    /// A mapping's file ran into a problem during a session.
    MappingProblem(Box<MappingProblem>),
}

/// A game that runs without a bridge, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// Steam appid.
    pub appid: u32,
    /// The game's name.
    pub game: String,
    /// The game's Linux pid, when known.
    pub pid: Option<u32>,
    /// Why, in a sentence that says what to do.
    pub reason: String,
}

impl Refusal {
    /// The refusal a watcher's notice reports, if it is one. The appid is
    /// the game process's (`SteamAppId`) while it runs, else the first of
    /// the profile named like the game.
    pub fn of_notice(notice: &Notice, catalog: &Catalog) -> Option<Refusal> {
        let Notice::Refused { game, pid, reason } = notice else {
            return None;
        };
        let appid = ProcessInfo::read(*pid)
            .and_then(|p| p.appid())
            .or_else(|| {
                catalog
                    .entries()
                    .iter()
                    .find(|e| e.profile.name == *game)
                    .and_then(|e| e.profile.appids.first().copied())
            })
            .unwrap_or(0);
        Some(Refusal {
            appid,
            game: game.clone(),
            pid: u32::try_from(*pid).ok(),
            reason: reason.clone(),
        })
    }
}

/// What happened to a mapping's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The file was deleted: readers that open it now find nothing.
    Deleted,
    /// Another file took its name: readers that open it now read that one.
    Replaced,
    /// The file was cut short; readers touching the lost pages get SIGBUS.
    Shortened {
        /// Its length now, in bytes.
        length: u64,
        /// The mapping's size, in bytes.
        size: u64,
    },
    /// Something else writes the same file.
    Clash {
        /// Who, in words (another game's session, a program).
        with: String,
    },
}

impl ProblemKind {
    /// One word for it: `deleted`, `replaced`, `shortened` or `clash`.
    pub fn word(&self) -> &'static str {
        match self {
            ProblemKind::Deleted => "deleted",
            ProblemKind::Replaced => "replaced",
            ProblemKind::Shortened { .. } => "shortened",
            ProblemKind::Clash { .. } => "clash",
        }
    }
}

impl std::fmt::Display for ProblemKind {
    /// What happened, as the end of a sentence about the file.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProblemKind::Deleted => f.write_str("was deleted"),
            ProblemKind::Replaced => f.write_str("was replaced by another file"),
            ProblemKind::Shortened { length, size } => {
                write!(f, "was shortened to {length} of its {size} bytes")
            }
            ProblemKind::Clash { with } => write!(f, "is also written by {with}"),
        }
    }
}

/// The process behind a problem, as far as it is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Culprit {
    /// Its Linux pid.
    pub pid: u32,
    /// Its executable, when readable.
    pub exe: Option<PathBuf>,
}

/// A problem with one mapping's file during a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingProblem {
    /// Steam appid.
    pub appid: u32,
    /// The game's name.
    pub game: String,
    /// The session's id.
    pub session: String,
    /// The mapping's Win32 name.
    pub mapping: String,
    /// Its backing file.
    pub file: PathBuf,
    /// What happened.
    #[serde(flatten)]
    pub what: ProblemKind,
    /// Who did it, when known.
    pub culprit: Option<Culprit>,
    /// What to do about it, in a sentence.
    pub fix: String,
}

impl std::fmt::Display for MappingProblem {
    /// `FILE (mapping M of GAME) was deleted by EXE (pid P).`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (mapping {} of {}) {}",
            self.file.display(),
            self.mapping,
            self.game,
            self.what
        )?;
        match &self.culprit {
            Some(Culprit {
                pid,
                exe: Some(exe),
            }) => write!(f, " by {} (pid {pid})", exe.display())?,
            Some(Culprit { pid, exe: None }) => write!(f, " by pid {pid}")?,
            None => {}
        }
        f.write_str(".")
    }
}

impl MappingProblem {
    /// The event for a problem a session's guard recorded.
    pub fn of_file_problem(
        record: &super::SessionRecord,
        problem: &super::guard::FileProblem,
    ) -> MappingProblem {
        MappingProblem {
            appid: record.appid,
            game: record.game.clone(),
            session: record.id.clone(),
            mapping: problem.mapping.clone(),
            file: problem.file.clone(),
            what: problem.what.clone(),
            culprit: problem.by.first().map(|user| Culprit {
                pid: user.pid,
                exe: user.exe.clone(),
            }),
            fix: problem.fix.clone(),
        }
    }
}

/// Sends events from elsewhere into a [`SessionEvents`] stream.
#[derive(Debug, Clone)]
pub struct EventSender(Sender<Input>);

impl EventSender {
    /// Reports a problem with a mapping's file.
    pub fn mapping_problem(&self, problem: MappingProblem) {
        let _ = self
            .0
            .send(Input::Event(SessionEvent::MappingProblem(Box::new(
                problem,
            ))));
    }

    /// Reports a game that was not bridged.
    pub fn refused(&self, refusal: Refusal) {
        let _ = self.0.send(Input::Event(SessionEvent::Refused(refusal)));
    }
}

#[derive(Debug)]
enum Input {
    /// The registry folder changed.
    Changed,
    /// An event from elsewhere.
    Event(SessionEvent),
}

/// The events of a registry, from a thread that ends when this is dropped.
#[derive(Debug)]
pub struct SessionEvents {
    events: Receiver<SessionEvent>,
    sender: EventSender,
    stop: Arc<AtomicBool>,
}

impl SessionEvents {
    /// Starts watching `registry` (creating its folder). When the folder
    /// cannot be watched, it is read every [`TICK`] only.
    pub fn start(registry: Registry) -> SessionEvents {
        let (input, inputs) = mpsc::channel();
        let (output, events) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let watcher = watch_folder(&registry, input.clone());
        let mut tracker = Tracker::new(registry);
        tracker.scan(true);
        let flag = Arc::clone(&stop);
        std::thread::spawn(move || {
            let _watcher = watcher;
            run(&mut tracker, &inputs, &output, &flag);
        });
        SessionEvents {
            events,
            sender: EventSender(input),
            stop,
        }
    }

    /// A sender for events from elsewhere.
    pub fn sender(&self) -> EventSender {
        self.sender.clone()
    }

    /// The next event, waiting up to `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<SessionEvent, RecvTimeoutError> {
        self.events.recv_timeout(timeout)
    }
}

impl Drop for SessionEvents {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn watch_folder(registry: &Registry, input: Sender<Input>) -> Option<notify::RecommendedWatcher> {
    let dir = registry.dir().to_path_buf();
    if let Err(err) = registry.ensure() {
        tracing::warn!(
            "cannot create the session registry {}: {err}; it is read every {TICK:?}",
            dir.display()
        );
        return None;
    }
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| changes(&e.kind)) {
            let _ = input.send(Input::Changed);
        }
    })
    .and_then(|mut w| w.watch(&dir, RecursiveMode::NonRecursive).map(|()| w));
    match watcher {
        Ok(w) => Some(w),
        Err(err) => {
            tracing::warn!(
                "cannot watch the session registry {}: {err}; it is read every {TICK:?}",
                dir.display()
            );
            None
        }
    }
}

/// Whether `kind` changes what the registry says. Reading the records opens
/// and closes them, which inotify reports too: reacting to that would read
/// them again, forever.
fn changes(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

fn run(
    tracker: &mut Tracker,
    inputs: &Receiver<Input>,
    output: &Sender<SessionEvent>,
    stop: &AtomicBool,
) {
    while !stop.load(Ordering::Relaxed) {
        let mut forwarded = Vec::new();
        match inputs.recv_timeout(TICK) {
            Ok(Input::Event(event)) => forwarded.push(event),
            Ok(Input::Changed) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        // A write is several inotify events: one read of the registry for
        // all that came meanwhile.
        for input in inputs.try_iter() {
            if let Input::Event(event) = input {
                forwarded.push(event);
            }
        }
        for event in forwarded.into_iter().chain(tracker.scan(false)) {
            if output.send(event).is_err() {
                return;
            }
        }
    }
}

/// The status of `followed`. A bridge may write its last line and exit
/// between the read of its lines and the look at its process, which reads
/// as a crash: then the lines are read again, now that nothing writes them.
fn settled_status(followed: &mut FollowedSession) -> SessionStatus {
    let status = followed.status();
    if status.state == SessionState::Crashed {
        return followed.status();
    }
    status
}

/// A session seen in the registry.
#[derive(Debug)]
struct Tracked {
    followed: FollowedSession,
    announced: bool,
    /// How many of the record's file problems were announced (or were
    /// there at the first scan).
    problems_seen: usize,
}

/// The sessions seen so far, and what was said about them.
#[derive(Debug)]
struct Tracker {
    registry: Registry,
    sessions: HashMap<String, Tracked>,
    /// Records that are over (ended, crashed, failed) but still listed.
    done: HashSet<String>,
}

impl Tracker {
    fn new(registry: Registry) -> Tracker {
        Tracker {
            registry,
            sessions: HashMap::new(),
            done: HashSet::new(),
        }
    }

    /// Reads the registry and returns what changed since the last scan;
    /// the `first` scan only takes note of what is there.
    fn scan(&mut self, first: bool) -> Vec<SessionEvent> {
        let mut events = Vec::new();
        let (records, _) = self.registry.list();
        let listed: HashSet<String> = records.iter().map(|r| r.id.clone()).collect();
        for record in records {
            if self.done.contains(&record.id) {
                continue;
            }
            let id = record.id.clone();
            let tracked = self.sessions.entry(id.clone()).or_insert_with(|| Tracked {
                followed: FollowedSession::new(record.clone(), &self.registry),
                announced: false,
                problems_seen: if first { record.problems.len() } else { 0 },
            });
            for problem in record.problems.iter().skip(tracked.problems_seen) {
                events.push(SessionEvent::MappingProblem(Box::new(
                    MappingProblem::of_file_problem(&record, problem),
                )));
            }
            tracked.problems_seen = tracked.problems_seen.max(record.problems.len());
            tracked.followed.record = record;
            let status = settled_status(&mut tracked.followed);
            match &status.state {
                SessionState::Starting => {}
                SessionState::Running => {
                    if !tracked.announced {
                        tracked.announced = true;
                        if !first {
                            events.push(SessionEvent::Started(Box::new(status)));
                        }
                    }
                }
                SessionState::Failed { message } => {
                    if !first {
                        events.push(SessionEvent::Refused(Refusal {
                            appid: status.appid,
                            game: status.game.clone(),
                            pid: Some(tracked.followed.record.owner_pid),
                            reason: message.clone(),
                        }));
                    }
                    self.finish(&id);
                }
                SessionState::Ended { .. } | SessionState::Crashed => {
                    if tracked.announced {
                        events.push(SessionEvent::Ended(Box::new(status)));
                    }
                    self.finish(&id);
                }
            }
        }
        let gone: Vec<String> = self
            .sessions
            .keys()
            .filter(|id| !listed.contains(*id))
            .cloned()
            .collect();
        for id in gone {
            let Some(tracked) = self.sessions.get_mut(&id) else {
                continue;
            };
            // `stop` removes the record once the owner exited; a record
            // removed under a live owner is over when the owner is.
            if is_live(&tracked.followed.record) {
                continue;
            }
            let status = settled_status(&mut tracked.followed);
            if tracked.announced {
                events.push(SessionEvent::Ended(Box::new(status)));
            }
            self.sessions.remove(&id);
        }
        self.done.retain(|id| listed.contains(id));
        events
    }

    fn finish(&mut self, id: &str) {
        self.sessions.remove(id);
        self.done.insert(id.to_string());
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::{SessionKind, SessionMapping, SessionRecord};

    fn record(dir: &std::path::Path, id: &str, owner: &std::process::Child) -> SessionRecord {
        let pid = owner.id();
        SessionRecord {
            id: id.into(),
            appid: 4321,
            game: "Evented Sim".into(),
            profile: "evented".into(),
            kind: SessionKind::Attach,
            prefix: dir.join("pfx"),
            proton: None,
            mappings: vec![SessionMapping {
                name: "evented_page".into(),
                file: dir.join("evented_page"),
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
            events_file: dir.join(format!("{id}.events")),
            started_at: 1,
            keep_files: false,
            backing_dir: None,
            failure: None,
            problems: Vec::new(),
        }
    }

    fn sleeper() -> std::process::Child {
        std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap()
    }

    fn append(record: &SessionRecord, line: &str) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&record.events_file)
            .unwrap();
        writeln!(file, "{line}").unwrap();
    }

    const READY: &str = r#"{"nonce":"n","event":"ready","name":"evented_page","file":"/f","mode":"copy","size":4096}"#;
    const ALL_READY: &str = r#"{"nonce":"n","event":"all-ready","shared":0,"copy":1}"#;

    fn next(events: &SessionEvents) -> SessionEvent {
        events
            .recv_timeout(Duration::from_secs(5))
            .expect("an event within 5 s")
    }

    #[test]
    fn a_session_is_announced_when_ready_and_when_its_owner_dies() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(dir.path());
        let events = SessionEvents::start(registry.clone());
        let mut owner = sleeper();
        let record = record(registry.dir(), "4321-n", &owner);
        registry.save(&record).unwrap();
        assert!(
            events.recv_timeout(TICK * 3).is_err(),
            "nothing while it starts"
        );
        append(&record, READY);
        append(&record, ALL_READY);
        match next(&events) {
            SessionEvent::Started(status) => {
                assert_eq!((status.id.as_str(), status.appid), ("4321-n", 4321));
                assert_eq!(status.game, "Evented Sim");
                assert_eq!(status.mappings[0].file, registry.dir().join("evented_page"));
                assert_eq!(
                    status.mappings[0].mode,
                    Some(bridgekeeper_protocol::MappingMode::Copy)
                );
            }
            other => panic!("expected Started, got {other:?}"),
        }
        owner.kill().unwrap();
        owner.wait().unwrap();
        match next(&events) {
            SessionEvent::Ended(status) => {
                assert_eq!(status.id, "4321-n");
                assert_eq!(status.state, SessionState::Crashed);
            }
            other => panic!("expected Ended, got {other:?}"),
        }
        assert!(events.recv_timeout(TICK * 3).is_err(), "said once");
    }

    /// A guard's problem in a record becomes one MappingProblem event; the
    /// same problem counted again is not announced again.
    #[test]
    fn a_recorded_file_problem_is_announced_once() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(dir.path());
        let mut owner = sleeper();
        let mut record = record(registry.dir(), "4321-p", &owner);
        registry.save(&record).unwrap();
        append(&record, READY);
        append(&record, ALL_READY);
        let events = SessionEvents::start(registry.clone());
        let problem = crate::guard::FileProblem {
            mapping: "evented_page".into(),
            file: registry.dir().join("evented_page"),
            what: ProblemKind::Shortened {
                length: 2048,
                size: 4096,
            },
            by: vec![crate::file_users::FileUser {
                pid: 42,
                comm: "simd".into(),
                exe: Some("/usr/bin/simd".into()),
                reader: Some("simd".into()),
                writable: true,
                still_open: true,
            }],
            restored: true,
            fix: "Stop simd.".into(),
            at: 1,
            count: 1,
        };
        record.problems.push(problem);
        registry.save(&record).unwrap();
        match next(&events) {
            SessionEvent::MappingProblem(p) => {
                assert_eq!(
                    (p.session.as_str(), p.game.as_str()),
                    ("4321-p", "Evented Sim")
                );
                assert_eq!(p.what.word(), "shortened");
                assert_eq!(p.culprit.as_ref().map(|c| c.pid), Some(42));
                assert_eq!(p.fix, "Stop simd.");
            }
            other => panic!("expected MappingProblem, got {other:?}"),
        }
        record.problems[0].count = 2;
        registry.save(&record).unwrap();
        assert!(events.recv_timeout(TICK * 3).is_err(), "said once");
        owner.kill().unwrap();
        owner.wait().unwrap();
    }

    #[test]
    fn running_sessions_are_not_announced_again_but_their_end_is() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(dir.path());
        let mut owner = sleeper();
        let record = record(registry.dir(), "4321-old", &owner);
        registry.save(&record).unwrap();
        append(&record, ALL_READY);
        let events = SessionEvents::start(registry.clone());
        assert!(events.recv_timeout(TICK * 3).is_err(), "already running");
        append(
            &record,
            r#"{"nonce":"n","event":"stopping","reason":"stop-requested","exit_code":0}"#,
        );
        owner.kill().unwrap();
        owner.wait().unwrap();
        registry.remove(&record.id);
        match next(&events) {
            SessionEvent::Ended(status) => assert_eq!(
                status.state,
                SessionState::Ended {
                    reason: "stop-requested".into(),
                    exit_code: 0
                },
                "read from the events file held open"
            ),
            other => panic!("expected Ended, got {other:?}"),
        }
    }

    #[test]
    fn failed_sessions_are_refusals_and_events_from_elsewhere_pass_through() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(dir.path());
        let events = SessionEvents::start(registry.clone());
        let mut owner = sleeper();
        let mut failed = record(registry.dir(), "4321-f", &owner);
        failed.failure = Some("Evented Sim is not bridged: no space".into());
        registry.save(&failed).unwrap();
        match next(&events) {
            SessionEvent::Refused(refusal) => assert_eq!(
                refusal,
                Refusal {
                    appid: 4321,
                    game: "Evented Sim".into(),
                    pid: Some(owner.id()),
                    reason: "Evented Sim is not bridged: no space".into(),
                }
            ),
            other => panic!("expected Refused, got {other:?}"),
        }
        let problem = MappingProblem {
            appid: 4321,
            game: "Evented Sim".into(),
            session: "4321-n".into(),
            mapping: "evented_page".into(),
            file: "/dev/shm/evented_page".into(),
            what: ProblemKind::Shortened {
                length: 100,
                size: 4096,
            },
            culprit: Some(Culprit {
                pid: 77,
                exe: Some("/usr/bin/truncate".into()),
            }),
            fix: "Quit the program that shortens it.".into(),
        };
        events.sender().mapping_problem(problem.clone());
        match next(&events) {
            SessionEvent::MappingProblem(got) => assert_eq!(*got, problem),
            other => panic!("expected MappingProblem, got {other:?}"),
        }
        assert_eq!(
            problem.to_string(),
            "/dev/shm/evented_page (mapping evented_page of Evented Sim) was shortened to 100 \
             of its 4096 bytes by /usr/bin/truncate (pid 77)."
        );
        owner.kill().unwrap();
        owner.wait().unwrap();
        assert!(
            events.recv_timeout(TICK * 3).is_err(),
            "a refusal has no end"
        );
    }

    #[test]
    fn a_watchers_refusal_names_the_appid_of_its_profile_once_the_game_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("refused.toml"),
            "id = \"refused\"\nname = \"Refused Sim\"\nappids = [2468]\nlive_exes = [\"R.exe\"]\n\n\
             [[mapping]]\nname = \"refused_page\"\nsize = 4096\n",
        )
        .unwrap();
        let catalog = Catalog::load(Some(dir.path()));
        let notice = Notice::Refused {
            game: "Refused Sim".into(),
            pid: i32::MAX,
            reason: "no Proton".into(),
        };
        assert_eq!(
            Refusal::of_notice(&notice, &catalog),
            Some(Refusal {
                appid: 2468,
                game: "Refused Sim".into(),
                pid: Some(i32::MAX as u32),
                reason: "no Proton".into(),
            })
        );
    }
}
