//! The app registers its StatusNotifierItem on a D-Bus session bus (started
//! here with `dbus-daemon`), in tray-only mode with no window.

use std::process::Command;
use std::time::Duration;

use bridgekeeper_testkit::dbus::PrivateBus;
use bridgekeeper_testkit::desktop::{Kill, require};

#[test]
fn registers_a_status_notifier_item_on_the_session_bus() {
    if require(&["dbus-daemon", "dbus-send"], "dbus").is_none() {
        return;
    }
    let Some(bus) = PrivateBus::start() else {
        return;
    };
    let address = bus.address();
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let app = Kill(
        Command::new(env!("CARGO_BIN_EXE_bridgekeeper"))
            .env_clear()
            .env("HOME", &home)
            .env("XDG_RUNTIME_DIR", tmp.path())
            .env("DBUS_SESSION_BUS_ADDRESS", address)
            .env("STEAM_DIR", tmp.path().join("no-steam"))
            .env("BRIDGEKEEPER_HIDDEN", "1")
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let name = bus.status_notifier_item(app.0.id(), Duration::from_secs(20));
    assert!(
        name.is_some(),
        "no StatusNotifierItem of pid {} among:\n{}",
        app.0.id(),
        bus.names()
    );
}
