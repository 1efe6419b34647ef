//! Finding `bridgekeeper-bridge.exe` and the DLL that must sit beside it.

use std::path::{Path, PathBuf};

/// File name of the bridge executable.
pub const BRIDGE_EXE: &str = "bridgekeeper-bridge.exe";

/// File name of the forwarding DLL that Rust executables need on Wine older
/// than 8.13 (see `bridge/shim/bcryptprimitives.c`).
pub const SHIM_DLL: &str = "bcryptprimitives.dll";

/// The bridge executable and its companion DLL, side by side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeFiles {
    /// `bridgekeeper-bridge.exe`.
    pub exe: PathBuf,
    /// `bcryptprimitives.dll`, in the same directory.
    pub dll: PathBuf,
}

/// Why the bridge could not be found.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot find {BRIDGE_EXE} with {SHIM_DLL} beside it; looked in: {}. \
     Set BRIDGEKEEPER_BRIDGE_DIR to the directory that holds them, or build them with \
     `cargo build --release -p bridgekeeper-bridge --target x86_64-pc-windows-gnu`",
    .searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
)]
pub struct FilesError {
    /// Every directory that was searched.
    pub searched: Vec<PathBuf>,
}

impl BridgeFiles {
    /// The bridge files in `dir`, if both are there.
    pub fn in_dir(dir: &Path) -> Option<BridgeFiles> {
        let files = BridgeFiles {
            exe: dir.join(BRIDGE_EXE),
            dll: dir.join(SHIM_DLL),
        };
        (files.exe.is_file() && files.dll.is_file()).then_some(files)
    }

    /// Finds the bridge: `$BRIDGEKEEPER_BRIDGE_DIR`, then beside the running
    /// program, then `../lib/bridgekeeper` relative to it (installed
    /// layouts), then the cross-build output of a source checkout.
    pub fn locate() -> Result<BridgeFiles, FilesError> {
        let mut candidates = Vec::new();
        if let Some(dir) = std::env::var_os("BRIDGEKEEPER_BRIDGE_DIR") {
            candidates.push(PathBuf::from(dir));
        }
        if let Ok(exe) = std::env::current_exe()
            && let Some(dir) = exe.parent()
        {
            candidates.push(dir.to_path_buf());
            candidates.push(dir.join("../lib/bridgekeeper"));
            for ancestor in dir.ancestors().skip(1).take(3) {
                candidates.push(ancestor.join("windows/x86_64-pc-windows-gnu/release"));
                candidates.push(ancestor.join("x86_64-pc-windows-gnu/release"));
            }
        }
        candidates
            .iter()
            .find_map(|dir| Self::in_dir(dir))
            .ok_or(FilesError {
                searched: candidates,
            })
    }
}
