//! Steam launch commands through `bridgekeeper run`'s planning and real
//! Wine. Every command of the `launch_command` fuzz corpus
//! (`fuzz/corpus/launch_command/`) is planned (`sessions::launch::plan`);
//! the Proton part of each rewritten command then runs, with the test game
//! (`echo-args`) standing in for the game at a path of the same shape. The
//! game reports its command line and its arguments, read both by the C
//! runtime's rules (Rust's standard library) and by Wine's
//! `CommandLineToArgvW`. They must be the original arguments exactly (for
//! valid UTF-8), and the model of Wine that the fuzz target uses as its
//! oracle (`fuzz/src/wine_cmdline.rs`, included here) must predict every
//! code unit, invalid UTF-8 included: this test is what keeps that oracle
//! honest.

#[allow(dead_code)]
#[path = "../fuzz/src/launch_input.rs"]
mod launch_input;
#[allow(dead_code)]
#[path = "../fuzz/src/wine_cmdline.rs"]
mod wine_cmdline;

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bridgekeeper_bridge_client::{BridgeCommand, BridgeFiles};
use bridgekeeper_profiles::Catalog;
use bridgekeeper_protocol::MappingSpec;
use bridgekeeper_sessions::launch::plan;
use bridgekeeper_sessions::steam_command::SteamCommand;
use bridgekeeper_sessions::{Registry, SessionConfig};
use bridgekeeper_testkit::scratch::ScratchDir;
use bridgekeeper_testkit::shm::ShmDir;
use bridgekeeper_testkit::steam::FakeSteam;
use bridgekeeper_testkit::unique_name;
use bridgekeeper_testkit::wine::{Wine, wine};
use bridgekeeper_testkit::world::{LONG, Output, wait_child};
use launch_input::{LIBRARY_NAMES, LaunchInput};
use serde_json::Value;
use wine_cmdline::Wide;

/// The test game's variable for `echo-args` (tests/testgame/src/echo.rs).
const ECHO_ENV: &str = "BRIDGEKEEPER_TESTGAME_ECHO_ARGS";

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/launch_command");
    let mut entries: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    entries.sort();
    entries
}

/// A copy of the test game at a path shaped like `exe` (a Linux path, or a
/// Windows one from a compatibility tool), under `root`.
fn stand_in(wine: &Wine, root: &Path, exe: &OsStr) -> PathBuf {
    let bytes = exe.as_bytes();
    let relative: Vec<u8> = match bytes {
        [_, b':', b'\\', rest @ ..] => rest
            .iter()
            .map(|&b| if b == b'\\' { b'/' } else { b })
            .collect(),
        _ => bytes.strip_prefix(b"/").unwrap_or(bytes).to_vec(),
    };
    let path = root.join("games").join(OsStr::from_bytes(&relative));
    let name = path.file_name().unwrap().to_str().unwrap().to_string();
    wine.game_folder(path.parent().unwrap(), &[&name]);
    path
}

/// Runs `command` to its end; returns its exit code and stdout lines.
fn run(mut command: Command) -> (Option<i32>, String) {
    let shown = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting Proton");
    let stderr = child.stderr.take().expect("piped");
    let errors = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let mut out = Output::of(&mut child);
    let status = wait_child(&mut child, LONG).unwrap_or_else(|| {
        let _ = child.kill();
        panic!("still running after {LONG:?}: {shown}\n{}", out.text())
    });
    let text = format!(
        "{}\n{}\n(command: {shown})",
        out.text(),
        errors.join().unwrap_or_default()
    );
    (status.code(), text)
}

/// What the test game reported: its raw command line, its argv as Rust's
/// standard library reads it, and as `CommandLineToArgvW` does.
struct Echo {
    cmdline: Wide,
    std: Vec<Wide>,
    shell32: Vec<Wide>,
}

fn echo_of(output: &str) -> Option<Echo> {
    let json = output
        .lines()
        .find_map(|l| l.split_once("testgame: echo-args ").map(|(_, j)| j))?;
    let value: Value = serde_json::from_str(json).expect("echo-args prints JSON");
    let units = |v: &Value| -> Wide {
        v.as_array()
            .unwrap()
            .iter()
            .map(|u| u.as_u64().unwrap() as u16)
            .collect()
    };
    let list = |v: &Value| -> Vec<Wide> { v.as_array().unwrap().iter().map(units).collect() };
    Some(Echo {
        cmdline: units(&value["cmdline"]),
        std: list(&value["std"]),
        shell32: list(&value["shell32"]),
    })
}

