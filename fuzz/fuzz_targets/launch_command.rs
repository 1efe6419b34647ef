//! `bridgekeeper run %command%`: finding Proton's call in the command Steam
//! expands, and rewriting it so Proton starts the bridge, which starts the
//! game (`app/src/sessions/steam_command.rs`, `launch.rs`).
//!
//! Input is an argv, one argument per line, plus the environment Steam
//! sets (see [`Input`]); the seeds are real Steam launch commands. Asserts: the parser finds the first Proton call
//! and the first readable `AppId=`, and fails only with the error that
//! fits; `with_bridge` inserts exactly the bridge part between Proton's
//! verb and the game, every original argument kept byte for byte and in
//! order; a launch plan either leaves the command untouched or rewrites it
//! so, and then the bridge (given the command line Wine makes from that
//! argv) accepts it with the profile's mappings, the configured directory,
//! the session's status file and the game's exact command line.

#![no_main]

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bridgekeeper_bridge::args::{self, Request};
use bridgekeeper_bridge::cmdline;
use bridgekeeper_bridge_client::{BridgeFiles, FilesError};
use bridgekeeper_profiles::Catalog;
use bridgekeeper_sessions::attach::{followed_exes, profile_specs};
use bridgekeeper_sessions::config::ConfigError;
use bridgekeeper_sessions::launch::{LaunchPlan, plan};
use bridgekeeper_sessions::steam_command::{CommandError, GAME_VERB, SteamCommand};
use bridgekeeper_sessions::{Registry, SessionConfig};
use fuzz_support::windows_command_line;
use libfuzzer_sys::fuzz_target;

/// Library folder names the game's compatdata may be in: the usual, blanks
/// and quotes, and what a bridge command line cannot carry as it is (a
/// backslash, `..`, invalid UTF-8).
const LIBRARY_NAMES: [&[u8]; 6] = [
    b"SteamLibrary",
    b"Steam Library \"2\"",
    b"games\\steam",
    b"..",
    b"caf\xe9",
    b"\xc3\xbc ber",
];

/// A launch as text, one argument per line (seeds are readable and the
/// fuzzer mutates real command lines). Lines starting with `#` set the
/// environment instead: `#SteamAppId=N`, `#STEAM_COMPAT_APP_ID=N`,
/// `#library=N` (`STEAM_COMPAT_DATA_PATH` in [`LIBRARY_NAMES`]`[N]`), and
/// `#bridge-arg=X` adds X to the bridge arguments given to `with_bridge`.
#[derive(Debug, Default)]
struct Input {
    args: Vec<OsString>,
    bridge_args: Vec<OsString>,
    steam_app_id: Option<OsString>,
    compat_app_id: Option<OsString>,
    library: Option<usize>,
}

impl Input {
    fn decode(data: &[u8]) -> Input {
        let data = data.strip_suffix(b"\n").unwrap_or(data);
        let mut input = Input::default();
        if data.is_empty() {
            return input;
        }
        for line in data.split(|&b| b == b'\n') {
            if let Some(v) = line.strip_prefix(b"#SteamAppId=") {
                input.steam_app_id = Some(os(v));
            } else if let Some(v) = line.strip_prefix(b"#STEAM_COMPAT_APP_ID=") {
                input.compat_app_id = Some(os(v));
            } else if let Some(v) = line.strip_prefix(b"#library=") {
                let n = std::str::from_utf8(v)
                    .ok()
                    .and_then(|v| v.parse::<usize>().ok());
                input.library = Some(n.unwrap_or(0) % LIBRARY_NAMES.len());
            } else if let Some(v) = line.strip_prefix(b"#bridge-arg=") {
                input.bridge_args.push(os(v));
            } else {
                input.args.push(os(line));
            }
        }
        input
    }
}

struct World {
    catalog: Catalog,
    root: PathBuf,
    config: SessionConfig,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("bk-fuzz-launch-{}", std::process::id()));
        let bin = root.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let bridge = BridgeFiles {
            exe: bin.join("bridgekeeper-bridge.exe"),
            dll: bin.join("bcryptprimitives.dll"),
        };
        std::fs::write(&bridge.exe, b"MZ bridge").unwrap();
        std::fs::write(&bridge.dll, b"MZ dll").unwrap();
        let config = SessionConfig {
            registry: Registry::new(&root.join("run")),
            shm_dir: root.join("shm"),
            keep_files: false,
            bridge,
        };
        std::fs::create_dir_all(&config.shm_dir).unwrap();
        World {
            catalog: Catalog::builtin(),
            root,
            config,
        }
    })
}

fn os(bytes: &[u8]) -> OsString {
    // A real argv never holds NUL.
    OsString::from_vec(bytes.iter().copied().filter(|&b| b != 0).collect())
}

/// The parser's expected answer, worked out independently.
fn check_parse(args: &[OsString]) -> Option<SteamCommand> {
    let is_proton = |a: &OsString| Path::new(a).file_name() == Some(OsStr::new("proton"));
    let first_pair = args
        .windows(2)
        .position(|p| is_proton(&p[0]) && p[1] == GAME_VERB);
    let first_appid = args.iter().find_map(|a| {
        let digits = a.as_bytes().strip_prefix(b"AppId=")?;
        std::str::from_utf8(digits).ok()?.parse::<u32>().ok()
    });
    match (SteamCommand::parse(args), first_pair) {
        (Err(CommandError::Empty), _) => assert!(args.is_empty()),
        (Err(CommandError::NoProton), None) => assert!(!args.is_empty()),
        (Err(CommandError::NoGame), Some(p)) => assert_eq!(p + 2, args.len()),
        (Ok(c), Some(p)) => {
            assert_eq!((c.proton, c.game), (p, p + 2));
            assert!(c.game < args.len());
            assert_eq!(c.appid, first_appid);
            assert_eq!(c.game_exe(args), &args[c.game]);
            return Some(c);
        }
        (other, pair) => panic!("parse gave {other:?}; first proton pair at {pair:?}"),
    }
    None
}

