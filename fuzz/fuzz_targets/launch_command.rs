//! `bridgekeeper run %command%`: finding Proton's call in the command Steam
//! expands, and rewriting it so Proton starts the bridge, which starts the
//! game (`app/src/sessions/steam_command.rs`, `launch.rs`).
//!
//! Input is an argv, one argument per line, plus the environment Steam
//! sets (`fuzz_support::launch_input`); the seeds are real Steam launch
//! commands. Asserts: the parser finds the first Proton call and the first
//! readable `AppId=`, and fails only with the error that fits;
//! `with_bridge` inserts exactly the bridge part between Proton's verb and
//! the game, every original argument kept byte for byte and in order; a
//! launch plan either leaves the command untouched or rewrites it so, and
//! then the bridge accepts it with the profile's mappings, the configured
//! directory and the session's status file, and the game receives exactly
//! its arguments.
//!
//! What the game receives is worked out by a model of Wine that does not
//! share code with the bridge (`fuzz_support::wine_cmdline`, checked
//! against real Wine on this corpus by `tests/launch_args.rs`): Wine turns
//! the rewritten argv into the bridge's command line, the bridge (the code
//! under test) cuts the game's part out of it and starts the game with it,
//! and the game's C runtime splits that. Every input counts, quotes,
//! backslashes and invalid UTF-8 included: the game must get what it would
//! get if Proton started it without the bridge, and, for valid UTF-8,
//! exactly the original arguments.

#![no_main]

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bridgekeeper_bridge::args::{self, Request};
use bridgekeeper_bridge_client::{BridgeFiles, FilesError};
use bridgekeeper_profiles::Catalog;
use bridgekeeper_sessions::attach::{followed_exes, profile_specs};
use bridgekeeper_sessions::config::ConfigError;
use bridgekeeper_sessions::launch::{LaunchPlan, plan};
use bridgekeeper_sessions::steam_command::{CommandError, GAME_VERB, SteamCommand};
use bridgekeeper_sessions::{Registry, SessionConfig};
use fuzz_support::launch_input::{LIBRARY_NAMES, LaunchInput};
use fuzz_support::wine_cmdline::{self, Wide};
use libfuzzer_sys::fuzz_target;

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

    // The bridge's own arguments must reach it unchanged: Wine would turn
    // invalid UTF-8 into U+FFFD.
    for a in &inserted[1..] {
        assert!(
            a.to_str().is_some(),
            "bridge argument {a:?} is not UTF-8; Wine would mangle it"
        );
    }
    let game_args = &args[steam.game..];
    // Past the last argument Wine reads memory no one wrote when that
    // argument ends in a cut UTF-8 sequence: nothing to predict.
    if !wine_cmdline::argv_is_well_formed(&[game_args[game_args.len() - 1].as_bytes()]) {
        return;
    }
    // The argv Wine starts the bridge with: its Windows path first.
    let mut argv: Vec<&[u8]> = vec![b"Z:\\bridgekeeper\\bridgekeeper-bridge.exe"];
    argv.extend(inserted[1..].iter().map(|a| a.as_bytes()));
    argv.extend(game_args.iter().map(|a| a.as_bytes()));
    let wide = wine_cmdline::wide_argv(&argv);
    let line = String::from_utf16_lossy(&wine_cmdline::command_line(&wide));
    let options = match args::parse(&line) {
        Ok(Request::Run(options)) => *options,
        other => panic!("the bridge refuses the rewritten command {line:?}: {other:?}"),
    };
    assert_eq!(options.mappings, profile_specs(profile));
    assert_eq!(Path::new(&options.dir), w.config.shm_dir);
    assert_eq!(options.nonce, session.nonce);
    assert!(options.existing_files, "the files were prepared for it");
    assert!(!options.game_running, "it starts the game itself");
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

    // The game's view: its C runtime splits the command line the bridge
    // gave it.
    let received = wine_cmdline::split(&wine_cmdline::wide(&game.command_line));
    let game_wide = &wide[wide.len() - game_args.len()..];
    // Its program: the bridge starts it by that name, so it must be the
    // exe exactly (the plan leaves a command with an exe Windows cannot
    // start this way unchanged).
    let exe = game_args[0]
        .to_str()
        .expect("a rewritten command's exe is UTF-8");
    assert_eq!(game.program, exe);
    assert_eq!(received[0], wine_cmdline::wide(exe), "the game's argv[0]");
    // Its arguments: what Wine would give it without the bridge...
    let direct = wine_cmdline::split(&wine_cmdline::command_line(&wine_cmdline::wide_argv(
        &game_args.iter().map(|a| a.as_bytes()).collect::<Vec<_>>(),
    )));
    assert_eq!(
        received[1..],
        direct[1..],
        "the bridge changed the game's arguments: {:?}",
        game.command_line
    );
    assert_eq!(received[1..], game_wide[1..]);
    // ...which for valid UTF-8 are the original arguments exactly.
    if let Some(texts) = game_args[1..]
        .iter()
        .map(|a| a.to_str())
        .collect::<Option<Vec<&str>>>()
    {
        let original: Vec<Wide> = texts.iter().map(|t| wine_cmdline::wide(t)).collect();
        assert_eq!(received[1..], original[..], "the game's arguments changed");
    }
}

fuzz_target!(|data: &[u8]| {
    let w = world();
    let input = LaunchInput::decode(data);
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
