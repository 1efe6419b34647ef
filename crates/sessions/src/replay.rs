//! Replay sessions: a capture played back into backing files, as a session
//! in the registry, so that `status`, the desktop app and every reader see
//! it like a game's.
//!
//! A replay writes the files a game's bridge would write. Two things must
//! never happen: a replay writing into the files of a live session (a
//! game's, or another replay's), and a replay leaving its files or its
//! record behind. So the mapping names come from a validated capture header
//! and go through [`MappingName`] before they touch a path; the files are
//! checked against every live session of the registry, whatever its prefix
//! ([`ReplayError::Clash`], with the fix), while the registry's lock of the
//! replay's own key is held; they are created by [`backing_files`] exactly
//! as a session's are (mode 0600, never through a link, never another
//! user's, space reserved); then opened once more without following links
//! and compared with the identity [`backing_files`] recorded, and written
//! only through those descriptors. The record names this process as the
//! owner, so a killed replay is swept like a crashed session (its files
//! removed by their recorded identity), and [`ReplaySession::finish`] (or
//! dropping the session) removes the files and the record. It also writes
//! the status lines a bridge writes (`started`, `ready`, `all-ready`,
//! `stopping`), so a replay shows as running, then ended, everywhere.
//!
//! The session is a [`Sink`] for the capture's [`bridgekeeper_capture::Player`].
//! Serving the pages into a Wine prefix as well (so Windows tools see them)
//! is a second sink over the same files; [`ReplaySession::files`] gives
//! their paths for it.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::Duration;

use bridgekeeper_capture::{
    CaptureHeader, CaptureReader, Command, MappingState, PlayError, PlayOptions, PlayReport,
    Player, Sink,
};
use bridgekeeper_host::owned_files::{FileId, remove_if_same};
use bridgekeeper_profiles::{Catalog, SizeBounds};
use bridgekeeper_protocol::{
    Event, MappingMode, MappingName, MappingSize, MappingSpec, StatusLine, StopReason,
};

use super::backing_files::{self, FileError};
use super::clash::live_sessions;
use super::registry::{RegistryError, is_clean_absolute};
use super::{Registry, SessionKind, SessionMapping, SessionRecord};

/// Why a replay could not start.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The capture's header names a mapping the protocol refuses.
    #[error("{capture}: mapping {name:?} cannot be replayed: {reason}")]
    BadMapping {
        /// The capture file.
        capture: PathBuf,
        /// The mapping's name as recorded.
        name: String,
        /// Why.
        reason: String,
    },
    /// A live session owns one of the files.
    #[error(
        "{file} belongs to the live session of {game} (appid {appid}, session {id}); a replay \
         never writes into another session's files. Stop that session first (`bridgekeeper stop \
         {appid}`), or replay into another folder with `--dir`"
    )]
    Clash {
        /// The contested file.
        file: PathBuf,
        /// The session's game.
        game: String,
        /// Its appid.
        appid: u32,
        /// Its id.
        id: String,
    },
    /// The folder is not an absolute path without `..`.
    #[error("replay folder {0} is not an absolute path without '..'; give one such as /dev/shm")]
    Folder(PathBuf),
    /// A file could not be created the safe way.
    #[error(transparent)]
    File(#[from] FileError),
    /// A prepared file changed between its preparation and its opening.
    #[error("{0} was replaced while the replay prepared it; try again")]
    Replaced(PathBuf),
    /// The registry cannot be written.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A mapping's size breaks the size rule of the capture's profile.
    #[error(
        "{capture}: mapping {name} is {size} bytes, but profile {profile} allows {bounds}: \
         readers of it would crash (SIGBUS) or lose pages. Record it again with this profile, \
         or fix the profile's size for it"
    )]
    SizeRule {
        /// The capture file.
        capture: PathBuf,
        /// The mapping.
        name: String,
        /// Its size in the capture.
        size: u64,
        /// The profile's id.
        profile: String,
        /// The allowed sizes, in words.
        bounds: String,
    },
    /// The play options are refused (a speed out of range).
    #[error(transparent)]
    Play(#[from] PlayError),
}

