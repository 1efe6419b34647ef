//! The bridge under real Wine: each test starts the real bridge and the test
//! game in a Wine prefix and checks what Linux reads in /dev/shm.

use std::fs::Permissions;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use bridgekeeper_bridge_client::{Readiness, RunningBridge, StopWhen};
use bridgekeeper_protocol::{Event, MappingMode, MappingSpec, StopReason};
use bridgekeeper_testkit::game::TestGame;
use bridgekeeper_testkit::raw_bridge::RawBridge;
use bridgekeeper_testkit::scratch::ScratchDir;
use bridgekeeper_testkit::shm::ShmDir;
use bridgekeeper_testkit::wine::{Wine, kill_wineserver, wine, wine_env};
use bridgekeeper_testkit::{GAME_MAGIC, pattern_byte, unique_name, wait_for};

const READY_TIMEOUT: Duration = Duration::from_secs(30);
const LONG: Duration = Duration::from_secs(30);

/// Starts an attach-mode bridge that stops when its stdin closes.
fn attach_bridge(wine: &Wine, shm: &ShmDir, maps: &[String]) -> (RunningBridge, Readiness) {
    let mut command = wine.bridge(shm.path());
    command.mappings = maps
        .iter()
        .map(|m| MappingSpec::parse(m).unwrap())
        .collect();
    command.stop_when.push(StopWhen::StdinCloses);
    let mut bridge = RunningBridge::start(&command).expect("starting the bridge");
    let readiness = bridge
        .wait_ready(READY_TIMEOUT)
        .expect("the bridge gets ready");
    (bridge, readiness)
}

/// Waits until the counter at offset 4 of `file` moves, and returns two
/// readings.
fn counter_advances(shm: &ShmDir, file: &str) -> (u32, u32) {
    let first =
        wait_for(LONG, || shm.u32_at(file, 4).filter(|&c| c > 0)).expect("the counter starts");
    let second =
        wait_for(LONG, || shm.u32_at(file, 4).filter(|&c| c != first)).expect("the counter moves");
    (first, second)
}

fn stop_reason(bridge: &RunningBridge) -> Option<StopReason> {
    bridge.events().iter().find_map(|e| match e {
        Event::Stopping { reason, .. } => Some(*reason),
        _ => None,
    })
}

#[test]
fn bridge_first_then_game_shares_the_memory() {
    let Some(wine) = wine() else { return };
    let shm = ShmDir::new("shared");
    let name = unique_name("physics");
    let (mut bridge, readiness) = attach_bridge(&wine, &shm, &[format!("Local\\{name}=8192")]);
    assert_eq!(readiness.failed, []);
    assert_eq!(readiness.ready.len(), 1);
    assert_eq!(readiness.ready[0].mode, MappingMode::Shared);
    assert_eq!(readiness.ready[0].file, shm.file(&name));

    let mut game = TestGame::start(
        &wine,
        &["--map", &format!("Local\\{name}=8192"), "--run-ms", "3000"],
    );
    let created = game
        .wait_line(LONG, |l| l.starts_with("mapping "))
        .expect("the game maps");
    assert_eq!(
        created,
        format!("mapping Local\\{name} existed"),
        "the game must find the bridge's section"
    );

    assert_eq!(
        wait_for(LONG, || shm.u32_at(&name, 0).filter(|&m| m == GAME_MAGIC)),
        Some(GAME_MAGIC)
    );
    let (first, second) = counter_advances(&shm, &name);
    assert_ne!(first, second);
    let bytes = shm.read(&name).unwrap();
    assert_eq!(bytes.len(), 8192);
    for offset in [20, 21, 4000, 8191] {
        assert_eq!(
            bytes[offset],
            pattern_byte(offset),
            "pattern byte at {offset}"
        );
    }

    assert!(game.wait(LONG).expect("the game exits").success());
    let status = bridge
        .stop(LONG)
        .expect("the bridge stops when stdin closes");
    assert!(status.success(), "bridge exit: {status}");
    assert_eq!(stop_reason(&bridge), Some(StopReason::StdinClosed));
}

