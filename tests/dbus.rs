//! The D-Bus interface under real Wine: the watcher bridges the test game
//! and says so on the bus (SessionStarted, SessionEnded) and in a
//! notification; the desktop app attaches and stops a bridge when asked
//! over D-Bus. A private session bus, a stand-in notification server and a
//! signal recorder stand for the desktop.

use std::ffi::OsStr;
use std::process::{Output, Stdio};
use std::time::Duration;

use bridgekeeper_testkit::dbus::{NotificationServer, PrivateBus, SignalRecorder};
use bridgekeeper_testkit::wait_for;
use bridgekeeper_testkit::wine::kill_wineserver;
use bridgekeeper_testkit::world::{LONG, Output as GameOutput, World, wait_child};

const BUS_NAME: &str = "io.github.bridgekeeper.Bridgekeeper1";
const OBJECT_PATH: &str = "/io/github/bridgekeeper/Bridgekeeper1";
const INTERFACE: &str = "io.github.bridgekeeper.Bridgekeeper1";

/// `(name, file, size, mode, error)` of a mapping on the bus.
type Mapping = (String, String, u64, String, String);

/// The bus and the settings folder for the app of `world`.
struct Desktop {
    bus: PrivateBus,
    config: std::path::PathBuf,
}

impl Desktop {
    fn new(world: &World, settings: &str) -> Option<Desktop> {
        let bus = PrivateBus::start()?;
        let config = world.root.join("config");
        std::fs::create_dir_all(config.join("bridgekeeper")).unwrap();
        std::fs::write(config.join("bridgekeeper/settings.toml"), settings).unwrap();
        Some(Desktop { bus, config })
    }

    fn env(&self) -> [(&str, &OsStr); 2] {
        [
            ("DBUS_SESSION_BUS_ADDRESS", OsStr::new(self.bus.address())),
            ("XDG_CONFIG_HOME", self.config.as_os_str()),
        ]
    }

    /// Waits until process `pid` owns the name.
    fn owned_by(&self, pid: u32) {
        let owned = wait_for(LONG, || {
            (self.bus.owner_pid(BUS_NAME) == Some(pid)).then_some(())
        });
        assert!(owned.is_some(), "pid {pid} did not take {BUS_NAME}");
    }

    /// `dbus-send --print-reply` of METHOD(uint32:APPID).
    fn call(&self, method: &str, appid: u32) -> Output {
        self.bus
            .tool("dbus-send")
            .args([
                "--print-reply",
                "--reply-timeout=60000",
                &format!("--dest={BUS_NAME}"),
                OBJECT_PATH,
                &format!("{INTERFACE}.{method}"),
                &format!("uint32:{appid}"),
            ])
            .output()
            .expect("running dbus-send")
    }
}

#[test]
fn the_watcher_announces_a_bridged_game_and_notifies_zero_copy() {
    let Some(world) = World::new("dbus-watch") else {
        return;
    };
    let Some(desktop) = Desktop::new(&world, "") else {
        return;
    };
    let notifications = NotificationServer::start(&desktop.bus, false);
    let signals = SignalRecorder::start(&desktop.bus, INTERFACE);
    let watch = world.watcher_with(&desktop.env());
    desktop.owned_by(watch.child.id());

    let mut game =
        world.start_game(&world.game_args(world.size, &["--delay-ms", "2500", "--run-ms", "3000"]));
    let Some(started) = signals.next("SessionStarted", LONG) else {
        panic!(
            "no SessionStarted; the watcher said {:#?}; status {:#}",
            watch.drain(Duration::from_secs(1)),
            world.app.status()
        );
    };
    let (appid, game_name, session, kind, mappings): (u32, String, String, String, Vec<Mapping>) =
        started.body().deserialize().unwrap();
    let file = world.file().display().to_string();
    assert_eq!(
        (appid, game_name.as_str(), kind.as_str()),
        (world.steam.appid, "Fake Sim", "attach")
    );
    assert!(session.starts_with(&format!("{appid}-")), "{session}");
    assert_eq!(
        mappings,
        vec![(
            world.mapping.clone(),
            file.clone(),
            world.size,
            "shared".into(),
            String::new()
        )],
        "attached before the game created its section: zero copy"
    );
    let sent = notifications.wait_for(1, LONG);
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0].summary, "Fake Sim is bridged (zero copy)");
    assert!(
        sent[0].body.ends_with(&format!("{file}.")),
        "{}",
        sent[0].body
    );

    assert!(world.counter_moves().is_some(), "data reaches /dev/shm");
    wait_child(&mut game, LONG).expect("the game ends");
    let ended = signals
        .next("SessionEnded", LONG)
        .expect("SessionEnded when the game ends");
    let (_, _, ended_session, state, ending, _): (
        u32,
        String,
        String,
        String,
        String,
        Vec<Mapping>,
    ) = ended.body().deserialize().unwrap();
    assert_eq!(
        (ended_session.as_str(), state.as_str()),
        (session.as_str(), "ended")
    );
    assert!(!ending.is_empty(), "the ending in a sentence");
    drop(watch);
    world.wine.wineserver_wait();
}

