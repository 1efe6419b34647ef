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

    /// Finds the bridge for this process: see [`BridgeFiles::locate_from`]
    /// with `$BRIDGEKEEPER_BRIDGE_DIR` and the running program.
    pub fn locate() -> Result<BridgeFiles, FilesError> {
        let exe = std::env::current_exe().ok();
        Self::locate_from(
            std::env::var_os("BRIDGEKEEPER_BRIDGE_DIR").map(PathBuf::from),
            exe.as_deref(),
        )
    }

    /// Finds the bridge: in `env_dir` (`$BRIDGEKEEPER_BRIDGE_DIR`), then
    /// beside the program `exe`, then in `../lib/bridgekeeper` relative to
    /// it (the .deb's `/usr/lib/bridgekeeper/`, the AppImage's
    /// `usr/lib/bridgekeeper/`), then in the cross-build output of a source
    /// checkout.
    pub fn locate_from(
        env_dir: Option<PathBuf>,
        exe: Option<&Path>,
    ) -> Result<BridgeFiles, FilesError> {
        let mut candidates = Vec::new();
        candidates.extend(env_dir);
        if let Some(dir) = exe.and_then(Path::parent) {
            candidates.push(dir.to_path_buf());
            if let Some(prefix) = dir.parent() {
                candidates.push(prefix.join("lib/bridgekeeper"));
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn put_bridge(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(BRIDGE_EXE), b"MZ bridge").unwrap();
        std::fs::write(dir.join(SHIM_DLL), b"MZ dll").unwrap();
    }

    fn program_in(dir: &Path) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let exe = dir.join("bridgekeeper");
        std::fs::write(&exe, b"elf").unwrap();
        exe
    }

    /// The .deb and the AppImage: `usr/bin/bridgekeeper` and
    /// `usr/lib/bridgekeeper/`.
    #[test]
    fn finds_the_installed_layout_without_a_variable() {
        let root = tempfile::tempdir().unwrap();
        let exe = program_in(&root.path().join("usr/bin"));
        put_bridge(&root.path().join("usr/lib/bridgekeeper"));
        let found = BridgeFiles::locate_from(None, Some(&exe)).unwrap();
        assert_eq!(
            std::fs::read(&found.exe).unwrap(),
            b"MZ bridge",
            "{}",
            found.exe.display()
        );
        assert_eq!(
            found.exe.canonicalize().unwrap(),
            root.path()
                .join("usr/lib/bridgekeeper")
                .join(BRIDGE_EXE)
                .canonicalize()
                .unwrap()
        );
    }

    #[test]
    fn the_variable_comes_first_then_beside_the_program() {
        let root = tempfile::tempdir().unwrap();
        let exe = program_in(&root.path().join("bin"));
        put_bridge(&root.path().join("bin"));
        put_bridge(&root.path().join("lib/bridgekeeper"));
        let chosen = root.path().join("chosen");
        put_bridge(&chosen);
        let found = BridgeFiles::locate_from(Some(chosen.clone()), Some(&exe)).unwrap();
        assert_eq!(found.exe, chosen.join(BRIDGE_EXE));
        let found = BridgeFiles::locate_from(None, Some(&exe)).unwrap();
        assert_eq!(found.exe, root.path().join("bin").join(BRIDGE_EXE));
    }

    #[test]
    fn an_exe_without_its_dll_is_not_found_and_the_error_names_every_place() {
        let root = tempfile::tempdir().unwrap();
        let exe = program_in(&root.path().join("usr/bin"));
        let lib = root.path().join("usr/lib/bridgekeeper");
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::write(lib.join(BRIDGE_EXE), b"MZ").unwrap();
        let err = BridgeFiles::locate_from(None, Some(&exe)).unwrap_err();
        assert!(
            err.searched
                .contains(&root.path().join("usr/lib/bridgekeeper"))
        );
        let text = err.to_string();
        assert!(
            text.contains("usr/lib/bridgekeeper") && text.contains("BRIDGEKEEPER_BRIDGE_DIR"),
            "{text}"
        );
    }
}
