//! Serve mode under real Wine, with two prefixes: prefix A runs a game
//! session (an attach bridge and the test game writing its counter), prefix
//! B stands for a telemetry tool's own prefix, where a serve bridge creates
//! the same sections on the same /dev/shm files and the test game, as a
//! tool, opens them by name.

use std::path::Path;
use std::time::Duration;

use bridgekeeper_bridge_client::{RunningBridge, StopWhen};
use bridgekeeper_protocol::{Event, MappingMode, MappingSpec, StopReason};
use bridgekeeper_testkit::game::TestGame;
use bridgekeeper_testkit::raw_bridge::RawBridge;
use bridgekeeper_testkit::scratch::ScratchDir;
use bridgekeeper_testkit::shm::ShmDir;
use bridgekeeper_testkit::wine::{Wine, wine, wineserver_wait_in};
use bridgekeeper_testkit::{GAME_MAGIC, unique_name, wait_for};

const LONG: Duration = Duration::from_secs(30);
/// How long `wineserver -w` may take once everything in a prefix has
/// ended (Wine keeps its wineserver a moment for the next program).
const WINESERVER_DONE: Duration = Duration::from_secs(3);

/// Prefix A: a bridge (first, so shared mode) and the game writing its
/// counter into `map`.
fn game_session(wine: &Wine, shm: &ShmDir, map: &str) -> (RunningBridge, TestGame) {
    let mut command = wine.bridge(shm.path());
    command.mappings = vec![MappingSpec::parse(map).unwrap()];
    command.stop_when.push(StopWhen::StdinCloses);
    let mut bridge = RunningBridge::start(&command).expect("starting the game's bridge");
    let readiness = bridge
        .wait_ready(LONG)
        .expect("the game's bridge gets ready");
    assert_eq!(readiness.ready[0].mode, MappingMode::Shared);
    let mut game = TestGame::start(wine, &["--map", map, "--run-ms", "60000"]);
    assert!(
        game.wait_line(LONG, |l| l == "running").is_some(),
        "{:?}",
        game.seen
    );
    (bridge, game)
}

/// Prefix B: `exe` (the bridge, perhaps renamed) in serve mode.
fn serve_bridge(wine: &Wine, prefix: &Path, exe: &Path, shm: &ShmDir, maps: &[&str]) -> RawBridge {
    let mut args: Vec<String> = vec!["--serve".into()];
    for map in maps {
        args.extend(["--map".into(), map.to_string()]);
    }
    args.extend([
        "--dir".into(),
        shm.path().display().to_string(),
        "--stop-on-stdin-close".into(),
    ]);
    RawBridge::start(wine, prefix, exe, &args)
}

/// Stops the serve bridge and checks it said why and left nothing running
/// in its prefix.
fn stop_serving(serve: &mut RawBridge, prefix: &Path) {
    let status = serve.stop(LONG).expect("the serve bridge stops");
    assert!(status.success(), "serve bridge exit: {status}");
    assert!(
        serve.events.iter().any(|e| matches!(
            e,
            Event::Stopping {
                reason: StopReason::StdinClosed,
                exit_code: 0
            }
        )),
        "{:?}",
        serve.events
    );
    let waited = wineserver_wait_in(prefix);
    assert!(
        waited < WINESERVER_DONE,
        "wineserver -w in the tool's prefix took {waited:?}: something kept it alive"
    );
    eprintln!("wineserver -w in the tool's prefix took {waited:?} after the serve bridge stopped");
}

