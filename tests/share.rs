//! Sharing a live session into a tool's own prefix, under real Wine with two
//! prefixes: the test game runs in prefix A (the fake Steam's game, bridged
//! by `bridgekeeper run` or the watcher); the test game in `tool` mode runs
//! in prefix B, a non-Steam shortcut's prefix, and opens the game's section
//! by name there. Each test checks what a user would: the tool sees the
//! game's bytes, its writes reach /dev/shm, `status` shows the share and the
//! mode it got, and when the game's session ends nothing of Bridgekeeper is
//! left in prefix B (its wineserver ends).

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use bridgekeeper_testkit::game::TestGame;
use bridgekeeper_testkit::steam::ToolShortcut;
use bridgekeeper_testkit::wait_for;
use bridgekeeper_testkit::world::{
    LIVE_EXE, LONG, Output, World, environ, pid_alive, u32_at, wait_child,
};
use serde_json::Value;

/// The tool's shortcut appid (a 32-bit shortcut id, as Steam makes them).
const TOOL_APPID: u32 = 3_141_592_653;
const TOOL: &str = "Test Tool";
/// A shortcut to the same prefix whose Proton is another build.
const OTHER_APPID: u32 = 3_141_592_654;
const OTHER_TOOL: &str = "Other Tool";
const OTHER_PROTON: &str = "Other Proton";
/// How long after its last program a wineserver may take to end.
const WINESERVER_DONE: Duration = Duration::from_secs(6);

/// Stops what runs in prefix B when a test fails, so the next test finds
/// it idle (the world stops prefix A's).
struct PrefixBGuard(&'static Path);

impl Drop for PrefixBGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            bridgekeeper_testkit::wine::kill_wineserver(self.0);
        }
    }
}

/// A world whose Steam tree has the tool's shortcuts, both on prefix B.
fn world(label: &str) -> Option<(World, PrefixBGuard)> {
    let world = World::options(label)
        .tool_shortcut(ToolShortcut {
            appid: TOOL_APPID,
            name: TOOL.into(),
            prefix: None,
            proton_dir: None,
        })
        .tool_shortcut(ToolShortcut {
            appid: OTHER_APPID,
            name: OTHER_TOOL.into(),
            prefix: None,
            proton_dir: Some(OTHER_PROTON.into()),
        })
        .build()?;
    assert!(
        wineservers_in(prefix_b(&world)).is_empty(),
        "prefix B is idle before the test"
    );
    let guard = PrefixBGuard(world.wine.second_prefix());
    Some((world, guard))
}

fn prefix_b(world: &World) -> &'static Path {
    world.wine.second_prefix()
}

/// The app's environment for sharing: the fake Steam tree, and a settings
/// folder.
fn env(world: &World) -> Vec<(&'static str, String)> {
    vec![
        ("STEAM_DIR", world.steam.root.display().to_string()),
        (
            "XDG_CONFIG_HOME",
            world.root.join("config").display().to_string(),
        ),
    ]
}

/// Writes the "also serve into" setting for the game.
fn serve_into(world: &World, targets: &[&str], stand_in: bool) {
    let dir = world.root.join("config/bridgekeeper");
    std::fs::create_dir_all(&dir).unwrap();
    let targets: Vec<String> = targets.iter().map(|t| format!("{t:?}")).collect();
    std::fs::write(
        dir.join("settings.toml"),
        format!(
            "[serve_into.{}]\ntargets = [{}]\nstand_in = {stand_in}\n",
            world.steam.appid,
            targets.join(", ")
        ),
    )
    .unwrap();
}

/// The game's arguments: its mapping, running until `stop` appears.
fn game_args(world: &World, stop: &Path) -> Vec<String> {
    world.game_args(
        world.size,
        &[
            "--run-ms",
            "90000",
            "--stop-file",
            &stop.display().to_string(),
        ],
    )
}

/// `MAPPING=SIZE` for the tool.
fn map(world: &World) -> String {
    format!("{}={}", world.mapping, world.size)
}

/// Live wineservers of `prefix` (by its path or the link to it).
fn wineservers_in(prefix: &Path) -> Vec<u32> {
    let wanted = std::fs::canonicalize(prefix).unwrap_or_else(|_| prefix.to_path_buf());
    bridgekeeper_testkit::procs::pids_of_program("wineserver64")
        .into_iter()
        .filter(|&pid| {
            environ(pid).iter().any(|v| {
                v.strip_prefix("WINEPREFIX=").is_some_and(|p| {
                    std::fs::canonicalize(p).unwrap_or_else(|_| PathBuf::from(p)) == wanted
                })
            })
        })
        .collect()
}

