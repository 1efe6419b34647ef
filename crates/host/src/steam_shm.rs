//! Flatpak Steam's private `/dev/shm`.
//!
//! Flatpak Steam (`com.valvesoftware.Steam`) runs with
//! `--allow=per-app-dev-shm`: its games' `/dev/shm` is the host folder
//! `/dev/shm/flatpak-com.valvesoftware.Steam-XXXXXX`, so backing files a
//! bridge writes there never appear in `/dev/shm` itself. One user override
//! gives Steam the real `/dev/shm` (`--device=shm` wins over
//! `per-app-dev-shm`).

use std::path::{Path, PathBuf};

/// Flatpak Steam's app ID.
pub const STEAM_APP_ID: &str = "com.valvesoftware.Steam";

/// The command that gives Flatpak Steam the host's `/dev/shm`.
pub const OVERRIDE: &str = "flatpak override --user --device=shm com.valvesoftware.Steam";

/// Flatpak Steam's private `/dev/shm` folders in `shm` (normally
/// `/dev/shm`), newest first: each Steam start may make a new one.
pub fn private_dirs(shm: &Path) -> Vec<PathBuf> {
    let prefix = format!("flatpak-{STEAM_APP_ID}-");
    let Ok(entries) = std::fs::read_dir(shm) else {
        return Vec::new();
    };
    let mut dirs: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| {
            let modified = e
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (modified, e.path())
        })
        .collect();
    dirs.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
    dirs.into_iter().map(|(_, path)| path).collect()
}

/// The folder holding the backing file `name` when a game under Flatpak
/// Steam made it in Steam's private `/dev/shm`.
pub fn find_backing_file(shm: &Path, name: &str) -> Option<PathBuf> {
    private_dirs(shm)
        .into_iter()
        .map(|dir| dir.join(name))
        .find(|file| file.is_file())
}

/// A sentence for `status` and the app when Flatpak Steam keeps a private
/// `/dev/shm`; `None` when it does not (not installed, not running, or
/// already overridden).
pub fn notice(shm: &Path) -> Option<String> {
    let dir = private_dirs(shm).into_iter().next()?;
    Some(format!(
        "Flatpak Steam keeps its games' /dev/shm private ({}), so mappings of games it runs \
         appear there, not in {}. To make them appear in {}, run `{OVERRIDE}` and restart Steam.",
        dir.display(),
        shm.display(),
        shm.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_private_folder_and_its_files() {
        let shm = tempfile::tempdir().unwrap();
        assert!(notice(shm.path()).is_none());
        std::fs::create_dir(shm.path().join("flatpak-org.other.App-AAAA")).unwrap();
        std::fs::write(
            shm.path().join("flatpak-com.valvesoftware.Steam-file"),
            b"not a folder",
        )
        .unwrap();
        assert!(notice(shm.path()).is_none());
        let private = shm.path().join("flatpak-com.valvesoftware.Steam-Xy12Zq");
        std::fs::create_dir(&private).unwrap();
        std::fs::write(private.join("acpmf_physics"), [1u8; 8]).unwrap();
        let notice = notice(shm.path()).unwrap();
        assert!(notice.contains(&private.display().to_string()), "{notice}");
        assert!(notice.contains(OVERRIDE), "{notice}");
        assert_eq!(
            find_backing_file(shm.path(), "acpmf_physics"),
            Some(private.join("acpmf_physics"))
        );
        assert_eq!(find_backing_file(shm.path(), "acpmf_graphics"), None);
    }
}
