//! One run of the bridge, from the first mapping to the last status line.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bridgekeeper_protocol::{Event, MappingMode, PROTOCOL_VERSION, StopReason};

use super::copier::Copier;
use super::files::Missing;
use super::follow::{Follower, SCAN_INTERVAL};
use super::mapping::{self, Mapping};
use super::{WinError, process, serve};
use crate::args::{GameCommand, Mode, Options};
use crate::paths;
use crate::status::Status;

/// With `--game-running`, how long a `--wait-for` exe may take to show in
/// the process list: two scans, for a game the caller saw start a moment
/// before Wine lists it.
const GAME_RUNNING_SETTLE: Duration = SCAN_INTERVAL.saturating_mul(2);

/// Runs the bridge; returns its exit code.
pub fn run(options: &Options, status: &Status) -> u32 {
    status.emit(Event::Started {
        version: env!("CARGO_PKG_VERSION").to_string(),
        protocol: PROTOCOL_VERSION,
        pid: std::process::id(),
        mode: options.mode().as_str().to_string(),
        dir: options.dir.clone(),
    });
    let mappings = create_all(options, status);
    let copier = Copier::start(&mappings);

    let (reason, code) = match &options.game {
        Some(game) => launch(game, options, status),
        None if mappings.is_empty() => (StopReason::NothingToServe, 1),
        None => attach(options, status),
    };

    drop(copier);
    let files: Vec<String> = if options.existing_files {
        // The caller made every file, also those of mappings that failed
        // here: they would stay in /dev/shm until logout.
        options
            .mappings
            .iter()
            .map(|spec| paths::join(&options.dir, &spec.name.file_name()))
            .collect()
    } else {
        mappings.iter().map(|m| m.file_path.clone()).collect()
    };
    drop(mappings);
    // Serve mode's files are another session's (the parser refuses the pair).
    if options.remove_files && options.mode() != Mode::Serve {
        for file in files {
            let _ = std::fs::remove_file(paths::to_wine(&file));
        }
    }
    status.emit(Event::Stopping {
        reason,
        exit_code: code,
    });
    code
}

fn create_all(options: &Options, status: &Status) -> Vec<Mapping> {
    let mut mappings = Vec::new();
    let mut failed = 0;
    let missing = if options.existing_files {
        Missing::Fail
    } else {
        Missing::Create
    };
    for spec in &options.mappings {
        let created: Result<Mapping, WinError> = match options.mode() {
            Mode::Serve => serve::create(spec, &options.dir),
            Mode::Launcher | Mode::Attach => mapping::create(spec, &options.dir, missing),
        };
        match created {
            Ok(m) => {
                if let Some(token) = &options.probe {
                    m.write_probe(token.as_bytes());
                }
                status.emit(Event::Ready {
                    name: spec.name.win32().to_string(),
                    file: m.file_path.clone(),
                    size: m.size,
                    mode: m.mode,
                    note: m.note.map(str::to_string),
                });
                mappings.push(m);
            }
            Err(err) => {
                failed += 1;
                status.emit(Event::Failed {
                    name: spec.name.win32().to_string(),
                    error: err.code,
                    message: err.message,
                });
            }
        }
    }
    let copy = mappings
        .iter()
        .filter(|m| m.mode == MappingMode::Copy)
        .count();
    let shared = mappings.len() - copy;
    status.emit(if failed == 0 {
        Event::AllReady { shared, copy }
    } else {
        Event::SetupIncomplete {
            shared,
            copy,
            failed,
        }
    });
    mappings
}

/// Launcher mode: start the game, follow it and its live exes, and return
/// the game's exit code once they are all gone.
fn launch(game: &GameCommand, options: &Options, status: &Status) -> (StopReason, u32) {
    let child = match process::start(&game.program, &game.command_line) {
        Ok(child) => child,
        Err(err) => {
            status.emit(Event::GameFailedToStart {
                error: err.code,
                message: err.message,
            });
            return (StopReason::GameFailedToStart, 1);
        }
    };
    status.emit(Event::GameStarted {
        pid: child.pid,
        command: game.command_line.clone(),
    });
    let mut follower = Follower::new(&options.wait_for);
    follower.track(child);
    let reason = follow_until_gone(&mut follower, options, status, || None);
    let code = follower.last_live_exit.or(follower.last_exit).unwrap_or(0);
    (reason, code)
}

/// Attach and serve mode: keep the mappings until the game (or whatever
/// `--wait-for` names) is gone, or a stop request.
fn attach(options: &Options, status: &Status) -> (StopReason, u32) {
    let stdin_closed = Arc::new(AtomicBool::new(false));
    if options.stop_on_stdin_close {
        let flag = Arc::clone(&stdin_closed);
        std::thread::spawn(move || {
            let mut sink = std::io::sink();
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut sink);
            flag.store(true, Ordering::Relaxed);
        });
    }
    let stop_file = options.stop_file.as_deref().map(paths::to_wine);
    let stop_requested = || {
        if stdin_closed.load(Ordering::Relaxed) {
            return Some(StopReason::StdinClosed);
        }
        match &stop_file {
            Some(path) if std::fs::metadata(path).is_ok() => Some(StopReason::StopRequested),
            _ => None,
        }
    };
    let mut follower = Follower::new(&options.wait_for);
    (
        follow_until_gone(&mut follower, options, status, stop_requested),
        0,
    )
}

/// Steps the follower until every game process has been gone for the grace
/// period (or never showed up in time), or `stop` says why to stop.
fn follow_until_gone(
    follower: &mut Follower,
    options: &Options,
    status: &Status,
    stop: impl Fn() -> Option<StopReason>,
) -> StopReason {
    let waits_for_games = !options.wait_for.is_empty() || options.game.is_some();
    loop {
        if let Some(reason) = stop() {
            return reason;
        }
        follower.step(status);
        if !waits_for_games {
            continue;
        }
        let Some(gone_for) = follower.gone_for() else {
            continue;
        };
        let expecting_live_exe = !options.wait_for.is_empty() && !follower.seen_live;
        let limit: Duration = match (expecting_live_exe, options.game_running) {
            (true, true) => GAME_RUNNING_SETTLE,
            (true, false) => options.game_timeout,
            (false, _) => options.grace,
        };
        if gone_for >= limit {
            return if expecting_live_exe {
                StopReason::GameNotFound
            } else {
                StopReason::GameExited
            };
        }
    }
}