/// Waits until prefix B has no wineserver: nothing keeps it alive.
fn assert_prefix_b_ends(world: &World, why: &str) {
    let started = Instant::now();
    let done = wait_for(LONG, || {
        wineservers_in(prefix_b(world)).is_empty().then_some(())
    });
    assert!(done.is_some(), "prefix B's wineserver still runs: {why}");
    let took = started.elapsed();
    assert!(
        took < WINESERVER_DONE,
        "prefix B's wineserver took {took:?} to end: {why}"
    );
}

/// The game's session once its bridge is ready.
fn running_session(world: &World) -> Value {
    wait_for(LONG, || world.session().filter(|s| s["state"] == "running"))
        .unwrap_or_else(|| panic!("no running session: {:#}", world.app.status()))
}

/// The session's first share, once `ready` accepts it.
fn share_when(world: &World, ready: impl Fn(&Value) -> bool) -> Value {
    wait_for(LONG, || {
        world
            .session()
            .and_then(|s| s["shares"].get(0).cloned())
            .filter(|share| ready(share))
    })
    .unwrap_or_else(|| panic!("no such share: {:#}", world.app.status()))
}

fn stop_game(stop: &Path, game: &mut Child) {
    std::fs::write(stop, b"").unwrap();
    wait_child(game, LONG).expect("the game's launch ends");
}

/// `bridgekeeper share APPID --into "Test Tool" --stand-in`, with a tool that
/// was started before the game and looks for the game's process: the tool
/// finds the stand-in, reads the game's counter zero copy, its write reaches
/// /dev/shm; when the game ends, the serve bridge and prefix B's wineserver
/// end too.
#[test]
fn the_share_command_serves_a_tool_started_before_the_game_and_ends_with_it() {
    let Some((world, _b)) = world("sharecli") else {
        return;
    };
    let value: u32 = 0x5_4A2E;
    let mut tool = TestGame::tool(
        &world.wine,
        prefix_b(&world),
        &[
            "--find-exe",
            LIVE_EXE,
            "--wait-ms",
            "60000",
            "--map",
            &map(&world),
            "--write",
            &value.to_string(),
            "--run-ms",
            "4000",
        ],
    );
    // The tool runs, its wineserver with it, before the game starts.
    assert!(
        wait_for(LONG, || (!wineservers_in(prefix_b(&world)).is_empty())
            .then_some(()))
        .is_some()
    );

    let stop = world.root.join("stop-game");
    let mut game = world.run_wrapped(&game_args(&world, &stop), &[]);
    running_session(&world);
    let mut share = world
        .app
        .command()
        .args(["share", &world.steam.appid.to_string(), "--into", TOOL])
        .args(["--stand-in", "--json"])
        .envs(env(&world))
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting bridgekeeper share");
    let mut lines = Output::of(&mut share);
    let serving: Value = serde_json::from_str(&lines.wait_for("\"state\":\"serving\"")).unwrap();
    assert_eq!(serving["target"], TOOL);
    assert_eq!(serving["mappings"][0]["mode"], "shared", "{serving:#}");
    let bridge = serving["bridge_pid"].as_u64().expect("bridge pid") as u32;
    let bridge_env = environ(bridge);
    assert!(
        bridge_env
            .iter()
            .any(|v| v.starts_with("BRIDGEKEEPER_SERVES=")),
        "the serve bridge is marked: {bridge_env:?}"
    );

    let process = tool
        .wait_line(LONG, |l| l.starts_with("process "))
        .expect("the tool looks for the game");
    assert!(
        process.starts_with(&format!("process {LIVE_EXE} pid ")),
        "the stand-in runs in the tool's prefix under the game's name: {process}"
    );
    assert_eq!(
        tool.wait_line(LONG, |l| l.starts_with("tool ")),
        Some(format!("tool opened {}", world.mapping))
    );
    assert!(
        tool.wait_line(LONG, |l| l.starts_with("counter "))
            .is_some(),
        "the tool sees the game's counter move: {:?}",
        tool.seen
    );
    assert!(
        tool.wait_line(LONG, |l| l == format!("echo {value}"))
            .is_some(),
        "the game, in prefix A, echoes what the tool wrote in prefix B: {:?}",
        tool.seen
    );
    assert_eq!(
        u32_at(&world.file(), 8),
        Some(value),
        "the tool's write is in /dev/shm"
    );

    let session = world.session().expect("the session");
    let shown = &session["shares"][0];
    assert_eq!(shown["target"], TOOL, "{session:#}");
    assert_eq!(shown["state"], "serving");
    assert_eq!(shown["stand_in"], LIVE_EXE);
    assert_eq!(shown["mappings"][0]["mode"], "shared");
    let text = world.app.command().arg("status").output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!("shared into {TOOL}")) && text.contains("shared (zero copy)"),
        "{text}"
    );

    assert!(tool.wait(LONG).expect("the tool exits").success());
    stop_game(&stop, &mut game);
    let ended = wait_child(&mut share, LONG).expect("share ends with the session");
    assert!(ended.success(), "{ended}");
    assert!(
        wait_for(Duration::from_secs(3), || (!pid_alive(bridge))
            .then_some(()))
        .is_some(),
        "the serve bridge ends with the session"
    );
    assert_prefix_b_ends(&world, "the share ended with the session");
}

