//! `bridgekeeper stop <appid>`: ends the attach sessions of a game.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::sessions::{Registry, SessionKind, attach, clash, status::SessionStatus};

/// Arguments of `bridgekeeper stop`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The game's Steam appid.
    pub appid: u32,
}

/// Asks the bridges to stop and waits for them.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let registry = Registry::for_user();
    let sessions: Vec<_> = clash::live_sessions(&registry)
        .into_iter()
        .filter(|r| r.appid == args.appid)
        .collect();
    if sessions.is_empty() {
        eprintln!("bridgekeeper: no running session for appid {}", args.appid);
        return Ok(ExitCode::from(1));
    }
    let mut code = ExitCode::SUCCESS;
    for record in sessions {
        if record.kind == SessionKind::Launcher {
            eprintln!(
                "bridgekeeper: {} was started with `bridgekeeper run`; its bridge is the game's parent and ends \
                 with the game. Quit the game to end the session.",
                record.game
            );
            code = ExitCode::from(1);
            continue;
        }
        std::fs::write(attach::stop_file(&registry, &record.id), b"")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while clash::is_live(&record) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if clash::is_live(&record) {
            eprintln!(
                "bridgekeeper: the bridge of {} did not stop within 10 s",
                record.game
            );
            code = ExitCode::from(1);
        } else {
            let status = SessionStatus::of(&record);
            registry.remove(&record.id);
            let _ = std::fs::remove_file(attach::stop_file(&registry, &record.id));
            println!(
                "stopped {} (appid {}): {:?}",
                record.game, record.appid, status.state
            );
        }
    }
    Ok(code)
}
