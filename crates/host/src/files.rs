//! Writing a file so that a reader sees either the old contents or the new,
//! never a part: a temporary file in the same folder, written, flushed to
//! disk, and renamed over the target. A crash at any point leaves the old
//! file (and at worst a stray `.tmp*` file, never a torn one).
//!
//! Every file Bridgekeeper rewrites in place goes through [`write_atomic`]:
//! registry records, the settings, user profiles and the bridge copies.

use std::io::{self, Write};
use std::path::Path;

/// Replaces `path` with `bytes` atomically, creating its folder. The new
/// file has mode 0600 (readable by this user only).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut temp = tempfile::Builder::new()
        .prefix(".")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|err| err.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn replaces_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sub/settings.toml");
        write_atomic(&file, b"one").unwrap();
        write_atomic(&file, b"two").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"two");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["settings.toml"]);
    }

    #[test]
    fn a_folder_in_the_way_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("taken")).unwrap();
        assert!(write_atomic(&dir.path().join("taken"), b"x").is_err());
    }
}