/// What a replay session is made of.
#[derive(Debug, Clone)]
pub struct ReplayPlan {
    /// The capture file (shown as the session's "prefix").
    pub capture: PathBuf,
    /// Folder for the files, normally `/dev/shm`.
    pub dir: PathBuf,
    /// Leave the files when the replay ends.
    pub keep_files: bool,
    /// Name shown for the session, e.g. `Assetto Corsa Competizione (replay)`.
    pub game: String,
    /// Appid shown (the capture's, or 0).
    pub appid: u32,
    /// Profile id shown (the capture's, or empty).
    pub profile: String,
    /// The size rule of the capture's profile for each of its mappings the
    /// profile knows (see [`ReplayPlan::with_profile_rules`]).
    pub size_rules: Vec<(String, SizeBounds)>,
}

impl ReplayPlan {
    /// A plan for the capture `capture` with `header`, into `dir`.
    pub fn new(capture: &Path, header: &CaptureHeader, dir: &Path) -> ReplayPlan {
        let game = header.game.clone().unwrap_or_else(|| {
            capture
                .file_name()
                .map_or("capture".into(), |n| n.to_string_lossy().into_owned())
        });
        ReplayPlan {
            capture: std::path::absolute(capture).unwrap_or_else(|_| capture.to_path_buf()),
            dir: dir.to_path_buf(),
            keep_files: false,
            game: format!("{game} (replay)"),
            appid: header.appid.unwrap_or(0),
            profile: header.profile.clone().unwrap_or_default(),
            size_rules: Vec::new(),
        }
    }

    /// Takes the size rules of the capture's profile from `catalog`, so
    /// that a capture whose sizes break them (an older profile, another
    /// tool's file) is refused before any reader maps its files.
    pub fn with_profile_rules(mut self, catalog: &Catalog) -> ReplayPlan {
        if let Some(entry) = catalog.get(&self.profile) {
            self.size_rules = entry
                .profile
                .mappings
                .iter()
                .map(|m| (m.name.win32().to_string(), m.size_bounds()))
                .collect();
        }
        self
    }

    fn check_sizes(&self, header: &CaptureHeader) -> Result<(), ReplayError> {
        for m in &header.mappings {
            let Some((_, bounds)) = self.size_rules.iter().find(|(name, _)| *name == m.name) else {
                continue;
            };
            if !bounds.allows(m.size) {
                return Err(ReplayError::SizeRule {
                    capture: self.capture.clone(),
                    name: m.name.clone(),
                    size: m.size,
                    profile: self.profile.clone(),
                    bounds: match bounds.max {
                        Some(max) => format!("{} to {max} bytes", bounds.min),
                        None => format!("at least {} bytes", bounds.min),
                    },
                });
            }
        }
        Ok(())
    }
}

/// The folder replays write into unless told otherwise: the sessions'
/// folder, `$BRIDGEKEEPER_SHM_DIR` or `/dev/shm`.
pub fn default_dir() -> PathBuf {
    std::env::var_os("BRIDGEKEEPER_SHM_DIR").map_or_else(|| PathBuf::from("/dev/shm"), Into::into)
}

/// A running replay session: its record and its open files.
#[derive(Debug)]
pub struct ReplaySession {
    record: SessionRecord,
    registry: Registry,
    files: Vec<(PathBuf, FileId, File)>,
    finished: bool,
}

