//! The bridge's command line.

use std::time::Duration;

use bridgekeeper_protocol::{MappingSpec, check_bridge_path, find_duplicate};

use crate::cmdline;

/// Usage text for `--help`.
pub const USAGE: &str = "\
bridgekeeper-bridge: backs a game's named shared memory with files that Linux can mmap

USAGE:
    bridgekeeper-bridge.exe --map NAME=SIZE... [OPTIONS] -- GAME.EXE [ARGS...]   (launcher mode)
    bridgekeeper-bridge.exe --map NAME=SIZE... [OPTIONS]                         (attach mode)
    bridgekeeper-bridge.exe --serve --map NAME=SIZE... [OPTIONS]                 (serve mode)

Launcher mode creates every mapping, then starts the game with its command line,
working directory and environment unchanged, follows it (and the --wait-for exes a
launcher hands over to), and exits with the game's exit code.
Attach mode keeps the mappings alive until the game exes are gone, the stop file
appears or standard input closes; at least one of those must be given.
Serve mode runs in ANOTHER prefix (a telemetry tool's) while a game's session runs:
it creates the same sections on the backing files that session already uses, so the
tool reads and writes the game's own memory. It opens existing files only, and never
creates, zeroes, extends, shortens or removes one; a file shorter than its --map size
fails. If the tool created a section first, the bridge copies the file into it (game
to tool only). It stops like attach mode. The exe may be renamed (e.g. to the game's
exe name, for tools that look for the game's process).

OPTIONS:
    --map NAME=SIZE        A section to create: its exact Win32 name and its size in bytes.
                           Repeat for each mapping. Local\\ and Session\\N\\ prefixes are
                           dropped from the file name; Global\\X is backed by Global/X.
    --dir DIR              Linux directory for the backing files [default: /dev/shm]
    --nonce TOKEN          Echoed on every status line, so a reader knows this run's lines
    --status-file FILE     Also append the status lines to this Linux file
    --wait-for EXE         Follow processes with this exe name (case-insensitive). Repeat.
    --grace-ms MS          Wait this long after the last game process ends [default: 1000]
    --game-timeout-ms MS   Give up when no --wait-for exe shows up in time [default: 30000]
    --stop-file FILE       Attach and serve mode: stop when this Linux file exists
    --stop-on-stdin-close  Attach and serve mode: stop when standard input is closed
    --remove-files         Delete the backing files when the bridge stops (not with --serve)
    --existing-files       Open only backing files that exist (the caller made them, mode 0600);
                           a missing one fails, and no file or Global directory is created.
                           Without it a missing file is created with mode 0600 (Global/ 0700)
                           whatever the umask: Wine creates files in the wineserver, with 0666
                           minus the umask of whoever started it, unless given an owner-only
                           security descriptor, which the bridge passes
    --game-running         Attach mode: a --wait-for exe runs already; if none is found in the
                           first scans (about 0.5 s), stop with reason game-not-found instead
                           of waiting --game-timeout-ms
    --serve                Serve mode (above); implies --existing-files
    --probe TOKEN          Write TOKEN at the start of each mapping from the Windows side, to
                           prove the chain (bridgekeeper verify); not with a game command
    -h, --help             Print this help
    -V, --version          Print the version

Status goes to standard output as one JSON object per line.";

/// Flags that take no value: `--flag=value` is an error for them, never
/// silently the flag alone (`--remove-files=no` must not remove files).
const NO_VALUE: [&str; 8] = [
    "--",
    "--help",
    "--version",
    "--stop-on-stdin-close",
    "--remove-files",
    "--existing-files",
    "--game-running",
    "--serve",
];

/// What the bridge does with its mappings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Creates the mappings, starts the game and follows it.
    Launcher,
    /// Creates the mappings for a game that runs or will run.
    Attach,
    /// Serves the backing files of a running session to another prefix.
    Serve,
}

impl Mode {
    /// The word the `started` status line uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Launcher => "launcher",
            Mode::Attach => "attach",
            Mode::Serve => "serve",
        }
    }
}

/// A fully checked set of options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The mappings to create.
    pub mappings: Vec<MappingSpec>,
    /// Linux directory of the backing files.
    pub dir: String,
    /// Echoed on every status line.
    pub nonce: String,
    /// Linux file that receives a copy of the status lines.
    pub status_file: Option<String>,
    /// Exe names to follow, lower-cased.
    pub wait_for: Vec<String>,
    /// How long to linger after the last followed process ends.
    pub grace: Duration,
    /// How long to wait for a `--wait-for` exe to appear.
    pub game_timeout: Duration,
    /// Linux file whose appearance stops an attach-mode bridge.
    pub stop_file: Option<String>,
    /// Stop an attach-mode bridge when stdin closes.
    pub stop_on_stdin_close: bool,
    /// Delete the backing files on exit.
    pub remove_files: bool,
    /// Open only backing files that exist; create none.
    pub existing_files: bool,
    /// Attach mode: the `wait_for` exes already run, so give up on them
    /// after the first scans instead of `game_timeout`.
    pub game_running: bool,
    /// Serve mode.
    pub serve: bool,
    /// Written at offset 0 of every mapping, for `bridgekeeper verify`.
    pub probe: Option<String>,
    /// Launcher mode: the game to start.
    pub game: Option<GameCommand>,
}