fn show(args: &[Wide]) -> Vec<String> {
    args.iter().map(|a| String::from_utf16_lossy(a)).collect()
}

/// The environment of a Steam launch of `input` whose compatdata is in
/// `root`'s library folder `library`.
fn compat_data(root: &Path, input: &LaunchInput, prefix: &Path) -> Option<PathBuf> {
    let library = LIBRARY_NAMES[input.library?];
    // One level down, so that the library named `..` stays inside `root`.
    let dir = root
        .join("libraries")
        .join(OsStr::from_bytes(library))
        .join("steamapps/compatdata/1");
    if !dir.join("pfx").exists() {
        std::fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink(prefix, dir.join("pfx")).unwrap();
    }
    Some(dir)
}

#[test]
fn every_corpus_launch_reaches_the_game_with_its_arguments_intact() {
    let Some(wine) = wine() else {
        return;
    };
    let tmp = ScratchDir::new("launch-args");
    let root = tmp.path().to_path_buf();
    let shm = ShmDir::new("launch-args");
    let steam = FakeSteam::new(&root.join("Steam Root"), 1, &wine, &wine.prefix, &[]);
    let config = SessionConfig {
        registry: Registry::new(&root.join("runtime")),
        shm_dir: shm.path().to_path_buf(),
        keep_files: false,
        bridge: BridgeFiles::in_dir(&wine.bin).expect("the bridge is built"),
    };
    let catalog = Catalog::builtin();
    let mut ran = Vec::new();
    for (name, data) in corpus() {
        let input = LaunchInput::decode(&data);
        let compatdata = compat_data(&root, &input, &wine.prefix);
        let var = |key: &str| -> Option<OsString> {
            match key {
                "STEAM_COMPAT_DATA_PATH" => compatdata.clone().map(OsString::from),
                "SteamAppId" => input.steam_app_id.clone(),
                "STEAM_COMPAT_APP_ID" => input.compat_app_id.clone(),
                _ => None,
            }
        };
        let launch = plan(&input.args, var, &catalog, Ok(&config));
        let Some(session) = &launch.session else {
            eprintln!("{name}: not bridged: {}", launch.log[0]);
            continue;
        };
        assert!(session.failure.is_none(), "{name}: {session:?}");
        let steam_command = SteamCommand::parse(&input.args).unwrap();
        let game_at = steam_command.game + launch.command.len() - input.args.len();
        let exe = stand_in(&wine, &root, &input.args[steam_command.game]);
        let game_args = &input.args[steam_command.game + 1..];

        // Proton's part of the rewritten command, with the stand-in.
        let mut command = Command::new(steam.proton.join("proton"));
        command
            .arg("waitforexitandrun")
            .args(&launch.command[steam_command.proton + 2..game_at])
            .arg(&exe)
            .args(game_args)
            .env("STEAM_COMPAT_DATA_PATH", compatdata.as_ref().unwrap())
            .env(ECHO_ENV, "1")
            // Steam runs games in the user's locale; Wine reads arguments
            // in its character set, UTF-8 on any current desktop.
            .env("LC_ALL", "C.UTF-8")
            .env("WINEDEBUG", "-all");
        let (code, output) = run(command);
        let echo = echo_of(&output)
            .unwrap_or_else(|| panic!("{name}: the game did not report:\n{output}"));
        assert_eq!(code, Some(0), "{name}: the game's exit code:\n{output}");

        // The model: Wine converts the Linux argv, writes the command line,
        // and the bridge hands on everything after its `--`.
        let mut linux: Vec<&[u8]> = vec![exe.as_os_str().as_bytes()];
        linux.extend(game_args.iter().map(|a| a.as_bytes()));
        let wide = wine_cmdline::wide_argv(&linux);
        let line = wine_cmdline::tail(&wide);
        assert_eq!(
            String::from_utf16_lossy(&echo.cmdline),
            String::from_utf16_lossy(&line),
            "{name}: the game's command line"
        );
        assert_eq!(echo.cmdline, line, "{name}: the game's command line");
        let predicted = wine_cmdline::split(&line);
        assert_eq!(
            show(&echo.std),
            show(&predicted),
            "{name}: the C runtime's reading"
        );
        assert_eq!(echo.std, predicted, "{name}: the C runtime's reading");
        assert_eq!(
            echo.shell32[1..],
            predicted[1..],
            "{name}: CommandLineToArgvW's reading"
        );
        assert_eq!(
            echo.std[0],
            wine_cmdline::wide(exe.to_str().unwrap()),
            "{name}: argv[0] is the exe path as Steam gave it"
        );
        // The original arguments, exactly, where UTF-8 lets Wine keep them.
        let texts: Option<Vec<&str>> = game_args.iter().map(|a| a.to_str()).collect();
        match texts {
            Some(texts) => {
                let original: Vec<Wide> = texts.iter().map(|t| wine_cmdline::wide(t)).collect();
                assert_eq!(echo.std[1..], original[..], "{name}: the game's arguments");
            }
            None => eprintln!(
                "{name}: invalid UTF-8 {:?} arrived as {:?}",
                game_args
                    .iter()
                    .filter(|a| a.to_str().is_none())
                    .collect::<Vec<_>>(),
                show(&echo.std[1..])
            ),
        }
        eprintln!(
            "{name}: {} argument(s) as predicted, argv[0] {:?}, CommandLineToArgvW argv[0] {:?}",
            game_args.len(),
            String::from_utf16_lossy(&echo.std[0]),
            String::from_utf16_lossy(&echo.shell32[0])
        );
        ran.push(name);
    }
    eprintln!("ran under Wine: {ran:?}");
    for needed in [
        "quoted-args-lmu.txt",
        "unicode-args-rf2.txt",
        "invalid-utf8-args-acc.txt",
        "env-gamemode-mangohud-ams2.txt",
    ] {
        assert!(
            ran.iter().any(|r| r == needed),
            "{needed} was not run: {ran:?}"
        );
    }
    assert!(ran.len() >= 8, "too few commands ran: {ran:?}");
    wine.wineserver_wait();
}

