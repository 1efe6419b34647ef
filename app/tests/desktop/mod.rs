//! Desktop services for the app's tests: finding tools, a private D-Bus
//! session bus, and processes that are killed when the test ends.

// Each test binary that includes this module uses only part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A tool on PATH.
pub fn tool(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// The tools, or `None` when one is missing and the test may be skipped.
/// With `CI=true` a missing tool fails the test instead.
pub fn require(tools: &[&str], package: &str) -> Option<Vec<PathBuf>> {
    let found: Option<Vec<PathBuf>> = tools.iter().map(|t| tool(t)).collect();
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{tools:?} missing; install the {package} package (scripts/test does)"
        );
        eprintln!("skipped: {tools:?} not installed (package {package})");
    }
    found
}

/// An X display number no server uses.
pub fn free_display() -> u32 {
    (90..200)
        .find(|n| {
            !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })
        .expect("a free X display number")
}

/// Starts Xvfb on a free display; returns it and the display number, once
/// its socket is there.
pub fn xvfb(xvfb: &Path) -> (Kill, u32) {
    let display = free_display();
    let x = Kill(
        Command::new(xvfb)
            .args([
                format!(":{display}"),
                "-screen".into(),
                "0".into(),
                "1280x900x24".into(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting Xvfb"),
    );
    let socket = PathBuf::from(format!("/tmp/.X11-unix/X{display}"));
    let start = Instant::now();
    while !socket.exists() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    (x, display)
}

/// A child process killed and reaped on drop.
pub struct Kill(pub Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a private session bus in `dir`; returns it and its address.
pub fn session_bus(daemon: &Path, dir: &Path) -> (Kill, String) {
    let mut bus = Kill(
        Command::new(daemon)
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!("--address=unix:path={}", dir.join("bus").display()))
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting dbus-daemon"),
    );
    let mut address = String::new();
    BufReader::new(bus.0.stdout.take().expect("stdout is piped"))
        .read_line(&mut address)
        .expect("reading the bus address");
    let address = address.trim().to_string();
    assert!(address.starts_with("unix:"), "{address}");
    (bus, address)
}

/// The names on the bus at `address`.
pub fn bus_names(address: &str) -> String {
    let out = Command::new("dbus-send")
        .args([
            &format!("--bus={address}"),
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/",
            "org.freedesktop.DBus.ListNames",
        ])
        .output()
        .expect("running dbus-send");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits up to `timeout` for the StatusNotifierItem of process `pid` and
/// returns its bus name.
pub fn status_notifier_item(address: &str, pid: u32, timeout: Duration) -> Option<String> {
    let wanted = format!("org.kde.StatusNotifierItem-{pid}-");
    let start = Instant::now();
    while start.elapsed() < timeout {
        let names = bus_names(address);
        if let Some(at) = names.find(&wanted) {
            let name: String = names[at..].chars().take_while(|c| *c != '"').collect();
            return Some(name);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}
