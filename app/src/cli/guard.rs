//! `bridgekeeper guard SESSION` (hidden): guards a session's backing files
//! until it ends. `bridgekeeper run` starts it just before it becomes the
//! game, since the wrapper's own process is then the game's.

use std::io;
use std::process::{Command, ExitCode, Stdio};

use bridgekeeper_sessions::Registry;
use bridgekeeper_sessions::guard::guard_session;

/// Arguments of `bridgekeeper guard`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The session id (its registry record's name).
    pub session: String,
}

/// Guards the session until it ends; exit code 0 either way (nothing to
/// guard is not an error: another process may guard it).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    guard_session(&Registry::for_user(), &args.session);
    Ok(ExitCode::SUCCESS)
}

/// Starts `bridgekeeper guard SESSION` in the background, in a process
/// group of its own, its output discarded.
pub fn spawn(session: &str) -> io::Result<()> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe()?;
    Command::new(exe)
        .arg("guard")
        .arg(session)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map(drop)
}
