//! The guard over a running session's backing files.
//!
//! Failure mode: the files in `/dev/shm` are plain files that any program
//! of the user can truncate, zero, delete or replace, and Linux readers do:
//! simd in its default memmap mode cuts the Kunos pages to 2048 bytes at
//! start, zeroes them when it thinks a session ended, and deletes them when
//! it exits. A shortened file takes the game's pages past the cut with it,
//! and the game's next write there is a page fault: a reader crashed the
//! game. A deleted or replaced file leaves the game writing a file no new
//! reader can open. None of it says a word.
//!
//! Design: one guard per session, in whichever process owns or follows the
//! session (a lock file in the registry makes sure only one guards). It
//! holds each backing file open (the recorded device and inode, never
//! something else at the path) and watches their folder with inotify
//! (through `notify`); a one-second tick only checks whether the session is
//! still alive (its owner, its bridge: the guard that `bridgekeeper run`
//! leaves behind is waited for by Steam's reaper, so it must end with the
//! bridge, not with its owner) and catches an event the kernel dropped. On each event it
//! checks every file:
//!
//! - **shortened** below its mapping's size: extended back at once, through
//!   the descriptor it holds (`ftruncate`, then `posix_fallocate` so the
//!   pages are reserved), so the game's pages stay backed;
//! - **deleted**, or **replaced** by another inode at the path: this cannot
//!   be undone (a deleted tmpfs file cannot be linked back), so the problem
//!   says how to restart cleanly. The bridge removes its files itself when
//!   the session ends; a deletion followed by the bridge's `stopping` line
//!   or its exit is that, not a problem.
//!
//! Each problem names the file, what happened, who holds or held the file
//! ([`super::file_users`], with the known reader it is) and the fix in one
//! sentence, and goes into the session's registry record. Every view reads
//! it from there (`status`, `watch --json`, the Sessions panel, the tray),
//! and [`super::events`] turns each new one into one D-Bus signal and one
//! desktop notification. A problem that happens again (simd truncating at
//! each start) counts up instead of notifying again.

use std::collections::HashMap;
use std::fs::File;
use std::os::fd::AsFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bridgekeeper_host::owned_files::{self, FileId};
use bridgekeeper_profiles::ReaderCatalog;
use bridgekeeper_protocol::Event;
use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher as _};
use serde::{Deserialize, Serialize};

use super::clash::is_live;
use super::events::ProblemKind;
use super::file_users::{self, FileUser};
use super::{Registry, SessionRecord};

/// How often the guard checks, without an event, that its session still
/// runs.
pub const TICK: Duration = Duration::from_secs(1);

/// How long the guard waits for the session's bridge to appear (Proton
/// may first make the prefix); it ends if the bridge never does.
const BRIDGE_START_LIMIT: Duration = Duration::from_secs(120);

/// How long a launch is given to start its first process (the wrapper
/// becomes Steam's reaper, which then starts Proton) before the guard may
/// judge it over.
const LAUNCH_SETTLE: Duration = Duration::from_secs(3);

/// How long a deletion is given to turn out to be the bridge's own cleanup
/// at the session's end.
const ENDING_GRACE: Duration = Duration::from_millis(250);

/// How often, at most, the holders of the files are looked up on events
/// (a snapshot, so that a deleter that already closed the file can still be
/// named).
const HOLDERS_EVERY: Duration = Duration::from_millis(200);

/// A problem with one of a session's backing files, as the registry
/// record keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileProblem {
    /// The mapping's Win32 name.
    pub mapping: String,
    /// Its backing file.
    pub file: PathBuf,
    /// What happened.
    #[serde(flatten)]
    pub what: ProblemKind,
    /// Who holds (or held just before) the file, known readers first.
    #[serde(default)]
    pub by: Vec<FileUser>,
    /// A shortened file was extended back to its size.
    #[serde(default)]
    pub restored: bool,
    /// What to do, in a sentence or two.
    pub fix: String,
    /// Unix time it was last seen.
    pub at: u64,
    /// How many times it was seen.
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