#[test]
fn game_first_then_bridge_falls_back_to_copy_mode() {
    let Some(wine) = wine() else { return };
    let shm = ShmDir::new("copy");
    let name = unique_name("graphics");
    let mut game = TestGame::start(
        &wine,
        &["--map", &format!("{name}=4096"), "--run-ms", "6000"],
    );
    assert_eq!(
        game.wait_line(LONG, |l| l == "running"),
        Some("running".into())
    );

    let (mut bridge, readiness) = attach_bridge(&wine, &shm, &[format!("Local\\{name}=4096")]);
    let ready = &readiness.ready[0];
    assert_eq!(ready.mode, MappingMode::Copy);
    assert!(
        ready
            .note
            .as_deref()
            .unwrap_or_default()
            .contains("bridgekeeper run")
    );

    assert_eq!(
        wait_for(LONG, || shm.u32_at(&name, 0).filter(|&m| m == GAME_MAGIC)),
        Some(GAME_MAGIC)
    );
    let (first, second) = counter_advances(&shm, &name);
    assert_ne!(first, second);
    assert_eq!(shm.read(&name).unwrap()[4095], pattern_byte(4095));

    bridge.stop(LONG).expect("the bridge stops");
    assert!(game.wait(LONG).expect("the game exits").success());
}

#[test]
fn linux_writes_reach_the_game() {
    let Some(wine) = wine() else { return };
    let shm = ShmDir::new("write");
    let name = unique_name("input");
    let (mut bridge, _) = attach_bridge(&wine, &shm, &[format!("{name}=4096")]);
    let mut game = TestGame::start(
        &wine,
        &["--map", &format!("{name}=4096"), "--run-ms", "5000"],
    );
    assert!(game.wait_line(LONG, |l| l == "running").is_some());

    shm.write_u32(&name, 8, 0xC0FFEE);
    assert_eq!(
        wait_for(LONG, || shm.u32_at(&name, 12).filter(|&v| v == 0xC0FFEE)),
        Some(0xC0FFEE),
        "the game echoes what Linux wrote"
    );
    bridge.stop(LONG);
}

