//! Bridgekeeper inside a Flatpak sandbox, under real Wine: the app runs with
//! a `.flatpak-info`, and reaches the host only through the real
//! `flatpak-spawn --host` (Debian's flatpak-xdg-utils) served by the real
//! `flatpak-session-helper` on a private D-Bus session bus. The app's own
//! processes are not in another namespace here: a Flatpak runtime cannot be
//! installed on this machine (it comes from Flathub), so the sandbox is the
//! app's view, not a bubblewrap container.
//!
//! Without those programs the test skips, except when `CI=true`.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use bridgekeeper_testkit::dbus::PrivateBus;
use bridgekeeper_testkit::desktop::{Kill, require};
use bridgekeeper_testkit::wait_for;
use bridgekeeper_testkit::world::{
    LONG, Output, World, gone, lines_of, pids_of, processes_under, session_with, wait_child,
};

const APP_ID: &str = "io.github.bridgekeeper.Bridgekeeper";
const FLATPAK_SPAWN: &str = "/usr/libexec/flatpak-xdg-utils/flatpak-spawn";
const SESSION_HELPER: &str = "/usr/libexec/flatpak-session-helper";
const DBUS_DAEMON: &str = "/usr/bin/dbus-daemon";
const BRIDGE_EXE: &str = "bridgekeeper-bridge.exe";

/// `flatpak-spawn` on the app's `PATH`: logs each call's arguments, one
/// line per call, then runs the real one.
fn logging_spawn(log: &Path) -> String {
    format!(
        "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec {FLATPAK_SPAWN} \"$@\"\n",
        log.display()
    )
}

/// A private session bus with `flatpak-session-helper` on it: what serves
/// `flatpak-spawn --host` on a desktop. Dropped, the helper goes, then the
/// bus.
struct HostSession {
    address: String,
    _helper: Kill,
    _bus: PrivateBus,
}

impl HostSession {
    fn start(runtime: &Path) -> Option<HostSession> {
        let tools = require(
            &[FLATPAK_SPAWN, SESSION_HELPER, DBUS_DAEMON],
            "flatpak, flatpak-xdg-utils and dbus (packaging/flatpak/check installs them)",
        )?;
        let bus = PrivateBus::start()?;
        let address = bus.address().to_string();
        let helper = Kill(
            Command::new(&tools[1])
                .env("DBUS_SESSION_BUS_ADDRESS", &address)
                .env("XDG_RUNTIME_DIR", runtime)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("starting flatpak-session-helper"),
        );
        wait_for(Duration::from_secs(10), || {
            Command::new(&tools[0])
                .args(["--host", "true"])
                .env("DBUS_SESSION_BUS_ADDRESS", &address)
                .stderr(Stdio::null())
                .status()
                .ok()
                .filter(|s| s.success())
        })
        .expect("flatpak-spawn --host works once the helper is up");
        Some(HostSession {
            address,
            _helper: helper,
            _bus: bus,
        })
    }
}

/// A session test world whose app believes it runs in a Flatpak sandbox.
struct Sandboxed {
    host: HostSession,
    world: World,
    home: PathBuf,
    bin: PathBuf,
    info: PathBuf,
    log: PathBuf,
}

impl Sandboxed {
    fn new(label: &str) -> Option<Sandboxed> {
        let world = World::new(label)?;
        // Build the app before any game runs: a build can outlast the game.
        bridgekeeper_testkit::app::binary();
        let root = world.root.clone();
        std::fs::create_dir_all(root.join("helper-runtime")).unwrap();
        let host = HostSession::start(&root.join("helper-runtime"))?;
        let home = root.join("home");
        let bin = root.join("bin");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&bin).unwrap();
        let log = root.join("flatpak-spawn.log");
        let spawn = bin.join("flatpak-spawn");
        std::fs::write(&spawn, logging_spawn(&log)).unwrap();
        std::fs::set_permissions(&spawn, std::fs::Permissions::from_mode(0o755)).unwrap();
        let info = root.join(".flatpak-info");
        std::fs::write(
            &info,
            format!("[Application]\nname={APP_ID}\n\n[Instance]\ninstance-id=42\n"),
        )
        .unwrap();
        Some(Sandboxed {
            host,
            world,
            home,
            bin,
            info,
            log,
        })
    }

    /// `bridgekeeper` as if it ran in the sandbox.
    fn command(&self) -> Command {
        let mut path = OsString::from(&self.bin);
        path.push(":");
        path.push(std::env::var_os("PATH").unwrap_or_default());
        let mut command = self.world.app.command();
        command
            .env("BRIDGEKEEPER_FLATPAK_INFO", &self.info)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.host.address)
            .env("HOME", &self.home)
            .env("PATH", path);
        command
    }

    fn spawn_log(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn shared_bridge_dir(&self) -> PathBuf {
        self.home
            .join(".var/app")
            .join(APP_ID)
            .join("data/bridgekeeper/bridge")
    }
}

