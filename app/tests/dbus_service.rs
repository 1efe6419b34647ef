//! The D-Bus interface as the real program serves it: `bridgekeeper watch`
//! and the desktop app (tray only) on a private session bus, called with
//! busctl and dbus-send, their signals recorded, their notifications sent
//! to a stand-in notification server.
//!
//! Sessions are registry records of a fake live session owned by a
//! sleeping process (killing it ends the session as a crash would); the
//! "game" the watcher refuses is a process named like the profile's exe
//! with a Wine prefix but no Proton. Attaching a bridge under real Wine is
//! tests/dbus.rs in the end-to-end tests.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Output};
use std::time::Duration;

use bridgekeeper_bus::wire::MappingInfo;
use bridgekeeper_bus::{BUS_NAME, INTERFACE, OBJECT_PATH};
use bridgekeeper_sessions::{Registry, SessionKind, SessionMapping, SessionRecord};
use bridgekeeper_testkit::dbus::{NotificationServer, PrivateBus, SignalRecorder};
use bridgekeeper_testkit::wait_for;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(20);

/// A child process killed and reaped on drop.
struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A private bus and an isolated environment for the program, with a
/// profile of its own: the watchers of tests running side by side see every
/// process on the machine, so each test's game has its own appid and exe.
struct Setup {
    bus: PrivateBus,
    root: tempfile::TempDir,
    appid: u32,
    exe: String,
}

impl Setup {
    fn new(appid: u32) -> Option<Setup> {
        let exe = format!("BusSim{appid}.exe");
        let bus = PrivateBus::start()?;
        let root = tempfile::tempdir().unwrap();
        for dir in [
            "run",
            "config/bridgekeeper",
            "profiles",
            "shm",
            "bridge",
            "home",
        ] {
            std::fs::create_dir_all(root.path().join(dir)).unwrap();
        }
        std::fs::write(
            root.path().join("profiles/bus-sim.toml"),
            format!(
                "id = \"bus-sim\"\nname = \"Bus Sim\"\nappids = [{appid}]\n\
                 live_exes = [\"{exe}\"]\n\n[[mapping]]\nname = \"bus_physics\"\nsize = 4096\n"
            ),
        )
        .unwrap();
        // Sessions need bridge files to exist; no test here runs them.
        std::fs::write(root.path().join("bridge/bridgekeeper-bridge.exe"), b"MZ").unwrap();
        std::fs::write(root.path().join("bridge/bcryptprimitives.dll"), b"MZ").unwrap();
        Some(Setup {
            bus,
            root,
            appid,
            exe,
        })
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.root.path().join(sub)
    }

    /// `uint32:APPID`, for dbus-send.
    fn appid_arg(&self) -> String {
        format!("uint32:{}", self.appid)
    }

    fn registry(&self) -> Registry {
        Registry::new(&self.path("run"))
    }

    fn settings(&self, text: &str) {
        std::fs::write(self.path("config/bridgekeeper/settings.toml"), text).unwrap();
    }