/// The setting "also serve into", applied by the watcher: the share waits
/// while the tool's prefix is idle, serves once the tool starts (after the
/// game), and the stand-in is never taken for the game.
#[test]
fn the_watcher_serves_a_tool_started_after_the_game() {
    let Some((world, _b)) = world("sharewatch") else {
        return;
    };
    serve_into(&world, &[&prefix_b(&world).display().to_string()], true);
    let env = env(&world);
    let env: Vec<(&str, &std::ffi::OsStr)> = env
        .iter()
        .map(|(k, v)| (*k, std::ffi::OsStr::new(v)))
        .collect();
    let watch = world.watcher_with(&env);
    let stop = world.root.join("stop-game");
    let mut game = world.start_game(&game_args(&world, &stop));
    watch.next("attached", LONG).expect("the watcher attaches");
    let waiting = share_when(&world, |s| s["state"] == "waiting");
    assert_eq!(
        waiting["target"], TOOL,
        "the prefix is the tool's: {waiting:#}"
    );
    assert!(
        wineservers_in(prefix_b(&world)).is_empty(),
        "waiting never starts Wine in the tool's prefix"
    );

    let mut tool = TestGame::tool(
        &world.wine,
        prefix_b(&world),
        &[
            "--find-exe",
            LIVE_EXE,
            "--wait-ms",
            "60000",
            "--map",
            &map(&world),
            "--run-ms",
            "1500",
        ],
    );
    let serving = share_when(&world, |s| s["state"] == "serving");
    assert_eq!(serving["mappings"][0]["mode"], "shared", "{serving:#}");
    assert!(
        tool.wait_line(LONG, |l| l.starts_with("counter "))
            .is_some(),
        "the tool sees the game's counter: {:?}",
        tool.seen
    );
    assert!(tool.wait(LONG).expect("the tool exits").success());
    let bridge = serving["bridge_pid"].as_u64().expect("bridge pid") as u32;

    let notices = watch.drain(Duration::from_secs(1));
    assert!(
        !notices
            .iter()
            .any(|n| n["notice"] == "attached" || n["notice"] == "refused"),
        "the stand-in is not taken for the game: {notices:?}"
    );
    stop_game(&stop, &mut game);
    watch.next("ended", LONG).expect("the session ends");
    assert!(
        wait_for(Duration::from_secs(3), || (!pid_alive(bridge))
            .then_some(()))
        .is_some(),
        "the serve bridge ends with the session"
    );
    assert_prefix_b_ends(&world, "the watcher's share ended with the session");
}

