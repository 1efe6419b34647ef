//! A whole test world for session tests and benchmarks: Wine, a
//! Steam-shaped tree whose Proton runs Debian's Wine the way Proton runs a
//! game ([`crate::steam`]), an isolated `bridgekeeper` with a profile for
//! the fake game, a shm directory and a scratch directory; plus the ways a
//! session starts (`bridgekeeper run`, the watcher, the game alone) and the
//! processes and output to watch.
//!
//! Failure mode: a world left behind by a failed test holds the shared
//! prefix (its wineserver keeps `wineserver -w` waiting) and fails every
//! test after it; one cleaned away takes the evidence. So on a panic the
//! prefix's Wine processes are stopped and the scratch directory is kept
//! ([`ScratchDir`]); a benchmark, which has no later test to protect but
//! must not leave a game running, stops them always
//! ([`WorldOptions::stop_wine_on_drop`]).

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::app::App;
use crate::fake_proton;
use crate::procs::one_pid_of;
use crate::scratch::ScratchDir;
use crate::shm::ShmDir;
use crate::steam::FakeSteam;
use crate::wine::{BRIDGE_EXE, WineGuard, kill_wineserver, wine};
use crate::{GAME_MAGIC, unique_name, wait_for};

pub use crate::output::{Output, lines_of, reap, wait_child, wait_stdout_line};
pub use crate::procs::{LONG, environ, gone, pid_alive, pids_of, processes_under, signal};

/// The live exe of the fake game.
pub const LIVE_EXE: &str = "FakeSimAVX.exe";

/// The fake game's launcher exe.
pub const LAUNCHER_EXE: &str = "FakeLauncher.exe";

/// Size of the game's mapping in the profile a world starts with.
pub const MAPPING_SIZE: u64 = 8192;

/// Wine, a fake Steam tree, an isolated app and a profile for the game.
#[derive(Debug)]
pub struct World {
    /// The shared prefix (held for the whole test).
    pub wine: WineGuard,
    /// The Steam tree.
    pub steam: FakeSteam,
    /// The app under test.
    pub app: App,
    /// The shm directory the app uses.
    pub shm: ShmDir,
    /// The profile's mapping name (also its file name).
    pub mapping: String,
    /// Size of the mapping in the profile.
    pub size: u64,
    /// Scratch directory of this test: removed on drop after a pass, kept
    /// after a failure.
    pub root: PathBuf,
    /// Owns `root`: removes it after a pass, keeps it after a failure.
    _scratch: ScratchDir,
    stop_wine_on_drop: bool,
}

/// How a [`World`] is made; [`World::new`] takes the defaults.
#[derive(Debug, Clone)]
pub struct WorldOptions {
    label: String,
    stop_wine_on_drop: bool,
    proton_startup: Duration,
    shortcuts: Vec<crate::steam::ToolShortcut>,
}

impl WorldOptions {
    /// Stops every Wine process of the prefix when the world is dropped,
    /// not only after a failure (benchmarks).
    pub fn stop_wine_on_drop(mut self) -> Self {
        self.stop_wine_on_drop = true;
        self
    }

    /// The fake `proton` script's start-up pause (default
    /// [`fake_proton::DEFAULT_STARTUP`]; a launch's environment may still
    /// set [`fake_proton::STARTUP_ENV`]).
    pub fn proton_startup(mut self, startup: Duration) -> Self {
        self.proton_startup = startup;
        self
    }

    /// A non-Steam shortcut for a tool in another prefix, in the Steam tree.
    pub fn tool_shortcut(mut self, shortcut: crate::steam::ToolShortcut) -> Self {
        self.shortcuts.push(shortcut);
        self
    }

