//! A share as stored in the registry: `<id>.share` beside the session
//! records (JSON, written atomically), read by `status` and the desktop app.
//!
//! Failure mode: a share record left by a process that died would show a
//! share that no longer exists, and a `.json` name would be read as a
//! session. So share records have their own extension, name the process
//! that keeps them (pid, start time, pid namespace), and are skipped (and
//! removed) once that process is gone.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use bridgekeeper_host::files::write_atomic;
use bridgekeeper_host::owned_files::{self, is_plain_name};
use bridgekeeper_protocol::MappingMode;
use serde::{Deserialize, Serialize};

use crate::Registry;
use crate::registry::RegistryError;

/// The extension of share records.
const EXTENSION: &str = "share";

/// The largest share record read.
const MAX_BYTES: u64 = 256 * 1024;

/// Where a share is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum ShareState {
    /// The tool's wineserver is not running: serving starts when it does.
    Waiting,
    /// The serve bridge is setting up the sections.
    Starting,
    /// The sections exist in the tool's prefix.
    Serving,
    /// The tool's wineserver cannot be joined; tried again when it
    /// restarts.
    Refused {
        /// Why, in a sentence that says what to do.
        reason: String,
    },
}

impl std::fmt::Display for ShareState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShareState::Waiting => f.write_str("waiting for the tool's prefix to start"),
            ShareState::Starting => f.write_str("starting"),
            ShareState::Serving => f.write_str("serving"),
            ShareState::Refused { reason } => write!(f, "refused: {reason}"),
        }
    }
}

/// One section served into the tool's prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareMapping {
    /// Win32 name.
    pub name: String,
    /// `shared` (the tool's section is the game's pages, zero copy) or
    /// `copy` (the tool created the name first: the game's bytes are copied
    /// into its section, one way).
    pub mode: Option<MappingMode>,
    /// The bridge's note, e.g. why copy mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Why it failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A share of a game's session into a tool's prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRecord {
    /// Unique id; also the file name.
    pub id: String,
    /// The session served (its registry id).
    pub session: String,
    /// The game's appid.
    pub appid: u32,
    /// The game's name.
    pub game: String,
    /// The target as shown (the tool's name, or its prefix).
    pub target: String,
    /// The tool's prefix.
    pub prefix: PathBuf,
    /// What it does now.
    #[serde(flatten)]
    pub state: ShareState,
    /// The sections, with the mode each got.
    pub mappings: Vec<ShareMapping>,
    /// The stand-in's exe name, when one runs in the tool's prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stand_in: Option<String>,
    /// Linux pid of the serve bridge, while it runs.
    pub bridge_pid: Option<u32>,
    /// The process that keeps the share (and ends it with the session).
    pub owner_pid: u32,
    /// Its start time, against pid reuse.
    pub owner_start_time: u64,
    /// Its pid namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_pid_namespace: Option<u64>,
    /// Unix time the share started.
    pub started_at: u64,
}

impl ShareRecord {
    /// True while the process that keeps the share runs.
    pub fn is_live(&self) -> bool {
        bridgekeeper_host::processes::is_alive_in(
            self.owner_pid_namespace,
            self.owner_pid as i32,
            self.owner_start_time,
        )
        .unwrap_or(true)
    }
}

fn file_of(registry: &Registry, id: &str) -> PathBuf {
    registry.dir().join(format!("{id}.{EXTENSION}"))
}

/// Writes a share record atomically.
pub fn save(registry: &Registry, record: &ShareRecord) -> Result<(), RegistryError> {
    if !is_plain_name(OsStr::new(&record.id)) {
        return Err(RegistryError::Id(record.id.clone()));
    }
    registry.ensure()?;
    let write = |source| RegistryError::Write {
        dir: registry.dir().to_path_buf(),
        source,
    };
    let json = serde_json::to_vec_pretty(record).map_err(|e| write(e.into()))?;
    write_atomic(&file_of(registry, &record.id), &json).map_err(write)
}

/// Removes a share record and its stop, events and log files.
pub fn remove(registry: &Registry, id: &str) {
    if !is_plain_name(OsStr::new(id)) {
        return;
    }
    let _ = std::fs::remove_file(file_of(registry, id));
    registry.remove(id);
}

/// The live shares in the registry, oldest first. Records whose keeper is
/// gone are removed.
pub fn list(registry: &Registry) -> Vec<ShareRecord> {
    if !matches!(registry.check(), Ok(true)) {
        return Vec::new();
    }
    let Ok(entries) = std::fs::read_dir(registry.dir()) else {
        return Vec::new();
    };
    let mut shares: Vec<ShareRecord> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension() == Some(OsStr::new(EXTENSION)))
        .filter_map(|p| read(&p))
        .filter(|r| {
            let live = r.is_live();
            if !live {
                remove(registry, &r.id);
            }
            live
        })
        .collect();
    shares.sort_by(|a, b| (a.started_at, &a.id).cmp(&(b.started_at, &b.id)));
    shares
}

fn read(path: &Path) -> Option<ShareRecord> {
    let bytes = owned_files::read_regular(path, MAX_BYTES).ok()?;
    let record: ShareRecord = serde_json::from_slice(&bytes).ok()?;
    (path.file_stem() == Some(OsStr::new(&record.id))).then_some(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_listed_and_dropped_with_their_keeper() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(dir.path());
        let me = std::process::id();
        let mut record = ShareRecord {
            id: "share-7-n".into(),
            session: "7-n".into(),
            appid: 7,
            game: "Sim".into(),
            target: "SimHub".into(),
            prefix: "/c/9/pfx".into(),
            state: ShareState::Serving,
            mappings: vec![ShareMapping {
                name: "page".into(),
                mode: Some(MappingMode::Copy),
                note: Some("created first".into()),
                error: None,
            }],
            stand_in: None,
            bridge_pid: Some(5),
            owner_pid: me,
            owner_start_time: bridgekeeper_host::process_info::start_time(me as i32).unwrap(),
            owner_pid_namespace: None,
            started_at: 1,
        };
        save(&registry, &record).unwrap();
        assert_eq!(list(&registry), [record.clone()]);
        assert!(registry.list().1.is_empty(), "not read as a session record");
        let json =
            std::fs::read_to_string(dir.path().join("bridgekeeper/sessions/share-7-n.share"))
                .unwrap();
        assert!(json.contains("\"state\": \"serving\""), "{json}");
        record.owner_start_time += 1;
        save(&registry, &record).unwrap();
        assert_eq!(list(&registry), [], "its keeper is gone");
        assert!(
            !dir.path()
                .join("bridgekeeper/sessions/share-7-n.share")
                .exists(),
            "and the record removed"
        );
    }
}