impl ReplaySession {
    /// Checks, creates and records the files of `header`'s mappings (see
    /// the module documentation); the replay is then `running`.
    pub fn start(
        registry: &Registry,
        plan: &ReplayPlan,
        header: &CaptureHeader,
    ) -> Result<ReplaySession, ReplayError> {
        if !is_clean_absolute(&plan.dir) {
            return Err(ReplayError::Folder(plan.dir.clone()));
        }
        plan.check_sizes(header)?;
        let specs = specs_of(&plan.capture, header)?;
        let files: Vec<PathBuf> = specs
            .iter()
            .map(|s| backing_files::path_of(&plan.dir, &s.name))
            .collect();
        let nonce = bridgekeeper_bridge_client::new_nonce();
        let id = format!("replay-{nonce}");
        // The lock of the capture's key: two replays started together of
        // the same capture check and create one after the other.
        let lock = registry.lock_prefix(&plan.capture)?;
        check_clash(registry, &files)?;
        let prepared = backing_files::prepare_all(&plan.dir, &specs)?;
        let opened = open_prepared(&prepared);
        let opened = match opened {
            Ok(opened) => opened,
            Err(err) => {
                prepared.remove_created();
                return Err(err);
            }
        };
        let pid = std::process::id();
        let mut mappings = SessionMapping::pending(&specs, &prepared.paths());
        for (mapping, file) in mappings.iter_mut().zip(&prepared.files) {
            mapping.dev = Some(file.id.dev);
            mapping.inode = Some(file.id.ino);
            mapping.mode = Some(MappingMode::Shared);
        }
        let record = SessionRecord {
            id: id.clone(),
            appid: plan.appid,
            game: plan.game.clone(),
            profile: plan.profile.clone(),
            kind: SessionKind::Replay,
            prefix: plan.capture.clone(),
            proton: None,
            mappings,
            bridge_pid: Some(pid),
            owner_pid: pid,
            owner_start_time: bridgekeeper_host::process_info::start_time(pid as i32).unwrap_or(0),
            owner_pid_namespace: bridgekeeper_host::pid_namespace::own(),
            nonce,
            events_file: registry.events_file(&id),
            started_at: super::unix_now(),
            keep_files: plan.keep_files,
            backing_dir: Some(plan.dir.clone()),
            failure: None,
            problems: Vec::new(),
        };
        let session = ReplaySession {
            record,
            registry: registry.clone(),
            files: opened,
            finished: false,
        };
        if let Err(err) = registry.save(&session.record) {
            prepared.remove_created();
            return Err(err.into());
        }
        drop(lock);
        session.announce_ready();
        Ok(session)
    }

    /// The session's registry record.
    pub fn record(&self) -> &SessionRecord {
        &self.record
    }

    /// The files, in the capture's mapping order.
    pub fn files(&self) -> Vec<PathBuf> {
        self.files.iter().map(|(path, _, _)| path.clone()).collect()
    }

    /// True once `bridgekeeper stop <appid>` (or anyone) asked this replay
    /// to stop, as it asks a bridge: its stop file exists.
    pub fn stop_requested(&self) -> bool {
        self.registry.stop_file(&self.record.id).exists()
    }

    /// Ends the session: writes the `stopping` line, removes the files
    /// (unless kept; only the very files it created) and the record.
    pub fn finish(mut self) {
        self.end();
    }

    fn end(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.event(Event::Stopping {
            reason: StopReason::StopRequested,
            exit_code: 0,
        });
        if !self.record.keep_files {
            for (path, id, _) in &self.files {
                remove_if_same(path, *id);
            }
        }
        self.registry.remove_session(&self.record);
    }

    fn announce_ready(&self) {
        self.event(Event::Started {
            version: env!("CARGO_PKG_VERSION").into(),
            protocol: bridgekeeper_protocol::PROTOCOL_VERSION,
            pid: self.record.owner_pid,
            mode: "replay".into(),
            dir: self
                .record
                .backing_dir
                .as_deref()
                .unwrap_or(Path::new(""))
                .display()
                .to_string(),
        });
        for m in &self.record.mappings {
            self.event(Event::Ready {
                name: m.name.clone(),
                file: m.file.display().to_string(),
                size: m.size,
                mode: MappingMode::Shared,
                note: None,
            });
        }
        self.event(Event::AllReady {
            shared: self.record.mappings.len(),
            copy: 0,
        });
    }

    /// Appends a status line to the events file (a regular file of ours in
    /// the private registry folder). Status is for display: a failure to
    /// write it is logged, not fatal.
    fn event(&self, event: Event) {
        let line = StatusLine {
            nonce: self.record.nonce.clone(),
            event,
        };
        let written = bridgekeeper_host::owned_files::open_append(&self.record.events_file)
            .map_err(std::io::Error::other)
            .and_then(|mut f| writeln!(f, "{}", line.to_json()));
        if let Err(err) = written {
            tracing::warn!("cannot write {}: {err}", self.record.events_file.display());
        }
    }
}

impl Drop for ReplaySession {
    fn drop(&mut self) {
        self.end();
    }
}

impl Sink for ReplaySession {
    fn write(&mut self, mapping: usize, offset: usize, bytes: &[u8]) -> std::io::Result<()> {
        self.files[mapping].2.write_all_at(bytes, offset as u64)
    }

