//! The watcher: notices supported games starting and attaches a bridge to
//! each, at once, in a thread of its own; the bridge ends with its game.
//! Sessions that are already running when it starts (left by an earlier
//! watcher or app, or started by `bridgekeeper run` or `attach`) are
//! followed instead: reported, never bridged twice.
//!
//! A supported game's Proton launch is noticed before the game's exe runs,
//! and the bridge joins the prefix's wineserver as soon as it accepts
//! clients ([`crate::prestart`]), so games that create their sections at
//! start-up find them made (zero copy). The game's exe is still watched
//! for, for games started without Proton's launch chain.
//!
//! Idle cost: one `/proc` listing every [`SCAN_INTERVAL`]; scans come every
//! [`FAST_SCAN_INTERVAL`] only while a launch is starting.
//!
//! Used by `bridgekeeper watch` and by the desktop app.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};

use super::SessionConfig;
use super::adopt::{self, FollowedSession};
use super::attach::{AttachError, attach, attach_before_game};
use super::prestart::{self, LaunchStart};
use super::process_scan::{FAST_SCAN_INTERVAL, ProcessScanner, SCAN_INTERVAL};
use super::registry::prefix_lock::prefix_key;
use super::status::{self, SessionStatus};
use bridgekeeper_host::process_info::ProcessInfo;
use bridgekeeper_profiles::{Catalog, Profile};

/// What the watcher did.
#[derive(Debug, Clone)]
pub enum Notice {
    /// A game started and its bridge is ready.
    Attached {
        /// The session.
        status: Box<SessionStatus>,
        /// The game's pid; for a bridge attached before the game's exe
        /// ran, the pid of the process its launch lasts as long as
        /// ([`prestart::lasting`]: Steam's reaper, or Proton's script).
        game_pid: i32,
    },
    /// A game started but no bridge could be attached.
    Refused {
        /// The game's name.
        game: String,
        /// Its pid.
        pid: i32,
        /// Why, in a sentence that says what to do.
        reason: String,
    },
    /// A session started elsewhere is running, and is followed until it
    /// ends (no second bridge is started for its game).
    Adopted(Box<SessionStatus>),
    /// A session ended.
    Ended(Box<SessionStatus>),
}

/// Decides per appid whether a game may be attached automatically.
#[derive(Clone)]
pub struct AutoAttach(Arc<dyn Fn(u32) -> bool + Send + Sync>);

impl std::fmt::Debug for AutoAttach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AutoAttach(..)")
    }
}

/// Watches for games and attaches bridges.
#[derive(Debug)]
pub struct Watcher {
    config: SessionConfig,
    catalog: Arc<RwLock<Catalog>>,
    watch: ProcessScanner,
    serving: Arc<Mutex<HashSet<PathBuf>>>,
    notices: Sender<Notice>,
    auto_attach: AutoAttach,
    unbridged_servers: Vec<UnbridgedServer>,
    /// Prefixes whose launch waits for its wineserver, each with the flag
    /// that tells the wait the game's exe ran first.
    waiting: Arc<Mutex<HashMap<PathBuf, Arc<AtomicBool>>>>,
    /// Games seen while their prefix's launch still waited: attached once
    /// the wait gave up.
    deferred: Vec<(Profile, ProcessInfo, PathBuf)>,
}

/// A supported game's wineserver whose prefix has no bridge yet: its game
/// may start any moment, so scans are fast for a while.
#[derive(Debug)]
struct UnbridgedServer {
    pid: i32,
    start_time: u64,
    prefix: PathBuf,
    seen_at: std::time::Instant,
}

