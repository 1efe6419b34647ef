//! The session registry: one JSON file per session under
//! `$XDG_RUNTIME_DIR/bridgekeeper/sessions/`, written atomically.
//!
//! The desktop app, `bridgekeeper status` and other Linux tools read it; a
//! telemetry tool can watch the directory as a start/stop signal. Each record
//! names the process whose life is the session's life (`owner_pid`, with its
//! start time to survive pid reuse and its pid namespace to be looked for
//! where it lives), so records left by a crash are found and cleaned.
//!
//! The records steer what Bridgekeeper opens, writes and removes, so the
//! folder must be this user's alone. Without `$XDG_RUNTIME_DIR` it lies in
//! `/tmp`, where anyone can make `bridgekeeper-<uid>` first: every folder
//! from the runtime folder down is opened without following links and
//! checked to be ours and closed to others, or refused with a sentence that
//! names it and the fix ([`RegistryError::Folder`]). Inside, records are
//! read only from regular files of ours, and each path in a record must be
//! one Bridgekeeper would have chosen ([`SessionRecord::check_paths`]).

pub mod prefix_lock;
mod record;

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use bridgekeeper_host::files::write_atomic;
use bridgekeeper_host::owned_files::{self, FolderError, Strictness, is_plain_name};

pub use prefix_lock::{PrefixLock, same_prefix};
pub use record::{RecordProblem, SessionKind, SessionMapping, SessionRecord, is_clean_absolute};

/// The largest record file read (a record is a few KiB).
const MAX_RECORD_BYTES: u64 = 1024 * 1024;

/// Why the registry cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A folder on the way is not this user's private folder.
    #[error(
        "the session registry is refused: {0}. It must be a folder of yours that only you can \
         enter (mode 0700), not a link. Remove it (a folder of another user: ask them or root), \
         or set XDG_RUNTIME_DIR to your own runtime folder (normally /run/user/{uid})",
        uid = owned_files::my_uid()
    )]
    Folder(#[from] FolderError),
    /// A file in it cannot be written.
    #[error("cannot write the session registry in {dir}: {source}")]
    Write {
        /// The registry folder.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A session id that cannot be a file name.
    #[error("session id {0:?} is not a plain file name")]
    Id(String),
    /// Another process held the prefix's lock for longer than allowed.
    #[error(
        "another Bridgekeeper process has held the lock of {} for {} s (a stopped `attach`, \
         or a frozen app?); end it, or see `bridgekeeper status`",
        .prefix.display(),
        .waited.as_secs()
    )]
    Busy {
        /// The prefix.
        prefix: PathBuf,
        /// How long it waited.
        waited: std::time::Duration,
    },
}

/// The registry directory.
#[derive(Debug, Clone)]
pub struct Registry {
    /// The runtime folder it lies in (`$XDG_RUNTIME_DIR`, its app folder,
    /// or `/tmp/bridgekeeper-<uid>`).
    base: PathBuf,
    /// How the runtime folder is checked: given by the system, or made by
    /// us in a folder anyone can write to.
    base_strictness: Strictness,
    dir: PathBuf,
}

impl Registry {
    /// The registry under `runtime_dir` (normally `$XDG_RUNTIME_DIR`), a
    /// folder of ours that no one else may write to.
    pub fn new(runtime_dir: &Path) -> Registry {
        Registry {
            base: runtime_dir.to_path_buf(),
            base_strictness: Strictness::Given,
            dir: runtime_dir.join("bridgekeeper").join("sessions"),
        }
    }

    /// The registry of this user: `$XDG_RUNTIME_DIR` (its app folder, which
    /// host processes see too, inside a Flatpak sandbox), or a private
    /// folder `bridgekeeper-<uid>` in `/tmp` (`$TMPDIR`) when that is unset;
    /// that one must be ours, mode 0700 and not a link.
    pub fn for_user() -> Registry {
        match bridgekeeper_host::sandbox::shared_runtime_dir() {
            Some(runtime) => Registry::new(&runtime),
            None => {
                // A relative $TMPDIR would put the registry wherever the
                // program happens to run (a game's folder): /tmp then.
                let tmp = Some(std::env::temp_dir())
                    .filter(|t| t.is_absolute())
                    .unwrap_or_else(|| PathBuf::from("/tmp"));
                let base = tmp.join(format!("bridgekeeper-{}", owned_files::my_uid()));
                Registry {
                    dir: base.join("bridgekeeper").join("sessions"),
                    base,
                    base_strictness: Strictness::Private,
                }
            }
        }
    }

    /// The directory holding the records.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Creates the directory, private to this user, after checking every
    /// folder on the way (see the module documentation).
    pub fn ensure(&self) -> Result<(), RegistryError> {
        self.check_folders(true).map(drop)
    }

    /// Checks the folders without creating any; `Ok(false)` when the
    /// registry does not exist yet (there are no sessions).
    pub fn check(&self) -> Result<bool, RegistryError> {
        self.check_folders(false)
    }

