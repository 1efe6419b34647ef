//! The stand-in: the serve bridge copied under the game's exe name, so
//! that a tool that decides which game runs by looking for its process in
//! its own prefix (SimHub, CrewChief) finds one there while the game runs.
//!
//! The serve bridge itself is the stand-in, not a second program: it runs
//! exactly as long as the share, so the name is gone the moment the
//! session ends, and nothing more runs in the tool's prefix. A stand-in
//! carries [`super::keeper::SERVE_MARK`] so Bridgekeeper never takes it for
//! the game.
//!
//! Failure mode: the exe name comes from a profile; a name with a path in
//! it would write the copy anywhere. Only a plain file name ending in
//! `.exe` is used.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use bridgekeeper_bridge_client::BridgeFiles;
use bridgekeeper_host::files::write_atomic;
use bridgekeeper_host::owned_files::is_plain_name;

/// Why no stand-in was made.
#[derive(Debug, thiserror::Error)]
pub enum StandInError {
    #[error("{0:?} is not a plain exe file name (NAME.exe, no folder)")]
    Name(String),
    #[error("cannot write the stand-in in {dir}: {source}")]
    Write {
        dir: PathBuf,
        source: std::io::Error,
    },
}

/// Where the stand-in of game `appid` is kept for the prefix `prefix`:
/// beside a Steam prefix, in its compatdata folder (which every container
/// Steam starts for the tool can see); for another prefix, in the user's
/// cache folder.
pub fn folder(prefix: &Path, appid: u32) -> PathBuf {
    let base = match prefix.parent() {
        Some(compatdata) if prefix.file_name() == Some(OsStr::new("pfx")) => {
            compatdata.join(bridgekeeper_bridge_client::placement::FOLDER)
        }
        _ => directories::BaseDirs::new()
            .map(|d| d.cache_dir().join("bridgekeeper"))
            .unwrap_or_else(|| std::env::temp_dir().join("bridgekeeper")),
    };
    base.join("stand-in").join(appid.to_string())
}

/// True for a name a stand-in may have.
pub fn valid_name(exe: &str) -> bool {
    is_plain_name(OsStr::new(exe))
        && exe.len() > 4
        && exe[exe.len() - 4..].eq_ignore_ascii_case(".exe")
        && !exe.contains(['\\', ':'])
}

/// Copies the bridge (and its DLL) into `dir` as `exe`; identical copies
/// are left alone.
pub fn place(bridge: &BridgeFiles, dir: &Path, exe: &str) -> Result<BridgeFiles, StandInError> {
    if !valid_name(exe) {
        return Err(StandInError::Name(exe.to_owned()));
    }
    let write = |source| StandInError::Write {
        dir: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(write)?;
    let placed = BridgeFiles {
        exe: dir.join(exe),
        dll: dir.join(bridge.dll.file_name().unwrap_or_default()),
    };
    for (from, to) in [(&bridge.exe, &placed.exe), (&bridge.dll, &placed.dll)] {
        let bytes = std::fs::read(from).map_err(write)?;
        if std::fs::read(to).is_ok_and(|old| old == bytes) {
            continue;
        }
        write_atomic(to, &bytes).map_err(write)?;
    }
    Ok(placed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_exe_names_become_stand_ins() {
        let dir = tempfile::tempdir().unwrap();
        let bridge = BridgeFiles {
            exe: dir.path().join("bridgekeeper-bridge.exe"),
            dll: dir.path().join("bcryptprimitives.dll"),
        };
        std::fs::write(&bridge.exe, b"MZ bridge").unwrap();
        std::fs::write(&bridge.dll, b"MZ dll").unwrap();
        let out = dir.path().join("out");
        for bad in ["../acs.exe", "acs", "C:\\acs.exe", "a/b.exe", ".exe"] {
            assert!(
                matches!(place(&bridge, &out, bad), Err(StandInError::Name(_))),
                "{bad}"
            );
        }
        let placed = place(&bridge, &out, "AC2-Win64-Shipping.exe").unwrap();
        assert_eq!(placed.exe, out.join("AC2-Win64-Shipping.exe"));
        assert_eq!(std::fs::read(&placed.exe).unwrap(), b"MZ bridge");
        assert_eq!(std::fs::read(&placed.dll).unwrap(), b"MZ dll");
        assert_eq!(
            folder(Path::new("/s/compatdata/9/pfx"), 805_550),
            Path::new("/s/compatdata/9/bridgekeeper/stand-in/805550")
        );
    }
}
