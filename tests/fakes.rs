//! The fakes the other tests stand on behave like the real things, under
//! real Wine: the fake Steam tree launches a game as Steam and Proton do
//! (reaper, Proton's script with its start-up time and prefix set-up, the
//! wineserver, Proton's `steam.exe`, the game; docs/steam-internals.md,
//! "The launch chain"), and the test game creates its sections when told.
//! With them, the watcher alone bridges a launch before its game creates
//! its sections, and a launch that fails leaves nothing behind.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use bridgekeeper_testkit::fake_proton::{STARTUP_ENV, STEAM_EXE, STEAM_EXE_DIR};
use bridgekeeper_testkit::game::TestGame;
use bridgekeeper_testkit::procs::{
    cmdline, environ, parent_pid, pids_of_program, pids_where, start_ticks,
};
use bridgekeeper_testkit::wine::BRIDGE_EXE;
use bridgekeeper_testkit::world::{
    LAUNCHER_EXE, LIVE_EXE, LONG, Output, World, gone, pid_alive, wait_child,
};
use bridgekeeper_testkit::{unique_name, wait_for};

/// Clock ticks (10 ms) per second, as `/proc/<pid>/stat` counts start times.
const TICKS_PER_SEC: u64 = 100;

/// The live process whose arguments `matches`, waiting up to [`LONG`].
fn one_process(what: &str, matches: impl Fn(&[String]) -> bool) -> u32 {
    let pids = wait_for(LONG, || {
        Some(pids_where(&matches)).filter(|p| !p.is_empty())
    })
    .unwrap_or_else(|| panic!("no {what} runs"));
    assert_eq!(pids.len(), 1, "one {what}: {pids:?}");
    pids[0]
}

/// The wineserver serving `prefix`.
fn wineserver_of(prefix: &Path) -> u32 {
    let prefix = prefix.canonicalize().expect("the prefix exists");
    let serves = |pid: u32| {
        environ(pid).iter().any(|var| {
            var.strip_prefix("WINEPREFIX=")
                .and_then(|p| Path::new(p).canonicalize().ok())
                .is_some_and(|p| p == prefix)
        })
    };
    wait_for(LONG, || {
        pids_of_program("wineserver64")
            .into_iter()
            .find(|&p| serves(p))
    })
    .unwrap_or_else(|| panic!("no wineserver serves {}", prefix.display()))
}

fn started(pid: u32, what: &str) -> u64 {
    start_ticks(pid).unwrap_or_else(|| panic!("{what} ({pid}) is gone"))
}

#[test]
fn a_launch_runs_as_steam_and_proton_run_it_in_their_order() {
    let Some(world) = World::new("chain") else {
        return;
    };
    let steam_exe_installed = world.wine.prefix.join(STEAM_EXE_DIR).join("steam.exe");
    let lock = world.steam.compatdata.join("pfx.lock");
    let before = SystemTime::now();
    let startup_ms = 600;
    let args = world.game_args(world.size, &["--run-ms", "4000", "--exit-code", "5"]);
    let mut launch = world.start_game_with(
        &args,
        &[
            (STARTUP_ENV, &startup_ms.to_string()),
            ("PROTON_NO_FSYNC", "1"),
        ],
    );
    let mut out = Output::of(&mut launch);
    out.wait_for("testgame: running");

    let reaper = launch.id();
    let proton_script = world.steam.proton.join("proton").display().to_string();
    let proton = one_process("proton script", |args| {
        args.get(1).is_some_and(|a| *a == proton_script)
    });
    let game_dir = world.steam.game_dir.display().to_string();
    let steam_exe = one_process("steam.exe", |args| {
        args[0].to_lowercase().ends_with("\\steam.exe")
            && args.iter().any(|a| a.contains(&game_dir))
    });
    let game = world.game_pid();
    let wineserver = wineserver_of(&world.wine.prefix);

    assert!(
        cmdline(reaper).iter().any(|a| a == "SteamLaunch"),
        "the launch's child is Steam's reaper: {:?}",
        cmdline(reaper)
    );
    let steam_exe_args = cmdline(steam_exe);
    assert!(
        steam_exe_args[0].eq_ignore_ascii_case(STEAM_EXE),
        "Proton runs steam.exe from the prefix: {steam_exe_args:?}"
    );
    assert!(
        steam_exe_args[1].ends_with(LIVE_EXE),
        "steam.exe carries the game's exe as its first argument: {steam_exe_args:?}"
    );
    assert!(
        steam_exe_installed.is_file(),
        "the prefix set-up installed steam.exe"
    );
    let locked = std::fs::metadata(&lock).and_then(|m| m.modified()).unwrap();
    assert!(locked >= before, "the prefix set-up took pfx.lock");

    let (proton_at, steam_exe_at) = (started(proton, "proton"), started(steam_exe, "steam.exe"));
    let (server_at, game_at) = (started(wineserver, "wineserver"), started(game, "the game"));
    eprintln!(
        "chain (pid at start tick): reaper {reaper}, proton {proton} at {proton_at}, \
         steam.exe {steam_exe} at {steam_exe_at}, wineserver {wineserver} at {server_at}, \
         game {game} at {game_at}"
    );
    assert!(
        steam_exe_at >= proton_at + startup_ms * TICKS_PER_SEC / 1000,
        "Wine starts after the script's start-up: proton at {proton_at}, steam.exe at {steam_exe_at} ticks"
    );
    assert!(
        server_at <= game_at && steam_exe_at <= game_at,
        "the wineserver ({server_at}) and steam.exe ({steam_exe_at}) are up before the game ({game_at})"
    );
    for (pid, what) in [(game, "the game"), (wineserver, "the wineserver")] {
        assert_eq!(
            parent_pid(pid),
            Some(reaper),
            "{what} left its Wine parent and Steam's reaper adopted it"
        );
    }
    let game_env = environ(game);
    assert!(
        game_env.iter().any(|v| v == "WINEESYNC=1"),
        "Proton sets WINEESYNC: {game_env:?}"
    );
    assert!(
        !game_env.iter().any(|v| v.starts_with("WINEFSYNC=")),
        "PROTON_NO_FSYNC removes WINEFSYNC, as in Proton: {game_env:?}"
    );

    gone(game);
    assert!(
        pid_alive(steam_exe),
        "steam.exe waits for the wineserver's last program, not only the game"
    );
    let exit = wait_child(&mut launch, LONG).expect("the launch ends");
    assert_eq!(
        exit.code(),
        Some(5),
        "the game's exit code, through steam.exe, Proton and the reaper:\n{}",
        out.text()
    );
    for (pid, what) in [(steam_exe, "steam.exe"), (wineserver, "the wineserver")] {
        assert!(!pid_alive(pid), "the reaper ended before {what}");
    }
}