fn same_bytes(a: &Path, b: &Path) -> bool {
    std::fs::read(a)
        .ok()
        .is_some_and(|a| Some(a) == std::fs::read(b).ok())
}

#[test]
fn attach_in_the_sandbox_goes_through_the_host_and_the_bytes_arrive() {
    let Some(sandbox) = Sandboxed::new("sandbox") else {
        return;
    };
    let world = &sandbox.world;
    let mut game = world.start_game(&world.game_args(world.size, &["--run-ms", "12000"]));
    let mut out = Output::of(&mut game);
    out.wait_for("testgame: running");

    let output = sandbox
        .command()
        .args(["attach", &world.steam.appid.to_string()])
        .output()
        .expect("running bridgekeeper attach");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "attach failed: {stderr}\nflatpak-spawn calls: {:#?}",
        sandbox.spawn_log()
    );

    // The mapping's bytes arrive in /dev/shm, from the game through the bridge.
    world
        .counter_moves()
        .expect("the game's data reaches /dev/shm and its counter keeps moving");

    // The bridge was copied where the host sees it.
    let shared = sandbox.shared_bridge_dir();
    for file in ["bridgekeeper-bridge.exe", "bcryptprimitives.dll"] {
        assert!(
            same_bytes(&shared.join(file), &world.wine.bin.join(file)),
            "{file} copied to {}",
            shared.display()
        );
    }

    // Host processes were listed, and Wine was started, through flatpak-spawn.
    let log = sandbox.spawn_log();
    assert!(
        log.iter().any(|l| l.starts_with("--host -- find /proc")),
        "host processes listed through flatpak-spawn: {log:#?}"
    );
    let wine_call = log
        .iter()
        .find(|l| l.contains("bridgekeeper-bridge.exe"))
        .unwrap_or_else(|| panic!("the bridge started through flatpak-spawn: {log:#?}"));
    assert!(wine_call.starts_with("--host "), "{wine_call}");
    assert!(
        wine_call.contains(&format!(
            "--env=WINEPREFIX={}",
            world.steam.compatdata.join("pfx").display()
        )),
        "{wine_call}"
    );
    assert!(wine_call.contains(&format!(
        " -- {}",
        world.steam.proton.join("files/bin/wine").display()
    )));

    // The session is recorded where the host sees it too.
    let sessions = world
        .root
        .join("runtime/app")
        .join(APP_ID)
        .join("bridgekeeper/sessions");
    assert!(
        std::fs::read_dir(&sessions).is_ok_and(|mut d| d.next().is_some()),
        "session recorded in {}",
        sessions.display()
    );
    let status = sandbox
        .command()
        .args(["status", "--json"])
        .output()
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert!(
        status
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["appid"] == world.steam.appid),
        "status finds the session: {status:#}"
    );

    assert!(wait_child(&mut game, LONG).is_some(), "the game ends");
    world.wine.wineserver_wait();
}

/// `command` in a pid namespace of its own, as each `flatpak run` gets one;
/// the namespace, and every process in it, ends with the command.
fn in_new_pid_namespace(command: &Command) -> Command {
    let mut wrapped = Command::new("unshare");
    wrapped
        .args(["--pid", "--fork", "--mount-proc", "--kill-child"])
        .arg(command.get_program())
        .args(command.get_args());
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => wrapped.env(name, value),
            None => wrapped.env_remove(name),
        };
    }
    wrapped
}

fn status_in(mut command: Command) -> serde_json::Value {
    let output = command.args(["status", "--json"]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("status --json prints JSON")
}

fn inode(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).expect("the file exists").ino()
}

