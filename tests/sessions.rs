//! Sessions under real Wine: `bridgekeeper run` as a Steam launch wrapper,
//! the watcher's auto-attach, `attach`, `status`, `stop`, clashes and
//! crashes, with a Steam-shaped tree whose Proton runs Debian's Wine.

use std::ffi::OsString;
use std::process::Stdio;
use std::time::{Duration, Instant};

use bridgekeeper_testkit::steam::FakeSteam;
use bridgekeeper_testkit::wait_for;
use bridgekeeper_testkit::wine::kill_wineserver;
use bridgekeeper_testkit::world::{
    LONG, Output, World, environ, gone, profile_toml, session_with, signal, wait_child,
};
use serde_json::Value;

/// How long Wine's wineserver stays up after its last program ends (its
/// master socket timeout), before it tells Proton's `steam.exe` to go.
const WINESERVER_LINGER: Duration = Duration::from_secs(3);

#[test]
fn wrapper_puts_the_bridge_before_the_game_and_ends_with_it() {
    let Some(world) = World::new("wrap") else {
        return;
    };
    let mut game_args = vec![
        world.steam.exe("FakeLauncher.exe"),
        "launcher".into(),
        "--delay-ms".into(),
        "300".into(),
        "--".into(),
    ];
    game_args.extend(world.game_args(world.size, &["--run-ms", "3000", "--exit-code", "3"]));
    let mut child = world.run_wrapped(
        &game_args,
        &[
            ("LD_PRELOAD", "/nonexistent/gameoverlayrenderer.so"),
            ("LD_LIBRARY_PATH", "/nonexistent/steam-runtime/lib"),
        ],
    );
    let mut out = Output::of(&mut child);

    assert!(
        world.counter_moves().is_some(),
        "the game's counter reaches /dev/shm"
    );
    let game = world.game_pid();
    let status = world.app.status();
    let session = session_with(&status, world.steam.appid).expect("the session is registered");
    assert_eq!(session["kind"], "launcher");
    assert_eq!(session["state"], "running", "{status:#}");
    assert_eq!(session["mappings"][0]["mode"], "shared", "{status:#}");

    let game_gone = gone(game);
    let exit = wait_child(&mut child, LONG).expect("the launch ends");
    let launch_end = game_gone.elapsed();
    assert_eq!(
        exit.code(),
        Some(3),
        "the game's exit code comes back through the wrapper"
    );
    let output = out.text();
    assert!(
        output.contains(&format!("testgame: mapping {} existed", world.mapping)),
        "the mapping existed before the game created it: {output}"
    );
    assert!(
        output.contains("\"event\":\"following\""),
        "the bridge followed the live exe: {output}"
    );
    // Steam's reaper waits for every process of the launch, the wineserver
    // included, which lingers WINESERVER_LINGER after its last program.
    assert!(
        launch_end < WINESERVER_LINGER + Duration::from_secs(3),
        "Steam's launch ended {launch_end:?} after the game: something was left in the prefix"
    );
    assert!(
        !world.file().exists(),
        "the session's file is removed when it ends"
    );
    let log = world.run_log();
    assert!(
        log.contains("Fake Sim"),
        "the wrapper logs to compatdata: {log}"
    );
    let status = world.app.status();
    let session = session_with(&status, world.steam.appid).expect("the ended session is listed");
    assert_eq!(session["state"], "ended", "{status:#}");
    assert_eq!(session["reason"], "game-exited");
}

#[test]
fn wrapper_runs_unknown_games_and_odd_commands_unchanged() {
    let Some(world) = World::new("unchanged") else {
        return;
    };
    let output = world
        .app
        .command()
        .args([
            "run",
            "/bin/sh",
            "-c",
            "echo ran:$0:$1; exit 42",
            "x",
            "a b",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(42));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "ran:x:a b");
    assert!(String::from_utf8_lossy(&output.stderr).contains("running the command unchanged"));

    let mut steam_env = world.steam.game_env();
    steam_env
        .retain(|(k, _)| k != "SteamAppId" && k != "SteamGameId" && k != "STEAM_COMPAT_APP_ID");
    let mut command = world
        .steam
        .launch_command(&world.game_args(world.size, &["--run-ms", "500"]));
    command[2] = OsString::from("AppId=4242");
    let output = world
        .app
        .command()
        .arg("run")
        .args(command)
        .envs(steam_env)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("testgame: mapping {} created", world.mapping)),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no profile for appid 4242"), "{stderr}");
    world.wine.wineserver_wait();
}