    /// The world, or `None` when Wine tests are skipped.
    pub fn build(self) -> Option<World> {
        let label = self.label.as_str();
        let wine = wine()?;
        let scratch = ScratchDir::new(label);
        let root = scratch.path().to_path_buf();
        let appid = 980_000 + (std::process::id() % 9000);
        let mut builder =
            FakeSteam::builder(&root.join("Steam Root"), appid).proton_startup(self.proton_startup);
        for shortcut in self.shortcuts {
            builder = builder.tool_shortcut(shortcut);
        }
        let steam = builder.build(&wine, &wine.prefix, &[LAUNCHER_EXE, LIVE_EXE]);
        let shm = ShmDir::new(label);
        let app = App::new(&root, shm.path(), &wine);
        // `$` keeps the name clear of every real game's.
        let mapping = format!("${}$", unique_name("tele"));
        let world = World {
            wine,
            steam,
            app,
            shm,
            mapping,
            size: MAPPING_SIZE,
            root,
            _scratch: scratch,
            stop_wine_on_drop: self.stop_wine_on_drop,
        };
        world.write_profile(world.size);
        Some(world)
    }
}

impl World {
    /// A world for `label`, or `None` when Wine tests are skipped.
    pub fn new(label: &str) -> Option<World> {
        World::options(label).build()
    }

    /// Options for a world for `label`, to adjust before
    /// [`WorldOptions::build`].
    pub fn options(label: &str) -> WorldOptions {
        WorldOptions {
            label: label.to_owned(),
            stop_wine_on_drop: false,
            proton_startup: fake_proton::DEFAULT_STARTUP,
            shortcuts: Vec::new(),
        }
    }

    /// (Re)writes the game's profile with its mapping at `size` bytes.
    pub fn write_profile(&self, size: u64) {
        self.app.profile(
            "fake-sim.toml",
            &profile_toml(
                "fake-sim",
                "Fake Sim",
                self.steam.appid,
                &self.mapping,
                size,
                LIVE_EXE,
            ),
        );
    }

    /// The backing file of the mapping.
    pub fn file(&self) -> PathBuf {
        self.shm.file(&self.mapping)
    }