/// `rewritten` is `args` with exactly `inserted` placed before the game.
fn check_insertion(args: &[OsString], game: usize, rewritten: &[OsString], inserted: &[OsString]) {
    assert_eq!(rewritten.len(), args.len() + inserted.len());
    assert_eq!(
        &rewritten[..game],
        &args[..game],
        "arguments before the game changed"
    );
    assert_eq!(&rewritten[game..game + inserted.len()], inserted);
    assert_eq!(
        &rewritten[game + inserted.len()..],
        &args[game..],
        "the game's arguments changed"
    );
}

fn check_plan(args: &[OsString], launch: &LaunchPlan, steam: Option<&SteamCommand>, w: &World) {
    assert!(!launch.log.is_empty(), "a plan says what it decided");
    let Some(session) = &launch.session else {
        assert_eq!(
            launch.command, args,
            "an unchanged plan must run the command as given"
        );
        return;
    };
    let steam = steam.expect("rewritten although the command has no Proton call");
    let entry = w
        .catalog
        .by_appid(session.appid)
        .expect("rewritten for an appid without a profile");
    let profile = &entry.profile;
    let inserted_len = launch.command.len() - args.len();
    let inserted = &launch.command[steam.game..steam.game + inserted_len];
    check_insertion(args, steam.game, &launch.command, inserted);
    assert_eq!(
        inserted.last().map(OsString::as_os_str),
        Some(OsStr::new("--"))
    );

    // The bridge sees its own part of the argv as a Windows command line.
    let bridge_part: Vec<&str> = inserted
        .iter()
        .map(|a| {
            a.to_str().unwrap_or_else(|| {
                panic!("bridge argument {a:?} is not UTF-8; Wine would mangle it")
            })
        })
        .collect();
    let game_part: Option<Vec<&str>> = args[steam.game..].iter().map(|a| a.to_str()).collect();
    let Some(game_part) = game_part else {
        return;
    };
    // Wine names the program by its Windows path, which never holds a quote;
    // the bridge skips it anyway.
    let argv: Vec<&str> = std::iter::once("Z:\\bridgekeeper\\bridgekeeper-bridge.exe")
        .chain(bridge_part[1..].iter().copied())
        .chain(game_part.iter().copied())
        .collect();
    let line = windows_command_line(&argv);
    let options = match args::parse(&line) {
        Ok(Request::Run(options)) => *options,
        other => panic!("the bridge refuses the rewritten command {line:?}: {other:?}"),
    };
    assert_eq!(options.mappings, profile_specs(profile));
    assert_eq!(Path::new(&options.dir), w.config.shm_dir);
    assert_eq!(options.nonce, session.nonce);
    let exes: Vec<String> = followed_exes(profile)
        .iter()
        .map(|e| e.to_lowercase())
        .collect();
    assert_eq!(options.wait_for, exes);
    assert_eq!(
        options.status_file.as_deref().map(Path::new),
        Some(session.events_file.as_path())
    );
    let game = options.game.expect("launcher mode has a game");
    assert_eq!(game.program, game_part[0]);
    if !game_part[0].contains('"') && !game_part[0].ends_with('\\') {
        let values: Vec<String> = cmdline::split(&game.command_line)
            .into_iter()
            .map(|t| t.value)
            .collect();
        assert_eq!(values, game_part, "the game's command line changed");
    }
}

fuzz_target!(|data: &[u8]| {
    let w = world();
    let input = Input::decode(data);
    let args = input.args.clone();
    let steam = check_parse(&args);

    if let Some(c) = &steam {
        let bridge = Path::new("/b/bridgekeeper-bridge.exe");
        let extra = &input.bridge_args;
        let rewritten = c.with_bridge(&args, bridge, extra);
        let mut inserted = vec![bridge.as_os_str().to_os_string()];
        inserted.extend(extra.iter().cloned());
        inserted.push("--".into());
        check_insertion(&args, c.game, &rewritten, &inserted);
        let again = SteamCommand::parse(&rewritten).expect("a rewritten command still parses");
        assert_eq!(again.proton, c.proton);
    }

    let compat_data = input.library.map(|i| {
        w.root
            .join(OsStr::from_bytes(LIBRARY_NAMES[i]))
            .join("steamapps/compatdata/1")
    });
    let var = |key: &str| -> Option<OsString> {
        match key {
            "STEAM_COMPAT_DATA_PATH" => compat_data.clone().map(OsString::from),
            "SteamAppId" => input.steam_app_id.clone(),
            "STEAM_COMPAT_APP_ID" => input.compat_app_id.clone(),
            _ => None,
        }
    };
    let without_bridge = plan(
        &args,
        var,
        &w.catalog,
        Err(&ConfigError::Files(FilesError {
            searched: Vec::new(),
        })),
    );
    assert!(without_bridge.session.is_none());
    assert_eq!(without_bridge.command, args);
    let launch = plan(&args, var, &w.catalog, Ok(&w.config));
    check_plan(&args, &launch, steam.as_ref(), w);
});
