//! `bridgekeeper status`: the sessions in the registry.

use std::process::ExitCode;

use std::path::PathBuf;

use bridgekeeper_sessions::{Registry, reader_check, status};

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
    let mut sessions = status::all(&registry);
    // Known readers that fight the bridge (simd in memmap mode), found by
    // their maps of the backing folder.
    let shm_dir = bridgekeeper_sessions::SessionConfig::from_env()
        .map_or_else(|_| PathBuf::from("/dev/shm"), |c| c.shm_dir);
    let (records, _) = registry.list();
    for session in &mut sessions {
        let dir = records
            .iter()
            .find(|r| r.id == session.id)
            .and_then(|r| r.backing_dir.clone())
            .unwrap_or_else(|| shm_dir.clone());
        session.check_readers(&dir);
    }
    let flatpak_steam = bridgekeeper_host::steam_shm::notice(std::path::Path::new("/dev/shm"));
    if args.json {
        println!("{}", serde_json::to_string_pretty(&sessions)?);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(notice) = &flatpak_steam {
        eprintln!("note: {notice}");
    }
    let shown: Vec<u32> = sessions
        .iter()
        .flat_map(|s| s.readers.iter().map(|w| w.process.pid))
        .collect();
    for warning in reader_check::fighting_readers(&shm_dir, &[]) {
        if !shown.contains(&warning.process.pid) {
            println!("WARNING: {warning}");
        }
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
