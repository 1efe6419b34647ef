//! Wine for the tests: the Windows programs, one prefix per test binary, and
//! a lock that runs the tests of a binary one at a time in that prefix.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};

/// Where the Windows programs are cross-built, apart from the Linux build so
/// the two never wait for each other's lock.
const WINDOWS_TARGET_DIR: &str = "target/windows";
const TRIPLE: &str = "x86_64-pc-windows-gnu";

/// The bridge's file name.
pub const BRIDGE_EXE: &str = "bridgekeeper-bridge.exe";

/// The Wine set-up shared by the tests of one binary.
#[derive(Debug)]
pub struct Wine {
    /// The `wine` launcher.
    pub wine: PathBuf,
    /// The prefix, created fresh when the test binary starts.
    pub prefix: PathBuf,
    /// Directory holding `bridgekeeper-bridge.exe`, `bridgekeeper-testgame.exe`
    /// and `bcryptprimitives.dll`.
    pub bin: PathBuf,
}

/// Held while a test uses the shared prefix.
#[derive(Debug)]
pub struct WineGuard {
    _lock: MutexGuard<'static, ()>,
    /// The set-up.
    pub wine: &'static Wine,
}

impl std::ops::Deref for WineGuard {
    type Target = Wine;
    fn deref(&self) -> &Wine {
        self.wine
    }
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/testkit is two levels below the workspace")
        .to_path_buf()
}

/// The shared Wine set-up, or `None` (test skipped) when Wine is missing and
/// `CI` is not `true`. Panics on any set-up failure.
pub fn wine() -> Option<WineGuard> {
    static LOCK: Mutex<()> = Mutex::new(());
    static WINE: OnceLock<Option<Wine>> = OnceLock::new();
    let lock = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let wine = WINE.get_or_init(|| {
        let Some(wine) = crate::desktop::tool("wine") else {
            crate::skip("wine is not installed (scripts/test installs it)");
            return None;
        };
        let bin = build_windows_programs();
        let prefix = fresh_prefix();
        Some(Wine { wine, prefix, bin })
    });
    wine.as_ref().map(|wine| WineGuard { _lock: lock, wine })
}

/// Cross-builds the bridge and the test game (a no-op when up to date).
fn build_windows_programs() -> PathBuf {
    let root = workspace();
    let target_dir = root.join(WINDOWS_TARGET_DIR);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args(["build", "--release", "--target", TRIPLE])
        .args(["-p", "bridgekeeper-bridge", "-p", "bridgekeeper-testgame"])
        .env("CARGO_TARGET_DIR", &target_dir)
        .status()
        .expect("running cargo to build the Windows programs");
    assert!(
        status.success(),
        "building the Windows programs failed (is the {TRIPLE} target installed?)"
    );
    target_dir.join(TRIPLE).join("release")
}

/// Creates a new prefix for this test binary, replacing any earlier one.
fn fresh_prefix() -> PathBuf {
    init_prefix("pfx")
}

/// Creates the prefix `label` of this test binary, replacing any earlier one.
fn init_prefix(label: &str) -> PathBuf {
    let binary = std::env::current_exe().expect("the test binary has a path");
    let stem = binary.file_stem().and_then(OsStr::to_str).unwrap_or("e2e");
    let name = stem.split('-').next().unwrap_or(stem);
    let prefix = workspace().join("target/e2e").join(name).join(label);
    if prefix.exists() {
        kill_wineserver(&prefix);
        std::fs::remove_dir_all(&prefix).expect("removing the old test prefix");
    }
    std::fs::create_dir_all(&prefix).expect("creating the test prefix");
    let run = |program: &str, arg: &str| {
        let status = wine_env(Command::new(program).arg(arg), &prefix)
            .status()
            .unwrap_or_else(|err| panic!("running {program}: {err}"));
        assert!(
            status.success(),
            "{program} {arg} failed in {}",
            prefix.display()
        );
    };
    run("wineboot", "-i");
    run("wineserver", "-w");
    prefix
}

