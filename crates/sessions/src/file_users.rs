//! Which processes have a session's backing files open or mapped, and which
//! known reader each one is.
//!
//! Failure mode: a Linux reader that treats the bridged files as its own
//! (simd in its default memmap mode truncates, zeroes and deletes them)
//! breaks the session without a word, and the user sees only a game that
//! froze or crashed. The kernel does not say who truncated or deleted a
//! file, but it does say who holds it: `/proc/PID/fd` links name open files,
//! `/proc/PID/maps` names mapped ones with their permissions.
//!
//! Design: one scan of `/proc` for a set of paths, done only when something
//! happened (a guard's event, a `status` call), never on a timer. A process
//! is matched against the reader catalog by `comm`, command line and write
//! permission on a mapped file (how simd's two modes differ). Processes of
//! the session itself (Wine: the bridge, the game, wineserver) and this
//! process are left out, since they hold the files by design.

use std::fs;
use std::path::{Path, PathBuf};

use bridgekeeper_profiles::ReaderCatalog;
use serde::{Deserialize, Serialize};

/// A process that holds some of the files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileUser {
    /// Its Linux pid.
    pub pid: u32,
    /// `/proc/PID/comm`.
    pub comm: String,
    /// Its executable, when readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exe: Option<PathBuf>,
    /// The known reader it is (catalog id), when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader: Option<String>,
    /// Whether it maps one of the files with write permission.
    pub writable: bool,
    /// Whether it still held the file when the problem was seen (false: it
    /// held it shortly before).
    #[serde(default = "yes")]
    pub still_open: bool,
}

fn yes() -> bool {
    true
}

impl FileUser {
    /// `simd (pid 42)`, or the `comm` for an unknown program.
    pub fn describe(&self) -> String {
        let name = self
            .reader
            .as_deref()
            .and_then(|id| ReaderCatalog::builtin().get(id))
            .map_or(self.comm.as_str(), |r| r.name.as_str());
        format!("{name} (pid {}, {})", self.pid, self.comm)
    }
}

/// The processes other than this one and other than Wine's that have any
/// of `paths` open or mapped.
pub fn users_of(paths: &[PathBuf]) -> Vec<FileUser> {
    let me = std::process::id();
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut users = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        if let Some(user) = user(pid, paths) {
            users.push(user);
        }
    }
    users.sort_by_key(|u| u.pid);
    users
}

/// The processes whose `comm` is a known reader's, with the known game
/// files (of any reader in the catalog, and the files `also`) they map in
/// `dir` (a fighting reader maps them with write permission). Cheaper than
/// [`users_of`]: only readers' maps are read.
pub fn readers_running(dir: &Path, also: &[PathBuf]) -> Vec<(FileUser, Vec<PathBuf>)> {
    let catalog = ReaderCatalog::builtin();
    let game_files: Vec<PathBuf> = catalog
        .readers()
        .iter()
        .flat_map(|r| &r.opens)
        .flat_map(|o| &o.files)
        .map(|name| crate::backing_files::path_of(dir, name))
        .chain(also.iter().cloned())
        .collect();
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(comm) = fs::read_to_string(format!("/proc/{pid}/comm")) else {
            continue;
        };
        let comm = comm.trim_end().to_string();
        // The command line only of processes named like a reader (one read
        // of `comm` each for the rest).
        let first15 = |name: &str| name.bytes().take(15).collect::<Vec<u8>>();
        if !catalog
            .readers()
            .iter()
            .any(|r| first15(&r.process.comm) == first15(&comm))
        {
            continue;
        }
        let words = cmdline_words(pid);
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        if catalog.identify(&comm, &words, None).is_none() {
            continue;
        }
        // Only game files count: simd maps its own SIMAPI.DAT writable in
        // both modes.
        let maps: Vec<(PathBuf, bool)> = mapped_in(pid, dir)
            .into_iter()
            .filter(|(path, _)| game_files.contains(path))
            .collect();
        let writable = maps.iter().any(|(_, w)| *w);
        let mapped = (!maps.is_empty()).then_some(writable);
        let reader = catalog
            .identify(&comm, &words, mapped)
            .map(|r| r.id.clone());
        let mut files: Vec<PathBuf> = maps.into_iter().map(|(p, _)| p).collect();
        files.sort();
        files.dedup();
        found.push((
            FileUser {
                pid,
                exe: fs::read_link(format!("/proc/{pid}/exe")).ok(),
                comm,
                reader,
                writable,
                still_open: true,
            },
            files,
        ));
    }
    found
}