/// Why `bridgekeeper run` leaves a game whose path holds a `"` unbridged:
/// Wine escapes the quote in the bridge's command line, and the bridge's
/// `CreateProcessW` takes the program name only up to it, so the game would
/// not start at all.
#[test]
fn a_game_path_with_a_quote_cannot_be_started_through_the_bridge() {
    let Some(wine) = wine() else {
        return;
    };
    let tmp = ScratchDir::new("quoted-exe");
    let root = tmp.path().to_path_buf();
    let shm = ShmDir::new("quoted-exe");
    let steam = FakeSteam::new(&root.join("Steam Root"), 1, &wine, &wine.prefix, &[]);
    let exe = stand_in(
        &wine,
        &root,
        OsStr::new("/mnt/games/Steam Library \"2\"/AC2-Win64-Shipping.exe"),
    );
    let name = unique_name("quoted");
    std::fs::write(shm.file(&name), vec![0u8; 4096]).unwrap();
    let mut bridge = BridgeCommand::new("wine", wine.bridge_exe(), &wine.prefix);
    bridge.mappings = vec![MappingSpec::parse(&format!("{name}=4096")).unwrap()];
    bridge.dir = shm.path().to_path_buf();
    bridge.existing_files = true;
    bridge.game = Some(vec![exe.clone().into()]);
    let mut command = Command::new(steam.proton.join("proton"));
    command
        .arg("waitforexitandrun")
        .arg(wine.bridge_exe())
        .args(bridge.bridge_args())
        .env("STEAM_COMPAT_DATA_PATH", &steam.compatdata)
        .env(ECHO_ENV, "1")
        .env("WINEDEBUG", "-all");
    let (code, output) = run(command);
    assert!(echo_of(&output).is_none(), "the game started:\n{output}");
    assert!(
        output.contains("game-failed-to-start"),
        "the bridge says why:\n{output}"
    );
    assert_ne!(code, Some(0), "{output}");
    wine.wineserver_wait();
}
