//! Takes the screenshots in `assets/screenshots/` (the AppStream metainfo
//! shows them) from the real app, under Xvfb, while a real session runs: the
//! test game started through `bridgekeeper run` by a Steam-shaped tree whose
//! Proton is Debian's Wine, the bridge in front of it, its counter moving.
//!
//! Not part of the test run (`#[ignore]`); `assets/take-screenshots` runs it.

//! Takes the screenshots in `assets/screenshots/` (the AppStream metainfo
//! shows them) from the real app, under Xvfb, while a realistic session
//! runs: the test game started through `bridgekeeper run` by a Steam-shaped
//! tree whose Proton is Debian's Wine, the bridge in front of it, writing
//! plausible driving data into Assetto Corsa Competizione's pages
//! (`--drive`). The Games tab, the Sessions panel with its live dashboard,
//! and the inspector on the physics page.
//!
//! What a screenshot shows is what reviewers and users judge the app by,
//! so nothing in it may name a test or a temporary folder: the Steam tree
//! lives in a fake home, `/home/racer`, and the mapping files in
//! `/dev/shm`, both fresh tmpfs mounts of a private mount namespace that
//! `assets/take-screenshots` sets up (the test refuses to run outside one).
//! Each screenshot is checked: 1280×800, and none of [`FORBIDDEN`] in the
//! text the app painted in that frame.
//!
//! Not part of the test run (`#[ignore]`); `assets/take-screenshots` runs it.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use bridgekeeper_sessions::settings::Settings;
use bridgekeeper_testkit::app::{App, binary};
use bridgekeeper_testkit::desktop::{Xvfb, tool};
use bridgekeeper_testkit::steam::FakeSteam;
use bridgekeeper_testkit::steam_fixture::AppSpec;
use bridgekeeper_testkit::wait_for;
use bridgekeeper_testkit::wine::{kill_wineserver, wine, workspace};

const LONG: Duration = Duration::from_secs(60);
const ACC: u32 = 805_550;
/// Other games in the library: one supported that never ran, one without
/// a profile.
const OTHERS: [(u32, &str); 2] = [(244_210, "Assetto Corsa"), (413_150, "Stardew Valley")];
/// The fake home: a tmpfs of the screenshot's mount namespace.
const HOME: &str = "/home/racer";
/// ACC's pages and their sizes in the built-in profile.
const PAGES: [(&str, usize); 3] = [
    ("acpmf_physics", 4096),
    ("acpmf_graphics", 4096),
    ("acpmf_static", 4096),
];
/// Strings no screenshot may show: test names and temporary folders.
pub const FORBIDDEN: [&str; 12] = [
    "Test Sim",
    "TestSim",
    "Solitaire",
    "FakeSim",
    "Fake Sim",
    "Fake Proton",
    "fake-proton",
    "testgame",
    "/tmp/",
    "bke2e",
    "/target/",
    "/work/",
];

/// Whether `dir` is a tmpfs mount point (of this process's namespace).
fn is_tmpfs_mount(dir: &str) -> bool {
    std::fs::read_to_string("/proc/self/mounts").is_ok_and(|mounts| {
        mounts.lines().any(|line| {
            let mut fields = line.split_whitespace();
            fields.next();
            fields.next() == Some(dir) && fields.next() == Some("tmpfs")
        })
    })
}