/// Ends every Wine process of `prefix` (`wineserver -k`).
pub fn kill_wineserver(prefix: &Path) {
    let _ = wine_env(Command::new("wineserver").arg("-k"), prefix).status();
}

/// Sets the environment every test Wine process gets: the prefix, quiet
/// logging, no Mono or Gecko installer, no display.
pub fn wine_env<'a>(command: &'a mut Command, prefix: &Path) -> &'a mut Command {
    command
        .env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
}

impl Wine {
    /// A second prefix, for tests with two games at once (created once).
    pub fn second_prefix(&self) -> &'static Path {
        static SECOND: OnceLock<PathBuf> = OnceLock::new();
        SECOND.get_or_init(|| init_prefix("pfx2"))
    }

    /// `wine <exe>` in the shared prefix.
    pub fn command(&self, exe: impl AsRef<OsStr>) -> Command {
        self.command_in(&self.prefix, exe)
    }

    /// `wine <exe>` in `prefix`.
    pub fn command_in(&self, prefix: &Path, exe: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(&self.wine);
        wine_env(&mut command, prefix).arg(exe);
        command
    }

    /// The bridge executable.
    pub fn bridge_exe(&self) -> PathBuf {
        self.bin.join(BRIDGE_EXE)
    }

    /// The test game executable.
    pub fn game_exe(&self) -> PathBuf {
        self.bin.join("bridgekeeper-testgame.exe")
    }

    /// A bridge command for this prefix, with the tests' Wine environment.
    pub fn bridge(&self, dir: &Path) -> bridgekeeper_bridge_client::BridgeCommand {
        let mut command = bridgekeeper_bridge_client::BridgeCommand::new(
            &self.wine,
            self.bridge_exe(),
            &self.prefix,
        );
        command.dir = dir.to_path_buf();
        command
            .env
            .push(("WINEDLLOVERRIDES".into(), "mscoree,mshtml=".into()));
        command
    }

    /// Copies the test game into `dir` under each of `names` (with the DLL
    /// it needs), like a game folder holding a launcher and a live exe.
    pub fn game_folder(&self, dir: &Path, names: &[&str]) {
        for name in names {
            self.copy_program(&self.game_exe(), dir, name);
        }
    }

    /// Copies the bridge into `dir` as `name` (with the DLL it needs), as
    /// the Linux side does for a stand-in with the game's exe name.
    pub fn bridge_as(&self, dir: &Path, name: &str) -> PathBuf {
        self.copy_program(&self.bridge_exe(), dir, name)
    }

    /// Copies the Windows program `from` into `dir` as `name`, with
    /// `bcryptprimitives.dll` beside it (Rust programs import it, and
    /// Debian's Wine 8 has none); returns the copy.
    fn copy_program(&self, from: &Path, dir: &Path, name: &str) -> PathBuf {
        std::fs::create_dir_all(dir)
            .unwrap_or_else(|err| panic!("creating {}: {err}", dir.display()));
        let exe = dir.join(name);
        std::fs::copy(from, &exe)
            .unwrap_or_else(|err| panic!("copying {} to {}: {err}", from.display(), exe.display()));
        let dll = "bcryptprimitives.dll";
        std::fs::copy(self.bin.join(dll), dir.join(dll))
            .unwrap_or_else(|err| panic!("copying {dll} to {}: {err}", dir.display()));
        exe
    }

    /// Runs `wineserver -w` for the prefix and returns how long it took.
    pub fn wineserver_wait(&self) -> std::time::Duration {
        wineserver_wait_in(&self.prefix)
    }
}

/// Runs `wineserver -w` for `prefix` and returns how long it took.
pub fn wineserver_wait_in(prefix: &Path) -> std::time::Duration {
    let started = std::time::Instant::now();
    let status = wine_env(Command::new("wineserver").arg("-w"), prefix)
        .status()
        .expect("running wineserver -w");
    assert!(status.success());
    started.elapsed()
}