impl Watcher {
    /// A supervisor that reads profiles from `catalog` (which may be
    /// reloaded meanwhile) and reports on `notices`.
    pub fn new(
        config: SessionConfig,
        catalog: Arc<RwLock<Catalog>>,
        notices: Sender<Notice>,
    ) -> Self {
        status::sweep(&config.registry);
        let supervisor = Watcher {
            config,
            catalog,
            watch: ProcessScanner::new(),
            serving: Arc::default(),
            notices,
            auto_attach: AutoAttach(Arc::new(|_| true)),
            unbridged_servers: Vec::new(),
            waiting: Arc::default(),
            deferred: Vec::new(),
        };
        for record in adopt::running(&supervisor.config.registry) {
            let prefix = prefix_key(&record.prefix);
            if supervisor.serving().insert(prefix.clone()) {
                let followed = FollowedSession::new(record, &supervisor.config.registry);
                let notices = supervisor.notices.clone();
                let serving = Arc::clone(&supervisor.serving);
                std::thread::spawn(move || {
                    follow(followed, &notices);
                    serving.lock().remove(&prefix);
                });
            }
        }
        supervisor
    }

    fn serving(&self) -> parking_lot::MutexGuard<'_, HashSet<PathBuf>> {
        self.serving.lock()
    }

    /// Attaches only to games whose appid `allow` accepts (asked each time a
    /// game starts, so it may follow changing settings).
    pub fn with_auto_attach(mut self, allow: impl Fn(u32) -> bool + Send + Sync + 'static) -> Self {
        self.auto_attach = AutoAttach(Arc::new(allow));
        self
    }

    /// Scans `/proc` until `stop` is set, every [`SCAN_INTERVAL`], or every
    /// [`FAST_SCAN_INTERVAL`] while a launch is starting.
    pub fn run(&mut self, stop: &AtomicBool) {
        while !stop.load(Ordering::Relaxed) {
            self.scan_once();
            std::thread::sleep(self.interval());
        }
    }

    /// How long to wait until the next scan: [`FAST_SCAN_INTERVAL`] while a
    /// launch waits for its wineserver, a game seen meanwhile waits to be
    /// attached, or a supported game's wineserver runs without a bridge
    /// (for at most [`prestart::WINESERVER_BOUND`]); [`SCAN_INTERVAL`]
    /// otherwise.
    pub fn interval(&self) -> Duration {
        if !self.waiting.lock().is_empty()
            || !self.unbridged_servers.is_empty()
            || !self.deferred.is_empty()
        {
            FAST_SCAN_INTERVAL
        } else {
            SCAN_INTERVAL
        }
    }

    /// Looks at the processes that appeared since the last scan.
    pub fn scan_once(&mut self) {
        let found = self.watch.scan();
        self.follow_unbridged_servers(&found);
        self.start_deferred();
        for process in found {
            let Some(profile) = self.profile_for(&process) else {
                self.notice_launch(&process);
                continue;
            };
            let appid = process
                .appid()
                .or_else(|| profile.appids.first().copied())
                .unwrap_or(0);
            if !(self.auto_attach.0)(appid) {
                continue;
            }
            let Some(prefix) = process.prefix().map(|p| prefix_key(&p)) else {
                continue;
            };
            if !self.serving().insert(prefix.clone()) {
                // A launch in that prefix may still wait for its wineserver
                // (one that was already running when the game was started
                // without Proton, say): the game is here, so it stops
                // waiting, and the game is attached to once it has.
                if let Some(game_first) = self.waiting.lock().get(&prefix) {
                    game_first.store(true, Ordering::Relaxed);
                    self.deferred.push((profile, process, prefix));
                }
                continue;
            }
            self.start(profile, process, prefix);
        }
    }

    /// Attaches to the games seen while their prefix's launch waited, once
    /// the wait has given up; forgets those that ended, or whose prefix got
    /// a bridge after all.
    fn start_deferred(&mut self) {
        for (profile, process, prefix) in std::mem::take(&mut self.deferred) {
            if !process.is_alive() {
                continue;
            }
            if self.serving().insert(prefix.clone()) {
                self.start(profile, process, prefix);
            } else if self.waiting.lock().contains_key(&prefix) {
                self.deferred.push((profile, process, prefix));
            }
        }
    }

    /// Keeps the list of supported games' wineservers that run without a
    /// bridge up to date, with the new processes of this scan.
    fn follow_unbridged_servers(&mut self, found: &[ProcessInfo]) {
        for process in found {
            let supported = process.exe_name.starts_with("wineserver")
                && process
                    .appid()
                    .is_some_and(|id| self.catalog.read().by_appid(id).is_some());
            if let (true, Some(prefix)) = (supported, process.prefix()) {
                self.unbridged_servers.push(UnbridgedServer {
                    pid: process.pid,
                    start_time: process.start_time,
                    prefix: prefix_key(&prefix),
                    seen_at: std::time::Instant::now(),
                });
            }
        }
        if self.unbridged_servers.is_empty() {
            return;
        }
        let serving = self.serving.lock().clone();
        self.unbridged_servers.retain(|server| {
            server.seen_at.elapsed() < prestart::WINESERVER_BOUND
                && !serving.contains(&server.prefix)
                && bridgekeeper_host::processes::is_alive(server.pid, server.start_time)
        });
    }

    /// Starts a pre-start attach when `process` begins a supported game's
    /// launch in a prefix that is not served yet.
    fn notice_launch(&self, process: &ProcessInfo) {
        let Some(launch) = prestart::launch_start(process) else {
            return;
        };
        let Some(profile) = self
            .catalog
            .read()
            .by_appid(launch.appid)
            .map(|e| e.profile.clone())
        else {
            return;
        };
        if !(self.auto_attach.0)(launch.appid) {
            return;
        }
        let prefix = prefix_key(&launch.prefix);
        if !self.serving().insert(prefix.clone()) {
            return;
        }
        tracing::debug!(
            "{}: launch noticed (pid {}); waiting for the wineserver of {}",
            profile.name,
            launch.pid,
            launch.prefix.display()
        );
        let game_first = Arc::new(AtomicBool::new(false));
        self.waiting
            .lock()
            .insert(prefix.clone(), Arc::clone(&game_first));
        let config = self.config.clone();
        let serving = Arc::clone(&self.serving);
        let waiting = Arc::clone(&self.waiting);
        let notices = self.notices.clone();
        std::thread::spawn(move || {
            let attached = attach_launch(&config, &profile, &launch, &game_first, &notices);
            waiting.lock().remove(&prefix);
            if let Some((session, script)) = attached {
                // "Also serve into": shares that end with the session.
                let live_exe = profile.live_exes.first().map(String::as_str);
                let shares = crate::share::auto::start_for(&config, &session.record, live_exe);
                let ended = session.wait_for_launch(script.as_ref());
                drop(shares);
                let _ = notices.send(Notice::Ended(Box::new(ended)));
            }
            serving.lock().remove(&prefix);
        });
    }

    fn profile_for(&self, process: &ProcessInfo) -> Option<Profile> {
        if crate::share::keeper::is_serve_bridge(process) {
            return None;
        }
        let catalog = self.catalog.read();
        let entry = catalog.by_exe(&process.exe_name)?;
        let profile = &entry.profile;
        let other_app = process
            .appid()
            .is_some_and(|id| !profile.appids.is_empty() && !profile.appids.contains(&id));
        (!other_app).then(|| profile.clone())
    }

    fn start(&self, profile: Profile, process: ProcessInfo, prefix: PathBuf) {
        tracing::debug!(
            "{}: {} (pid {}) started; attaching",
            profile.name,
            process.exe_name,
            process.pid
        );
        let config = self.config.clone();
        let serving = Arc::clone(&self.serving);
        let notices = self.notices.clone();
        std::thread::spawn(move || {
            match attach(&config, &profile, &process) {
                Ok(session) => {
                    let status = SessionStatus::of(&session.record);
                    let _ = notices.send(Notice::Attached {
                        status: Box::new(status),
                        game_pid: process.pid,
                    });
                    // "Also serve into": shares that end with the session.
                    let live_exe = profile.live_exes.first().map(String::as_str);
                    let shares = crate::share::auto::start_for(&config, &session.record, live_exe);
                    let ended = session.wait();
                    drop(shares);
                    let _ = notices.send(Notice::Ended(Box::new(ended)));
                }
                Err(AttachError::AlreadyBridged { id, .. }) => {
                    // Started elsewhere (`bridgekeeper run`, or `attach`):
                    // follow it rather than refuse the game.
                    let record = adopt::running(&config.registry)
                        .into_iter()
                        .find(|r| r.id == id);
                    if let Some(record) = record {
                        let live_exe = profile.live_exes.first().map(String::as_str);
                        let shares = crate::share::auto::start_for(&config, &record, live_exe);
                        follow(FollowedSession::new(record, &config.registry), &notices);
                        drop(shares);
                    }
                }
                Err(err) => {
                    let _ = notices.send(Notice::Refused {
                        game: profile.name.clone(),
                        pid: process.pid,
                        reason: err.to_string(),
                    });
                }
            }
            serving.lock().remove(&prefix);
        });
    }
}

