//! `bridgekeeper stop <appid>`: ends the attach sessions of a game.

use std::process::ExitCode;

use bridgekeeper_sessions::Registry;
use bridgekeeper_sessions::stop::{StopOutcome, stop};

use super::session_view::print_session;

/// Arguments of `bridgekeeper stop`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The game's Steam appid.
    pub appid: u32,
}

/// Asks the bridges to stop and waits for them.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let registry = Registry::for_user();
    registry.check()?;
    let outcomes = stop(&registry, args.appid)?;
    if outcomes.is_empty() {
        eprintln!("bridgekeeper: no running session for appid {}", args.appid);
        return Ok(ExitCode::from(1));
    }
    let mut code = ExitCode::SUCCESS;
    for outcome in outcomes {
        match outcome {
            StopOutcome::Stopped(status) => {
                println!("stopped:");
                print_session(&status);
            }
            StopOutcome::EndsWithGame(record) => {
                eprintln!(
                    "bridgekeeper: {} was started with `bridgekeeper run`; its bridge is the game's parent and \
                     ends with the game. Quit the game to end the session.",
                    record.game
                );
                code = ExitCode::from(1);
            }
            StopOutcome::TimedOut(record) => {
                eprintln!(
                    "bridgekeeper: the bridge of {} did not stop within 10 s",
                    record.game
                );
                code = ExitCode::from(1);
            }
        }
    }
    Ok(code)
}