#[test]
fn launcher_mode_follows_the_live_exe_and_returns_its_exit_code() {
    let Some(wine) = wine() else { return };
    let shm = ShmDir::new("launcher");
    let name = unique_name("pcars");
    let scratch = ScratchDir::new("game folder with spaces");
    let folder = scratch.path().to_path_buf();
    wine.game_folder(&folder, &["FakeLauncher.exe", "FakeSimAVX.exe"]);
    let launcher = folder.join("FakeLauncher.exe");
    let live = folder.join("FakeSimAVX.exe");

    let mut command = wine.bridge(shm.path());
    command.mappings = vec![MappingSpec::parse(&format!("${name}$=102400")).unwrap()];
    command.wait_for = vec!["FakeSimAVX.exe".into()];
    command
        .env
        .push(("BK_TEST_ENV".into(), "kept as is".into()));
    let game_args: Vec<String> = vec![
        launcher.display().to_string(),
        "launcher".into(),
        "--delay-ms".into(),
        "300".into(),
        "--".into(),
        live.display().to_string(),
        "game".into(),
        "--map".into(),
        format!("${name}$=102400"),
        "--run-ms".into(),
        "1500".into(),
        "--exit-code".into(),
        "7".into(),
    ];
    command.game = Some(game_args.iter().map(Into::into).collect());
    command.working_dir = Some(folder.clone());
    let mut bridge = RunningBridge::start(&command).expect("starting the bridge");

    let readiness = bridge.wait_ready(READY_TIMEOUT).expect("ready");
    assert_eq!(readiness.ready[0].mode, MappingMode::Shared);
    let status = bridge.wait(LONG).expect("the bridge exits after the game");
    assert_eq!(
        status.code(),
        Some(7),
        "the bridge returns the live exe's exit code"
    );

    let events = bridge.events();
    let position = |wanted: &dyn Fn(&Event) -> bool| events.iter().position(wanted);
    let all_ready = position(&|e| matches!(e, Event::AllReady { .. })).expect("all-ready");
    let started = position(&|e| matches!(e, Event::GameStarted { .. })).expect("game-started");
    let following =
        position(&|e| matches!(e, Event::Following { exe, .. } if exe == "FakeSimAVX.exe"))
            .expect("following");
    let launcher_exit = position(
        &|e| matches!(e, Event::ProcessExited { exe, code: 0, .. } if exe == "FakeLauncher.exe"),
    )
    .expect("the launcher exits early");
    let live_exit = position(
        &|e| matches!(e, Event::ProcessExited { exe, code: 7, .. } if exe == "FakeSimAVX.exe"),
    )
    .expect("the live exe exits with 7");
    assert!(
        all_ready < started && started < following && launcher_exit < live_exit,
        "{events:#?}"
    );
    assert_eq!(stop_reason(&bridge), Some(StopReason::GameExited));

    let output = bridge.other_output().join("\n");
    assert!(
        output.contains(&format!("mapping ${name}$ existed")),
        "mapping existed before the game: {output}"
    );
    let expected_line = format!(
        "cmdline \"{}\" game --map ${name}$=102400 --run-ms 1500 --exit-code 7",
        live.display()
    );
    assert!(
        output.contains(&expected_line),
        "arguments reach the game unchanged: {output}"
    );
    assert!(
        output.contains("env BK_TEST_ENV=kept as is"),
        "environment reaches the game: {output}"
    );
    let cwd = format!("cwd Z:{}", folder.display().to_string().replace('/', "\\"));
    assert!(
        output.to_lowercase().contains(&cwd.to_lowercase()),
        "working directory reaches the game ({cwd}): {output}"
    );

    let waited = wine.wineserver_wait();
    assert!(
        waited < Duration::from_secs(3),
        "wineserver -w took {waited:?}: something is left in the prefix"
    );
}

#[test]
fn bridge_exits_within_two_seconds_of_the_last_game_process() {
    let Some(wine) = wine() else { return };
    let shm = ShmDir::new("lifetime");
    let name = unique_name("life");
    let scratch = ScratchDir::new("lifetime");
    let folder = scratch.path().to_path_buf();
    wine.game_folder(&folder, &["LiveGame.exe"]);
    let stop_file = folder.join("stop-game");

    let mut command = wine.bridge(shm.path());
    command.mappings = vec![MappingSpec::parse(&format!("{name}=4096")).unwrap()];
    command.wait_for = vec!["LiveGame.exe".into()];
    let game: Vec<String> = vec![
        folder.join("LiveGame.exe").display().to_string(),
        "game".into(),
        "--map".into(),
        format!("{name}=4096"),
        "--run-ms".into(),
        "60000".into(),
        "--stop-file".into(),
        stop_file.display().to_string(),
    ];
    command.game = Some(game.iter().map(Into::into).collect());
    let mut bridge = RunningBridge::start(&command).expect("starting the bridge");
    bridge.wait_ready(READY_TIMEOUT).expect("ready");
    counter_advances(&shm, &name);

    std::fs::write(&stop_file, b"").unwrap();
    let game_gone = wait_for(LONG, || {
        bridge.next_event(Duration::from_millis(50));
        bridge
            .events()
            .iter()
            .any(|e| matches!(e, Event::ProcessExited { exe, .. } if exe == "LiveGame.exe"))
            .then(Instant::now)
    })
    .expect("the game exits");
    bridge.wait(LONG).expect("the bridge exits");
    let lag = game_gone.elapsed();
    assert!(
        lag < Duration::from_secs(2),
        "the bridge outlived the game by {lag:?}"
    );
    let waited = wine.wineserver_wait();
    assert!(
        waited < Duration::from_secs(3),
        "wineserver -w took {waited:?}"
    );
}