impl std::fmt::Display for FileProblem {
    /// `/dev/shm/acpmf_physics was shortened to 2048 of its 4096 bytes by
    /// simd in its default memmap mode (pid 42, simd); extended back.`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.file.display(), self.what)?;
        if let Some(user) = self.by.first() {
            let verb = if user.still_open {
                "held by"
            } else {
                "last held by"
            };
            write!(f, " ({verb} {})", user.describe())?;
        }
        if self.count > 1 {
            write!(f, ", {} times", self.count)?;
        }
        if self.restored {
            f.write_str("; extended back to its size")?;
        }
        f.write_str(".")
    }
}

/// The fix for a problem, from who holds the file.
pub fn fix_for(what: &ProblemKind, users: &[FileUser], restored: bool) -> String {
    let catalog = ReaderCatalog::builtin();
    let reader = users
        .iter()
        .filter_map(|u| catalog.get(u.reader.as_deref()?))
        .find(|r| r.fights())
        .or_else(|| users.iter().find_map(|u| catalog.get(u.reader.as_deref()?)));
    let who = match reader {
        Some(reader) => reader.fix.clone(),
        None => "Find what else uses the file (`fuser -v FILE` lists who holds it) and stop it; \
                 only the bridge may resize, zero or delete a session's files."
            .to_string(),
    };
    match what {
        ProblemKind::Shortened { size, .. } if restored => format!(
            "Bridgekeeper extended it back to {size} bytes, so the game's pages stay backed. {who}"
        ),
        ProblemKind::Shortened { .. } => format!(
            "Bridgekeeper could not extend it back: the game faults on its next write past the \
             cut. {who}"
        ),
        ProblemKind::Deleted | ProblemKind::Replaced => format!(
            "A deleted file cannot be linked back: the game writes a file no reader can open \
             now. {who} Then quit the game and start it again; the new session makes the files \
             anew."
        ),
        ProblemKind::Clash { .. } => who,
    }
}

/// A running guard; it stops when dropped (or, detached, when its session
/// ends).
#[derive(Debug)]
pub struct Guard {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Guard {
    /// Starts guarding `record`'s files, unless another process already
    /// guards this session or it has no file to guard.
    pub fn start(registry: &Registry, record: &SessionRecord) -> Option<Guard> {
        Guard::start_in(registry, record, None)
    }

    /// [`Guard::start`], for the guard `bridgekeeper run` leaves behind:
    /// `launch` is the process the wrapper became (Steam's reaper), which
    /// waits for this guard too. Until the bridge shows, the guard also ends
    /// when it is the last child of `launch`: the launch failed, and Steam
    /// must not show the game as running.
    fn start_in(registry: &Registry, record: &SessionRecord, launch: Option<i32>) -> Option<Guard> {
        let lock = take_lock(registry, &record.id)?;
        let files = open_files(record);
        if files.is_empty() {
            return None;
        }
        let (events, inbox) = mpsc::channel::<Vec<PathBuf>>();
        let folders: Vec<PathBuf> = {
            let mut f: Vec<PathBuf> = files
                .iter()
                .filter_map(|w| w.path.parent().map(Path::to_path_buf))
                .collect();
            f.sort();
            f.dedup();
            f
        };
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if let Ok(event) = event {
                // Our own scans and reads close files too: nothing to see.
                let closed_read = matches!(
                    event.kind,
                    EventKind::Access(AccessKind::Close(AccessMode::Read))
                );
                if !closed_read {
                    let _ = events.send(event.paths);
                }
            }
        })
        .and_then(|mut w| {
            for folder in &folders {
                w.watch(folder, RecursiveMode::NonRecursive)?;
            }
            Ok(w)
        });
        let watcher = match watcher {
            Ok(w) => Some(w),
            Err(err) => {
                tracing::warn!(
                    "cannot watch the backing files of session {}: {err}; they are checked \
                     every {TICK:?}",
                    record.id
                );
                None
            }
        };
        let stop = Arc::new(AtomicBool::new(false));
        let mut state = GuardState {
            registry: registry.clone(),
            record: record.clone(),
            files,
            holders: HashMap::new(),
            holders_at: None,
            bridge_seen: false,
            started: Instant::now(),
            launch,
        };
        // Who holds the files now, before anyone hears of the session: a
        // reader started earlier may delete a file before it opens again.
        state.refresh_holders();
        state.check();
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name(format!("guard {}", record.id))
            .spawn(move || {
                let _lock = lock;
                let _watcher = watcher;
                state.run(&inbox, &flag);
            })
            .ok()?;
        Some(Guard {
            stop,
            thread: Some(thread),
        })
    }

    /// Lets the guard run on its own until its session ends.
    pub fn detach(mut self) {
        self.thread.take();
    }

    /// Guards until the session ends.
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Guards session `id` of `registry` until it ends: what the process that
/// `bridgekeeper run` leaves behind does (the wrapper itself becomes the
/// game). Returns false when there is nothing to guard (no such running
/// session, or another process guards it).
pub fn guard_session(registry: &Registry, id: &str) -> bool {
    let Some(record) = registry.get(id) else {
        return false;
    };
    if record.failure.is_some() {
        return false;
    }
    // Our parent is the process `bridgekeeper run` became.
    let launch = i32::try_from(std::os::unix::process::parent_id()).ok();
    match Guard::start_in(registry, &record, launch) {
        Some(guard) => {
            guard.wait();
            true
        }
        None => false,
    }
}

