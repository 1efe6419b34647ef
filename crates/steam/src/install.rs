//! Finding Steam installations: native, Flatpak, Snap, or the one named by
//! `--steam-dir` / `$STEAM_DIR`.
//!
//! The environment is read once, by `DiscoveryOptions::from_env`; the
//! candidate list below follows protontricks and steamlocate's own.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::fsutil;
use super::model::InstallKind;
use super::options::DiscoveryOptions;
use super::warning::Warning;

const FLATPAK_APP: &str = ".var/app/com.valvesoftware.Steam";

/// A Steam root that was found, before its libraries are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    /// The root with symlinks resolved.
    pub path: PathBuf,
    /// How it was found.
    pub kind: InstallKind,
    /// The candidate paths that led here.
    pub found_at: Vec<PathBuf>,
}

/// The candidate roots to look at, in order, with their kind.
pub fn candidates(options: &DiscoveryOptions) -> Vec<(PathBuf, InstallKind)> {
    if let Some(dir) = &options.steam_dir_override {
        return vec![(dir.clone(), InstallKind::Override)];
    }
    let mut out = Vec::new();
    if let Some(home) = &options.home {
        out.push((home.join(".local/share/Steam"), InstallKind::Native));
    }
    for data_home in [&options.xdg_data_home, &options.host_xdg_data_home]
        .into_iter()
        .flatten()
    {
        out.push((data_home.join("Steam"), InstallKind::Native));
    }
    if let Some(home) = &options.home {
        for rel in [".steam/steam", ".steam/root", ".steam/debian-installation"] {
            out.push((home.join(rel), InstallKind::Native));
        }
        for rel in [".local/share/Steam", "data/Steam"] {
            out.push((home.join(FLATPAK_APP).join(rel), InstallKind::Flatpak));
        }
        for rel in [
            "snap/steam/common/.local/share/Steam",
            ".snap/data/steam/common/.local/share/Steam",
        ] {
            out.push((home.join(rel), InstallKind::Snap));
        }
    }
    out
}

/// Finds the Steam roots, each once even when reached through several
/// symlinks. Problems with a candidate become warnings; a missing candidate
/// is silently skipped unless it was named explicitly.
pub fn find_roots(options: &DiscoveryOptions, warnings: &mut Vec<Warning>) -> Vec<Root> {
    let mut roots: Vec<Root> = Vec::new();
    for (candidate, kind) in candidates(options) {
        let explicit = kind == InstallKind::Override;
        let canonical = match std::fs::canonicalize(&candidate) {
            Ok(path) => path,
            Err(err) if err.kind() == ErrorKind::NotFound && !explicit => continue,
            Err(err) if err.kind() == ErrorKind::NotFound => {
                warnings.push(Warning::new(
                    &candidate,
                    "does not exist; pass the Steam directory that contains steamapps/ \
                     (for example ~/.local/share/Steam)",
                ));
                continue;
            }
            Err(err) => {
                warnings.push(Warning::new(
                    &candidate,
                    format!("cannot be resolved ({err}); skipped"),
                ));
                continue;
            }
        };
        if let Some(existing) = roots.iter_mut().find(|r| r.path == canonical) {
            existing.found_at.push(candidate);
            continue;
        }
        if !is_steam_root(&canonical) {
            if explicit {
                warnings.push(Warning::new(
                    &candidate,
                    "is not a Steam installation: it has no steamapps/ directory; pass the \
                     directory that contains steamapps/ (for example ~/.local/share/Steam)",
                ));
            }
            continue;
        }
        roots.push(Root {
            path: canonical,
            kind,
            found_at: vec![candidate],
        });
    }
    roots
}

/// A Steam root holds a `steamapps` directory (any case).
fn is_steam_root(path: &Path) -> bool {
    path.is_dir() && fsutil::child_ci(path, "steamapps").is_some_and(|p| p.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinked_roots_count_once_and_kinds_are_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path();
        let native = home.join(".local/share/Steam");
        std::fs::create_dir_all(native.join("steamapps")).unwrap();
        std::fs::create_dir_all(home.join(".steam")).unwrap();
        std::os::unix::fs::symlink(&native, home.join(".steam/steam")).unwrap();
        std::os::unix::fs::symlink(&native, home.join(".steam/root")).unwrap();
        let flatpak = home.join(FLATPAK_APP).join("data/Steam");
        std::fs::create_dir_all(flatpak.join("SteamApps")).unwrap();
        // A symlink loop is reported, not followed forever.
        std::os::unix::fs::symlink(
            home.join(".steam/debian-installation"),
            home.join(".steam/debian-installation"),
        )
        .unwrap();

        let mut warnings = Vec::new();
        let roots = find_roots(&DiscoveryOptions::with_home(home), &mut warnings);
        assert_eq!(roots.len(), 2);
        assert_eq!(roots[0].kind, InstallKind::Native);
        assert_eq!(roots[0].found_at.len(), 3);
        assert_eq!(roots[1].kind, InstallKind::Flatpak);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].file.ends_with("debian-installation"));
    }

    #[test]
    fn override_must_be_a_steam_root() {
        let tmp = tempfile::tempdir().unwrap();
        let mut warnings = Vec::new();
        let roots = find_roots(&DiscoveryOptions::with_steam_dir(tmp.path()), &mut warnings);
        assert!(roots.is_empty());
        assert!(warnings[0].message.contains("steamapps"));
    }
}