#[test]
fn stale_content_is_zeroed_before_the_game_starts() {
    let Some(wine) = wine() else { return };
    let shm = ShmDir::new("stale");
    let same = unique_name("same");
    let longer = unique_name("longer");
    let shorter = unique_name("shorter");
    std::fs::write(shm.file(&same), vec![0xAB; 4096]).unwrap();
    std::fs::write(shm.file(&longer), vec![0xCD; 10_000]).unwrap();
    std::fs::write(shm.file(&shorter), vec![0xEF; 100]).unwrap();

    let (mut bridge, readiness) = attach_bridge(
        &wine,
        &shm,
        &[
            format!("{same}=4096"),
            format!("{longer}=4096"),
            format!("{shorter}=4096"),
        ],
    );
    assert_eq!(readiness.ready.len(), 3);
    // A longer file keeps its length: a reader may still map its tail, and
    // shrinking it would be SIGBUS there (docs/readers.md).
    for (name, len) in [(&same, 4096), (&longer, 10_000), (&shorter, 4096)] {
        let bytes = shm.read(name).unwrap();
        assert_eq!(bytes.len(), len, "{name} is never shortened");
        assert!(bytes.iter().all(|&b| b == 0), "{name} holds no stale bytes");
    }
    bridge.stop(LONG);
}

#[test]
fn bad_input_fails_clearly_and_creates_no_file() {
    let Some(wine) = wine() else { return };
    let shm = ShmDir::new("bad");
    let long = "n".repeat(300);
    let cases: &[(&[&str], &str)] = &[
        (&["--map", "a/b=4096"], "contains '/'"),
        (&["--map", "..x=4096"], "contains '..'"),
        (&["--map", "Local\\a\\b=4096"], "contains '\\'"),
        (&["--map", "=4096"], "empty"),
        (&["--map", &format!("{long}=4096")], "300 bytes"),
        (&["--map", "x=0"], "size 0"),
        (&["--map", "x=1073741825"], "1 GiB"),
        (
            &["--map", "x=4096", "--map", "Local\\x=4096"],
            "name the same section",
        ),
        (&["--map", "x=4k"], "not a whole number"),
        (&[], "no --map"),
    ];
    for (args, expected) in cases {
        let Output { status, stderr, .. } = wine
            .command(wine.bridge_exe())
            .args(*args)
            .args(["--dir".as_ref(), shm.path().as_os_str()])
            .arg("--stop-on-stdin-close")
            .output()
            .expect("running the bridge");
        let stderr = String::from_utf8_lossy(&stderr);
        assert_eq!(status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: expected {expected:?} in {stderr}"
        );
        assert!(stderr.contains("bridgekeeper-bridge: error:"), "{stderr}");
        assert_eq!(
            shm.entries(),
            Vec::<String>::new(),
            "{args:?} created a file"
        );
    }
}