/// The game part of a launcher-mode command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GameCommand {
    /// The program, after quote processing.
    pub program: String,
    /// The game's command line exactly as it followed `--`.
    pub command_line: String,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Run the bridge.
    Run(Box<Options>),
    /// Print the usage text.
    Help,
    /// Print the version.
    Version,
}

/// A command-line mistake, with a sentence on how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

/// Parses the bridge's raw command line (program name included).
pub fn parse(raw: &str) -> Result<Request, UsageError> {
    let tokens = cmdline::split(raw);
    let mut mappings = Vec::new();
    let mut dir = "/dev/shm".to_string();
    let mut nonce = String::new();
    let mut status_file = None;
    let mut wait_for = Vec::new();
    let mut grace = Duration::from_millis(1000);
    let mut game_timeout = Duration::from_millis(30_000);
    let mut stop_file = None;
    let mut stop_on_stdin_close = false;
    let mut remove_files = false;
    let mut existing_files = false;
    let mut game_running = false;
    let mut serve = false;
    let mut probe = None;
    let mut game = None;

    let mut rest = tokens.iter().skip(1);
    while let Some(token) = rest.next() {
        let (flag, inline) = match token.value.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
            _ => (token.value.as_str(), None),
        };
        if let Some(value) = &inline
            && NO_VALUE.contains(&flag)
        {
            return Err(usage(format!("{flag} takes no value; remove \"={value}\"")));
        }
        let mut value = |what: &str| -> Result<String, UsageError> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => rest
                    .next()
                    .map(|t| t.value.clone())
                    .ok_or_else(|| usage(format!("{flag} needs {what}"))),
            }
        };
        match flag {
            "--" => {
                let program = rest.next().ok_or_else(|| {
                    usage("nothing follows --: give the game's exe and its arguments")
                })?;
                game = Some(GameCommand {
                    program: program.value.clone(),
                    command_line: raw[program.start..].to_string(),
                });
                break;
            }
            "-h" | "--help" => return Ok(Request::Help),
            "-V" | "--version" => return Ok(Request::Version),
            "--map" => {
                let spec = value("NAME=SIZE")?;
                mappings.push(MappingSpec::parse(&spec).map_err(|e| usage(format!("--map: {e}")))?);
            }
            "--dir" => dir = linux_path("--dir", value("a directory")?)?,
            "--nonce" => nonce = checked_token("--nonce", value("a token")?)?,
            "--probe" => probe = Some(checked_token("--probe", value("a token")?)?),
            "--status-file" => status_file = Some(linux_path("--status-file", value("a file")?)?),
            "--wait-for" => wait_for.push(exe_name(value("an exe name")?)?),
            "--grace-ms" => grace = millis("--grace-ms", &value("milliseconds")?)?,
            "--game-timeout-ms" => {
                game_timeout = millis("--game-timeout-ms", &value("milliseconds")?)?
            }
            "--stop-file" => stop_file = Some(linux_path("--stop-file", value("a file")?)?),
            "--stop-on-stdin-close" => stop_on_stdin_close = true,
            "--remove-files" => remove_files = true,
            "--existing-files" => existing_files = true,
            "--game-running" => game_running = true,
            "--serve" => serve = true,
            other => {
                return Err(usage(format!(
                    "unknown argument {other:?}; put the game's command after -- (see --help)"
                )));
            }
        }
    }

    if mappings.is_empty() {
        return Err(usage(
            "no --map given: name at least one mapping, e.g. --map acpmf_physics=4096",
        ));
    }
    if let Some(dup) = find_duplicate(mappings.iter().map(|m| &m.name)) {
        return Err(usage(format!("--map: {dup}; give each section once")));
    }
    if probe.is_some() && game.is_some() {
        return Err(usage(
            "--probe writes into the mappings, so it cannot be used with a game command",
        ));
    }
    if serve {
        check_serve(game.is_some(), remove_files, probe.is_some())?;
    }
    if game_running && (game.is_some() || wait_for.is_empty()) {
        return Err(usage(
            "--game-running is for attach mode with --wait-for EXE: it says that exe runs already",
        ));
    }
    if game.is_none() && wait_for.is_empty() && stop_file.is_none() && !stop_on_stdin_close {
        return Err(usage(if serve {
            "serve mode needs a way to stop: --stop-file FILE, --stop-on-stdin-close or --wait-for EXE"
        } else {
            "attach mode needs a way to stop: --wait-for EXE, --stop-file FILE or --stop-on-stdin-close \
             (a bridge that outlives the game keeps Steam showing it as running)"
        }));
    }
    Ok(Request::Run(Box::new(Options {
        mappings,
        dir,
        nonce,
        status_file,
        wait_for,
        grace,
        game_timeout,
        stop_file,
        stop_on_stdin_close,
        remove_files,
        existing_files: existing_files || serve,
        game_running,
        serve,
        probe,
        game,
    })))
}