#[test]
fn watcher_attaches_at_game_start_with_the_games_sync_settings() {
    let Some(world) = World::new("watch") else {
        return;
    };
    let watch = world.watcher();
    let mut game =
        world.start_game(&world.game_args(world.size, &["--delay-ms", "2500", "--run-ms", "3000"]));
    let attached = watch.next("attached", LONG).expect("the watcher attaches");
    let session = &attached["session"];
    assert_eq!(
        session["mappings"][0]["mode"], "shared",
        "attached before the game created its section: {attached:#}"
    );
    let bridge_pid = session["bridge_pid"].as_u64().expect("bridge pid") as u32;
    let game_pid = world.game_pid();

    let env = environ(bridge_pid);
    for wanted in ["WINEFSYNC=1", "WINEESYNC=1"] {
        assert!(
            env.iter().any(|v| v == wanted),
            "the bridge has {wanted}: {env:?}"
        );
    }
    assert!(env.iter().any(|v| v.starts_with("WINEPREFIX=")), "{env:?}");
    assert!(
        !env.iter().any(|v| v.starts_with("SteamAppId=")),
        "the bridge must not pass for the game: {env:?}"
    );
    assert!(!env.iter().any(|v| v.starts_with("LD_PRELOAD=")), "{env:?}");

    assert!(world.counter_moves().is_some(), "data reaches /dev/shm");
    let ended_at = gone(game_pid);
    let lag = gone(bridge_pid) - ended_at;
    assert!(
        lag < Duration::from_secs(2),
        "the bridge outlived the game by {lag:?}"
    );
    wait_child(&mut game, LONG).expect("the launch ends");
    let ended = watch
        .next("ended", LONG)
        .expect("the watcher reports the end");
    assert_eq!(ended["session"]["state"], "ended");
    drop(watch);
    world.wine.wineserver_wait();
}

#[test]
fn game_first_gives_copy_mode_in_status_and_data_still_flows() {
    let Some(world) = World::new("late") else {
        return;
    };
    let mut game = world.start_game(&world.game_args(world.size, &["--run-ms", "6000"]));
    let mut out = Output::of(&mut game);
    out.wait_for("testgame: running");

    let output = world.attach(world.steam.appid);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let status = world.app.status();
    let session = session_with(&status, world.steam.appid).expect("registered");
    assert_eq!(session["mappings"][0]["mode"], "copy", "{status:#}");
    assert!(
        session["advice"]
            .as_str()
            .unwrap_or_default()
            .contains("bridgekeeper run %command%")
    );
    assert!(
        world.counter_moves().is_some(),
        "copy mode still brings the data"
    );
    wait_child(&mut game, LONG).expect("the game ends");
    gone(session["bridge_pid"].as_u64().unwrap() as u32);
    world.wine.wineserver_wait();
}

#[test]
fn a_second_prefix_asking_for_the_same_file_is_refused() {
    let Some(world) = World::new("clash") else {
        return;
    };
    let mut first = world
        .start_game(&world.game_args(world.size, &["--run-ms", "90000", "--delay-ms", "1000"]));
    let output = wait_for(LONG, || {
        let out = world.attach(world.steam.appid);
        out.status.success().then_some(out)
    });
    assert!(output.is_some(), "the first game is bridged");

    let prefix2 = world.wine.second_prefix();
    let steam2 = FakeSteam::new(
        &world.root.join("Steam Two"),
        world.steam.appid + 1,
        &world.wine,
        prefix2,
        &["OtherSim.exe"],
    );
    world.app.profile(
        "other-sim.toml",
        &profile_toml(
            "other-sim",
            "Other Sim",
            steam2.appid,
            &world.mapping,
            world.size,
            "OtherSim.exe",
        ),
    );
    let second_args = [
        steam2.exe("OtherSim.exe"),
        "game".into(),
        "--map".into(),
        format!("{}={}", world.mapping, world.size),
        "--run-ms".into(),
        "4000".into(),
    ];
    let mut second = steam2
        .game_command(prefix2, &second_args)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let refused = wait_for(LONG, || {
        let out = world.attach(steam2.appid);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (!out.status.success() && stderr.contains("already bridged")).then_some(stderr)
    })
    .expect("the second session is refused");
    assert!(
        refused.contains("Fake Sim") && refused.contains("bridgekeeper stop"),
        "{refused}"
    );

    let status = world.app.status();
    assert_eq!(
        session_with(&status, world.steam.appid).unwrap()["state"],
        "running",
        "{status:#}"
    );
    assert!(session_with(&status, steam2.appid).is_none());
    assert!(
        world.counter_moves().is_some(),
        "the first session keeps running"
    );
    wait_child(&mut second, LONG);
    let stop = world.stop(world.steam.appid);
    assert!(
        stop.status.success(),
        "{}",
        String::from_utf8_lossy(&stop.stderr)
    );
    let _ = first.kill();
    let _ = first.wait();
    kill_wineserver(prefix2);
    kill_wineserver(&world.wine.prefix);
}

