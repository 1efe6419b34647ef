//! The bridge's command line: the Windows command-line tokenizer and the
//! option parser (`bridge/src/cmdline.rs`, `bridge/src/args.rs`), and the
//! app's side that writes it (`BridgeCommand::bridge_args`).
//!
//! Input is text: the first line is a raw command line, further lines are
//! an argv to quote the way Wine does (seeds: the bridge command lines of
//! the tests and of real launches).
//!
//! Asserts: tokens are in order, separated only by blanks, their offsets
//! lie on character boundaries, and each token's own text re-reads to the
//! same value; any argv quoted the way Wine quotes it splits back into
//! exactly that argv; whatever the parser accepts obeys its rules (a
//! mapping, distinct sections, absolute paths without `..` or `\`, tokens
//! of letters, digits, `-` and `_`, the game's command line copied byte for
//! byte from the raw line); and whatever the bridge accepts, the app's
//! `BridgeCommand` writes back out so that the bridge reads exactly the
//! same options again.

#![no_main]

use std::ffi::OsString;
use std::path::PathBuf;

use bridgekeeper_bridge::args::{self, Options, Request};
use bridgekeeper_bridge::cmdline;
use bridgekeeper_bridge_client::{BridgeCommand, StopWhen};
use bridgekeeper_protocol::find_duplicate;
use fuzz_support::{quotable_program, windows_command_line};
use libfuzzer_sys::fuzz_target;

/// The bridge's options that take a value.
const TAKES_VALUE: [&str; 9] = [
    "--map",
    "--dir",
    "--nonce",
    "--probe",
    "--status-file",
    "--wait-for",
    "--grace-ms",
    "--game-timeout-ms",
    "--stop-file",
];

fn check_tokens(raw: &str) {
    let tokens = cmdline::split(raw);
    let mut last_end = 0;
    for (i, t) in tokens.iter().enumerate() {
        assert!(t.start <= t.end && t.end <= raw.len(), "{t:?}");
        assert!(
            raw.is_char_boundary(t.start) && raw.is_char_boundary(t.end),
            "{t:?}"
        );
        assert!(
            raw[last_end..t.start]
                .bytes()
                .all(|b| b == b' ' || b == b'\t'),
            "token {t:?} follows non-blank text"
        );
        if i > 0 {
            assert!(t.end > t.start, "empty token {t:?}");
            let again = cmdline::split(&format!("p {}", &raw[t.start..t.end]));
            assert_eq!(again.len(), 2, "{t:?} re-split into {again:?}");
            assert_eq!(again[1].value, t.value);
        }
        last_end = t.end;
    }
    assert!(raw[last_end..].bytes().all(|b| b == b' ' || b == b'\t'));
}

fn check_quoting(argv: &[String]) {
    let argv: Vec<String> = argv.iter().map(|a| a.replace('\0', "")).collect();
    if argv.first().is_none_or(|p| !quotable_program(p)) {
        return;
    }
    let line = windows_command_line(&argv);
    let values: Vec<String> = cmdline::split(&line).into_iter().map(|t| t.value).collect();
    assert_eq!(values, argv, "quoted as {line:?}");
}

fn linux_path_ok(path: &str) -> bool {
    path.starts_with('/') && !path.contains(['\0', '\\']) && !path.split('/').any(|p| p == "..")
}