impl Options {
    /// Launcher, attach or serve mode.
    pub fn mode(&self) -> Mode {
        if self.serve {
            Mode::Serve
        } else if self.game.is_some() {
            Mode::Launcher
        } else {
            Mode::Attach
        }
    }
}

/// Serve mode shares a live session's files: it starts no game and writes
/// into nothing, and the files are the session's to remove.
fn check_serve(game: bool, remove_files: bool, probe: bool) -> Result<(), UsageError> {
    if game {
        return Err(usage(
            "--serve starts no game: remove the command after -- (run the game with its own bridge)",
        ));
    }
    if remove_files {
        return Err(usage(
            "--serve never removes the backing files, which belong to the game's session: drop --remove-files",
        ));
    }
    if probe {
        return Err(usage(
            "--probe writes into the mappings, which in serve mode are a running game's memory: drop it",
        ));
    }
    Ok(())
}

/// An absolute Linux path without `..`, NUL or backslashes (the rule the
/// app checks its paths with, too).
fn linux_path(flag: &str, path: String) -> Result<String, UsageError> {
    if check_bridge_path(&path).is_err() {
        return Err(usage(format!(
            "{flag} {path:?} is not an absolute Linux path without '..' or '\\' (for example /dev/shm)"
        )));
    }
    let trimmed = path.trim_end_matches('/');
    Ok(if trimmed.is_empty() {
        "/".into()
    } else {
        trimmed.into()
    })
}

fn checked_token(flag: &str, token: String) -> Result<String, UsageError> {
    let ok = !token.is_empty()
        && token.len() <= 64
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(token)
    } else {
        Err(usage(format!(
            "{flag} {token:?}: use 1 to 64 letters, digits, '-' or '_'"
        )))
    }
}

fn exe_name(name: String) -> Result<String, UsageError> {
    if name.is_empty() || name.contains(['/', '\\', '\0']) {
        return Err(usage(format!(
            "--wait-for {name:?}: give the exe's file name only, e.g. AMS2AVX.exe"
        )));
    }
    Ok(name.to_lowercase())
}

