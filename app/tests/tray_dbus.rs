//! The app registers its StatusNotifierItem on a D-Bus session bus (started
//! here with `dbus-daemon`), in tray-only mode with no window.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn tool(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn names(address: &str) -> String {
    let out = Command::new("dbus-send")
        .args([
            &format!("--bus={address}"),
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/",
            "org.freedesktop.DBus.ListNames",
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn registers_a_status_notifier_item_on_the_session_bus() {
    let (Some(daemon), Some(_)) = (tool("dbus-daemon"), tool("dbus-send")) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "dbus-daemon is missing; install the dbus package"
        );
        eprintln!("skipped: dbus-daemon is not installed");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut bus = Kill(
        Command::new(daemon)
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!(
                "--address=unix:path={}",
                tmp.path().join("bus").display()
            ))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut address = String::new();
    BufReader::new(bus.0.stdout.take().unwrap())
        .read_line(&mut address)
        .unwrap();
    let address = address.trim().to_string();
    assert!(address.starts_with("unix:"), "{address}");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let app = Kill(
        Command::new(env!("CARGO_BIN_EXE_bridgekeeper"))
            .env_clear()
            .env("HOME", &home)
            .env("XDG_RUNTIME_DIR", tmp.path())
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("STEAM_DIR", tmp.path().join("no-steam"))
            .env("BRIDGEKEEPER_HIDDEN", "1")
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let wanted = format!("org.kde.StatusNotifierItem-{}-", app.0.id());
    let start = Instant::now();
    let mut listed = String::new();
    while start.elapsed() < Duration::from_secs(20) {
        listed = names(&address);
        if listed.contains(&wanted) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(listed.contains(&wanted), "{wanted} not among:\n{listed}");
}
