//! The fakes the other tests stand on behave like the real things, under
//! real Wine: the fake Steam tree launches a game as Steam and Proton do
//! (reaper, Proton's script with its start-up time and prefix set-up, the
//! wineserver, Proton's `steam.exe`, the game; docs/steam-internals.md,
//! "The launch chain"), and the test game creates its sections when told.

use std::path::Path;
use std::time::SystemTime;

use bridgekeeper_testkit::fake_proton::{STARTUP_ENV, STEAM_EXE, STEAM_EXE_DIR};
use bridgekeeper_testkit::game::TestGame;
use bridgekeeper_testkit::procs::{
    cmdline, environ, parent_pid, pids_of_program, pids_where, start_ticks,
};
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