/// Issue #16, 2: each `flatpak run` has its own pid namespace, and a
/// session's owner was looked for in the namespace of whoever asked. After
/// the app restarted, the running session looked crashed: the sweep removed
/// its file and a second bridge could start. Here the session starts in one
/// namespace, which then ends; `status`, a watcher (which sweeps) and
/// `attach` in other namespaces, and `status` on the host, all see it
/// running, and nothing is removed or started twice.
#[test]
fn a_session_started_in_one_pid_namespace_lives_on_in_every_other() {
    let Some(sandbox) = Sandboxed::new("pidns") else {
        return;
    };
    let world = &sandbox.world;
    let appid = world.steam.appid.to_string();
    let stop = world.root.join("stop-game");
    let mut game = world.start_game(&world.game_args(
        world.size,
        &[
            "--run-ms",
            "120000",
            "--stop-file",
            &stop.display().to_string(),
        ],
    ));
    let mut out = Output::of(&mut game);
    out.wait_for("testgame: running");

    let attach = in_new_pid_namespace(&sandbox.command())
        .args(["attach", &appid])
        .output()
        .unwrap();
    assert!(
        attach.status.success(),
        "{}",
        String::from_utf8_lossy(&attach.stderr)
    );
    world.counter_moves().expect("data flows");
    let bridges = pids_of(&world.root, BRIDGE_EXE);
    assert_eq!(bridges.len(), 1, "one bridge: {bridges:?}");
    let inode_before = inode(&world.file());

    let status = status_in(in_new_pid_namespace(&sandbox.command()));
    let session = session_with(&status, world.steam.appid).expect("listed");
    assert_eq!(
        session["state"], "running",
        "status in another namespace: {session:#}"
    );

    let mut watch = in_new_pid_namespace(&sandbox.command())
        .args(["watch", "--json"])
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let lines = lines_of(&mut watch);
    let mut notices = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(8);
    while let Ok(line) =
        lines.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
    {
        notices.push(line);
    }
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(
        notices.iter().any(|n| n.contains("\"notice\":\"adopted\"")),
        "a watcher in another namespace follows the session: {notices:#?}"
    );
    assert!(
        notices
            .iter()
            .all(|n| !n.contains("\"notice\":\"attached\"")),
        "and starts no second bridge: {notices:#?}"
    );

    let again = in_new_pid_namespace(&sandbox.command())
        .args(["attach", &appid])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success(), "a second attach is refused");
    assert!(stderr.contains("already bridged"), "{stderr}");

    // The same app in the host's own pid namespace.
    let status = status_in(sandbox.command());
    let session = session_with(&status, world.steam.appid).expect("listed");
    assert_eq!(
        session["state"], "running",
        "status on the host: {session:#}"
    );

    assert_eq!(
        inode(&world.file()),
        inode_before,
        "the file was never removed"
    );
    world.counter_moves().expect("data still flows");
    assert_eq!(
        pids_of(&world.root, BRIDGE_EXE),
        bridges,
        "still one bridge"
    );

    std::fs::write(&stop, b"").unwrap();
    assert!(wait_child(&mut game, LONG).is_some(), "the game ends");
    gone(bridges[0]);
    let status = status_in(in_new_pid_namespace(&sandbox.command()));
    let session = session_with(&status, world.steam.appid).expect("listed");
    assert_eq!(session["state"], "ended", "{session:#}");
    world.wine.wineserver_wait();
}

/// Host processes of this test that run the bridge (or the Wine script
/// about to), not counting `flatpak-spawn` in the sandbox.
fn host_bridges(world: &World) -> Vec<String> {
    processes_under(&world.root)
        .into_iter()
        .filter(|p| p.contains(BRIDGE_EXE) && !p.contains("flatpak-spawn"))
        .collect()
}

/// Issue #16, 5: inside the sandbox the bridge runs on the host, and a kill
/// on timeout reached only `flatpak-spawn`: the host bridge was orphaned.
/// Here the host's Wine stops itself before the bridge starts, so it is
/// never ready; after the timeout nothing of it is left on the host.
#[test]
fn a_bridge_that_is_never_ready_is_killed_on_the_host_too() {
    let Some(sandbox) = Sandboxed::new("sbtimeout") else {
        return;
    };
    let world = &sandbox.world;
    let stop = world.root.join("stop-game");
    let mut game = world.start_game(&world.game_args(
        world.size,
        &[
            "--run-ms",
            "120000",
            "--stop-file",
            &stop.display().to_string(),
        ],
    ));
    let mut out = Output::of(&mut game);
    out.wait_for("testgame: running");
    let wine = world.steam.proton.join("files/bin/wine");
    std::fs::write(
        &wine,
        format!(
            "#!/bin/sh\ncase \"$1\" in *{BRIDGE_EXE}) kill -STOP $$ ;; esac\nexec /usr/bin/wine \"$@\"\n"
        ),
    )
    .unwrap();

    let attach = sandbox
        .command()
        .args(["attach", &world.steam.appid.to_string()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&attach.stderr);
    assert!(!attach.status.success(), "{stderr}");
    assert!(stderr.contains("not ready"), "{stderr}");
    let left = wait_for(Duration::from_secs(5), || {
        host_bridges(world).is_empty().then_some(())
    });
    let leftovers = host_bridges(world);
    for process in &leftovers {
        if let Some((pid, _)) = process.split_once(':') {
            let _ = Command::new("kill").args(["-KILL", pid]).status();
        }
    }
    assert!(left.is_some(), "the host bridge is killed: {leftovers:#?}");
    assert!(!world.file().exists(), "its file is removed");
    std::fs::write(&stop, b"").unwrap();
    assert!(wait_child(&mut game, LONG).is_some(), "the game ends");
    world.wine.wineserver_wait();
}
