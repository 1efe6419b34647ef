//! `bridgekeeper verify <appid>`: proves the chain in a game's prefix.

use std::path::PathBuf;
use std::process::ExitCode;

use bridgekeeper_profiles::{Catalog, default_user_dir};
use bridgekeeper_sessions::{SessionConfig, verify};
use bridgekeeper_steam::{DiscoveryOptions, discover};

/// Arguments of `bridgekeeper verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The game's Steam appid.
    pub appid: u32,
    /// Use only this Steam directory (the one holding steamapps/).
    #[arg(long, value_name = "DIR", env = "STEAM_DIR")]
    pub steam_dir: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs the check and prints each step.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut options = DiscoveryOptions::from_env();
    options.steam_dir_override = args.steam_dir.clone();
    let discovery = discover(&options);
    let catalog = Catalog::load(default_user_dir().as_deref());
    let config = SessionConfig::from_env()?;
    let report = verify::verify(args.appid, &catalog, &discovery, &config);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for step in &report.steps {
            println!(
                "{} {:<22} {}",
                if step.ok { "ok  " } else { "FAIL" },
                step.step,
                step.detail
            );
        }
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
