//! A whole test world for session tests: Wine, a Steam-shaped tree whose
//! Proton runs Debian's Wine, an isolated `bridgekeeper` with a profile for
//! the fake game, and a shm directory; plus the ways a session starts
//! (`bridgekeeper run`, the watcher, the game alone) and helpers to watch
//! processes and output.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::app::App;
use crate::shm::ShmDir;
use crate::steam::FakeSteam;
use crate::wine::{WineGuard, kill_wineserver, wine};
use crate::{GAME_MAGIC, unique_name, wait_for};

/// Generous wait for anything Wine does on a loaded machine.
pub const LONG: Duration = Duration::from_secs(40);

/// The live exe of the fake game.
pub const LIVE_EXE: &str = "FakeSimAVX.exe";

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
    /// Scratch directory of this test, removed on drop.
    pub root: PathBuf,
}

impl World {
    /// A world for `label`, or `None` when Wine tests are skipped.
    pub fn new(label: &str) -> Option<World> {
        let wine = wine()?;
        let root = std::env::temp_dir().join(unique_name(label));
        let appid = 980_000 + (std::process::id() % 9000);
        let steam = FakeSteam::new(
            &root.join("Steam Root"),
            appid,
            &wine,
            &wine.prefix,
            &["FakeLauncher.exe", LIVE_EXE],
        );
        let shm = ShmDir::new(label);
        let app = App::new(&root, shm.path(), &wine);
        let mapping = format!("${}$", unique_name("tele"));
        let world = World {
            wine,
            steam,
            app,
            shm,
            mapping,
            size: 8192,
            root,
        };
        world.write_profile(world.size);
        Some(world)
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

    /// Starts the game the way Steam does without the wrapper.
    pub fn start_game(&self, args: &[String]) -> Child {
        self.steam
            .game_command(&self.wine.prefix, args)
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
}

impl Drop for World {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Whatever the failed test left running would hold the prefix
            // (`wineserver -w`) and fail the tests after it.
            kill_wineserver(&self.wine.prefix);
        }
        let _ = std::fs::remove_dir_all(&self.root);
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

/// Lines of a child's stdout, read on a thread.
pub fn lines_of(child: &mut Child) -> Receiver<String> {
    let stdout = child.stdout.take().expect("stdout is piped");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// Output lines collected while waiting for particular ones.
#[derive(Debug)]
pub struct Output {
    lines: Receiver<String>,
    /// Every line so far.
    pub seen: Vec<String>,
}

impl Output {
    /// Collects `child`'s stdout.
    pub fn of(child: &mut Child) -> Output {
        Output {
            lines: lines_of(child),
            seen: Vec::new(),
        }
    }

    /// Waits for a line containing `text`; panics with the output so far
    /// when none comes within [`LONG`].
    pub fn wait_for(&mut self, text: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(text)) {
            return line.clone();
        }
        let deadline = Instant::now() + LONG;
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.seen.push(line.clone());
            if line.contains(text) {
                return line;
            }
        }
        panic!("no line with {text:?} in:\n{}", self.seen.join("\n"));
    }

    /// Everything so far (after collecting what is waiting) as one text.
    pub fn text(&mut self) -> String {
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
            self.seen.push(line);
        }
        self.seen.join("\n")
    }

    /// How many lines so far contain `text`.
    pub fn count(&mut self, text: &str) -> usize {
        self.text();
        self.seen.iter().filter(|l| l.contains(text)).count()
    }
}

/// Waits for a child to exit.
pub fn wait_child(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    wait_for(timeout, || child.try_wait().ok().flatten())
}

/// True while `pid` runs and is not a zombie.
pub fn pid_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            !stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

/// The environment of `pid` as `NAME=value` strings (empty when it is gone).
pub fn environ(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/environ"))
        .map(|bytes| {
            bytes
                .split(|&b| b == 0)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Linux pids of live processes running the exe named `exe` from under
/// `dir` (Wine shows a Windows program's Unix path as its first argument),
/// so that programs of other tests on the machine do not count.
pub fn pids_of(dir: &Path, exe: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let dir = dir.to_string_lossy().into_owned();
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmd| {
                let first = cmd.split(|&b| b == 0).next().unwrap_or_default();
                let first = String::from_utf8_lossy(first).to_lowercase();
                first.starts_with(&dir.to_lowercase()) && first.ends_with(&exe.to_lowercase())
            })
        })
        .filter(|&pid| pid_alive(pid))
        .collect()
}

/// Every process whose command line mentions `dir`, as `pid: cmdline`
/// (for failure messages).
pub fn processes_under(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let dir = dir.to_string_lossy().into_owned();
    entries
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            cmd.contains(&dir).then(|| format!("{pid}: {cmd}"))
        })
        .collect()
}

/// Sends `signal` to `pid`.
pub fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("running kill");
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// Waits for `pid` to be gone; returns when it went, or panics after
/// [`LONG`].
pub fn gone(pid: u32) -> Instant {
    wait_for(LONG, || (!pid_alive(pid)).then(Instant::now))
        .unwrap_or_else(|| panic!("process {pid} is still running after {LONG:?}"))
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
