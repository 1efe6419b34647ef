//! The session registry: one JSON file per session under
//! `$XDG_RUNTIME_DIR/bridgekeeper/sessions/`, written atomically.
//!
//! The desktop app, `bridgekeeper status` and other Linux tools read it; a
//! telemetry tool can watch the directory as a start/stop signal. Each record
//! names the process whose life is the session's life (`owner_pid`, with its
//! start time to survive pid reuse), so records left by a crash are found
//! and cleaned.

use std::fs;
use std::path::{Path, PathBuf};

use bridgekeeper_host::files::write_atomic;
use bridgekeeper_protocol::{MappingMode, MappingSpec};
use serde::{Deserialize, Serialize};

/// How a session's bridge was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionKind {
    /// `bridgekeeper run %command%`: the bridge starts the game.
    Launcher,
    /// The watcher or `bridgekeeper attach` joined a running game.
    Attach,
}

impl std::fmt::Display for SessionKind {
    /// `launcher` or `attach`, as in the registry's JSON.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SessionKind::Launcher => "launcher",
            SessionKind::Attach => "attach",
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
            })
            .collect()
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
    /// Linux pid of the bridge's Wine process, once known.
    pub bridge_pid: Option<u32>,
    /// The process whose life is the session's life.
    pub owner_pid: u32,
    /// `owner_pid`'s start time (clock ticks since boot), against pid reuse.
    pub owner_start_time: u64,
    /// The bridge's nonce.
    pub nonce: String,
    /// Where the bridge writes its status lines.
    pub events_file: PathBuf,
    /// Unix time the session started.
    pub started_at: u64,
    /// Keep the backing files when the session ends.
    pub keep_files: bool,
    /// Why the session could not start, when it could not: the game runs
    /// without a bridge, and `status` says why while it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// The registry directory.
#[derive(Debug, Clone)]
pub struct Registry {
    dir: PathBuf,
}

impl Registry {
    /// The registry under `runtime_dir` (normally `$XDG_RUNTIME_DIR`).
    pub fn new(runtime_dir: &Path) -> Registry {
        Registry {
            dir: runtime_dir.join("bridgekeeper").join("sessions"),
        }
    }

    /// The registry of this user: `$XDG_RUNTIME_DIR` (its app folder, which
    /// host processes see too, inside a Flatpak sandbox), or a private
    /// directory in `/tmp` when that is unset.
    pub fn for_user() -> Registry {
        let runtime = bridgekeeper_host::sandbox::shared_runtime_dir().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("bridgekeeper-{}", current_uid()))
        });
        Registry::new(&runtime)
    }

    /// The directory holding the records.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Creates the directory, private to this user.
    pub fn ensure(&self) -> std::io::Result<()> {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)?;
        if let Some(parent) = self.dir.parent() {
            let _ = fs::set_permissions(parent, fs::Permissions::from_mode(0o700));
        }
        Ok(())
    }

    /// Where the bridge of session `id` writes its status lines.
    pub fn events_file(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.events"))
    }

    fn record_file(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Writes a record atomically (a temporary file renamed over the old).
    pub fn save(&self, record: &SessionRecord) -> std::io::Result<()> {
        self.ensure()?;
        let json = serde_json::to_vec_pretty(record).map_err(std::io::Error::other)?;
        write_atomic(&self.record_file(&record.id), &json)
    }

    /// Removes a record and its events file.
    pub fn remove(&self, id: &str) {
        let _ = fs::remove_file(self.record_file(id));
        let _ = fs::remove_file(self.events_file(id));
        let _ = fs::remove_file(self.dir.join(format!("{id}.log")));
    }

    /// Every readable record. Unreadable ones are reported in the second
    /// list as `(file, problem)` and left alone.
    pub fn list(&self) -> (Vec<SessionRecord>, Vec<(PathBuf, String)>) {
        let mut records = Vec::new();
        let mut problems = Vec::new();
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return (records, problems);
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            match fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    serde_json::from_slice::<SessionRecord>(&bytes).map_err(|e| e.to_string())
                }) {
                Ok(record) => records.push(record),
                Err(problem) => problems.push((path, problem)),
            }
        }
        records.sort_by(|a, b| {
            a.started_at
                .cmp(&b.started_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        (records, problems)
    }
}

fn current_uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> SessionRecord {
        SessionRecord {
            id: id.into(),
            appid: 244_210,
            game: "Assetto Corsa".into(),
            profile: "assetto-corsa".into(),
            kind: SessionKind::Attach,
            prefix: "/pfx".into(),
            proton: None,
            mappings: vec![SessionMapping {
                name: "acpmf_physics".into(),
                file: "/dev/shm/acpmf_physics".into(),
                size: 4096,
                mode: Some(MappingMode::Shared),
                error: None,
            }],
            bridge_pid: Some(42),
            owner_pid: 1,
            owner_start_time: 0,
            nonce: "n".into(),
            events_file: "/x.events".into(),
            started_at: 1,
            keep_files: false,
            failure: None,
        }
    }

    #[test]
    fn save_list_remove() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(dir.path());
        registry.save(&record("a")).unwrap();
        registry.save(&record("b")).unwrap();
        std::fs::write(registry.dir().join("broken.json"), b"{").unwrap();
        let (records, problems) = registry.list();
        assert_eq!(
            records.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(records[0], record("a"));
        assert_eq!(problems.len(), 1);
        registry.remove("a");
        assert_eq!(registry.list().0.len(), 1);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(registry.dir())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