    fn check_folders(&self, create: bool) -> Result<bool, RegistryError> {
        let tool = self.base.join("bridgekeeper");
        for (folder, strictness) in [
            (&self.base, self.base_strictness),
            (&tool, Strictness::Private),
            (&self.dir, Strictness::Private),
        ] {
            if !owned_files::check_folder(folder, strictness, create)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Where the bridge of session `id` writes its status lines.
    pub fn events_file(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.events"))
    }

    /// The file that asks session `id`'s bridge to stop.
    pub fn stop_file(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.stop"))
    }

    /// Where session `id`'s bridge (and its Wine) writes its stderr.
    pub fn log_file(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.log"))
    }

    /// The lock file of session `id`'s guard (see [`crate::guard`]).
    pub fn guard_file(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.guard"))
    }

    /// The record of session `id`, when it is there and readable.
    pub fn get(&self, id: &str) -> Option<SessionRecord> {
        if !is_plain_name(OsStr::new(id)) || !self.check().unwrap_or(false) {
            return None;
        }
        self.read_record(&self.record_file(id)).ok()
    }

    fn record_file(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Writes a record atomically (a temporary file renamed over the old).
    pub fn save(&self, record: &SessionRecord) -> Result<(), RegistryError> {
        if !is_plain_name(OsStr::new(&record.id)) {
            return Err(RegistryError::Id(record.id.clone()));
        }
        self.ensure()?;
        let write = |source| RegistryError::Write {
            dir: self.dir.clone(),
            source,
        };
        let json = serde_json::to_vec_pretty(record).map_err(|e| write(e.into()))?;
        write_atomic(&self.record_file(&record.id), &json).map_err(write)
    }

    /// Removes a record and the files in the registry named after it (its
    /// events file, stop file and bridge log).
    pub fn remove(&self, id: &str) {
        if !is_plain_name(OsStr::new(id)) {
            return;
        }
        for file in [
            self.record_file(id),
            self.events_file(id),
            self.stop_file(id),
            self.log_file(id),
            self.guard_file(id),
        ] {
            let _ = fs::remove_file(file);
        }
    }

    /// Removes a session: its record, its files in the registry, and a
    /// launcher session's events file in the game's compatdata folder (only
    /// a regular file of ours, at the place Bridgekeeper chose).
    pub fn remove_session(&self, record: &SessionRecord) {
        self.remove(&record.id);
        if record.check_paths(&self.dir).is_ok()
            && Some(&record.events_file) == record.compatdata_events_file().as_ref()
            && let Ok(meta) = fs::symlink_metadata(&record.events_file)
        {
            owned_files::remove_if_same(&record.events_file, owned_files::FileId::of(&meta));
        }
    }

    /// Every readable record. Unreadable or refused ones are reported in
    /// the second list as `(file, problem)` and left alone; a registry
    /// folder that is not ours is reported there too, and nothing in it is
    /// read.
    pub fn list(&self) -> (Vec<SessionRecord>, Vec<(PathBuf, String)>) {
        let mut records = Vec::new();
        let mut problems = Vec::new();
        match self.check() {
            Ok(true) => {}
            Ok(false) => return (records, problems),
            Err(err) => {
                problems.push((self.dir.clone(), err.to_string()));
                return (records, problems);
            }
        }
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return (records, problems);
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            match self.read_record(&path) {
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

    fn read_record(&self, path: &Path) -> Result<SessionRecord, String> {
        let bytes = owned_files::read_regular(path, MAX_RECORD_BYTES).map_err(|e| e.to_string())?;
        let record = serde_json::from_slice::<SessionRecord>(&bytes).map_err(|e| e.to_string())?;
        let stem = path.file_stem().unwrap_or_default();
        if stem != OsStr::new(&record.id) {
            return Err(RecordProblem::NotItsFile {
                id: record.id,
                file: stem.to_string_lossy().into_owned(),
            }
            .to_string());
        }
        record.check_paths(&self.dir).map_err(|e| e.to_string())?;
        Ok(record)
    }

    /// Takes the lock of `prefix`, waiting while another process holds it
    /// (see [`prefix_lock`]).
    pub fn lock_prefix(&self, prefix: &Path) -> Result<PrefixLock, RegistryError> {
        let file = self.prefix_lock_file(prefix)?;
        file.0.lock().map_err(|source| RegistryError::Write {
            dir: self.dir.clone(),
            source,
        })?;
        Ok(PrefixLock::new(file.0, file.1))
    }

    /// Takes the lock of `prefix`, waiting at most `patience` for another
    /// process to release it: for the launch wrapper, which must start the
    /// game even when a stopped or frozen process holds the lock.
    pub fn lock_prefix_within(
        &self,
        prefix: &Path,
        patience: std::time::Duration,
    ) -> Result<PrefixLock, RegistryError> {
        let (file, key) = self.prefix_lock_file(prefix)?;
        let start = std::time::Instant::now();
        loop {
            if file.try_lock().is_ok() {
                return Ok(PrefixLock::new(file, key));
            }
            if start.elapsed() >= patience {
                return Err(RegistryError::Busy {
                    prefix: prefix.to_path_buf(),
                    waited: start.elapsed(),
                });
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Takes the lock of `prefix` if nobody holds it.
    pub fn try_lock_prefix(&self, prefix: &Path) -> Option<PrefixLock> {
        let (file, key) = self.prefix_lock_file(prefix).ok()?;
        file.try_lock().ok()?;
        Some(PrefixLock::new(file, key))
    }

    fn prefix_lock_file(&self, prefix: &Path) -> Result<(fs::File, PathBuf), RegistryError> {
        self.ensure()?;
        let key = prefix_lock::prefix_key(prefix);
        let path = self.dir.join(prefix_lock::file_name(&key));
        let file = owned_files::open_append(&path).map_err(|err| RegistryError::Write {
            dir: self.dir.clone(),
            source: std::io::Error::other(err),
        })?;
        Ok((file, key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bridgekeeper_protocol::MappingMode;

    fn record(id: &str) -> SessionRecord {
        SessionRecord {
            id: id.into(),
            appid: 244_210,
            game: "Assetto Corsa".into(),
            profile: "assetto-corsa".into(),
            kind: SessionKind::Attach,
            prefix: "/pfx-parent/pfx".into(),
            proton: None,
            mappings: vec![SessionMapping {
                name: "acpmf_physics".into(),
                file: "/dev/shm/acpmf_physics".into(),
                size: 4096,
                mode: Some(MappingMode::Shared),
                error: None,
                dev: None,
                inode: None,
            }],
            bridge_pid: Some(42),
            owner_pid: 1,
            owner_start_time: 0,
            owner_pid_namespace: None,
            nonce: "n".into(),
            events_file: PathBuf::from(format!("/pfx-parent/bridgekeeper/{id}.events")),
            started_at: 1,
            keep_files: false,
            backing_dir: None,
            failure: None,
            problems: Vec::new(),
        }
    }

    /// Owned by `nobody`: a folder another user made.
    fn chown_to_nobody(path: &Path) {
        std::os::unix::fs::lchown(path, Some(65534), Some(65534)).unwrap();
    }

    /// Issue #16: with `XDG_RUNTIME_DIR` unset the registry lies in `/tmp`,
    /// where anyone can create it first. A folder that is not ours, or a
    /// link, is refused by name, and its records are never read.
    #[test]
    fn a_registry_folder_that_is_not_ours_is_refused_and_never_read() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        // Another user's folder, open to all, holding a record.
        let planted = tmp.path().join("planted");
        let sessions = planted.join("bridgekeeper/sessions");
        std::fs::create_dir_all(&sessions).unwrap();
        std::fs::write(
            sessions.join("a.json"),
            serde_json::to_vec(&record("a")).unwrap(),
        )
        .unwrap();
        for dir in [&planted, &planted.join("bridgekeeper"), &sessions] {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
            chown_to_nobody(dir);
        }
        let registry = Registry::new(&planted);
        let err = registry.ensure().unwrap_err().to_string();
        assert!(err.contains(&planted.display().to_string()), "{err}");
        let (records, problems) = registry.list();
        assert!(records.is_empty(), "{records:?}");
        assert!(!problems.is_empty(), "the refusal is reported");

        // Our folder, but its `bridgekeeper` is a link to another one.
        let linked = tmp.path().join("linked");
        std::fs::create_dir_all(&linked).unwrap();
        std::os::unix::fs::symlink(planted.join("bridgekeeper"), linked.join("bridgekeeper"))
            .unwrap();
        let err = Registry::new(&linked).ensure().unwrap_err().to_string();
        assert!(err.contains("link"), "{err}");
        assert!(Registry::new(&linked).list().0.is_empty());

        // A runtime folder anyone may write to.
        let open = tmp.path().join("open");
        std::fs::create_dir_all(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = Registry::new(&open).ensure().unwrap_err().to_string();
        assert!(err.contains(&open.display().to_string()), "{err}");
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

    #[test]
    fn a_prefix_lock_is_held_by_one_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(dir.path());
        let prefix = dir.path().join("pfx");
        let held = registry.lock_prefix(&prefix).unwrap();
        assert!(held.covers(&prefix));
        assert!(registry.try_lock_prefix(&prefix).is_none(), "busy");
        assert!(
            registry
                .try_lock_prefix(&dir.path().join("other"))
                .is_some(),
            "another prefix is free"
        );
        drop(held);
        assert!(registry.try_lock_prefix(&prefix).is_some(), "released");
    }

    #[test]
    fn a_lock_held_too_long_is_reported_with_the_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(dir.path());
        let prefix = dir.path().join("pfx");
        let _held = registry.lock_prefix(&prefix).unwrap();
        let Err(err) = registry.lock_prefix_within(&prefix, std::time::Duration::from_millis(200))
        else {
            panic!("the lock is held elsewhere");
        };
        let text = err.to_string();
        assert!(text.contains(&prefix.display().to_string()), "{text}");
        assert!(text.contains("held the lock"), "{text}");
    }
}