#[test]
fn steam_exe_outlives_a_launcher_that_exits_early_and_returns_its_code() {
    let Some(world) = World::new("launcher") else {
        return;
    };
    let mut args = vec![
        world.steam.exe(LAUNCHER_EXE),
        "launcher".into(),
        "--delay-ms".into(),
        "300".into(),
        "--exit-code".into(),
        "4".into(),
        "--".into(),
    ];
    args.extend(world.game_args(world.size, &["--run-ms", "3000"]));
    let mut launch = world.start_game(&args);
    let mut out = Output::of(&mut launch);
    out.wait_for("testgame: exit 4");
    let game = world.game_pid();
    assert!(
        launch.try_wait().unwrap().is_none(),
        "the launch goes on after the launcher:\n{}",
        out.text()
    );
    gone(game);
    let exit = wait_child(&mut launch, LONG).expect("the launch ends");
    assert_eq!(
        exit.code(),
        Some(4),
        "steam.exe returns the code of the program it started:\n{}",
        out.text()
    );
    assert!(
        out.text().contains("testgame: exit 0 after"),
        "the game ran to its end:\n{}",
        out.text()
    );
}

#[test]
fn the_test_game_creates_its_sections_when_told_after_its_start() {
    let Some(wine) = bridgekeeper_testkit::wine::wine() else {
        return;
    };
    let name = unique_name("late");
    let map = format!("{name}=4096");
    let mut game = TestGame::start(&wine, &["--map", &map, "--map-after-ms", "700"]);
    let line = game
        .wait_line(LONG, |l| l.starts_with("creating sections "))
        .expect("the game says when it creates its sections");
    let after: u64 = line
        .trim_start_matches("creating sections ")
        .split(' ')
        .next()
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("a number of milliseconds in {line:?}"));
    assert!(after >= 700, "{line}");
    game.wait_line(LONG, |l| l == format!("mapping {name} created"))
        .expect("then creates them");
    assert_eq!(game.wait(LONG).and_then(|s| s.code()), Some(0));

    let mut now = TestGame::start(
        &wine,
        &["--map", &map, "--map-after-ms", "0", "--run-ms", "100"],
    );
    now.wait_line(LONG, |l| l == format!("mapping {name} created"))
        .expect("0 ms: at once");

    let mut both = TestGame::start(
        &wine,
        &["--map", &map, "--map-after-ms", "5", "--delay-ms", "5"],
    );
    let status = both.wait(LONG).expect("the game ends");
    assert_eq!(status.code(), Some(2));
    assert!(
        both.seen
            .iter()
            .any(|l| l == "usage error: --map-after-ms and --delay-ms exclude each other"),
        "{:?}",
        both.seen
    );
    wine.wineserver_wait();
}