/// Attaches to a launch once its wineserver accepts clients; reports the
/// outcome. Returns the session and Proton's script for the launch;
/// `None` when nothing was attached (the launch ended first, no
/// wineserver came, the game was bridged elsewhere, or the attach failed).
fn attach_launch(
    config: &super::SessionConfig,
    profile: &Profile,
    launch: &LaunchStart,
    game_first: &AtomicBool,
    notices: &Sender<Notice>,
) -> Option<(super::attach::ActiveSession, Option<ProcessInfo>)> {
    let launch = &prestart::lasting(launch.clone());
    let waited = prestart::wait_for_wineserver(launch, prestart::WINESERVER_BOUND, game_first);
    let wineserver = match waited {
        Ok(server) => server,
        Err(why) => {
            tracing::info!("{}: not attached before the game: {why}", profile.name);
            return None;
        }
    };
    // Found before the bridge starts: a launch that fails at once may end
    // while the bridge gets ready.
    let script = prestart::proton_script(&launch.prefix);
    match attach_before_game(config, profile, &wineserver) {
        Ok(session) => {
            let _ = notices.send(Notice::Attached {
                status: Box::new(SessionStatus::of(&session.record)),
                game_pid: launch.pid,
            });
            Some((session, script))
        }
        Err(AttachError::AlreadyBridged { id, .. }) => {
            let record = adopt::running(&config.registry)
                .into_iter()
                .find(|r| r.id == id);
            if let Some(record) = record {
                let live_exe = profile.live_exes.first().map(String::as_str);
                let shares = crate::share::auto::start_for(config, &record, live_exe);
                follow(FollowedSession::new(record, &config.registry), notices);
                drop(shares);
            }
            None
        }
        Err(err) => {
            let _ = notices.send(Notice::Refused {
                game: profile.name.clone(),
                pid: launch.pid,
                reason: err.to_string(),
            });
            None
        }
    }
}

