//! A session as stored in the registry, and the checks every path in it
//! passes before it is used.
//!
//! A record names files that Bridgekeeper opens, writes and removes: its
//! events file, the backing files, the bridge's log. A record that could
//! name any path would let whoever wrote it steer those operations, so each
//! path must be the one Bridgekeeper itself would have chosen: the events
//! file lies in the registry or in the game's compatdata folder and is
//! named after the session, a backing file is its mapping's file in the
//! recorded backing folder. A record that fails is left alone (and reported
//! by [`super::Registry::list`]).

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

use bridgekeeper_host::owned_files::{FileId, is_plain_name};
use bridgekeeper_protocol::{MappingMode, MappingName, MappingSpec};
use serde::{Deserialize, Serialize};

/// How a session's bridge was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionKind {
    /// `bridgekeeper run %command%`: the bridge starts the game.
    Launcher,
    /// The watcher or `bridgekeeper attach` joined a running game.
    Attach,
    /// `bridgekeeper replay` (or `demo`) plays a capture into the files.
    Replay,
}

impl std::fmt::Display for SessionKind {
    /// `launcher`, `attach` or `replay`, as in the registry's JSON.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SessionKind::Launcher => "launcher",
            SessionKind::Attach => "attach",
            SessionKind::Replay => "replay",
        })
    }
}

/// One mapping of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionMapping {
    /// Win32 name.
    pub name: String,
    /// Backing file.
    pub file: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Shared or copy, once the bridge reported it.
    pub mode: Option<MappingMode>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// Device of the backing file when the session prepared it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<u64>,
    /// Inode of the backing file when the session prepared it: only that
    /// file is ever removed for the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inode: Option<u64>,
}

impl SessionMapping {
    /// The mappings of a session about to start: `specs` with their backing
    /// `files`, no mode yet.
    pub fn pending(specs: &[MappingSpec], files: &[PathBuf]) -> Vec<SessionMapping> {
        specs
            .iter()
            .zip(files)
            .map(|(spec, file)| SessionMapping {
                name: spec.name.win32().to_string(),
                file: file.clone(),
                size: spec.size.bytes(),
                mode: None,
                error: None,
                dev: None,
                inode: None,
            })
            .collect()
    }

    /// The file this mapping's session prepared, when the record says.
    pub fn file_id(&self) -> Option<FileId> {
        Some(FileId {
            dev: self.dev?,
            ino: self.inode?,
        })
    }
}

/// A session as stored on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// Unique id; also the file name.
    pub id: String,
    /// Steam appid.
    pub appid: u32,
    /// The game's display name.
    pub game: String,
    /// Profile id.
    pub profile: String,
    /// Launcher or attach.
    pub kind: SessionKind,
    /// The Wine prefix.
    pub prefix: PathBuf,
    /// The Proton directory, when known.
    pub proton: Option<PathBuf>,
    /// The mappings.
    pub mappings: Vec<SessionMapping>,
    /// Linux pid of the bridge's Wine process, once known (a host pid).
    pub bridge_pid: Option<u32>,
    /// The process whose life is the session's life.
    pub owner_pid: u32,
    /// `owner_pid`'s start time (clock ticks since boot), against pid reuse.
    pub owner_start_time: u64,
    /// The pid namespace `owner_pid` belongs to (see
    /// `bridgekeeper_host::pid_namespace`); older records lack it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_pid_namespace: Option<u64>,
    /// The bridge's nonce.
    pub nonce: String,
    /// Where the bridge writes its status lines.
    pub events_file: PathBuf,
    /// Unix time the session started.
    pub started_at: u64,
    /// Keep the backing files when the session ends.
    pub keep_files: bool,
    /// The folder of the backing files; older records lack it, and their
    /// files are never removed by anyone but their bridge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backing_dir: Option<PathBuf>,
    /// Why the session could not start, when it could not: the game runs
    /// without a bridge, and `status` says why while it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// What happened to the backing files while the session ran (a file
    /// shortened, deleted or replaced by someone else), as the session's
    /// guard saw it (see [`crate::guard`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<crate::guard::FileProblem>,
}

/// A path in a record that is not the one Bridgekeeper would have chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordProblem {
    #[error("its id {0:?} is not a plain file name (letters, digits, '-', '_', '.')")]
    Id(String),
    #[error("its id {id:?} is not its file name {file:?}")]
    NotItsFile { id: String, file: String },
    #[error("its {what} {path} is not an absolute path without '..'")]
    NotAbsolute { what: &'static str, path: PathBuf },
    #[error(
        "its events file {0} is neither in the registry nor in the game's compatdata folder, \
         named after the session"
    )]
    EventsFile(PathBuf),
    #[error("its mapping {name:?} has the file {file}, not the mapping's file in {dir}")]
    MappingFile {
        name: String,
        file: PathBuf,
        dir: PathBuf,
    },
}

