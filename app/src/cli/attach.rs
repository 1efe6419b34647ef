//! `bridgekeeper attach <appid>`: bridge a game that is already running.

use std::process::ExitCode;

use bridgekeeper_profiles::{Catalog, default_user_dir};
use bridgekeeper_sessions::attach::{self, AttachError};
use bridgekeeper_sessions::{SessionConfig, SessionStatus};

use super::session_view::print_session;

/// Arguments of `bridgekeeper attach`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The game's Steam appid.
    pub appid: u32,
    /// Stay until the session ends, instead of returning once the bridge is
    /// ready (the bridge ends with the game either way).
    #[arg(long)]
    pub wait: bool,
}

/// Finds the running game and starts its bridge.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::load(default_user_dir().as_deref());
    let config = SessionConfig::from_env()?;
    let session = match attach::attach_appid(&config, &catalog, args.appid) {
        Ok(session) => session,
        Err(err @ AttachError::NotRunning { .. }) => {
            eprintln!("bridgekeeper: {err}");
            return Ok(ExitCode::from(1));
        }
        Err(err) => return Err(err.into()),
    };
    print_session(&SessionStatus::of(&session.record));
    if args.wait {
        let ended = session.wait();
        print_session(&ended);
    } else {
        session.detach();
    }
    Ok(ExitCode::SUCCESS)
}