fn millis(flag: &str, text: &str) -> Result<Duration, UsageError> {
    text.parse::<u32>()
        .map(|ms| Duration::from_millis(ms.into()))
        .map_err(|_| {
            usage(format!(
                "{flag} {text:?} is not a whole number of milliseconds"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &str) -> Options {
        match parse(line) {
            Ok(Request::Run(options)) => *options,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn error(line: &str) -> String {
        match parse(line) {
            Err(UsageError(message)) => message,
            other => panic!("{line}: expected an error, got {other:?}"),
        }
    }

    #[test]
    fn launcher_mode_keeps_the_game_line_verbatim() {
        let line = r#"bridge.exe --map Local\acpmf_physics=4096 --map=$pcars2$=102400 --wait-for AMS2AVX.exe -- "C:\Games\AMS2\AMS2.exe"  -skip "a \"b\"""#;
        let options = run(line);
        assert_eq!(options.mappings.len(), 2);
        assert_eq!(options.mappings[0].name.file_name(), "acpmf_physics");
        assert_eq!(options.mappings[1].size.bytes(), 102_400);
        assert_eq!(options.wait_for, ["ams2avx.exe"]);
        let game = options.game.unwrap();
        assert_eq!(game.program, r"C:\Games\AMS2\AMS2.exe");
        assert_eq!(
            game.command_line,
            r#""C:\Games\AMS2\AMS2.exe"  -skip "a \"b\"""#
        );
    }

    #[test]
    fn attach_mode_options() {
        let options = run(
            "b.exe --map x=1 --dir /tmp/shm/ --nonce n-1 --stop-file /tmp/stop --grace-ms 250 --remove-files",
        );
        assert_eq!(options.dir, "/tmp/shm");
        assert_eq!(options.nonce, "n-1");
        assert_eq!(options.stop_file.as_deref(), Some("/tmp/stop"));
        assert_eq!(options.grace, Duration::from_millis(250));
        assert!(options.remove_files);
        assert!(options.game.is_none());
    }

    #[test]
    fn help_and_version() {
        assert_eq!(parse("b.exe --help"), Ok(Request::Help));
        assert_eq!(parse("b.exe -V"), Ok(Request::Version));
    }

    #[test]
    fn bad_input_is_explained() {
        assert!(error("b.exe").contains("no --map"));
        assert!(error("b.exe --map x=1 --probe t -- g.exe").contains("--probe"));
        assert!(error("b.exe --map x=1 --probe a/b --stop-on-stdin-close").contains("--probe"));
        assert!(error("b.exe --map a/b=4096 --stop-on-stdin-close").contains("'/'"));
        assert!(error("b.exe --map ..x=4096 --stop-on-stdin-close").contains("'..'"));
        assert!(error("b.exe --map =4096 --stop-on-stdin-close").contains("empty"));
        assert!(error("b.exe --map x=0 --stop-on-stdin-close").contains("size 0"));
        assert!(error("b.exe --map x=1073741825 --stop-on-stdin-close").contains("1 GiB"));
        assert!(
            error("b.exe --map x=1 --map Local\\x=2 --stop-on-stdin-close")
                .contains("same section")
        );
        let long = format!("b.exe --map {}=1 --stop-on-stdin-close", "n".repeat(300));
        assert!(error(&long).contains("300 bytes"));
        assert!(error("b.exe --map x=1").contains("needs a way to stop"));
        assert!(error("b.exe --map x=1 --dir relative --stop-on-stdin-close").contains("absolute"));
        assert!(error("b.exe --map x=1 --dir /a/../b --stop-on-stdin-close").contains("'..'"));
        assert!(error("b.exe --map x=1 --nonce a;b --stop-on-stdin-close").contains("--nonce"));
        assert!(error("b.exe --map x=1 --bogus").contains("unknown argument"));
        assert!(error("b.exe --map x=1 --").contains("nothing follows"));
        assert!(error("b.exe --map").contains("needs NAME=SIZE"));
        assert!(error("b.exe --map x=1 --wait-for C:\\a.exe").contains("file name only"));
    }

    #[test]
    fn serve_mode_options() {
        let options = run("AC2-Win64-Shipping.exe --serve --map x=1 --stop-file /tmp/stop");
        assert_eq!(options.mode(), Mode::Serve);
        assert!(options.existing_files, "serve implies --existing-files");
        assert!(!options.remove_files);
        let attach = run("b.exe --map x=1 --existing-files --stop-on-stdin-close");
        assert_eq!(attach.mode(), Mode::Attach);
        assert!(attach.existing_files);
        assert_eq!(run("b.exe --map x=1 -- g.exe").mode(), Mode::Launcher);

        let both = error("b.exe --serve --map x=1 --stop-on-stdin-close --remove-files");
        assert!(both.contains("never removes the backing files"), "{both}");
        assert!(error("b.exe --serve --map x=1 -- g.exe").contains("starts no game"));
        assert!(
            error("b.exe --serve --map x=1 --probe t --stop-on-stdin-close").contains("--probe")
        );
        assert!(error("b.exe --serve --map x=1").contains("serve mode needs a way to stop"));
    }

    #[test]
    fn game_running_needs_an_exe_to_find() {
        let options = run("b.exe --map x=1 --wait-for acs.exe --game-running");
        assert!(options.game_running);
        assert!(
            error("b.exe --map x=1 --game-running --stop-on-stdin-close").contains("--wait-for")
        );
        assert!(
            error("b.exe --map x=1 --wait-for a.exe --game-running -- a.exe")
                .contains("attach mode")
        );
    }

    /// Found by the `bridge_args` fuzz target (crash input shortened): a
    /// value glued to a flag that takes none was dropped, so `--=x` acted
    /// as `--` and `--remove-files=no` removed the files.
    #[test]
    fn flags_without_values_refuse_one() {
        let crash = r#"bridge.exe --map Local\acpmf_physics=4096 --=mpa$pcars2$=102400 --wait-for A.exe -- "C:\Games\AMS2.exe""#;
        assert!(
            error(crash).contains("-- takes no value"),
            "{}",
            error(crash)
        );
        for flag in [
            "--remove-files",
            "--stop-on-stdin-close",
            "--existing-files",
            "--game-running",
            "--serve",
            "--help",
            "--version",
        ] {
            let line = format!("b.exe --map x=1 --stop-on-stdin-close {flag}=no");
            assert!(
                error(&line).contains(&format!("{flag} takes no value")),
                "{line}"
            );
        }
        let inline = run("b.exe --map=x=1 --dir=/tmp --stop-on-stdin-close");
        assert_eq!(inline.dir, "/tmp");
    }
}