/// Issue #15: with only the watcher running (no launch option), a launch
/// through the fake Proton gives zero copy even when the game creates its
/// section the moment it starts: the watcher notices the launch (Steam's
/// reaper), joins the wineserver as soon as it accepts clients, and the
/// bridge has made the section before `steam.exe` starts the game.
#[test]
fn the_watcher_alone_bridges_the_launch_before_the_game_creates_its_section() {
    let Some(world) = World::new("prestart") else {
        return;
    };
    let watch = world.watcher();
    for map_after in ["0", "250"] {
        let args = world.game_args(
            world.size,
            &["--map-after-ms", map_after, "--run-ms", "1500"],
        );
        let mut launch = world.start_game(&args);
        let mut out = Output::of(&mut launch);
        let attached = watch
            .next("attached", LONG)
            .unwrap_or_else(|| panic!("N = {map_after}: the watcher attaches"));
        assert_eq!(
            attached["session"]["mappings"][0]["mode"], "shared",
            "N = {map_after}: {attached:#}"
        );
        out.wait_for(&format!("testgame: mapping {} existed", world.mapping));
        let game = world.game_pid();
        // The game's own writes, read back from /dev/shm: its pid (at 16)
        // and a counter that moves.
        let file = world.file();
        assert!(
            world.counter_moves().is_some(),
            "N = {map_after}: the game's counter moves in {}",
            file.display()
        );
        let windows_pid = bridgekeeper_testkit::world::u32_at(&file, 16);
        assert!(
            windows_pid.is_some_and(|pid| pid != 0),
            "N = {map_after}: the game's pid in {}: {windows_pid:?}",
            file.display()
        );
        gone(game);
        let exit = wait_child(&mut launch, LONG).expect("the launch ends");
        assert_eq!(exit.code(), Some(0), "{}", out.text());
        let ended = watch
            .next("ended", LONG)
            .expect("the watcher reports the end");
        assert_eq!(ended["session"]["state"], "ended", "{ended:#}");
        world.wine.wineserver_wait();
    }
}

/// A launch whose game never runs leaves nothing behind: no bridge, no
/// backing file, no session. Once when Proton fails before Wine starts
/// (nothing was started), once when `steam.exe` cannot start the game
/// after the wineserver came up (the bridge was attached, and is stopped
/// when Proton's script ends).
#[test]
fn a_launch_that_fails_before_the_game_leaves_nothing_behind() {
    let Some(world) = World::new("prestart-fails") else {
        return;
    };
    let watch = world.watcher();
    let leftovers = || {
        let files: Vec<_> = std::fs::read_dir(world.shm.path())
            .map(|dir| dir.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        let bridges = bridgekeeper_testkit::procs::pids_of(&world.root, BRIDGE_EXE);
        (files, bridges, world.session())
    };
    let nothing = |what: &str| {
        let left = wait_for(LONG, || {
            let left = leftovers();
            (left.0.is_empty() && left.1.is_empty() && left.2.is_none()).then_some(())
        });
        assert!(left.is_some(), "{what}: left behind {:?}", leftovers());
    };

    // Proton gives up before Wine: no compatdata folder.
    let args = world.game_args(world.size, &["--map-after-ms", "0"]);
    let mut launch = world
        .steam
        .game_command(&world.wine.prefix, &args)
        .env_remove("STEAM_COMPAT_DATA_PATH")
        .stdout(Stdio::null())
        .spawn()
        .expect("starting the launch");
    let exit = wait_child(&mut launch, LONG).expect("the launch ends");
    assert_eq!(exit.code(), Some(1), "Proton refuses the launch");
    nothing("Proton failed");

    // The game's exe is missing: steam.exe fails after the wineserver came.
    let mut args = world.game_args(world.size, &["--map-after-ms", "0"]);
    args[0] = world.steam.exe("Missing.exe");
    let started = Instant::now();
    let mut launch = world.start_game(&args);
    let mut out = Output::of(&mut launch);
    let exit = wait_child(&mut launch, LONG).expect("the launch ends");
    assert_eq!(exit.code(), Some(1), "{}", out.text());
    assert!(
        out.text().contains("steam.exe: cannot start"),
        "{}",
        out.text()
    );
    nothing("steam.exe failed");
    let took = started.elapsed();
    // The wineserver came up before steam.exe failed: the bridge usually
    // joined it. On a loaded machine the launch may fail first; then there
    // was nothing to clean up, and the checks above hold all the same.
    let attached = watch.next("attached", Duration::from_secs(1));
    assert!(
        took < Duration::from_secs(15),
        "the launch and its bridge ended {took:?} after the start, not at the game's 30 s \
         timeout (attached: {attached:?})"
    );
    if let Some(attached) = attached {
        let ended = watch.next("ended", LONG).expect("the end is reported");
        assert_eq!(
            ended["session"]["id"], attached["session"]["id"],
            "{ended:#}"
        );
    }
    world.wine.wineserver_wait();
}