/// Reports a session started elsewhere, waits for its end, and reports that.
fn follow(mut followed: FollowedSession, notices: &Sender<Notice>) {
    let _ = notices.send(Notice::Adopted(Box::new(followed.status())));
    let ended = followed.wait();
    let _ = notices.send(Notice::Ended(Box::new(ended)));
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::Registry;
    use bridgekeeper_bridge_client::BridgeFiles;

    fn supervisor(dir: &std::path::Path, exe: &str) -> (Watcher, mpsc::Receiver<Notice>) {
        let profiles = dir.join("profiles");
        std::fs::create_dir_all(&profiles).unwrap();
        std::fs::write(
            profiles.join("watched.toml"),
            format!(
                "id = \"watched\"\nname = \"Watched Sim\"\nappids = [4321]\nlive_exes = [\"{exe}\"]\n\n\
                 [[mapping]]\nname = \"watched_page\"\nsize = 4096\n"
            ),
        )
        .unwrap();
        let catalog = Arc::new(RwLock::new(Catalog::load(Some(&profiles))));
        let config = SessionConfig {
            registry: Registry::new(dir),
            shm_dir: dir.join("shm"),
            keep_files: false,
            bridge: BridgeFiles {
                exe: dir.join("b.exe"),
                dll: dir.join("b.dll"),
            },
        };
        let (sender, notices) = mpsc::channel();
        (Watcher::new(config, catalog, sender), notices)
    }

    /// A Linux process that looks like the game: its argv[0] is the live
    /// exe and it carries a Wine prefix, but no Proton (so an attach is
    /// refused before Wine would be needed).
    fn fake_game(dir: &std::path::Path, exe: &str) -> std::process::Child {
        std::process::Command::new("sleep")
            .arg0(exe)
            .arg("30")
            .env("WINEPREFIX", dir.join("pfx"))
            .env("SteamAppId", "4321")
            .env_remove("STEAM_COMPAT_TOOL_PATHS")
            .spawn()
            .unwrap()
    }

    fn notice_within(supervisor: &mut Watcher, notices: &mpsc::Receiver<Notice>) -> Option<Notice> {
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            supervisor.scan_once();
            if let Ok(notice) = notices.recv_timeout(Duration::from_millis(100)) {
                return Some(notice);
            }
        }
        None
    }

    #[test]
    fn a_starting_game_is_attached_or_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let (mut supervisor, notices) = supervisor(dir.path(), "RefusedSim.exe");
        supervisor.scan_once();
        let mut game = fake_game(dir.path(), "RefusedSim.exe");
        let notice = notice_within(&mut supervisor, &notices);
        game.kill().unwrap();
        game.wait().unwrap();
        match notice {
            Some(Notice::Refused {
                game: name,
                pid,
                reason,
            }) => {
                assert_eq!(name, "Watched Sim");
                assert_eq!(pid as u32, game.id());
                assert!(reason.contains("STEAM_COMPAT_TOOL_PATHS"), "{reason}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_game_that_starts_while_its_launch_waits_for_a_wineserver_is_not_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let (mut supervisor, notices) = supervisor(dir.path(), "WaitedSim.exe");
        supervisor.scan_once();
        // A launch of the game whose wineserver never comes.
        let mut launch = std::process::Command::new("sleep")
            .arg("30")
            .env("WINEPREFIX", dir.path().join("pfx"))
            .env("SteamAppId", "4321")
            .env("STEAM_COMPAT_TOOL_PATHS", dir.path().join("proton"))
            .spawn()
            .unwrap();
        let noticed = Instant::now() + Duration::from_secs(3);
        while supervisor.waiting.lock().is_empty() && Instant::now() < noticed {
            supervisor.scan_once();
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            !supervisor.waiting.lock().is_empty(),
            "the launch was noticed"
        );
        let mut game = fake_game(dir.path(), "WaitedSim.exe");
        let notice = notice_within(&mut supervisor, &notices);
        for child in [&mut game, &mut launch] {
            child.kill().unwrap();
            child.wait().unwrap();
        }
        match notice {
            Some(Notice::Refused { pid, .. }) => assert_eq!(pid as u32, game.id()),
            other => panic!("expected the game to be taken up, got {other:?}"),
        }
    }

    #[test]
    fn games_with_auto_attach_off_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (supervisor, notices) = supervisor(dir.path(), "SkippedSim.exe");
        let mut supervisor = supervisor.with_auto_attach(|appid| appid != 4321);
        supervisor.scan_once();
        let mut game = fake_game(dir.path(), "SkippedSim.exe");
        let notice = notice_within(&mut supervisor, &notices);
        game.kill().unwrap();
        game.wait().unwrap();
        assert!(notice.is_none(), "{notice:?}");
    }
}
