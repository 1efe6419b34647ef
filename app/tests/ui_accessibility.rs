//! The running app exposes its widgets to screen readers: eframe's AccessKit
//! support (the `accesskit` feature) publishes them over AT-SPI, the Linux
//! accessibility bus, as soon as an assistive technology turns it on.
//!
//! This starts what a desktop with a screen reader has: Xvfb, a private
//! D-Bus session bus, and `at-spi-bus-launcher` with accessibility on
//! (`--a11y=1`, which is what a screen reader sets); then the real app over
//! a fixture Steam tree; then walks the app's tree on the accessibility bus
//! the way Orca would, and finds the card's controls by the
//! names a screen reader speaks (with `dbus-send`, as the other desktop
//! tests talk to the bus).

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bridgekeeper_testkit::art::header_jpeg;
use bridgekeeper_testkit::dbus::PrivateBus;
use bridgekeeper_testkit::desktop::{Kill, Xvfb, require};
use bridgekeeper_testkit::steam_fixture::{AppSpec, ArtLayout, SteamFixture};

const LAUNCHER: &str = "/usr/libexec/at-spi-bus-launcher";

/// AT-SPI role numbers (at-spi2-core `AtspiRole`).
const ROLE_IMAGE: u64 = 27;
const ROLE_PUSH_BUTTON: u64 = 43;

/// Calls `method` (`interface.Member`) on `dest` at `path` over the bus
/// at `address`; returns `dbus-send`'s printed reply.
fn call(address: &str, dest: &str, path: &str, method: &str, args: &[&str]) -> Option<String> {
    let out = Command::new("dbus-send")
        .arg(format!("--bus={address}"))
        .args(["--print-reply", "--reply-timeout=2000"])
        .arg(format!("--dest={dest}"))
        .arg(path)
        .arg(method)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The quoted values after `kind "` in a printed reply, in order.
fn quoted<'a>(reply: &'a str, kind: &str) -> Vec<&'a str> {
    let key = format!("{kind} \"");
    reply
        .lines()
        .filter_map(|line| {
            let start = line.find(&key)? + key.len();
            let end = line.rfind('"')?;
            (end >= start).then(|| &line[start..end])
        })
        .collect()
}

/// Every accessible under `(bus, path)`: name → AT-SPI role.
fn walk(a11y: &str, bus: &str, path: &str, out: &mut BTreeMap<String, u64>, budget: &mut u32) {
    if *budget == 0 {
        return;
    }
    *budget -= 1;
    let name = call(
        a11y,
        bus,
        path,
        "org.freedesktop.DBus.Properties.Get",
        &["string:org.a11y.atspi.Accessible", "string:Name"],
    );
    let role = call(a11y, bus, path, "org.a11y.atspi.Accessible.GetRole", &[]);
    let role = role.as_deref().and_then(|r| {
        r.lines()
            .find_map(|l| l.trim().strip_prefix("uint32 ")?.parse().ok())
    });
    if let (Some(name), Some(role)) = (
        name.as_deref()
            .and_then(|n| quoted(n, "string").first().copied()),
        role,
    ) {
        out.insert(name.to_string(), role);
    }
    let Some(children) = call(
        a11y,
        bus,
        path,
        "org.a11y.atspi.Accessible.GetChildren",
        &[],
    ) else {
        return;
    };
    let buses = quoted(&children, "string");
    let paths = quoted(&children, "object path");
    for (bus, path) in buses.into_iter().zip(paths) {
        walk(a11y, bus, path, out, budget);
    }
}

/// Every accessible of every application on the accessibility bus.
fn accessibles(a11y: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let mut budget = 2000;
    walk(
        a11y,
        "org.a11y.atspi.Registry",
        "/org/a11y/atspi/accessible/root",
        &mut out,
        &mut budget,
    );
    out
}

#[test]
fn the_running_app_exposes_its_controls_to_screen_readers() {
    let Some(tools) = require(
        &["Xvfb", "dbus-daemon", "dbus-send", LAUNCHER],
        "xvfb, dbus and at-spi2-core",
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let fixture = SteamFixture::new(tmp.path().join("Steam"))
        .app(AppSpec::new(244_210, "Assetto Corsa"))
        .header_image(244_210, ArtLayout::Folder, &header_jpeg(244_210))
        .build();
    let x = Xvfb::start(&tools[0]);
    let Some(bus) = PrivateBus::start() else {
        return;
    };
    let address = bus.address().to_string();
    let env = |c: &mut Command| {
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_RUNTIME_DIR", tmp.path())
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("DISPLAY", x.display_var())
            .env("DBUS_SESSION_BUS_ADDRESS", &address);
    };
    let mut launcher = Command::new(&tools[3]);
    env(&mut launcher);
    let _launcher = Kill(
        launcher
            .args(["--launch-immediately", "--a11y=1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting at-spi-bus-launcher"),
    );
    // As on a desktop, the accessibility bus is up before the app starts
    // (the app asks once, at start, whether a screen reader wants it).
    // NameHasOwner, unlike a call to org.a11y.Bus, does not make the bus
    // daemon start a second launcher of its own.
    let up = Instant::now() + Duration::from_secs(30);
    loop {
        let owned = call(
            &address,
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            &["string:org.a11y.Bus"],
        );
        if owned.is_some_and(|r| r.contains("boolean true")) {
            break;
        }
        assert!(Instant::now() < up, "at-spi-bus-launcher did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    // What a screen reader does when it starts.
    let enabled = call(
        &address,
        "org.a11y.Bus",
        "/org/a11y/bus",
        "org.freedesktop.DBus.Properties.Set",
        &[
            "string:org.a11y.Status",
            "string:IsEnabled",
            "variant:boolean:true",
        ],
    );
    assert!(enabled.is_some(), "cannot turn accessibility on");
    let a11y_address = || {
        call(
            &address,
            "org.a11y.Bus",
            "/org/a11y/bus",
            "org.a11y.Bus.GetAddress",
            &[],
        )
        .and_then(|r| quoted(&r, "string").first().map(|a| a.to_string()))
    };
    let mut app = Command::new(env!("CARGO_BIN_EXE_bridgekeeper"));
    env(&mut app);
    let _app = Kill(
        app.env("STEAM_DIR", fixture.root())
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );

    let wanted = [
        ("Attach Assetto Corsa", Some(ROLE_PUSH_BUTTON)),
        ("Verify Assetto Corsa", Some(ROLE_PUSH_BUTTON)),
        (
            "Copy launch option for Assetto Corsa",
            Some(ROLE_PUSH_BUTTON),
        ),
        ("Assetto Corsa header image", Some(ROLE_IMAGE)),
        ("Assetto Corsa: never ran (no prefix)", None),
        ("Games", None),
        ("Sessions", None),
    ];
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = BTreeMap::new();
    while Instant::now() < deadline {
        if let Some(a11y) = a11y_address() {
            seen = accessibles(&a11y);
            if wanted.iter().all(|(name, _)| seen.contains_key(*name)) {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    for (name, role) in wanted {
        let found = seen.get(name);
        assert!(
            found.is_some(),
            "no accessible named {name:?} among {seen:#?}"
        );
        if let Some(role) = role {
            assert_eq!(found, Some(&role), "{name}'s AT-SPI role");
        }
    }
}