    /// A mapping that went missing in the capture (the game restarted its
    /// session) keeps its file and last contents: readers that hold it
    /// mapped keep a valid mapping, as they would with a bridge that stays.
    fn state(&mut self, _mapping: usize, _state: MappingState) -> std::io::Result<()> {
        Ok(())
    }
}

/// The header's mappings as specs, each name and size checked again.
fn specs_of(capture: &Path, header: &CaptureHeader) -> Result<Vec<MappingSpec>, ReplayError> {
    header
        .mappings
        .iter()
        .map(|m| {
            let bad = |reason: String| ReplayError::BadMapping {
                capture: capture.to_path_buf(),
                name: m.name.clone(),
                reason,
            };
            Ok(MappingSpec {
                name: MappingName::parse(&m.name).map_err(|e| bad(e.to_string()))?,
                size: MappingSize::new(m.size).map_err(|e| bad(e.to_string()))?,
            })
        })
        .collect()
}

/// Refuses files that a live session (of any prefix: a game's, a share's,
/// another replay's) has in its record.
fn check_clash(registry: &Registry, files: &[PathBuf]) -> Result<(), ReplayError> {
    for record in live_sessions(registry) {
        if let Some(mapping) = record.mappings.iter().find(|m| files.contains(&m.file)) {
            return Err(ReplayError::Clash {
                file: mapping.file.clone(),
                game: record.game.clone(),
                appid: record.appid,
                id: record.id.clone(),
            });
        }
    }
    Ok(())
}

/// Opens every prepared file for writing, never through a link, and checks
/// it is still the file that was prepared.
fn open_prepared(
    prepared: &backing_files::Prepared,
) -> Result<Vec<(PathBuf, FileId, File)>, ReplayError> {
    prepared
        .files
        .iter()
        .map(|p| {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(&p.path)
                .map_err(|source| FileError::Io {
                    path: p.path.clone(),
                    source,
                })?;
            let meta = file.metadata().map_err(|source| FileError::Io {
                path: p.path.clone(),
                source,
            })?;
            if meta.dev() != p.id.dev || meta.ino() != p.id.ino {
                return Err(ReplayError::Replaced(p.path.clone()));
            }
            Ok((p.path.clone(), p.id, file))
        })
        .collect()
}

/// A replay playing on its own thread: send it [`Command`]s, then
/// [`ReplayHandle::wait`] for it. The files and the record go when it ends.
#[derive(Debug)]
pub struct ReplayHandle {
    record: SessionRecord,
    commands: Sender<Command>,
    thread: Option<JoinHandle<Result<PlayReport, PlayError>>>,
    position: Arc<Position>,
}

/// Where a playing replay is, updated by its thread as frames go out.
#[derive(Debug, Default)]
pub struct Position {
    /// Capture time of the frame written last, in ns.
    pub time_ns: AtomicU64,
    /// Number of the frame at the cursor, plus one (0 before the first).
    pub frame: AtomicU64,
}

impl ReplayHandle {
    /// Starts the replay session of `plan` and plays `reader` into it with
    /// `options` on a new thread. It ends at the end of the capture (unless
    /// looping), on [`Command::Stop`], or when its stop file appears
    /// (`bridgekeeper stop <appid>`).
    pub fn start(
        registry: &Registry,
        plan: &ReplayPlan,
        reader: CaptureReader,
        options: &PlayOptions,
    ) -> Result<ReplayHandle, ReplayError> {
        let mut player = Player::new(reader, options)?;
        let mut session = ReplaySession::start(registry, plan, player.header())?;
        let record = session.record().clone();
        let position = Arc::new(Position::default());
        let (commands, receiver) = std::sync::mpsc::channel();
        let stop_file = registry.stop_file(&record.id);
        let thread = {
            let position = position.clone();
            let stopper = commands.clone();
            std::thread::Builder::new()
                .name("replay".into())
                .spawn(move || {
                    let watch = StopFileWatch::spawn(stop_file, stopper);
                    player.on_frame(move |frame, time| {
                        position
                            .frame
                            .store(frame.map_or(0, |f| f + 1), Ordering::Relaxed);
                        position
                            .time_ns
                            .store(time.as_nanos() as u64, Ordering::Relaxed);
                    });
                    let played = player.run(&mut session, &receiver);
                    drop(watch);
                    session.finish();
                    played
                })
                .map_err(|source| {
                    ReplayError::File(FileError::Io {
                        path: plan.capture.clone(),
                        source,
                    })
                })?
        };
        Ok(ReplayHandle {
            record,
            commands,
            thread: Some(thread),
            position,
        })
    }