#[test]
fn killed_bridge_shows_in_status_and_killed_watcher_leaves_the_bridge_to_end_with_the_game() {
    let Some(world) = World::new("kill") else {
        return;
    };
    let mut watch = world.watcher();
    let mut game =
        world.start_game(&world.game_args(world.size, &["--delay-ms", "2000", "--run-ms", "4000"]));
    let attached = watch.next("attached", LONG).expect("attached");
    let bridge_pid = attached["session"]["bridge_pid"].as_u64().unwrap() as u32;
    let game_pid = world.game_pid();

    watch.kill();
    assert!(
        world.counter_moves().is_some(),
        "data flows with the watcher gone"
    );
    let ended_at = gone(game_pid);
    let lag = gone(bridge_pid) - ended_at;
    assert!(
        lag < Duration::from_secs(2),
        "the bridge outlived the game by {lag:?}"
    );
    wait_child(&mut game, LONG).expect("the launch ends");
    world.wine.wineserver_wait();

    let mut game = world.start_game(&world.game_args(world.size, &["--run-ms", "8000"]));
    let output = wait_for(LONG, || {
        let out = world.attach(world.steam.appid);
        out.status.success().then_some(out)
    })
    .expect("attached again");
    drop(output);
    let status = world.app.status();
    let bridge_pid = session_with(&status, world.steam.appid).unwrap()["bridge_pid"]
        .as_u64()
        .unwrap() as u32;
    signal(bridge_pid, "KILL");
    let killed_at = Instant::now();
    let crashed = wait_for(LONG, || {
        let status = world.app.status();
        (session_with(&status, world.steam.appid)?["state"] == "crashed").then(Instant::now)
    })
    .expect("status shows the crash");
    assert!(
        crashed - killed_at < Duration::from_secs(1),
        "status took {:?}",
        crashed - killed_at
    );
    let _ = game.kill();
    let _ = game.wait();
    kill_wineserver(&world.wine.prefix);
}

#[test]
fn verify_proves_the_chain_in_the_games_prefix() {
    let Some(world) = World::new("verify") else {
        return;
    };
    let root = world.steam.root.display().to_string();
    let output = world
        .app
        .command()
        .args([
            "verify",
            &world.steam.appid.to_string(),
            "--json",
            "--steam-dir",
            &root,
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).expect("verify --json prints JSON");
    assert!(
        output.status.success(),
        "{report:#} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let steps: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "profile",
            "readers",
            "installed",
            "prefix",
            "proton",
            "bridge",
            "shared memory",
            "bridge in the prefix",
            "round trip"
        ]
    );
    assert!(
        report["steps"][4]["detail"]
            .as_str()
            .unwrap()
            .contains("Fake Proton 8.0"),
        "{report:#}"
    );
    assert_eq!(
        world.shm.entries(),
        Vec::<String>::new(),
        "the probe file is removed"
    );

    let missing = world
        .app
        .command()
        .args(["verify", "4243", "--steam-dir", &root])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    let text = String::from_utf8_lossy(&missing.stdout);
    assert!(text.contains("FAIL installed"), "{text}");
    world.wine.wineserver_wait();
}

#[test]
fn a_wine_build_other_than_the_running_wineservers_is_refused() {
    let Some(world) = World::new("mismatch") else {
        return;
    };
    let other = world.steam.root.join("steamapps/common/Other Proton");
    std::fs::create_dir_all(other.join("files/bin")).unwrap();
    std::fs::copy(
        world.steam.proton.join("files/bin/wine"),
        other.join("files/bin/wine"),
    )
    .unwrap();
    std::fs::copy(
        "/usr/lib/wine/wineserver64",
        other.join("files/bin/wineserver"),
    )
    .unwrap();

    let mut game = world
        .steam
        .game_command(
            &world.wine.prefix,
            &world.game_args(world.size, &["--run-ms", "20000"]),
        )
        .env(
            "STEAM_COMPAT_TOOL_PATHS",
            format!("{}:{}", other.display(), world.steam.runtime.display()),
        )
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = Output::of(&mut game);
    out.wait_for("testgame: running");

    let output = world.attach(world.steam.appid);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("version mismatch") && stderr.contains("Other Proton"),
        "{stderr}"
    );
    assert_eq!(
        world.app.status(),
        serde_json::json!([]),
        "nothing was started or recorded"
    );
    let _ = game.kill();
    let _ = game.wait();
    kill_wineserver(&world.wine.prefix);
}
