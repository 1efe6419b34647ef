//! Two prefixes must never write the same `/dev/shm` file: section names are
//! per wineserver, but `/dev/shm` is one directory (docs/wine-behaviour.md,
//! Two prefixes, one /dev/shm).
//! AC and ACC both use `acpmf_physics`, so a second session that wants a
//! file a live session owns is refused.

use std::path::{Path, PathBuf};

use super::registry::same_prefix;
use super::{Registry, SessionRecord};
use bridgekeeper_host::processes;

/// A file already served by another live session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{file} is already bridged for {game} (appid {appid}, prefix {prefix}); two games cannot share it. \
     Stop that session first: bridgekeeper stop {appid}"
)]
pub struct Clash {
    /// The contested file.
    pub file: PathBuf,
    /// The game that holds it.
    pub game: String,
    /// Its appid.
    pub appid: u32,
    /// Its prefix.
    pub prefix: PathBuf,
}

/// True while the session's owner process runs.
///
/// The owner's pid is looked for in the pid namespace it was recorded in:
/// here, or on the host through the host when this is a sandbox (each
/// `flatpak run` has a namespace of its own, so a pid from another one
/// means nothing here). An owner in a namespace that cannot be seen from
/// here is judged by the bridge's nonce instead, which every process of the
/// session carries on its command line (`--nonce <nonce>`) and which looks
/// the same from every namespace.
pub fn is_live(record: &SessionRecord) -> bool {
    let judged = processes::is_alive_in(
        record.owner_pid_namespace,
        record.owner_pid as i32,
        record.owner_start_time,
    );
    judged.unwrap_or_else(|| carries_nonce(&record.nonce))
}

/// True while a host process carries `--nonce <nonce>` on its command line.
pub fn carries_nonce(nonce: &str) -> bool {
    !nonce.is_empty()
        && !processes::carrying(&[std::ffi::OsStr::new("--nonce"), std::ffi::OsStr::new(nonce)])
            .is_empty()
}

/// True while the session's bridge itself runs: a process of ours named
/// like the bridge that carries `--nonce <nonce>`. Not [`carries_nonce`]:
/// the launch that `bridgekeeper run` became (Steam's reaper, Proton's
/// script) carries the whole rewritten command, nonce included, for as
/// long as it waits, so it would keep a bridge that is gone "running".
pub fn bridge_runs(nonce: &str) -> bool {
    !nonce.is_empty()
        && processes::carrying(&[std::ffi::OsStr::new("--nonce"), std::ffi::OsStr::new(nonce)])
            .iter()
            .any(|p| {
                p.exe_name
                    .eq_ignore_ascii_case(bridgekeeper_bridge_client::BRIDGE_EXE)
            })
}

/// The live sessions in the registry that serve files (a session that
/// failed to start serves none).
pub fn live_sessions(registry: &Registry) -> Vec<SessionRecord> {
    registry
        .list()
        .0
        .into_iter()
        .filter(|r| r.failure.is_none() && is_live(r))
        .collect()
}

/// Checks `files` against every live session of another prefix.
pub fn check(registry: &Registry, prefix: &Path, files: &[PathBuf]) -> Result<(), Clash> {
    for record in live_sessions(registry) {
        if same_prefix(&record.prefix, prefix) {
            continue;
        }
        if let Some(mapping) = record.mappings.iter().find(|m| files.contains(&m.file)) {
            return Err(Clash {
                file: mapping.file.clone(),
                game: record.game.clone(),
                appid: record.appid,
                prefix: record.prefix.clone(),
            });
        }
    }
    Ok(())
}