fn user(pid: u32, paths: &[PathBuf]) -> Option<FileUser> {
    let open = fds_open(pid, paths);
    let maps = maps_of(pid, paths);
    if !open && maps.is_empty() {
        return None;
    }
    let comm = fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()?
        .trim_end()
        .to_string();
    let exe = fs::read_link(format!("/proc/{pid}/exe")).ok();
    if is_wine(&comm, exe.as_deref()) {
        return None;
    }
    let writable = maps.iter().any(|w| *w);
    let words = cmdline_words(pid);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let mapped = (!maps.is_empty()).then_some(writable);
    let reader = ReaderCatalog::builtin()
        .identify(&comm, &words, mapped)
        .map(|r| r.id.clone());
    Some(FileUser {
        pid,
        comm,
        exe,
        reader,
        writable,
        still_open: true,
    })
}

/// Wine's own processes (the bridge, the game, wineserver) hold the files
/// by design.
fn is_wine(comm: &str, exe: Option<&Path>) -> bool {
    let exe_name = exe
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    exe_name.starts_with("wine")
        || exe_name.starts_with("bridgekeeper-bridge")
        || comm.to_ascii_lowercase().ends_with(".exe")
        || comm.starts_with("wine")
}

fn cmdline_words(pid: u32) -> Vec<String> {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|bytes| {
            bytes
                .split(|b| *b == 0)
                .filter(|w| !w.is_empty())
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The path a `/proc` link or maps line names, without a trailing
/// ` (deleted)`.
fn strip_deleted(name: &str) -> &str {
    name.strip_suffix(" (deleted)").unwrap_or(name)
}

fn fds_open(pid: u32, paths: &[PathBuf]) -> bool {
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        fs::read_link(fd.path()).is_ok_and(|target| {
            let target = target.to_string_lossy();
            let target = strip_deleted(&target);
            paths.iter().any(|p| p.as_os_str() == target)
        })
    })
}

/// One entry per shared mapping of one of `paths`: whether it is writable.
fn maps_of(pid: u32, paths: &[PathBuf]) -> Vec<bool> {
    maps(pid)
        .into_iter()
        .filter(|(path, _)| paths.iter().any(|p| p == path))
        .map(|(_, writable)| writable)
        .collect()
}

/// The shared mappings of files in `dir`, with their write permission.
fn mapped_in(pid: u32, dir: &Path) -> Vec<(PathBuf, bool)> {
    maps(pid)
        .into_iter()
        .filter(|(path, _)| path.parent() == Some(dir))
        .collect()
}

/// Every shared file mapping of `pid`: path and write permission.
fn maps(pid: u32) -> Vec<(PathBuf, bool)> {
    let Ok(text) = fs::read_to_string(format!("/proc/{pid}/maps")) else {
        return Vec::new();
    };
    text.lines().filter_map(parse_maps_line).collect()
}

/// `addr perms offset dev inode path`: the path and whether the mapping is
/// shared and writable (`-w-s`, `rw-s`), for shared file mappings only.
fn parse_maps_line(line: &str) -> Option<(PathBuf, bool)> {
    let mut fields = line.splitn(6, ' ');
    let _addr = fields.next()?;
    let perms = fields.next()?.as_bytes();
    let (_offset, _dev, _inode) = (fields.next()?, fields.next()?, fields.next()?);
    let path = fields.next()?.trim_start();
    if !path.starts_with('/') || perms.get(3) != Some(&b's') {
        return None;
    }
    Some((
        PathBuf::from(strip_deleted(path)),
        perms.get(1) == Some(&b'w'),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_lines_give_shared_files_and_their_write_permission() {
        assert_eq!(
            parse_maps_line(
                "7f00-7f01 -w-s 00000000 00:1a 123                        /dev/shm/acpmf_physics"
            ),
            Some((PathBuf::from("/dev/shm/acpmf_physics"), true))
        );
        assert_eq!(
            parse_maps_line("7f00-7f01 r--s 00000000 00:1a 123  /dev/shm/a b (deleted)"),
            Some((PathBuf::from("/dev/shm/a b"), false))
        );
        assert_eq!(
            parse_maps_line("7f00-7f01 r-xp 00000000 08:01 9  /usr/lib/libc.so.6"),
            None
        );
        assert_eq!(parse_maps_line("7f00-7f01 rw-p 00000000 00:00 0"), None);
    }

    /// A real process that maps a file writable is found, with its comm.
    #[test]
    fn a_process_mapping_a_file_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page");
        std::fs::write(&path, vec![0u8; 4096]).unwrap();
        // `tail -f` keeps the file open (no map): found as a holder.
        let mut child = std::process::Command::new("tail")
            .arg("-f")
            .arg(&path)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        let mut found = Vec::new();
        while found.is_empty() && std::time::Instant::now() < deadline {
            found = users_of(std::slice::from_ref(&path));
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].pid, child.id());
        assert_eq!(found[0].comm, "tail");
        assert!(!found[0].writable);
        assert_eq!(found[0].reader, None);
    }
}