    /// The session's registry record.
    pub fn record(&self) -> &SessionRecord {
        &self.record
    }

    /// Sends a command to the player (ignored once it has ended).
    pub fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }

    /// Where the replay is.
    pub fn position(&self) -> &Position {
        &self.position
    }

    /// True once the replay has ended (its files are gone).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Waits for the end of the replay.
    pub fn wait(mut self) -> Result<PlayReport, PlayError> {
        self.join()
    }

    fn join(&mut self) -> Result<PlayReport, PlayError> {
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            _ => Err(PlayError::Sink {
                name: self.record.game.clone(),
                source: std::io::Error::other("the replay thread ended abnormally"),
            }),
        }
    }
}

impl Drop for ReplayHandle {
    /// Stops the replay and waits for its files to go.
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.send(Command::Stop);
            let _ = self.join();
        }
    }
}

/// Turns the appearance of a stop file into [`Command::Stop`].
struct StopFileWatch {
    done: Arc<AtomicBool>,
}

impl StopFileWatch {
    fn spawn(file: PathBuf, commands: Sender<Command>) -> StopFileWatch {
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let _ = std::thread::Builder::new()
            .name("replay-stop-file".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    if file.exists() {
                        let _ = commands.send(Command::Stop);
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
        StopFileWatch { done }
    }
}

impl Drop for StopFileWatch {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{SessionState, SessionStatus};

    fn header() -> CaptureHeader {
        let mut header = CaptureHeader::new([
            ("acpmf_physics".to_string(), 4096),
            ("Global\\page".to_string(), 100),
        ]);
        header.game = Some("Sim".into());
        header.appid = Some(7);
        header
    }

    #[test]
    fn a_replay_is_a_running_session_with_private_files_and_leaves_nothing() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let registry = Registry::new(&tmp.path().join("run"));
        let dir = tmp.path().join("shm");
        std::fs::create_dir(&dir).unwrap();
        let plan = ReplayPlan::new(&tmp.path().join("x.bkcap"), &header(), &dir);
        let mut session = ReplaySession::start(&registry, &plan, &header()).unwrap();
        let status = SessionStatus::of(session.record());
        assert_eq!(status.state, SessionState::Running);
        assert_eq!(status.kind.to_string(), "replay");
        assert_eq!(status.game, "Sim (replay)");
        session.write(1, 10, b"abc").unwrap();
        let page = dir.join("Global/page");
        let bytes = std::fs::read(&page).unwrap();
        assert_eq!((bytes.len(), &bytes[10..13]), (100, &b"abc"[..]));
        let mode = std::fs::metadata(&page).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        // A second replay of the same files is refused by name.
        let err = ReplaySession::start(&registry, &plan, &header()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("acpmf_physics") && text.contains("--dir"),
            "{text}"
        );

        session.finish();
        assert!(!page.exists() && !dir.join("acpmf_physics").exists());
        assert!(registry.list().0.is_empty());
    }

    #[test]
    fn a_capture_that_breaks_its_profiles_size_rule_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let registry = Registry::new(&tmp.path().join("run"));
        let mut header = CaptureHeader::new([("acpmf_physics".to_string(), 100)]);
        header.profile = Some("assetto-corsa-competizione".into());
        let plan = ReplayPlan::new(&tmp.path().join("x.bkcap"), &header, tmp.path())
            .with_profile_rules(&Catalog::builtin());
        let err = ReplaySession::start(&registry, &plan, &header).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("acpmf_physics is 100 bytes") && text.contains("800 to 4096"),
            "{text}"
        );
        assert!(!tmp.path().join("acpmf_physics").exists());
    }

    #[test]
    fn a_relative_folder_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let registry = Registry::new(tmp.path());
        let plan = ReplayPlan::new(Path::new("x.bkcap"), &header(), Path::new("shm"));
        let err = ReplaySession::start(&registry, &plan, &header()).unwrap_err();
        assert!(matches!(err, ReplayError::Folder(_)), "{err}");
    }
}