/// `bridgekeeper run` applies the setting too. A tool that created the
/// game's section first gets copy mode, reported, and the data still flows;
/// a share into the same prefix through a shortcut whose Proton is another
/// build is refused with the reason.
#[test]
fn run_serves_a_tool_that_made_the_section_first_in_copy_mode_and_a_build_mismatch_is_refused() {
    let Some((world, _b)) = world("sharecopy") else {
        return;
    };
    let other = world.steam.root.join("steamapps/common").join(OTHER_PROTON);
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

    let stop_tool = world.root.join("stop-tool");
    let mut tool = TestGame::tool(
        &world.wine,
        prefix_b(&world),
        &[
            "--create",
            "--map",
            &map(&world),
            "--run-ms",
            "90000",
            "--stop-file",
            &stop_tool.display().to_string(),
        ],
    );
    assert_eq!(
        tool.wait_line(LONG, |l| l.starts_with("tool ")),
        Some(format!("tool created {}", world.mapping))
    );

    serve_into(&world, &[TOOL], false);
    let stop = world.root.join("stop-game");
    let env = env(&world);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut game = world.run_wrapped(&game_args(&world, &stop), &env);
    running_session(&world);
    let share = share_when(&world, |s| s["state"] == "serving");
    let mapping = &share["mappings"][0];
    assert_eq!(mapping["mode"], "copy", "{share:#}");
    assert!(
        mapping["note"]
            .as_str()
            .is_some_and(|n| n.contains("created this section before")),
        "the note says why: {share:#}"
    );
    assert!(
        tool.wait_line(LONG, |l| l.starts_with("counter "))
            .is_some(),
        "the game's data reaches the tool's own section: {:?}",
        tool.seen
    );

    let refused = world
        .app
        .command()
        .args([
            "share",
            &world.steam.appid.to_string(),
            "--into",
            OTHER_TOOL,
        ])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains("version mismatch") && stderr.contains(OTHER_PROTON),
        "the reason names the builds: {stderr}"
    );
    assert_eq!(
        world.session().unwrap()["shares"].as_array().map(Vec::len),
        Some(1),
        "nothing more was started"
    );

    // `share --stop` ends the share while the game runs on.
    let bridge = share["bridge_pid"].as_u64().expect("bridge pid") as u32;
    let stopped = world
        .app
        .command()
        .args(["share", "--stop", &world.steam.appid.to_string()])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&stopped.stdout);
    assert!(stopped.status.success(), "{said}");
    assert!(
        said.contains(&format!("stopped serving Fake Sim into {TOOL}")),
        "{said}"
    );
    assert!(
        wait_for(Duration::from_secs(3), || (!pid_alive(bridge))
            .then_some(()))
        .is_some(),
        "the serve bridge ends on share --stop"
    );
    let session = world.session().expect("the game's session runs on");
    assert_eq!(session["state"], "running");
    assert_eq!(session["shares"], serde_json::json!([]), "{session:#}");

    std::fs::write(&stop_tool, b"").unwrap();
    assert!(tool.wait(LONG).expect("the tool exits").success());
    assert_prefix_b_ends(&world, "nothing of the share is left in prefix B");
    stop_game(&stop, &mut game);
}

/// `bridgekeeper replay FILE --into "Test Tool"`: a capture of the game,
/// played back with no game running, reaches a Windows tool in its own
/// prefix by the section's name, as the game itself would; when the replay
/// ends, its serve bridge and the tool's wineserver end too.
#[test]
fn a_replay_is_served_into_a_tools_prefix_and_ends_with_it() {
    let Some((world, _b)) = world("sharereplay") else {
        return;
    };
    let stop = world.root.join("stop-game");
    let mut game = world.run_wrapped(&game_args(&world, &stop), &[]);
    running_session(&world);
    let capture = world.root.join("game.bkcap");
    let recorded = world
        .app
        .command()
        .args(["record", &world.steam.appid.to_string(), "-o"])
        .arg(&capture)
        .args(["--duration", "2s"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(recorded.status.success(), "{recorded:?}");
    stop_game(&stop, &mut game);

    let mut tool = TestGame::tool(
        &world.wine,
        prefix_b(&world),
        &[
            "--map",
            &map(&world),
            "--wait-ms",
            "60000",
            "--run-ms",
            "4000",
        ],
    );
    let mut replay = world
        .app
        .command()
        .arg("replay")
        .arg(&capture)
        .args(["--loop", "--into", TOOL])
        .envs(env(&world))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting bridgekeeper replay");
    assert_eq!(
        tool.wait_line(LONG, |l| l.starts_with("tool ")),
        Some(format!("tool opened {}", world.mapping)),
        "the tool finds the replayed section by its name"
    );
    assert!(
        tool.wait_line(LONG, |l| l.starts_with("counter "))
            .is_some(),
        "the tool sees the recorded counter move: {:?}",
        tool.seen
    );
    assert!(tool.wait(LONG).expect("the tool exits").success());

    // Ctrl-C ends the replay, and its share with it.
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &replay.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let ended = wait_child(&mut replay, LONG).expect("the replay ends");
    let mut said = String::new();
    std::io::Read::read_to_string(replay.stderr.as_mut().unwrap(), &mut said).unwrap();
    assert!(ended.success(), "{ended}: {said}");
    assert!(said.contains(&format!("also served into {TOOL}")), "{said}");
    assert_prefix_b_ends(&world, "the share ended with the replay");
}