/// True for an absolute path without `.` or `..` components.
pub fn is_clean_absolute(path: &Path) -> bool {
    path.is_absolute()
        && path
            .components()
            .all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
}

impl SessionRecord {
    /// Where a launcher session's bridge writes its status lines: a folder
    /// in the game's compatdata (the prefix's parent), which the game's
    /// container shares.
    pub fn compatdata_events_file(&self) -> Option<PathBuf> {
        Some(
            self.prefix
                .parent()?
                .join(bridgekeeper_bridge_client::placement::FOLDER)
                .join(format!("{}.events", self.id)),
        )
    }

    /// Checks every path of the record against where Bridgekeeper puts
    /// things; `registry_dir` is the registry's folder.
    pub fn check_paths(&self, registry_dir: &Path) -> Result<(), RecordProblem> {
        if !is_plain_name(OsStr::new(&self.id)) {
            return Err(RecordProblem::Id(self.id.clone()));
        }
        if !is_clean_absolute(&self.prefix) {
            return Err(RecordProblem::NotAbsolute {
                what: "prefix",
                path: self.prefix.clone(),
            });
        }
        let in_registry = registry_dir.join(format!("{}.events", self.id));
        if self.events_file != in_registry
            && Some(&self.events_file) != self.compatdata_events_file().as_ref()
        {
            return Err(RecordProblem::EventsFile(self.events_file.clone()));
        }
        if let Some(dir) = &self.backing_dir {
            if !is_clean_absolute(dir) {
                return Err(RecordProblem::NotAbsolute {
                    what: "backing folder",
                    path: dir.clone(),
                });
            }
            for mapping in &self.mappings {
                let expected = MappingName::parse(&mapping.name)
                    .ok()
                    .map(|name| crate::backing_files::path_of(dir, &name));
                if expected.as_ref() != Some(&mapping.file) {
                    return Err(RecordProblem::MappingFile {
                        name: mapping.name.clone(),
                        file: mapping.file.clone(),
                        dir: dir.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The backing files this session may remove: those in its recorded
    /// backing folder with a recorded identity.
    pub fn removable_files(&self) -> Vec<(PathBuf, FileId)> {
        if self.backing_dir.is_none() {
            return Vec::new();
        }
        self.mappings
            .iter()
            .filter_map(|m| Some((m.file.clone(), m.file_id()?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> SessionRecord {
        SessionRecord {
            id: "7-n".into(),
            appid: 7,
            game: "Sim".into(),
            profile: "sim".into(),
            kind: SessionKind::Launcher,
            prefix: "/s/compatdata/7/pfx".into(),
            proton: None,
            mappings: vec![SessionMapping {
                name: "Local\\page".into(),
                file: "/dev/shm/page".into(),
                size: 4096,
                mode: None,
                error: None,
                dev: Some(1),
                inode: Some(2),
            }],
            bridge_pid: None,
            owner_pid: 1,
            owner_start_time: 0,
            owner_pid_namespace: None,
            nonce: "n".into(),
            events_file: "/s/compatdata/7/bridgekeeper/7-n.events".into(),
            started_at: 1,
            keep_files: false,
            backing_dir: Some("/dev/shm".into()),
            failure: None,
            problems: Vec::new(),
        }
    }

    #[test]
    fn paths_must_be_the_ones_bridgekeeper_chooses() {
        let registry = Path::new("/run/user/1/bridgekeeper/sessions");
        let good = record();
        assert_eq!(good.check_paths(registry), Ok(()));
        assert_eq!(good.removable_files().len(), 1);
        let mut attach = record();
        attach.events_file = registry.join("7-n.events");
        assert_eq!(attach.check_paths(registry), Ok(()));

        let mut bad = record();
        bad.events_file = "/home/u/.bashrc".into();
        assert!(matches!(
            bad.check_paths(registry),
            Err(RecordProblem::EventsFile(_))
        ));
        let mut bad = record();
        bad.mappings[0].file = "/home/u/precious".into();
        assert!(matches!(
            bad.check_paths(registry),
            Err(RecordProblem::MappingFile { .. })
        ));
        let mut bad = record();
        bad.id = "../7-n".into();
        assert!(matches!(
            bad.check_paths(registry),
            Err(RecordProblem::Id(_))
        ));
        let mut bad = record();
        bad.prefix = "/s/compatdata/../../etc/pfx".into();
        assert!(bad.check_paths(registry).is_err());

        let mut old = record();
        old.backing_dir = None;
        old.mappings[0].file = "/anywhere".into();
        assert_eq!(old.check_paths(registry), Ok(()), "listed, but ...");
        assert!(old.removable_files().is_empty(), "... never removes a file");
    }
}
