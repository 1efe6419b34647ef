//! The log `bridgekeeper run` keeps in the game's compatdata folder
//! (`bridgekeeper-run.log`): one block of lines per launch, saying what was
//! decided and why.
//!
//! It is appended to at every launch of every bridged game, for years: left
//! alone it grows without limit. Once it passes [`MAX_BYTES`] it is moved
//! to `bridgekeeper-run.log.1` (replacing the one before) and a new log
//! starts, so the two together stay under twice that. The folder comes from
//! Steam's environment: the log is never written through a link, and only
//! when it is a regular file of ours.

use std::io::Write;
use std::path::{Path, PathBuf};

use bridgekeeper_host::owned_files;

/// The size past which the log is moved aside.
pub const MAX_BYTES: u64 = 256 * 1024;

/// Where the previous log goes.
pub fn previous(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_os_string();
    name.push(".1");
    PathBuf::from(name)
}

/// Appends `lines`, each stamped with the Unix time, to the log `file`;
/// moves the log aside first when it has grown past [`MAX_BYTES`]. Fails
/// quietly: a log must never keep a game from starting.
pub fn append(file: &Path, lines: &[String]) {
    if let Ok(meta) = std::fs::symlink_metadata(file)
        && meta.is_file()
        && meta.len() >= MAX_BYTES
    {
        let _ = std::fs::rename(file, previous(file));
    }
    let Ok(mut out) = owned_files::open_append(file) else {
        return;
    };
    let now = super::unix_now();
    let mut text = String::new();
    for line in lines {
        text.push_str(&format!("[{now}] {line}\n"));
    }
    let _ = out.write_all(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let log = dir.path().join("bridgekeeper-run.log");
        std::os::unix::fs::symlink(&victim, &log).unwrap();
        append(&log, &["line".into()]);
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    }

    #[test]
    fn moves_the_log_aside_past_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("bridgekeeper-run.log");
        append(&log, &["first".into()]);
        std::fs::write(&log, vec![b'x'; MAX_BYTES as usize]).unwrap();
        append(&log, &["second".into()]);
        assert!(
            std::fs::read_to_string(&log)
                .unwrap()
                .ends_with("] second\n")
        );
        assert_eq!(std::fs::metadata(previous(&log)).unwrap().len(), MAX_BYTES);
    }
}