#[test]
fn thirteen_mappings_like_rfactor_2() {
    let Some(wine) = wine() else { return };
    let shm = ShmDir::new("rf2");
    let tag = unique_name("rf2");
    let buffers = [
        ("Telemetry", 241_680),
        ("Scoring", 75_304),
        ("Rules", 45_264),
        ("MultiRules", 39_788),
        ("ForceFeedback", 16),
        ("Graphics", 272),
        ("PitInfo", 340),
        ("Weather", 632),
        ("Extended", 10_152),
        ("HWControl", 116),
        ("WeatherControl", 628),
        ("RulesControl", 45_264),
        ("PluginControl", 20),
    ];
    let names: Vec<(String, usize)> = buffers
        .iter()
        .map(|(b, size)| (format!("${tag}_{b}$"), *size))
        .collect();
    let maps: Vec<String> = names.iter().map(|(n, s)| format!("{n}={s}")).collect();
    let (mut bridge, readiness) = attach_bridge(&wine, &shm, &maps);
    assert_eq!(readiness.failed, []);
    assert_eq!(readiness.ready.len(), 13);
    assert!(
        readiness
            .ready
            .iter()
            .all(|r| r.mode == MappingMode::Shared)
    );

    let game_args: Vec<String> = maps
        .iter()
        .flat_map(|m| ["--map".to_string(), m.clone()])
        .collect();
    let mut game = TestGame::start(
        &wine,
        &[game_args, vec!["--run-ms".into(), "3000".into()]].concat(),
    );
    assert!(
        game.wait_line(LONG, |l| l == "running").is_some(),
        "{:?}",
        game.seen
    );
    assert_eq!(
        game.seen.iter().filter(|l| l.ends_with(" existed")).count(),
        13,
        "{:?}",
        game.seen
    );
    for (name, size) in &names {
        let bytes = shm.read(name).unwrap();
        assert_eq!(bytes.len(), *size, "{name}");
        if *size >= 20 {
            assert_eq!(
                u32::from_le_bytes(bytes[0..4].try_into().unwrap()),
                GAME_MAGIC,
                "{name}"
            );
        }
        if *size > 20 {
            assert_eq!(
                bytes[size - 1],
                pattern_byte(size - 1),
                "{name}: the last byte"
            );
        }
    }
    counter_advances(&shm, &names[0].0);
    game.wait(LONG);
    bridge.stop(LONG);
}

#[test]
fn global_names_get_a_file_of_their_own() {
    let Some(wine) = wine() else { return };
    let shm = ShmDir::new("global");
    let name = unique_name("ns");
    let (mut bridge, readiness) = attach_bridge(&wine, &shm, &[format!("Global\\{name}=4096")]);
    assert_eq!(
        readiness.ready[0].file,
        shm.path().join("Global").join(&name)
    );

    let mut game = TestGame::start(
        &wine,
        &["--map", &format!("Local\\{name}=4096"), "--run-ms", "1500"],
    );
    let line = game.wait_line(LONG, |l| l.starts_with("mapping ")).unwrap();
    assert_eq!(
        line,
        format!("mapping Local\\{name} created"),
        "Local and Global are different objects"
    );
    game.wait(LONG);
    assert!(
        !Path::new(&shm.file(&name)).exists(),
        "no file for the local name"
    );
    let global = std::fs::read(shm.path().join("Global").join(&name)).unwrap();
    assert!(
        global.iter().all(|&b| b == 0),
        "the game's local section did not land in the Global file"
    );
    bridge.stop(LONG);
}