    /// The live exe's arguments: `game --map MAPPING=SIZE EXTRA...`.
    pub fn game_args(&self, size: u64, extra: &[&str]) -> Vec<String> {
        let mut args = vec![
            self.steam.exe(LIVE_EXE),
            "game".into(),
            "--map".into(),
            format!("{}={size}", self.mapping),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    /// Starts the game the way Steam does without the wrapper. The child is
    /// Steam's reaper: it ends once every process of the launch has, the
    /// prefix's wineserver included when this launch started it.
    pub fn start_game(&self, args: &[String]) -> Child {
        self.start_game_with(args, &[])
    }

    /// [`Self::start_game`] with `env` added to Steam's environment.
    pub fn start_game_with(&self, args: &[String], env: &[(&str, &str)]) -> Child {
        self.steam
            .game_command(&self.wine.prefix, args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .expect("starting the game")
    }

    /// Starts the game through `bridgekeeper run %command%`, with `env`
    /// added to the app's environment.
    pub fn run_wrapped(&self, args: &[String], env: &[(&str, &str)]) -> Child {
        self.app
            .command()
            .arg("run")
            .args(self.steam.launch_command(args))
            .envs(self.steam.game_env())
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .expect("starting bridgekeeper run")
    }

    /// Starts `bridgekeeper watch --json`.
    pub fn watcher(&self) -> Watcher {
        self.watcher_with(&[])
    }

    /// Starts `bridgekeeper watch --json` with `env` added to the app's
    /// environment (a session bus, a settings folder).
    pub fn watcher_with(&self, env: &[(&str, &std::ffi::OsStr)]) -> Watcher {
        let mut child = self
            .app
            .command()
            .args(["watch", "--json"])
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .expect("starting the watcher");
        let lines = lines_of(&mut child);
        // Let its first scan of /proc pass before a game starts.
        std::thread::sleep(Duration::from_millis(500));
        Watcher { child, lines }
    }

    /// `bridgekeeper attach APPID`, run to its end.
    pub fn attach(&self, appid: u32) -> std::process::Output {
        self.app
            .command()
            .args(["attach", &appid.to_string()])
            .output()
            .expect("running bridgekeeper attach")
    }

    /// `bridgekeeper stop APPID`, run to its end.
    pub fn stop(&self, appid: u32) -> std::process::Output {
        self.app
            .command()
            .args(["stop", &appid.to_string()])
            .output()
            .expect("running bridgekeeper stop")
    }

    /// The session of the game's appid in `status --json`.
    pub fn session(&self) -> Option<Value> {
        session_with(&self.app.status(), self.steam.appid).cloned()
    }

    /// The run log in the game's compatdata folder.
    pub fn run_log(&self) -> String {
        std::fs::read_to_string(self.steam.compatdata.join("bridgekeeper-run.log"))
            .unwrap_or_default()
    }

    /// Waits until the file holds the game's magic and a counter that moves;
    /// returns the last counter read.
    pub fn counter_moves(&self) -> Option<u32> {
        counter_moves_in(&self.file())
    }

    /// The bridge's Linux pid: the one process running the bridge exe from
    /// under this world's root, whoever started it (Proton for a wrapper's
    /// bridge; the watcher or `attach` otherwise). Waits up to [`LONG`];
    /// panics unless exactly one runs.
    pub fn bridge_pid(&self) -> u32 {
        one_pid_of(&self.root, BRIDGE_EXE)
    }

    /// The Linux pid of the game's live exe ([`LIVE_EXE`]), waiting up to
    /// [`LONG`] for exactly one.
    pub fn game_pid(&self) -> u32 {
        one_pid_of(&self.root, LIVE_EXE)
    }

    /// The mode of the game's mapping in `bridgekeeper status --json`
    /// (`shared`, `copy`), or `?` when status does not say.
    pub fn mapping_mode(&self) -> String {
        self.session()
            .and_then(|s| s["mappings"][0]["mode"].as_str().map(str::to_string))
            .unwrap_or_else(|| "?".into())
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if self.stop_wine_on_drop || std::thread::panicking() {
            // Whatever is left running would hold the prefix (`wineserver
            // -w`) and fail the tests after it.
            kill_wineserver(&self.wine.prefix);
        }
        // `_scratch` is dropped next: removed, or kept after a failure.
    }
}

/// A running `bridgekeeper watch --json`, killed on drop.
#[derive(Debug)]
pub struct Watcher {
    /// The process.
    pub child: Child,
    lines: Receiver<String>,
}

impl Watcher {
    /// The next notice of `kind` (`attached`, `adopted`, `refused`,
    /// `ended`), skipping others, within `timeout`.
    pub fn next(&self, kind: &str, timeout: Duration) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            let Ok(value) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if value["notice"] == kind {
                return Some(value);
            }
            eprintln!("watch (skipped): {line}");
        }
        None
    }

    /// Every notice that arrives within `timeout`.
    pub fn drain(&self, timeout: Duration) -> Vec<Value> {
        let deadline = Instant::now() + timeout;
        let mut notices = Vec::new();
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            if let Ok(value) = serde_json::from_str(&line) {
                notices.push(value);
            }
        }
        notices
    }

    /// Kills the watcher with SIGKILL (no chance to clean up).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A profile with one mapping.
pub fn profile_toml(
    id: &str,
    name: &str,
    appid: u32,
    mapping: &str,
    size: u64,
    live: &str,
) -> String {
    format!(
        r#"id = "{id}"
name = "{name}"
appids = [{appid}]
launcher_exes = ["FakeLauncher.exe"]
live_exes = ["{live}"]

[[mapping]]
name = "{mapping}"
size = {size}
source = "the test game's layout"
"#
    )
}

/// The session of `appid` in a `status --json` array.
pub fn session_with(status: &Value, appid: u32) -> Option<&Value> {
    status.as_array()?.iter().find(|s| s["appid"] == appid)
}

/// A little-endian u32 at `offset` of `file`.
pub fn u32_at(file: &Path, offset: u64) -> Option<u32> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::File::open(file).ok()?;
    let mut bytes = [0u8; 4];
    file.read_exact_at(&mut bytes, offset).ok()?;
    Some(u32::from_le_bytes(bytes))
}

/// Waits until `file` holds the game's magic and a counter that moves;
/// returns the last counter read.
pub fn counter_moves_in(file: &Path) -> Option<u32> {
    wait_for(LONG, || u32_at(file, 0).filter(|&m| m == GAME_MAGIC))?;
    let first = wait_for(LONG, || u32_at(file, 4).filter(|&c| c > 0))?;
    wait_for(LONG, || u32_at(file, 4).filter(|&c| c != first))
}