#[test]
fn a_tool_in_another_prefix_shares_the_game_pages_both_ways() {
    let Some(wine) = wine() else { return };
    let prefix_b = wine.second_prefix();
    let shm = ShmDir::new("serve");
    let name = unique_name("physics");
    let map = format!("Local\\{name}=8192");
    let (mut game_bridge, game) = game_session(&wine, &shm, &map);

    let mut serve = serve_bridge(&wine, prefix_b, &wine.bridge_exe(), &shm, &[&map]);
    assert_eq!(serve.started_mode(LONG).as_deref(), Some("serve"));
    let setup = serve.wait_ready(LONG);
    assert_eq!(setup.failed, []);
    assert_eq!(setup.ready.len(), 1);
    assert_eq!(setup.ready[0].mode, MappingMode::Shared);
    assert_eq!(setup.ready[0].note, None);
    assert_eq!(setup.ready[0].size, 8192);
    assert_eq!(setup.ready[0].file, shm.file(&name));

    let value: u32 = 0x5E_17E;
    let stop_tool = shm.path().join("stop-tool");
    let mut tool = TestGame::tool(
        &wine,
        prefix_b,
        &[
            "--map",
            &map,
            "--write",
            &value.to_string(),
            "--run-ms",
            "60000",
            "--stop-file",
            &stop_tool.display().to_string(),
        ],
    );
    assert_eq!(
        tool.wait_line(LONG, |l| l.starts_with("tool ")),
        Some(format!("tool opened {}", map.split('=').next().unwrap())),
        "the tool opens the section by name in its own prefix"
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
        "the game, in prefix A, echoes what the tool wrote: {:?}",
        tool.seen
    );
    assert_eq!(
        shm.u32_at(&name, 8),
        Some(value),
        "the tool's write is in the file"
    );
    assert_eq!(
        shm.u32_at(&name, 12),
        Some(value),
        "the game's echo is in the file"
    );

    std::fs::write(&stop_tool, b"").unwrap();
    assert!(tool.wait(LONG).expect("the tool exits").success());
    stop_serving(&mut serve, prefix_b);

    let bytes = shm.read(&name).expect("serve mode never removes the file");
    assert_eq!(bytes.len(), 8192, "serve mode never resizes the file");
    assert_eq!(
        u32::from_le_bytes(bytes[0..4].try_into().unwrap()),
        GAME_MAGIC
    );
    let (first, second) = (shm.u32_at(&name, 4), {
        std::thread::sleep(Duration::from_millis(100));
        shm.u32_at(&name, 4)
    });
    assert_ne!(first, second, "the game's session runs on in prefix A");

    game_bridge.stop(LONG);
    drop(game);
}

