//! Takes the screenshots in `assets/screenshots/` (the AppStream metainfo
//! shows them) from the real app, under Xvfb, while a real session runs: the
//! test game started through `bridgekeeper run` by a Steam-shaped tree whose
//! Proton is Debian's Wine, the bridge in front of it, its counter moving.
//!
//! Not part of the test run (`#[ignore]`); `assets/take-screenshots` runs it.

use std::process::Stdio;
use std::time::{Duration, Instant};

use bridgekeeper_sessions::settings::Settings;
use bridgekeeper_testkit::app::{App, binary};
use bridgekeeper_testkit::desktop::{Xvfb, tool};
use bridgekeeper_testkit::scratch::ScratchDir;
use bridgekeeper_testkit::shm::ShmDir;
use bridgekeeper_testkit::steam::FakeSteam;
use bridgekeeper_testkit::steam_fixture::AppSpec;
use bridgekeeper_testkit::wine::{kill_wineserver, wine, workspace};
use bridgekeeper_testkit::{GAME_MAGIC, wait_for};

const LONG: Duration = Duration::from_secs(60);
const APPID: u32 = 990_001;
/// Other games in the library: one supported that never ran, one without
/// a profile.
const OTHERS: [(u32, &str); 2] = [
    (805_550, "Assetto Corsa Competizione"),
    (4_242_424, "Solitaire"),
];

/// A profile for the test game, with its layout, so the inspector decodes
/// live fields.
fn profile(mapping: &str) -> String {
    format!(
        r#"id = "test-sim"
name = "Test Sim"
appids = [{APPID}]
live_exes = ["TestSim.exe"]

[[mapping]]
name = "{mapping}"
size = 8192
role = "telemetry page"
source = "the test game's layout"
layout = "test-sim"
liveness = "packet"

[[mapping]]
name = "TestSimScoring"
size = 65536
role = "scoring page"
source = "the test game's layout"

[[layout]]
id = "test-sim"
source = "tests/testgame/src/main.rs"

[[layout.field]]
name = "magic"
offset = 0
type = "u32"

[[layout.field]]
name = "packet"
offset = 4
type = "u32"
note = "advances at the game's rate"

[[layout.field]]
name = "fromLinux"
offset = 8
type = "u32"

[[layout.field]]
name = "echo"
offset = 12
type = "u32"

[[layout.field]]
name = "pid"
offset = 16
type = "u32"
"#
    )
}

#[test]
#[ignore = "takes the metainfo screenshots; run by assets/take-screenshots"]
fn take_screenshots() {
    let Some(wine) = wine() else {
        panic!("Wine is needed for the screenshots");
    };
    let scratch = ScratchDir::new("shots");
    let root = scratch.path().to_path_buf();
    let steam = OTHERS
        .iter()
        .fold(
            FakeSteam::builder(&root.join("Steam"), APPID).game_name("Test Sim"),
            |steam, &(appid, name)| steam.other_app(AppSpec::new(appid, name)),
        )
        .build(&wine, &wine.prefix, &["TestSim.exe"]);
    let shm = ShmDir::new("shots");
    let app = App::new(&root, shm.path(), &wine);
    let mapping = "TestSimTelemetry";
    app.profile("test-sim.toml", &profile(mapping));
    let home = root.join("home");
    Settings {
        auto_attach: false,
        profiles_dir: Some(app.profiles.clone()),
        ..Settings::default()
    }
    .save(&home.join(".config/bridgekeeper/settings.toml"))
    .unwrap();

    let stop = root.join("stop-game");
    let game_args: Vec<String> = [
        steam.exe("TestSim.exe").as_str(),
        "game",
        "--map",
        &format!("{mapping}=8192"),
        "--map",
        "TestSimScoring=65536",
        "--rate",
        "60",
        "--run-ms",
        "120000",
        "--stop-file",
        &stop.display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut run = app
        .command()
        .arg("run")
        .args(steam.launch_command(&game_args))
        .envs(steam.game_env())
        .stdout(Stdio::null())
        .stdin(Stdio::null())
        .spawn()
        .expect("starting bridgekeeper run");
    let counter = |offset: u64| shm.u32_at(mapping, offset);
    wait_for(LONG, || counter(0).filter(|&m| m == GAME_MAGIC)).expect("the game writes");
    let first = counter(4).unwrap_or(0);
    wait_for(LONG, || counter(4).filter(|&c| c > first + 30)).expect("the counter moves");

    let xvfb = tool("Xvfb").expect("Xvfb (apt-get install xvfb)");
    let x = Xvfb::start(&xvfb);
    let out_dir = workspace().join("assets/screenshots");
    for tab in ["games", "sessions", "inspector"] {
        let shot = out_dir.join(format!("{tab}.png"));
        let _ = std::fs::remove_file(&shot);
        let started = Instant::now();
        // With the program on the PATH, as installed, the launch option is
        // the plain `bridgekeeper run %command%`.
        let path = std::env::join_paths(
            std::iter::once(binary().parent().unwrap().to_path_buf()).chain(std::env::split_paths(
                &std::env::var_os("PATH").unwrap_or_default(),
            )),
        )
        .unwrap();
        let status = app
            .command()
            .env("PATH", path)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("STEAM_DIR", &steam.root)
            .env("DISPLAY", x.display_var())
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env("BRIDGEKEEPER_SCREENSHOT", &shot)
            .env("BRIDGEKEEPER_SCREENSHOT_TAB", tab)
            .status()
            .expect("running the app");
        assert!(status.success(), "the app failed for {tab}");
        assert!(shot.is_file(), "no screenshot for {tab}");
        eprintln!("{} in {:?}", shot.display(), started.elapsed());
    }
    drop(x);

    std::fs::write(&stop, b"").unwrap();
    let ended = wait_for(LONG, || run.try_wait().ok().flatten());
    if ended.is_none() {
        let _ = run.kill();
        let _ = run.wait();
    }
    kill_wineserver(&wine.prefix);
}