/// Whether `launch`, the process `bridgekeeper run` became (see
/// [`Guard::start_in`]), is over before its bridge ran: it had
/// [`LAUNCH_SETTLE`] since `since` to start its first process, and the
/// caller is now its last one. For each process `run` leaves beside the
/// launch (this guard, the share keeper), which the launch waits for.
pub fn launch_failed(launch: Option<i32>, since: Instant) -> bool {
    since.elapsed() > LAUNCH_SETTLE
        && launch.is_some_and(bridgekeeper_host::processes::launch_is_over)
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.stop.store(true, Ordering::Relaxed);
            let _ = thread.join();
        }
    }
}

/// The registry's lock file of session `id`'s guard, held (an advisory
/// lock) while it guards.
fn take_lock(registry: &Registry, id: &str) -> Option<File> {
    registry.ensure().ok()?;
    let file = owned_files::open_append(&registry.guard_file(id)).ok()?;
    file.try_lock().ok()?;
    Some(file)
}

/// One guarded file.
#[derive(Debug)]
struct Guarded {
    mapping: String,
    path: PathBuf,
    size: u64,
    id: FileId,
    file: File,
    /// Deleted or replaced: nothing more to check at the path.
    gone: bool,
}

fn open_files(record: &SessionRecord) -> Vec<Guarded> {
    record
        .mappings
        .iter()
        .filter(|m| m.error.is_none())
        .filter_map(|m| {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
                .open(&m.file)
                .ok()?;
            let meta = file.metadata().ok()?;
            let id = FileId::of(&meta);
            // Only the very file the session prepared.
            if !meta.is_file() || m.file_id().is_some_and(|want| want != id) {
                return None;
            }
            Some(Guarded {
                mapping: m.name.clone(),
                path: m.file.clone(),
                size: m.size,
                id,
                file,
                gone: false,
            })
        })
        .collect()
}

struct GuardState {
    registry: Registry,
    record: SessionRecord,
    files: Vec<Guarded>,
    /// Who held each file at the last look.
    holders: HashMap<PathBuf, Vec<FileUser>>,
    holders_at: Option<Instant>,
    /// Whether a process carrying the session's nonce (its bridge) was seen.
    bridge_seen: bool,
    started: Instant,
    /// The launch this guard was left behind by (see [`Guard::start_in`]).
    launch: Option<i32>,
}

