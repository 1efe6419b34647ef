//! One lock per Wine prefix, shared by every process that starts bridges:
//! the launch wrapper, the watcher, the desktop app and `attach`.
//!
//! Without it, "is this game bridged already?" and "record the new
//! session" are far apart, and two processes noticing the same game (the
//! app and the systemd watcher, or auto-attach switched off and on) both
//! answer "no" and start two bridges: the second zero-fills the live file,
//! and the first to end removes it. The lock is an `flock` on a file in the
//! registry folder named after the prefix, held from the check through the
//! bridge's start to the record being saved; the kernel drops it when its
//! holder dies, so a crash never leaves it held.

use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// A held prefix lock; released when dropped.
#[derive(Debug)]
pub struct PrefixLock {
    _file: File,
    key: PathBuf,
}

impl PrefixLock {
    pub(super) fn new(file: File, key: PathBuf) -> PrefixLock {
        PrefixLock { _file: file, key }
    }

    /// True when this lock is the one of `prefix`.
    pub fn covers(&self, prefix: &Path) -> bool {
        prefix_key(prefix) == self.key
    }
}

/// The prefix as one path for every way of naming it: resolved through
/// links when it exists (Steam's `compatdata/<appid>/pfx` may be a link),
/// else with `.` and trailing slashes dropped.
pub fn prefix_key(prefix: &Path) -> PathBuf {
    std::fs::canonicalize(prefix).unwrap_or_else(|_| prefix.components().collect())
}

/// True when `a` and `b` name the same prefix.
pub fn same_prefix(a: &Path, b: &Path) -> bool {
    a == b || prefix_key(a) == prefix_key(b)
}

/// The lock file's name for a prefix key: a 64-bit FNV-1a hash of its bytes
/// (a prefix path can be longer than a file name may be). A collision only
/// makes two games wait for each other a moment.
pub fn file_name(key: &Path) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.as_os_str().as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("prefix-{hash:016x}.lock")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_name_per_prefix_however_it_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("pfx-real");
        std::fs::create_dir(&real).unwrap();
        let link = dir.path().join("pfx");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let mut slashed = link.clone().into_os_string();
        slashed.push("/");
        assert!(same_prefix(&link, &real));
        assert!(same_prefix(Path::new(&slashed), &real));
        assert_eq!(file_name(&prefix_key(&link)), file_name(&prefix_key(&real)));
        assert_ne!(
            file_name(Path::new("/a/pfx")),
            file_name(Path::new("/b/pfx"))
        );
        assert_eq!(
            file_name(Path::new("/a/pfx")).len(),
            "prefix-.lock".len() + 16
        );
    }
}
