//! On Wayland a hidden window cannot be shown again, so closing the window
//! closes it for real and the tray opens a new one when asked. This runs the
//! real app under Weston's headless backend with a private D-Bus session bus,
//! toggles the window twice through the tray's `Activate` method (a left
//! click), and checks that the window closed, the app stayed in the tray, and
//! a new window opened.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bridgekeeper_testkit::dbus::PrivateBus;
use bridgekeeper_testkit::desktop::{Kill, require};

const LONG: Duration = Duration::from_secs(40);

fn wait_line(lines: &mpsc::Receiver<String>, text: &str) -> bool {
    let deadline = Instant::now() + LONG;
    while let Ok(line) = lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if line.contains(text) {
            return true;
        }
    }
    false
}

/// True when no line containing `text` arrives within `window`.
fn stays_without(lines: &mpsc::Receiver<String>, text: &str, window: Duration) -> bool {
    let deadline = Instant::now() + window;
    while let Ok(line) = lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if line.contains(text) {
            return false;
        }
    }
    true
}

fn activate(address: &str, item: &str) {
    let status = Command::new("dbus-send")
        .args([
            &format!("--bus={address}"),
            "--print-reply",
            &format!("--dest={item}"),
            "/StatusNotifierItem",
            "org.kde.StatusNotifierItem.Activate",
            "int32:0",
            "int32:0",
        ])
        .stdout(Stdio::null())
        .status()
        .expect("running dbus-send");
    assert!(status.success(), "Activate on {item} failed");
}

fn wait_for_socket(path: &Path) -> bool {
    let deadline = Instant::now() + LONG;
    while Instant::now() < deadline {
        if path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn closing_the_window_keeps_the_app_in_the_tray_and_the_tray_opens_a_new_window_on_wayland() {
    let Some(tools) = require(&["dbus-daemon", "dbus-send", "weston"], "dbus and weston") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let runtime = tmp.path().join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    let Some(bus) = PrivateBus::start() else {
        return;
    };
    let address = bus.address().to_string();
    let _weston = Kill(
        Command::new(&tools[2])
            .args([
                "--backend=headless-backend.so",
                "--socket=bk-wayland",
                "--use-gl",
            ])
            .args(["--width=1280", "--height=900", "--idle-time=0"])
            .env("XDG_RUNTIME_DIR", &runtime)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting weston"),
    );
    assert!(
        wait_for_socket(&runtime.join("bk-wayland")),
        "weston did not start"
    );

    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut app = Kill(
        Command::new(env!("CARGO_BIN_EXE_bridgekeeper"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("WAYLAND_DISPLAY", "bk-wayland")
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("STEAM_DIR", tmp.path().join("no-steam"))
            .env("RUST_LOG", "bridgekeeper=info")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = BufReader::new(app.0.stderr.take().unwrap());
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            eprintln!("app: {line}");
            if sender.send(line).is_err() {
                break;
            }
        }
    });

    assert!(
        wait_line(&lines, "window opened"),
        "the window never opened"
    );
    let open = Duration::from_millis(1500);
    assert!(
        stays_without(&lines, "window closed", open),
        "the window closed by itself"
    );
    let item = bus
        .status_notifier_item(app.0.id(), LONG)
        .expect("the tray item is registered");
    activate(&address, &item);
    assert!(
        wait_line(&lines, "window closed"),
        "a left click on the tray did not close the window"
    );
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        app.0.try_wait().unwrap().is_none(),
        "the app quit instead of staying in the tray"
    );

    activate(&address, &item);
    assert!(
        wait_line(&lines, "window opened"),
        "the tray did not open a new window"
    );
    assert!(
        stays_without(&lines, "window closed", open),
        "the new window closed by itself"
    );
    assert!(
        app.0.try_wait().unwrap().is_none(),
        "the app died opening the second window"
    );
}