/// Width and height from a PNG's header.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[1..4], b"PNG", "{} is not a PNG", path.display());
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
#[ignore = "takes the metainfo screenshots; run by assets/take-screenshots"]
fn take_screenshots() {
    assert!(
        is_tmpfs_mount("/home") && is_tmpfs_mount("/dev/shm"),
        "run this through assets/take-screenshots: it needs /home and /dev/shm as private \
         tmpfs mounts, so that the screenshots show a plausible home and no temporary paths"
    );
    let Some(wine) = wine() else {
        panic!("Wine is needed for the screenshots");
    };
    let root = Path::new(HOME).to_path_buf();
    let steam_root = root.join(".local/share/Steam");
    let exe = "AC2-Win64-Shipping.exe";
    let steam = OTHERS
        .iter()
        .fold(
            FakeSteam::builder(&steam_root, ACC)
                .game_name("Assetto Corsa Competizione")
                .install_dir("Assetto Corsa Competizione")
                .proton_name("Proton 8.0", "1695835447 proton-8.0-4"),
            |steam, &(appid, name)| steam.other_app(AppSpec::new(appid, name)),
        )
        .build(&wine, &wine.prefix, &[exe]);
    let shm = Path::new("/dev/shm");
    let app = App::new(&root.join(".cache/bridgekeeper"), shm, &wine);
    let home = root.clone();
    Settings {
        auto_attach: false,
        profiles_dir: Some(app.profiles.clone()),
        ..Settings::default()
    }
    .save(&home.join(".config/bridgekeeper/settings.toml"))
    .unwrap();

    let stop = root.join(".cache/stop-game");
    let mut game_args: Vec<String> = vec![steam.exe(exe), "game".into()];
    for (name, size) in PAGES {
        game_args.extend(["--map".into(), format!("{name}={size}")]);
    }
    game_args.extend(
        [
            "--drive",
            "--rate",
            "60",
            "--run-ms",
            "180000",
            "--stop-file",
            &stop.display().to_string(),
        ]
        .map(String::from),
    );
    let mut run = app
        .command()
        .arg("run")
        .args(steam.launch_command(&game_args))
        .envs(steam.game_env())
        .stdout(Stdio::null())
        .stdin(Stdio::null())
        .spawn()
        .expect("starting bridgekeeper run");
    let packet = || {
        let page = std::fs::read(shm.join("acpmf_physics")).ok()?;
        Some(u32::from_le_bytes(page.get(0..4)?.try_into().ok()?))
    };
    let first = wait_for(LONG, packet).expect("the game writes its physics page");
    wait_for(LONG, || packet().filter(|&c| c > first + 30)).expect("the packet id moves");
    // Into the lap, so the lap clock and the last lap show.
    std::thread::sleep(Duration::from_secs(3));

    let xvfb = tool("Xvfb").expect("Xvfb (apt-get install xvfb)");
    let x = Xvfb::start(&xvfb);
    // scripts/test checks them in a folder of its own, leaving the
    // committed ones alone.
    let out_dir = std::env::var_os("BRIDGEKEEPER_SCREENSHOTS_DIR")
        .map_or_else(|| workspace().join("assets/screenshots"), Into::into);
    for tab in ["games", "sessions", "inspector"] {
        let shot = out_dir.join(format!("{tab}.png"));
        let _ = std::fs::remove_file(&shot);
        let text_file = root.join(format!(".cache/{tab}.txt"));
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
            .env("BRIDGEKEEPER_SCREENSHOT_TEXT", &text_file)
            .status()
            .expect("running the app");
        assert!(status.success(), "the app failed for {tab}");
        assert!(shot.is_file(), "no screenshot for {tab}");
        assert_eq!(png_size(&shot), (1280, 800), "{}", shot.display());
        let text = std::fs::read_to_string(&text_file)
            .unwrap_or_else(|e| panic!("{}: {e}", text_file.display()));
        for wanted in ["Assetto Corsa Competizione", "proton-8.0-4", "/home/racer/"] {
            assert!(
                tab != "games" || text.contains(wanted),
                "the games tab lacks {wanted}:\n{text}"
            );
        }
        if tab == "sessions" {
            assert!(text.contains("km/h") && text.contains("Throttle"), "{text}");
            assert!(!text.contains("NO DATA since"), "{text}");
        }
        for bad in FORBIDDEN {
            assert!(
                !text.contains(bad),
                "the {tab} screenshot shows {bad:?}:\n{text}"
            );
        }
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
