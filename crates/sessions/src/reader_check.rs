//! Known readers that will fight the bridge, found before they do.
//!
//! Failure mode: simd in its default memmap mode creates, truncates, zeroes
//! and deletes the Kunos, Madness and RaceRoom files in `/dev/shm` as if
//! they were its own. Started next to a bridged game it breaks the session
//! (the guard, [`super::guard`], then reports each blow); the user is better
//! told before the game starts. Its command line does not tell the mode
//! reliably: simapi a5d7a04 up to at least 87a5a7e parses `--nomemmap` and
//! never applies it.
//!
//! Design: look for processes whose `comm` is a known reader's and read
//! their maps: a file of the backing folder mapped with write permission
//! (`-w-s`, `rw-s`) is memmap mode, whatever the command line says; only
//! read-only maps (`r--s`) is a reader that leaves the files alone, and
//! memmap mode maps its files as it starts, so a reader that maps nothing
//! there leaves them alone too. Done on demand (`status`, `verify`, the panels'
//! refresh), never on a timer.

use std::path::{Path, PathBuf};

use bridgekeeper_profiles::ReaderCatalog;
use serde::Serialize;

use super::file_users::{self, FileUser};

/// A running reader that will fight (or fights) the bridge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReaderWarning {
    /// The process.
    pub process: FileUser,
    /// The catalog's name for it.
    pub name: String,
    /// Files of the backing folder it maps with write permission.
    pub files: Vec<PathBuf>,
    /// What it will do and what to do, in sentences.
    pub message: String,
}

impl std::fmt::Display for ReaderWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The running known readers that fight game files in `dir`: the files
/// known readers open, and the files `also` (sessions' backing files).
pub fn fighting_readers(dir: &Path, also: &[PathBuf]) -> Vec<ReaderWarning> {
    let catalog = ReaderCatalog::builtin();
    file_users::readers_running(dir, also)
        .into_iter()
        .filter_map(|(process, mapped)| {
            let reader = catalog.get(process.reader.as_deref()?)?;
            if !reader.fights() {
                return None;
            }
            // memmap mode maps its files at start-up, writable; a reader
            // that maps nothing here (yet) leaves them alone.
            if !process.writable {
                return None;
            }
            let names: Vec<String> = mapped
                .iter()
                .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect();
            let what = format!(
                "{} (pid {}) maps {} with write permission: it truncates, zeroes and deletes \
                 those files, and with them a bridged game's pages.",
                reader.name,
                process.pid,
                names.join(", ")
            );
            Some(ReaderWarning {
                message: format!("{what} {}", reader.fix),
                name: reader.name.clone(),
                files: mapped,
                process,
            })
        })
        .collect()
}
