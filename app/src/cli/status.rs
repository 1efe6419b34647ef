//! `bridgekeeper status`: the sessions in the registry.

use std::process::ExitCode;

use bridgekeeper_sessions::{Registry, status};

use super::session_view::print_session;

/// Arguments of `bridgekeeper status`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Prints every session and its mappings.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let registry = Registry::for_user();
    // A registry folder that is not ours is refused, by name, with the fix.
    registry.check()?;
    let sessions = status::all(&registry);
    let flatpak_steam = bridgekeeper_host::steam_shm::notice(std::path::Path::new("/dev/shm"));
    if args.json {
        println!("{}", serde_json::to_string_pretty(&sessions)?);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(notice) = &flatpak_steam {
        eprintln!("note: {notice}");
    }
    if sessions.is_empty() {
        println!(
            "No sessions. Start a supported game, or run `bridgekeeper watch` to attach automatically."
        );
        return Ok(ExitCode::SUCCESS);
    }
    for session in &sessions {
        print_session(session);
    }
    Ok(ExitCode::SUCCESS)
}