impl GuardState {
    fn run(&mut self, inbox: &mpsc::Receiver<Vec<PathBuf>>, stop: &AtomicBool) {
        let mut last_alive_check = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            match inbox.recv_timeout(TICK) {
                Ok(paths) => {
                    let mut paths = paths;
                    paths.extend(inbox.try_iter().flatten());
                    let ours = paths
                        .iter()
                        .any(|p| self.files.iter().any(|f| &f.path == p));
                    if !ours {
                        continue;
                    }
                    self.check();
                    // After the check, so that a problem is reported
                    // without waiting for the scan.
                    self.refresh_holders_soon();
                }
                Err(RecvTimeoutError::Timeout) => self.check(),
                Err(RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(TICK);
                    self.check();
                }
            }
            if last_alive_check.elapsed() >= TICK {
                last_alive_check = Instant::now();
                if !is_live(&self.record) || self.session_ending() || self.bridge_gone() {
                    return;
                }
            }
        }
    }

    /// Whether the session's bridge (the process carrying its nonce) has
    /// ended, or never started within [`BRIDGE_START_LIMIT`]. What ends the
    /// guard `bridgekeeper run` leaves behind: its owner is Steam's reaper,
    /// which waits for every process of the launch, this guard included.
    fn bridge_gone(&mut self) -> bool {
        let running = super::clash::bridge_runs(&self.record.nonce);
        self.bridge_seen |= running;
        if self.bridge_seen {
            !running
        } else {
            self.started.elapsed() > BRIDGE_START_LIMIT || launch_failed(self.launch, self.started)
        }
    }

    fn refresh_holders_soon(&mut self) {
        if self
            .holders_at
            .is_some_and(|at| at.elapsed() < HOLDERS_EVERY)
        {
            return;
        }
        self.refresh_holders();
    }

    fn refresh_holders(&mut self) {
        self.holders_at = Some(Instant::now());
        for guarded in &self.files {
            let users = file_users::users_of(std::slice::from_ref(&guarded.path));
            tracing::debug!("{} is held by {users:?}", guarded.path.display());
            if !users.is_empty() {
                self.holders.insert(guarded.path.clone(), users);
            }
        }
    }

    /// Checks every file and records what went wrong.
    fn check(&mut self) {
        let mut found = Vec::new();
        for index in 0..self.files.len() {
            if let Some(problem) = self.check_one(index) {
                found.push(problem);
            }
        }
        if found.is_empty() {
            return;
        }
        let deleted = found
            .iter()
            .any(|(_, what, _)| matches!(what, ProblemKind::Deleted | ProblemKind::Replaced));
        if deleted && self.ends_within(ENDING_GRACE) {
            // The bridge's own cleanup at the session's end.
            return;
        }
        for (index, what, restored) in found {
            self.report(index, what, restored);
        }
    }

    fn check_one(&mut self, index: usize) -> Option<(usize, ProblemKind, bool)> {
        let guarded = &mut self.files[index];
        if !guarded.gone {
            let at_path = std::fs::symlink_metadata(&guarded.path);
            let gone = match at_path {
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                    Some(ProblemKind::Deleted)
                }
                Err(_) => None,
                Ok(meta) if FileId::of(&meta) != guarded.id => Some(ProblemKind::Replaced),
                Ok(_) => None,
            };
            if let Some(what) = gone {
                guarded.gone = true;
                return Some((index, what, false));
            }
        }
        let length = guarded.file.metadata().map(|m| m.size()).ok()?;
        if length >= guarded.size {
            return None;
        }
        let restored = extend(&guarded.file, guarded.size);
        Some((
            index,
            ProblemKind::Shortened {
                length,
                size: guarded.size,
            },
            restored,
        ))
    }

    /// Whether the session turns out to be ending within `grace`: its
    /// bridge says it stops, or its owner is gone.
    fn ends_within(&self, grace: Duration) -> bool {
        let deadline = Instant::now() + grace;
        loop {
            if self.session_ending() || !is_live(&self.record) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn session_ending(&self) -> bool {
        self.registry.stop_file(&self.record.id).exists()
            || super::status::read_events(&self.record)
                .iter()
                .any(|e| matches!(e, Event::Stopping { .. }))
    }

    fn report(&mut self, index: usize, what: ProblemKind, restored: bool) {
        let guarded = &self.files[index];
        let mut by = file_users::users_of(std::slice::from_ref(&guarded.path));
        if !by.is_empty() {
            self.holders.insert(guarded.path.clone(), by.clone());
        }
        for earlier in self.holders.get(&guarded.path).into_iter().flatten() {
            if !by.iter().any(|u| u.pid == earlier.pid) {
                let mut earlier = earlier.clone();
                earlier.still_open = false;
                by.push(earlier);
            }
        }
        // Known readers first, fighting ones before the rest.
        let catalog = ReaderCatalog::builtin();
        by.sort_by_key(|u| {
            let reader = u.reader.as_deref().and_then(|id| catalog.get(id));
            (
                !reader.is_some_and(|r| r.fights()),
                reader.is_none(),
                !u.still_open,
                u.pid,
            )
        });
        let problem = FileProblem {
            mapping: guarded.mapping.clone(),
            file: guarded.path.clone(),
            fix: fix_for(&what, &by, restored),
            what,
            by,
            restored,
            at: super::unix_now(),
            count: 1,
        };
        tracing::warn!("session {}: {problem} {}", self.record.id, problem.fix);
        self.save(problem);
    }

    /// Adds `problem` to the record in the registry (counting up a problem
    /// of the same kind with the same file).
    fn save(&mut self, problem: FileProblem) {
        let Some(mut record) = self.registry.get(&self.record.id) else {
            return;
        };
        if !is_live(&record) {
            return;
        }
        match record
            .problems
            .iter_mut()
            .find(|p| p.file == problem.file && p.what.word() == problem.what.word())
        {
            Some(seen) => {
                let count = seen.count.saturating_add(1);
                *seen = FileProblem { count, ..problem };
            }
            None => record.problems.push(problem),
        }
        if let Err(err) = self.registry.save(&record) {
            tracing::warn!("cannot record a problem of session {}: {err}", record.id);
        }
        self.record = record;
    }
}

/// Extends `file` to `size` bytes and reserves its pages; whether it worked.
fn extend(file: &File, size: u64) -> bool {
    let Ok(len) = i64::try_from(size) else {
        return false;
    };
    rustix::fs::ftruncate(file.as_fd(), size).is_ok()
        && rustix::fs::fallocate(
            file.as_fd(),
            rustix::fs::FallocateFlags::empty(),
            0,
            len as u64,
        )
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SessionKind, SessionMapping};

    fn record(dir: &Path, owner: &std::process::Child, files: &[(&str, u64)]) -> SessionRecord {
        let shm = dir.join("shm");
        std::fs::create_dir_all(&shm).unwrap();
        let mappings = files
            .iter()
            .map(|(name, size)| {
                let path = shm.join(name);
                std::fs::write(&path, vec![7u8; *size as usize]).unwrap();
                let meta = std::fs::metadata(&path).unwrap();
                SessionMapping {
                    name: (*name).into(),
                    file: path,
                    size: *size,
                    mode: Some(bridgekeeper_protocol::MappingMode::Shared),
                    error: None,
                    dev: Some(meta.dev()),
                    inode: Some(meta.ino()),
                }
            })
            .collect();
        let registry = Registry::new(dir);
        SessionRecord {
            id: "guarded".into(),
            appid: 805_550,
            game: "Guarded Sim".into(),
            profile: "guarded".into(),
            kind: SessionKind::Attach,
            prefix: dir.join("pfx"),
            proton: None,
            mappings,
            bridge_pid: Some(owner.id()),
            owner_pid: owner.id(),
            owner_start_time: bridgekeeper_host::process_info::start_time(owner.id() as i32)
                .unwrap(),
            owner_pid_namespace: None,
            nonce: "n".into(),
            events_file: registry.events_file("guarded"),
            started_at: 1,
            keep_files: false,
            backing_dir: Some(shm),
            failure: None,
            problems: Vec::new(),
        }
    }

    fn problems_within(registry: &Registry, wanted: usize) -> (Vec<FileProblem>, Duration) {
        let started = Instant::now();
        loop {
            let problems = registry
                .get("guarded")
                .map(|r| r.problems)
                .unwrap_or_default();
            if problems.len() >= wanted || started.elapsed() > Duration::from_secs(3) {
                return (problems, started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// A file cut short is reported within a second, names the process
    /// that holds it, and is back at its size; a deleted and a replaced file
    /// are reported too, with how to restart.
    #[test]
    fn shortened_deleted_and_replaced_files_are_reported_and_a_short_one_restored() {
        let dir = tempfile::tempdir().unwrap();
        let mut owner = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let record = record(
            dir.path(),
            &owner,
            &[("page_a", 8192), ("page_b", 4096), ("page_c", 4096)],
        );
        let registry = Registry::new(dir.path());
        registry.save(&record).unwrap();
        let guard = Guard::start(&registry, &record).expect("guarding");
        assert!(
            Guard::start(&registry, &record).is_none(),
            "one guard per session"
        );
        let a = record.mappings[0].file.clone();
        // A reader that keeps the file open, then cuts it to 2048 bytes.
        let mut holder = std::process::Command::new("tail")
            .arg("-f")
            .arg(&a)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        std::fs::OpenOptions::new()
            .write(true)
            .open(&a)
            .unwrap()
            .set_len(2048)
            .unwrap();
        let (problems, took) = problems_within(&registry, 1);
        assert!(took < Duration::from_secs(1), "{took:?}");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            problems[0].what,
            ProblemKind::Shortened {
                length: 2048,
                size: 8192
            }
        );
        assert!(problems[0].restored);
        assert_eq!(std::fs::metadata(&a).unwrap().len(), 8192);
        assert!(
            problems[0]
                .by
                .iter()
                .any(|u| u.pid == holder.id() && u.comm == "tail"),
            "{problems:?}"
        );
        assert!(
            problems[0].fix.contains("extended it back to 8192"),
            "{}",
            problems[0].fix
        );

        std::fs::remove_file(&record.mappings[1].file).unwrap();
        let c = &record.mappings[2].file;
        std::fs::rename(c, dir.path().join("moved")).unwrap();
        std::fs::write(c, b"another").unwrap();
        let (problems, took) = problems_within(&registry, 3);
        assert!(took < Duration::from_secs(1), "{took:?}");
        let words: Vec<&str> = problems.iter().map(|p| p.what.word()).collect();
        assert_eq!(words, ["shortened", "deleted", "replaced"], "{problems:?}");
        assert!(
            problems[1].fix.contains("start it again"),
            "{}",
            problems[1].fix
        );
        holder.kill().unwrap();
        holder.wait().unwrap();
        drop(guard);
        owner.kill().unwrap();
        owner.wait().unwrap();
    }

    /// The guard that `bridgekeeper run` leaves behind is waited for by
    /// Steam's reaper, its session's owner: it must end with the bridge
    /// (the process carrying the nonce), not wait for its owner forever.
    #[test]
    fn the_guard_ends_when_the_bridge_is_gone_though_its_owner_lives() {
        let dir = tempfile::tempdir().unwrap();
        let mut owner = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let nonce = format!("guard-test-{}", std::process::id());
        use std::os::unix::process::CommandExt;
        let mut bridge = std::process::Command::new("sh")
            .arg0("bridgekeeper-bridge.exe")
            .args(["-c", "sleep 30; true", "sh", "--nonce", &nonce])
            .spawn()
            .unwrap();
        // The launch the wrapper became (Steam's reaper) carries the whole
        // rewritten command, nonce included, and outlives the bridge.
        let mut launch = std::process::Command::new("sh")
            .args(["-c", "sleep 30; true", "reaper", "--nonce", &nonce])
            .spawn()
            .unwrap();
        let mut record = record(dir.path(), &owner, &[("page_a", 4096)]);
        record.nonce = nonce;
        let registry = Registry::new(dir.path());
        registry.save(&record).unwrap();
        let guard = Guard::start(&registry, &record).expect("guarding");
        std::thread::sleep(TICK * 2);
        bridge.kill().unwrap();
        bridge.wait().unwrap();
        let (done, ended) = mpsc::channel();
        std::thread::spawn(move || {
            guard.wait();
            let _ = done.send(());
        });
        let result = ended.recv_timeout(TICK * 4);
        owner.kill().unwrap();
        owner.wait().unwrap();
        launch.kill().unwrap();
        launch.wait().unwrap();
        assert!(
            result.is_ok(),
            "the guard still runs after its bridge ended"
        );
    }

    /// The bridge removes its files when the session ends: that is no
    /// problem.
    #[test]
    fn the_bridges_own_cleanup_is_not_a_problem() {
        let dir = tempfile::tempdir().unwrap();
        let mut owner = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let record = record(dir.path(), &owner, &[("page_a", 4096)]);
        let registry = Registry::new(dir.path());
        registry.save(&record).unwrap();
        let guard = Guard::start(&registry, &record).expect("guarding");
        std::fs::remove_file(&record.mappings[0].file).unwrap();
        owner.kill().unwrap();
        owner.wait().unwrap();
        std::thread::sleep(Duration::from_millis(800));
        drop(guard);
        let problems = registry.get("guarded").unwrap().problems;
        assert!(problems.is_empty(), "{problems:?}");
    }
}
