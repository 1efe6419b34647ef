//! `bridgekeeper watch`: attach to supported games as they start, without a
//! window (for a systemd user service, see packaging/systemd).

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;

use parking_lot::RwLock;

use bridgekeeper_profiles::{Catalog, CatalogReloader, default_user_dir};
use bridgekeeper_sessions::SessionConfig;
use bridgekeeper_sessions::events::Refusal;
use bridgekeeper_sessions::settings::Settings;
use bridgekeeper_sessions::watcher::{Notice, Watcher};

use crate::bus::WatchBackend;

use super::session_view::print_session;

/// Arguments of `bridgekeeper watch`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Watches until killed.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = SessionConfig::from_env()?;
    let user_dir = default_user_dir();
    let catalog = Arc::new(RwLock::new(Catalog::load(user_dir.as_deref())));
    let _reload = user_dir
        .as_deref()
        .and_then(|dir| CatalogReloader::start(dir, Arc::clone(&catalog)).ok());
    // The D-Bus interface and notifications (one owner at a time: with the
    // desktop app running too, whichever started first serves).
    let backend = WatchBackend {
        sessions: Ok(config.clone()),
        catalog: Arc::clone(&catalog),
        settings_file: Settings::default_path(),
    };
    let (_service, events) = crate::bus::start(Arc::new(backend), config.registry.clone());
    print_problems(config.registry.clone(), args.json);
    let (sender, notices) = mpsc::channel();
    let mut supervisor = Watcher::new(config, Arc::clone(&catalog), sender);
    std::thread::spawn(move || supervisor.run(&AtomicBool::new(false)));
    eprintln!(
        "bridgekeeper: watching for supported games (Ctrl-C to stop; running bridges end with their games)"
    );
    for notice in notices {
        if let Some(refusal) = Refusal::of_notice(&notice, &catalog.read()) {
            events.refused(refusal);
        }
        if args.json {
            println!("{}", notice_json(&notice));
            continue;
        }
        match notice {
            Notice::Attached { status, game_pid } => {
                println!("attached to {} (pid {game_pid}):", status.game);
                print_session(&status);
            }
            Notice::Refused { game, pid, reason } => {
                println!("not bridging {game} (pid {pid}): {reason}")
            }
            Notice::Adopted(status) => {
                println!("following a session that was already running:");
                print_session(&status);
            }
            Notice::Ended(status) => {
                println!("session ended:");
                print_session(&status);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn notice_json(notice: &Notice) -> serde_json::Value {
    match notice {
        Notice::Attached { status, game_pid } => {
            serde_json::json!({"notice": "attached", "game_pid": game_pid, "session": status})
        }
        Notice::Refused { game, pid, reason } => {
            serde_json::json!({"notice": "refused", "game": game, "pid": pid, "reason": reason})
        }
        Notice::Adopted(status) => serde_json::json!({"notice": "adopted", "session": status}),
        Notice::Ended(status) => serde_json::json!({"notice": "ended", "session": status}),
    }
}

/// Prints each problem the sessions' guards record (a backing file
/// shortened, deleted or replaced), once, as `{"notice": "problem", ...}`
/// with `--json`.
fn print_problems(registry: bridgekeeper_sessions::Registry, json: bool) {
    use bridgekeeper_sessions::events::{SessionEvent, SessionEvents};
    let events = SessionEvents::start(registry);
    std::thread::spawn(move || {
        loop {
            match events.recv_timeout(std::time::Duration::from_secs(3600)) {
                Ok(SessionEvent::MappingProblem(problem)) if json => println!(
                    "{}",
                    serde_json::json!({"notice": "problem", "problem": problem})
                ),
                Ok(SessionEvent::MappingProblem(problem)) => {
                    println!("problem: {problem} {}", problem.fix)
                }
                Ok(_) | Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    });
}