#[test]
fn the_desktop_app_attaches_and_stops_a_bridge_when_asked_over_dbus() {
    let Some(world) = World::new("dbus-desktop") else {
        return;
    };
    // Auto-attach off: the bridge starts only when asked.
    let Some(desktop) = Desktop::new(&world, "auto_attach = false\n") else {
        return;
    };
    let notifications = NotificationServer::start(&desktop.bus, false);
    let signals = SignalRecorder::start(&desktop.bus, INTERFACE);
    let _app = Killed(
        world
            .app
            .command()
            .envs(desktop.env())
            .env("BRIDGEKEEPER_HIDDEN", "1")
            .stdout(Stdio::null())
            .spawn()
            .expect("starting the desktop app"),
    );
    desktop.owned_by(_app.0.id());
    assert_eq!(
        busctl_property(&desktop.bus, "Watching"),
        "b false",
        "auto-attach is off"
    );

    let appid = world.steam.appid;
    let out = desktop.call("Attach", appid);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Error.NotRunning"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The game creates its section itself, then the bridge joins: copy mode.
    let mut game = world.start_game(&world.game_args(world.size, &["--run-ms", "30000"]));
    let mut game_output = GameOutput::of(&mut game);
    game_output.wait_for(&format!("testgame: mapping {} created", world.mapping));
    let out = wait_for(LONG, || {
        let out = desktop.call("Attach", appid);
        out.status.success().then_some(out)
    })
    .expect("Attach succeeds once the game runs");
    let reply = String::from_utf8_lossy(&out.stdout);
    let session = reply
        .split('"')
        .nth(1)
        .expect("Attach returns the session id")
        .to_string();
    assert!(session.starts_with(&format!("{appid}-")), "{reply}");

    let started = signals
        .next("SessionStarted", LONG)
        .expect("SessionStarted");
    let (_, _, started_session, _, mappings): (u32, String, String, String, Vec<Mapping>) =
        started.body().deserialize().unwrap();
    assert_eq!(started_session, session);
    assert_eq!(mappings[0].3, "copy", "{mappings:?}");
    assert!(world.counter_moves().is_some(), "the copy reaches /dev/shm");
    let sent = notifications.wait_for(1, LONG);
    assert_eq!(sent[0].summary, "Fake Sim is bridged (copy mode)");
    assert!(
        sent[0]
            .body
            .contains("`bridgekeeper run %command%` for zero copy"),
        "the reason and the fix: {}",
        sent[0].body
    );

    let out = desktop.call("Stop", appid);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("string \"{session}\"")),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let ended = signals.next("SessionEnded", LONG).expect("SessionEnded");
    let (_, _, ended_session, state, ending, _): (
        u32,
        String,
        String,
        String,
        String,
        Vec<Mapping>,
    ) = ended.body().deserialize().unwrap();
    assert_eq!(
        (ended_session.as_str(), state.as_str()),
        (session.as_str(), "ended")
    );
    assert!(ending.contains("stop"), "{ending}");
    assert!(
        world.app.status().as_array().is_some_and(Vec::is_empty),
        "no session left"
    );

    let _ = game.kill();
    let _ = wait_child(&mut game, LONG);
    kill_wineserver(&world.wine.prefix);
}

/// A child process killed and reaped on drop.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn busctl_property(bus: &PrivateBus, name: &str) -> String {
    let out: Output = bus
        .tool("busctl")
        .args(["get-property", BUS_NAME, OBJECT_PATH, INTERFACE, name])
        .output()
        .expect("running busctl");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