/// The bridge's arguments for `maps` in `shm`, plus `extra`.
fn raw_args(shm: &ShmDir, maps: &[String], extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = maps
        .iter()
        .flat_map(|m| ["--map".to_string(), m.clone()])
        .collect();
    args.extend(["--dir".to_string(), shm.path().display().to_string()]);
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

#[test]
fn existing_files_opens_only_what_the_linux_side_prepared() {
    let Some(wine) = wine() else { return };
    let shm = ShmDir::new("existing");
    let present = unique_name("present");
    let missing = unique_name("missing");
    std::fs::write(shm.file(&present), vec![0xEE; 4096]).unwrap();
    std::fs::set_permissions(shm.file(&present), Permissions::from_mode(0o600)).unwrap();

    let maps = [
        format!("{present}=4096"),
        format!("{missing}=4096"),
        format!("Global\\{missing}=4096"),
    ];
    let mut bridge = RawBridge::start(
        &wine,
        &wine.prefix,
        &wine.bridge_exe(),
        &raw_args(&shm, &maps, &["--existing-files", "--stop-on-stdin-close"]),
    );
    let setup = bridge.wait_ready(READY_TIMEOUT);
    assert_eq!(setup.ready.len(), 1, "{setup:?}");
    assert_eq!(setup.ready[0].mode, MappingMode::Shared);
    let bytes = shm.read(&present).unwrap();
    assert!(bytes.iter().all(|&b| b == 0), "the prepared file is zeroed");
    assert_eq!(mode_of(&shm.file(&present)), 0o600, "and keeps its mode");

    assert_eq!(setup.failed.len(), 2, "{setup:?}");
    for failed in &setup.failed {
        assert!(
            failed.message.contains("does not exist")
                && failed.message.contains("--existing-files"),
            "{failed:?}"
        );
    }
    assert_eq!(setup.failed[0].error, 2, "file not found");
    // No Global directory: Wine says 2 here too, where Windows says 3.
    assert!(
        matches!(setup.failed[1].error, 2 | 3),
        "{:?}",
        setup.failed[1]
    );
    bridge.stop(LONG).expect("the bridge stops");
    assert_eq!(
        shm.entries(),
        std::slice::from_ref(&present),
        "no file and no Global directory created"
    );
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Wine creates files in the wineserver, with the wineserver's umask: a
/// wineserver started under umask 000 (as a game's may be) would give 0666
/// files. The bridge's own files are 0600, its Global directory 0700.
#[test]
fn files_the_bridge_creates_are_private_whatever_the_umask() {
    let Some(wine) = wine() else { return };
    let shm = ShmDir::new("private");
    let name = unique_name("private");
    kill_wineserver(&wine.prefix);
    wine.wineserver_wait();
    // A constant script, no input: start the prefix's wineserver with umask 0.
    let status = wine_env(
        Command::new("sh").args(["-c", "umask 000 && exec wineserver -p 2"]),
        &wine.prefix,
    )
    .status()
    .expect("starting a wineserver");
    assert!(status.success());

    let maps = [format!("{name}=4096"), format!("Global\\{name}=4096")];
    let mut bridge = RawBridge::start(
        &wine,
        &wine.prefix,
        &wine.bridge_exe(),
        &raw_args(&shm, &maps, &["--stop-on-stdin-close"]),
    );
    let setup = bridge.wait_ready(READY_TIMEOUT);
    assert_eq!(setup.ready.len(), 2, "{setup:?}");
    assert_eq!(mode_of(&shm.file(&name)), 0o600);
    assert_eq!(mode_of(&shm.path().join("Global")), 0o700);
    assert_eq!(mode_of(&shm.path().join("Global").join(&name)), 0o600);
    bridge.stop(LONG).expect("the bridge stops");
    // The next tests want a wineserver that ends as soon as its programs do.
    kill_wineserver(&wine.prefix);
}

/// The Linux side attaches to a game it saw running; if it is gone by the
/// time the bridge looks, the bridge must not linger for --game-timeout-ms.
#[test]
fn an_attach_bridge_whose_game_is_gone_stops_at_once() {
    let Some(wine) = wine() else { return };
    let shm = ShmDir::new("gone");
    let name = unique_name("gone");
    let mut bridge = RawBridge::start(
        &wine,
        &wine.prefix,
        &wine.bridge_exe(),
        &raw_args(
            &shm,
            &[format!("{name}=4096")],
            &["--wait-for", "GoneGame.exe", "--game-running"],
        ),
    );
    let started = bridge.windows_pid(READY_TIMEOUT).map(|_| Instant::now());
    let status = bridge.wait(LONG).expect("the bridge exits");
    let total = bridge.spawned.elapsed();
    let after_started = started.expect("a started line").elapsed();
    eprintln!(
        "game gone: bridge exited {total:?} after spawn, {after_started:?} after its started line"
    );
    assert!(status.success(), "{status}");
    assert!(
        bridge.events.iter().any(|e| matches!(
            e,
            Event::Stopping {
                reason: StopReason::GameNotFound,
                ..
            }
        )),
        "{:?}",
        bridge.events
    );
    assert!(
        total < Duration::from_secs(5),
        "the bridge took {total:?} to give up on a game that is gone"
    );
    // Issue #15: until the bridge exits, Steam shows the game as running.
    assert!(
        after_started < Duration::from_secs(2),
        "the bridge exited {after_started:?} after its started line; it must within 2 s"
    );
}
