//! `bridgekeeper attach <appid>`: bridge a game that is already running.

use std::process::ExitCode;

use anyhow::Context;
use bridgekeeper_profiles::{Catalog, default_user_dir};
use bridgekeeper_sessions::{SessionConfig, SessionStatus, attach};

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
    let entry = catalog.by_appid(args.appid).with_context(|| {
        format!(
            "no profile for appid {}; `bridgekeeper profiles` lists the supported games, and a profile of \
             your own can go in the user profile directory",
            args.appid
        )
    })?;
    let profile = &entry.profile;
    let Some(game) = attach::find_running(profile, args.appid) else {
        eprintln!(
            "bridgekeeper: {} (appid {}) is not running: no process named {} with a Wine prefix",
            profile.name,
            args.appid,
            attach::followed_exes(profile).join(", ")
        );
        return Ok(ExitCode::from(1));
    };
    let config = SessionConfig::from_env()?;
    let session = attach::attach(&config, profile, &game)?;
    print_session(&SessionStatus::of(&session.record));
    if args.wait {
        let ended = session.wait();
        print_session(&ended);
    } else {
        session.detach();
    }
    Ok(ExitCode::SUCCESS)
}
