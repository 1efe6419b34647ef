//! The command line. Each subcommand lives in its own file and calls the
//! library; nothing here is used by the desktop app except through the
//! library modules.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod attach;
pub mod demo;
mod games;
mod guard;
mod profiles;
mod profiles_detail;
mod record;
pub mod replay;
mod run;
mod run_on_host;
mod session_view;
mod share;
mod signals;
mod status;
mod stop;
mod verify;
mod watch;

/// Bridges Windows games' named shared memory under Proton to /dev/shm.
#[derive(Debug, Parser)]
#[command(name = "bridgekeeper", version, about, long_about = None)]
pub struct Cli {
    /// More log output (-v: debug, -vv: trace). RUST_LOG overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List installed Steam games with their prefix and Proton build.
    Games(games::Args),
    /// List game profiles, show one with its readers, or check a profile
    /// file.
    Profiles(profiles::Args),
    /// Steam launch-option wrapper: set a game's launch options to
    /// `bridgekeeper run %command%` for zero-copy mappings from the first frame.
    Run(run::Args),
    /// Start a bridge for a game that is already running.
    Attach(attach::Args),
    /// Stop the bridge of a game started with `attach` or by the watcher.
    Stop(stop::Args),
    /// Serve a running game's sections into a tool's own prefix (SimHub,
    /// CrewChief …), zero copy, until the game's session ends.
    Share(share::Args),
    /// Show the sessions and their mappings.
    Status(status::Args),
    /// Attach to supported games as they start (no window).
    Watch(watch::Args),
    /// Prove the whole chain in a game's prefix, step by step.
    Verify(verify::Args),
    /// Guard a session's backing files until it ends (started by `run`).
    #[command(hide = true)]
    Guard(guard::Args),
    /// Record a running session's mappings into a capture file, or
    /// describe one (--info FILE).
    Record(record::Args),
    /// Play a capture file into /dev/shm as a session of its own.
    Replay(replay::Args),
    /// Play the built-in demo capture: see everything work without a game.
    Demo(demo::Args),
}

/// Sets up logging to stderr.
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::Games(args)) => games::run(args),
        Some(Command::Profiles(args)) => profiles::run(args),
        Some(Command::Run(args)) => run::run(args),
        Some(Command::Guard(args)) => guard::run(args),
        Some(Command::Attach(args)) => attach::run(args),
        Some(Command::Stop(args)) => stop::run(args),
        Some(Command::Share(args)) => share::run(args),
        Some(Command::Status(args)) => status::run(args),
        Some(Command::Watch(args)) => watch::run(args),
        Some(Command::Verify(args)) => verify::run(args),
        Some(Command::Record(args)) => record::run(args),
        Some(Command::Replay(args)) => replay::run(args),
        Some(Command::Demo(args)) => demo::run(args),
        #[cfg(feature = "gui")]
        None => crate::desktop::run(),
        #[cfg(not(feature = "gui"))]
        None => anyhow::bail!(
            "this build has no desktop app (built without the `gui` feature); \
             use a subcommand (see --help) or rebuild with the default features"
        ),
    }
}