#[test]
fn a_tool_that_created_the_section_first_gets_a_copy_of_the_game_data() {
    let Some(wine) = wine() else { return };
    let prefix_b = wine.second_prefix();
    let shm = ShmDir::new("servecopy");
    let name = unique_name("graphics");
    let map = format!("{name}=4096");
    let (mut game_bridge, game) = game_session(&wine, &shm, &map);

    let value: u32 = 0xD1_5C0;
    let mut tool = TestGame::tool(
        &wine,
        prefix_b,
        &[
            "--create",
            "--map",
            &map,
            "--write",
            &value.to_string(),
            "--run-ms",
            "8000",
        ],
    );
    assert_eq!(
        tool.wait_line(LONG, |l| l.starts_with("tool ")),
        Some(format!("tool created {name}")),
        "the tool makes the section before the serve bridge"
    );

    let mut serve = serve_bridge(&wine, prefix_b, &wine.bridge_exe(), &shm, &[&map]);
    let setup = serve.wait_ready(LONG);
    assert_eq!(setup.failed, []);
    let ready = &setup.ready[0];
    assert_eq!(ready.mode, MappingMode::Copy, "reported as copy mode");
    let note = ready.note.as_deref().unwrap_or_default();
    assert!(
        note.contains("game to tool only") && note.contains("created this section before"),
        "the note says which way and why: {note}"
    );

    assert!(
        tool.wait_line(LONG, |l| l.starts_with("counter "))
            .is_some(),
        "the game's data reaches the tool's own section: {:?}",
        tool.seen
    );
    // The tool keeps writing `value`, but only the file's bytes flow.
    for _ in 0..20 {
        assert_ne!(
            shm.u32_at(&name, 8),
            Some(value),
            "a tool write leaked to the game"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(tool.wait(LONG).expect("the tool exits").success());
    assert!(
        !tool.seen.iter().any(|l| l.starts_with("echo ")),
        "copy mode is one way: {:?}",
        tool.seen
    );
    stop_serving(&mut serve, prefix_b);
    game_bridge.stop(LONG);
    drop(game);
}

#[test]
fn a_renamed_bridge_stands_in_for_the_game_in_the_tools_prefix() {
    let Some(wine) = wine() else { return };
    let prefix_b = wine.second_prefix();
    let shm = ShmDir::new("standin");
    let name = unique_name("standin");
    // What the Linux side prepares: the session's file, 0600.
    std::fs::write(shm.file(&name), vec![0u8; 4096]).unwrap();
    let scratch = ScratchDir::new("standin");
    let folder = scratch.path().to_path_buf();
    let exe_name = "AC2-Win64-Shipping.exe";
    let stand_in = wine.bridge_as(&folder, exe_name);

    let map = format!("{name}=4096");
    let mut serve = serve_bridge(&wine, prefix_b, &stand_in, &shm, &[&map]);
    let pid = serve.windows_pid(LONG).expect("started");
    let setup = serve.wait_ready(LONG);
    assert_eq!(setup.ready.len(), 1, "{setup:?}");
    assert_eq!(setup.ready[0].mode, MappingMode::Shared);

    let value: u32 = 0xAC2;
    let mut tool = TestGame::tool(
        &wine,
        prefix_b,
        &[
            "--find-exe",
            exe_name,
            "--map",
            &map,
            "--write",
            &value.to_string(),
            "--run-ms",
            "1000",
        ],
    );
    assert!(tool.wait(LONG).expect("the tool exits").success());
    assert!(
        tool.seen.contains(&format!("process {exe_name} pid {pid}")),
        "the tool sees the stand-in by the game's exe name: {:?}",
        tool.seen
    );
    assert!(
        tool.seen.contains(&format!("tool opened {name}")),
        "{:?}",
        tool.seen
    );
    assert_eq!(
        wait_for(LONG, || shm.u32_at(&name, 8).filter(|&v| v == value)),
        Some(value),
        "the tool writes the file itself"
    );
    stop_serving(&mut serve, prefix_b);
}

#[test]
fn serve_mode_refuses_missing_and_short_files_and_never_touches_them() {
    let Some(wine) = wine() else { return };
    let prefix_b = wine.second_prefix();
    let shm = ShmDir::new("serverefuse");
    let short = unique_name("short");
    let missing = unique_name("missing");
    let fine = unique_name("fine");
    std::fs::write(shm.file(&short), vec![0xAB; 100]).unwrap();
    std::fs::write(shm.file(&fine), vec![0xCD; 6000]).unwrap();
    let before = |name: &str| std::fs::read(shm.file(name)).unwrap();
    let (short_before, fine_before) = (before(&short), before(&fine));

    // --remove-files would delete a running session's files: refused.
    let output = wine
        .command_in(prefix_b, wine.bridge_exe())
        .args([
            "--serve",
            "--remove-files",
            "--stop-on-stdin-close",
            "--map",
        ])
        .arg(format!("{fine}=4096"))
        .arg("--dir")
        .arg(shm.path())
        .output()
        .expect("running the bridge");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--serve never removes the backing files"),
        "{stderr}"
    );

    let maps = [
        format!("{short}=4096"),
        format!("{missing}=4096"),
        format!("{fine}=4096"),
        format!("Global\\{missing}=4096"),
    ];
    let maps: Vec<&str> = maps.iter().map(String::as_str).collect();
    let mut serve = serve_bridge(&wine, prefix_b, &wine.bridge_exe(), &shm, &maps);
    let setup = serve.wait_ready(LONG);
    assert_eq!(setup.ready.len(), 1, "{setup:?}");
    assert_eq!(setup.ready[0].name, fine);
    assert_eq!(
        setup.ready[0].size, 6000,
        "the section gets the file's size"
    );
    assert_eq!(setup.failed.len(), 3, "{setup:?}");
    let failed = |name: &str| {
        setup
            .failed
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no failed line for {name}: {setup:?}"))
    };
    let too_short = failed(&short);
    assert_eq!(too_short.error, 0);
    assert!(
        too_short
            .message
            .contains("is 100 bytes, shorter than the 4096 bytes")
            && too_short.message.contains("never extends"),
        "{}",
        too_short.message
    );
    let absent = failed(&missing);
    assert_eq!(absent.error, 2, "{}", absent.message);
    assert!(
        absent.message.contains("does not exist"),
        "{}",
        absent.message
    );
    assert!(
        failed(&format!("Global\\{missing}"))
            .message
            .contains("does not exist")
    );
    stop_serving(&mut serve, prefix_b);

    assert_eq!(before(&short), short_before, "the short file is untouched");
    assert_eq!(
        before(&fine),
        fine_before,
        "the served file is never zeroed"
    );
    assert_eq!(
        shm.entries(),
        {
            let mut names = vec![fine.clone(), short.clone()];
            names.sort();
            names
        },
        "no file and no Global directory created"
    );
}