fn token_ok(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 64
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn check_accepted(raw: &str, options: &Options) {
    assert!(!options.mappings.is_empty());
    assert!(find_duplicate(options.mappings.iter().map(|m| &m.name)).is_none());
    for path in std::iter::once(&options.dir)
        .chain(&options.status_file)
        .chain(&options.stop_file)
    {
        assert!(linux_path_ok(path), "accepted path {path:?}");
    }
    assert!(options.nonce.is_empty() || token_ok(&options.nonce));
    assert!(options.probe.as_ref().is_none_or(|p| token_ok(p)));
    for exe in &options.wait_for {
        assert!(!exe.is_empty() && !exe.contains(['/', '\\', '\0']));
        assert_eq!(exe, &exe.to_lowercase());
    }
    assert!(!(options.probe.is_some() && options.game.is_some()));
    // `--flag=value` is accepted only for options that take a value: an
    // ignored `--remove-files=no` would do the opposite of what it says.
    let options_end = options
        .game
        .as_ref()
        .map_or(raw.len(), |g| raw.len() - g.command_line.len());
    let tokens = cmdline::split(raw);
    let mut rest = tokens.iter().skip(1).take_while(|t| t.start < options_end);
    while let Some(token) = rest.next() {
        match token.value.split_once('=') {
            Some((flag, _)) if flag.starts_with("--") => assert!(
                TAKES_VALUE.contains(&flag),
                "{:?} accepted with a value it ignores",
                token.value
            ),
            _ if TAKES_VALUE.contains(&token.value.as_str()) => {
                rest.next();
            }
            _ => {}
        }
    }
    match &options.game {
        Some(game) => assert!(raw.ends_with(&game.command_line)),
        None => assert!(
            !options.wait_for.is_empty()
                || options.stop_file.is_some()
                || options.stop_on_stdin_close
        ),
    }
}

/// Writes `options` back out with the app's `BridgeCommand`, quotes the
/// argv as Wine does, and checks the bridge reads the same options again.
fn check_round_trip(raw: &str, options: &Options) {
    let mut command = BridgeCommand::new("wine", "/b/bridgekeeper-bridge.exe", "/pfx");
    command.mappings = options.mappings.clone();
    command.dir = PathBuf::from(&options.dir);
    // The app always sends a nonce; the bridge's default is none.
    let nonce = if options.nonce.is_empty() {
        "n"
    } else {
        options.nonce.as_str()
    };
    command.nonce = nonce.to_string();
    command.wait_for = options.wait_for.clone();
    if let Some(file) = &options.stop_file {
        command.stop_when.push(StopWhen::FileAppears(file.into()));
    }
    if options.stop_on_stdin_close {
        command.stop_when.push(StopWhen::StdinCloses);
    }
    command.grace = Some(options.grace);
    command.game_timeout = Some(options.game_timeout);
    command.remove_files = options.remove_files;
    command.status_file = options.status_file.as_ref().map(PathBuf::from);
    command.probe = options.probe.clone();
    // The game's argv as the bridge's own tokenizer saw it.
    let game: Option<Vec<String>> = options.game.as_ref().map(|g| {
        let program_at = raw.len() - g.command_line.len();
        let mut argv = vec![g.program.clone()];
        argv.extend(
            cmdline::split(raw)
                .into_iter()
                .filter(|t| t.start > program_at)
                .map(|t| t.value),
        );
        argv
    });
    command.game = game
        .as_ref()
        .map(|g| g.iter().map(OsString::from).collect());

    let mut argv = vec!["C:\\bridgekeeper\\bridgekeeper-bridge.exe".to_string()];
    // Flags that `BridgeCommand` does not write (yet); their place in the
    // line does not matter, as long as it is before `--`.
    for (set, flag) in [
        (options.serve, "--serve"),
        (options.existing_files, "--existing-files"),
        (options.game_running, "--game-running"),
    ] {
        if set {
            argv.push(flag.to_string());
        }
    }
    argv.extend(
        command
            .bridge_args()
            .into_iter()
            .map(|a| a.into_string().expect("UTF-8 in, UTF-8 out")),
    );
    let line = windows_command_line(&argv);
    let again = match args::parse(&line) {
        Ok(Request::Run(again)) => *again,
        other => panic!("the bridge refused the app's command line {line:?}: {other:?}"),
    };
    check_accepted(&line, &again);
    let expected = Options {
        nonce: nonce.to_string(),
        game: None,
        ..options.clone()
    };
    assert_eq!(
        Options {
            game: None,
            ..again.clone()
        },
        expected,
        "via {line:?}"
    );
    match (&again.game, &game) {
        (None, None) => {}
        (Some(parsed), Some(game)) => {
            assert_eq!(parsed.program, game[0]);
            // The game's own C runtime reads its command line with the
            // program-name rule for the first argument.
            let values: Vec<String> = cmdline::split(&parsed.command_line)
                .into_iter()
                .map(|t| t.value)
                .collect();
            if quotable_program(&game[0]) && !game[0].ends_with('\\') {
                assert_eq!(
                    &values[1..],
                    &game[1..],
                    "game line {:?}",
                    parsed.command_line
                );
            }
        }
        other => panic!("game command lost or invented: {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let raw = lines.next().unwrap_or_default();
    let argv: Vec<String> = lines.map(str::to_string).collect();
    check_tokens(raw);
    check_tokens(&text);
    check_quoting(&argv);
    check_tokens(&windows_command_line(&argv));
    if let Ok(Request::Run(options)) = args::parse(raw) {
        check_accepted(raw, &options);
        check_round_trip(raw, &options);
    }
});