    /// `bridgekeeper ARGS` in this environment.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bridgekeeper"));
        command
            .args(args)
            .env("HOME", self.path("home"))
            .env("XDG_RUNTIME_DIR", self.path("run"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("BRIDGEKEEPER_PROFILES_DIR", self.path("profiles"))
            .env("BRIDGEKEEPER_SHM_DIR", self.path("shm"))
            .env("BRIDGEKEEPER_BRIDGE_DIR", self.path("bridge"))
            .env("STEAM_DIR", self.path("no-steam"))
            .env("DBUS_SESSION_BUS_ADDRESS", self.bus.address())
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
        command
    }

    /// Starts `args` and waits until the process owns the name, or is
    /// queued for it (`queued`).
    fn serve(&self, args: &[&str], env: &[(&str, &str)], queued: bool) -> Kill {
        let child = Kill(
            self.command(args)
                .envs(env.iter().copied())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
        let pid = child.0.id();
        if queued {
            let listed = wait_for(WAIT, || {
                let out = self
                    .bus
                    .tool("dbus-send")
                    .args([
                        "--print-reply",
                        "--dest=org.freedesktop.DBus",
                        "/org/freedesktop/DBus",
                        "org.freedesktop.DBus.ListQueuedOwners",
                        &format!("string:{BUS_NAME}"),
                    ])
                    .output()
                    .unwrap();
                let text = String::from_utf8_lossy(&out.stdout).into_owned();
                (text.matches("string \":").count() == 2).then_some(())
            });
            assert!(listed.is_some(), "pid {pid} did not queue for the name");
        } else {
            let owned = wait_for(WAIT, || {
                (self.bus.owner_pid(BUS_NAME) == Some(pid)).then_some(())
            });
            assert!(owned.is_some(), "pid {pid} did not take {BUS_NAME}");
        }
        child
    }

    fn watch(&self) -> Kill {
        self.serve(&["watch"], &[], false)
    }

    /// `dbus-send --print-reply` of METHOD with ARGS on the interface.
    fn send(&self, method: &str, args: &[&str]) -> Output {
        self.bus
            .tool("dbus-send")
            .args([
                "--print-reply",
                "--reply-timeout=60000",
                &format!("--dest={BUS_NAME}"),
                OBJECT_PATH,
                &format!("{INTERFACE}.{method}"),
            ])
            .args(args)
            .output()
            .unwrap()
    }

    /// `busctl --json=short call` of METHOD; the reply's `data`.
    fn busctl_call(&self, method: &str, args: &[&str]) -> Value {
        let out = self
            .bus
            .tool("busctl")
            .args([
                "--json=short",
                "call",
                BUS_NAME,
                OBJECT_PATH,
                INTERFACE,
                method,
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "busctl call {method}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let reply: Value = serde_json::from_slice(&out.stdout).unwrap();
        reply["data"].clone()
    }

    fn property(&self, name: &str) -> String {
        let out = self
            .bus
            .tool("busctl")
            .args(["get-property", BUS_NAME, OBJECT_PATH, INTERFACE, name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

/// A fake live session: a record owned by a sleeping process.
struct FakeSession {
    owner: Kill,
    record: SessionRecord,
}

impl FakeSession {
    fn new(setup: &Setup, id: &str, kind: SessionKind) -> FakeSession {
        let owner = Kill(Command::new("sleep").arg("3600").spawn().unwrap());
        let pid = owner.0.id();
        let registry = setup.registry();
        let record = SessionRecord {
            id: id.into(),
            appid: setup.appid,
            game: "Bus Sim".into(),
            profile: "bus-sim".into(),
            kind,
            prefix: setup.path("pfx"),
            proton: None,
            mappings: vec![SessionMapping {
                name: "bus_physics".into(),
                file: setup.path("shm/bus_physics"),
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
            events_file: registry.events_file(id),
            started_at: 1,
            keep_files: false,
            backing_dir: None,
            failure: None,
            problems: Vec::new(),
        };
        registry.save(&record).unwrap();
        FakeSession { owner, record }
    }

    /// The lines a bridge writes once its mapping is ready in `mode`.
    fn ready(&self, mode: &str) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.record.events_file)
            .unwrap();
        writeln!(
            file,
            r#"{{"nonce":"n","event":"ready","name":"bus_physics","file":"{}","mode":"{mode}","size":4096}}"#,
            self.record.mappings[0].file.display()
        )
        .unwrap();
        writeln!(
            file,
            r#"{{"nonce":"n","event":"all-ready","shared":1,"copy":0}}"#
        )
        .unwrap();
    }
}

/// A process that looks like the game to the watcher: named like the
/// profile's live exe, with a Wine prefix and the appid, but no Proton, so
/// an attach is refused before Wine would be needed.
fn refused_game(setup: &Setup) -> Kill {
    Kill(
        Command::new("sleep")
            .arg0(&setup.exe)
            .arg("60")
            .env("WINEPREFIX", setup.path("pfx"))
            .env("SteamAppId", setup.appid.to_string())
            .env_remove("STEAM_COMPAT_TOOL_PATHS")
            .spawn()
            .unwrap(),
    )
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn status_is_the_json_of_status_and_the_typed_sessions() {
    let Some(setup) = Setup::new(4301) else {
        return;
    };
    let _watch = setup.watch();
    let session = FakeSession::new(&setup, "4321-status", SessionKind::Attach);
    session.ready("shared");

    let data = setup.busctl_call("StatusJson", &[]);
    let over_dbus: Value = serde_json::from_str(data[0].as_str().unwrap()).unwrap();
    let cli = setup.command(&["status", "--json"]).output().unwrap();
    let from_cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(over_dbus, from_cli, "StatusJson is `status --json`");
    assert_eq!(from_cli[0]["id"], "4321-status");

    let data = setup.busctl_call("Status", &[]);
    let pid = session.owner.0.id();
    assert_eq!(
        data[0],
        serde_json::json!([[
            setup.appid,
            "Bus Sim",
            "4321-status",
            "bus-sim",
            "attach",
            "running",
            pid,
            [[
                "bus_physics",
                setup.path("shm/bus_physics").display().to_string(),
                4096,
                "shared",
                ""
            ]]
        ]])
    );
    assert_eq!(setup.property("ServedBy"), r#"s "bridgekeeper watch""#);
    assert_eq!(setup.property("Watching"), "b true");
    assert_eq!(
        setup.property("Version"),
        format!("s \"{}\"", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn attach_refusals_are_dbus_errors_with_the_reason() {
    let Some(setup) = Setup::new(4302) else {
        return;
    };
    let _watch = setup.watch();

    let out = setup.send("Attach", &[&setup.appid_arg()]);
    assert!(!out.status.success());
    assert_eq!(
        stderr(&out).trim(),
        format!(
            "Error io.github.bridgekeeper.Bridgekeeper1.Error.NotRunning: Bus Sim (appid {0}) is \
             not running: no process named BusSim{0}.exe with a Wine prefix. Start the game from \
             Steam, then attach; or set its launch option to `bridgekeeper run %command%`",
            setup.appid
        )
    );
    let cli = setup
        .command(&["attach", &setup.appid.to_string()])
        .output()
        .unwrap();
    assert_eq!(
        stderr(&cli).trim(),
        format!(
            "bridgekeeper: {}",
            stderr(&out).trim().trim_start_matches(
                "Error io.github.bridgekeeper.Bridgekeeper1.Error.NotRunning: "
            )
        ),
        "the same reason as `bridgekeeper attach`"
    );

    let out = setup.send("Attach", &["uint32:999"]);
    assert!(
        stderr(&out).starts_with(
            "Error io.github.bridgekeeper.Bridgekeeper1.Error.NoProfile: no profile for appid 999"
        ),
        "{}",
        stderr(&out)
    );

    let _game = refused_game(&setup);
    let out = setup.send("Attach", &[&setup.appid_arg()]);
    let text = stderr(&out);
    assert!(
        text.starts_with("Error io.github.bridgekeeper.Bridgekeeper1.Error.CannotJoin: ")
            && text.contains("STEAM_COMPAT_TOOL_PATHS"),
        "{text}"
    );
}

#[test]
fn stop_asks_the_bridge_to_stop_and_says_when_it_cannot() {
    let Some(setup) = Setup::new(4303) else {
        return;
    };
    let _watch = setup.watch();
    let out = setup.send("Stop", &[&setup.appid_arg()]);
    assert_eq!(
        stderr(&out).trim(),
        format!(
            "Error io.github.bridgekeeper.Bridgekeeper1.Error.NoSession: no running session for \
             appid {}",
            setup.appid
        )
    );

    let launcher = FakeSession::new(&setup, "4321-launcher", SessionKind::Launcher);
    let out = setup.send("Stop", &[&setup.appid_arg()]);
    assert_eq!(
        stderr(&out).trim(),
        "Error io.github.bridgekeeper.Bridgekeeper1.Error.EndsWithGame: Bus Sim was started with \
         `bridgekeeper run`; its bridge is the game's parent and ends with the game. Quit the \
         game to end the session."
    );
    drop(launcher);

    // The bridge stops when its stop file appears: here the test plays it.
    let mut session = FakeSession::new(&setup, "4321-attached", SessionKind::Attach);
    session.ready("shared");
    let stop_file = setup.registry().dir().join("4321-attached.stop");
    let owner = std::mem::replace(
        &mut session.owner,
        Kill(Command::new("true").spawn().unwrap()),
    );
    let bridge = std::thread::spawn(move || {
        let asked = wait_for(WAIT, || stop_file.exists().then_some(()));
        drop(owner);
        asked.is_some()
    });
    let out = setup.send("Stop", &[&setup.appid_arg()]);
    assert!(bridge.join().unwrap(), "Stop wrote the bridge's stop file");
    assert!(out.status.success(), "{}", stderr(&out));
    let reply = String::from_utf8_lossy(&out.stdout);
    assert!(reply.contains("string \"4321-attached\""), "{reply}");
    assert!(
        setup
            .registry()
            .list()
            .0
            .iter()
            .all(|r| r.id != "4321-attached"),
        "the stopped session left the registry"
    );
}

#[test]
fn signals_and_notifications_of_a_session_and_of_a_refused_game() {
    let Some(setup) = Setup::new(4304) else {
        return;
    };
    let notifications = NotificationServer::start(&setup.bus, false);
    let signals = SignalRecorder::start(&setup.bus, INTERFACE);
    let _watch = setup.watch();

    let mut session = FakeSession::new(&setup, "4321-signals", SessionKind::Attach);
    session.ready("copy");
    let started = signals
        .next("SessionStarted", WAIT)
        .expect("SessionStarted");
    let started: (u32, String, String, String, Vec<MappingInfo>) =
        started.body().deserialize().unwrap();
    let mapping = MappingInfo {
        name: "bus_physics".into(),
        file: setup.path("shm/bus_physics").display().to_string(),
        size: 4096,
        mode: "copy".into(),
        error: String::new(),
    };
    assert_eq!(
        started,
        (
            setup.appid,
            "Bus Sim".into(),
            "4321-signals".into(),
            "attach".into(),
            vec![mapping.clone()]
        )
    );
    let sent = notifications.wait_for(1, WAIT);
    assert_eq!(sent[0].summary, "Bus Sim is bridged (copy mode)");
    assert!(
        sent[0]
            .body
            .starts_with("Copied: bus_physics. The game created some sections before the bridge")
            && sent[0]
                .body
                .contains("`bridgekeeper run %command%` for zero copy"),
        "{}",
        sent[0].body
    );

    session.owner = Kill(Command::new("true").spawn().unwrap());
    let ended = signals.next("SessionEnded", WAIT).expect("SessionEnded");
    let ended: (u32, String, String, String, String, Vec<MappingInfo>) =
        ended.body().deserialize().unwrap();
    assert_eq!(
        (
            ended.0,
            ended.1.as_str(),
            ended.2.as_str(),
            ended.3.as_str()
        ),
        (setup.appid, "Bus Sim", "4321-signals", "crashed")
    );
    assert_eq!(ended.5, vec![mapping]);

    let _game = refused_game(&setup);
    let refused = signals.next("AttachRefused", WAIT).expect("AttachRefused");
    let (appid, game, reason): (u32, String, String) = refused.body().deserialize().unwrap();
    assert_eq!((appid, game.as_str()), (setup.appid, "Bus Sim"));
    assert!(reason.contains("STEAM_COMPAT_TOOL_PATHS"), "{reason}");
    let sent = notifications.wait_for(2, WAIT);
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert_eq!(sent[1].summary, "Bus Sim is not bridged");
    assert_eq!(sent[1].body, reason);
}

#[test]
fn with_notifications_off_in_the_settings_none_is_sent() {
    let Some(setup) = Setup::new(4305) else {
        return;
    };
    setup.settings("notifications = false\n");
    let notifications = NotificationServer::start(&setup.bus, false);
    let signals = SignalRecorder::start(&setup.bus, INTERFACE);
    let _watch = setup.watch();
    assert_eq!(setup.property("Notifications"), "b false");

    let _game = refused_game(&setup);
    assert!(signals.next("AttachRefused", WAIT).is_some());
    let quiet = FakeSession::new(&setup, "4321-quiet", SessionKind::Attach);
    quiet.ready("shared");
    assert!(signals.next("SessionStarted", WAIT).is_some());
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(notifications.received(), vec![], "the setting is off");

    // The desktop app's checkbox writes the file; a running watcher follows.
    setup.settings("notifications = true\n");
    let loud = FakeSession::new(&setup, "4321-loud", SessionKind::Attach);
    loud.ready("shared");
    let sent = notifications.wait_for(1, WAIT);
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0].summary, "Bus Sim is bridged (zero copy)");
}

#[test]
fn one_owner_at_a_time_desktop_app_and_watcher() {
    let Some(setup) = Setup::new(4306) else {
        return;
    };
    let notifications = NotificationServer::start(&setup.bus, false);
    let desktop = setup.serve(&[], &[("BRIDGEKEEPER_HIDDEN", "1")], false);
    assert_eq!(setup.property("ServedBy"), r#"s "desktop app""#);
    let watch = setup.serve(&["watch"], &[], true);
    let first = FakeSession::new(&setup, "4321-first", SessionKind::Attach);
    first.ready("shared");
    notifications.wait_for(1, WAIT);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        notifications.received().len(),
        1,
        "both see the session; only the owner notifies"
    );

    drop(desktop);
    let watch_pid = watch.0.id();
    assert!(
        wait_for(WAIT, || (setup.bus.owner_pid(BUS_NAME) == Some(watch_pid))
            .then_some(()))
        .is_some(),
        "the queued watcher takes the name when the desktop app exits"
    );
    assert_eq!(setup.property("ServedBy"), r#"s "bridgekeeper watch""#);
    let second = FakeSession::new(&setup, "4321-second", SessionKind::Attach);
    second.ready("shared");
    assert_eq!(
        notifications.wait_for(2, WAIT).len(),
        2,
        "the new owner notifies"
    );
}

#[test]
fn a_killed_owner_hands_the_name_to_the_next_watcher() {
    let Some(setup) = Setup::new(4307) else {
        return;
    };
    let mut first = setup.watch();
    let second = setup.serve(&["watch"], &[], true);
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    let pid = second.0.id();
    assert!(
        wait_for(WAIT, || (setup.bus.owner_pid(BUS_NAME) == Some(pid))
            .then_some(()))
        .is_some(),
        "the second watcher owns the name after the first was killed"
    );
}
