//! Where a share goes: a tool's Wine prefix, named by the user as a Steam
//! appid, a non-Steam shortcut (by its appid or its name) or a prefix path.
//!
//! Failure mode: a name that matches nothing, or two shortcuts, must not
//! pick a prefix by guess (a wrong prefix gets sections nobody reads, and
//! a bridge that keeps a stranger's wineserver alive). So a target resolves
//! to exactly one prefix or to an error that lists what was found; a path
//! is taken only when it is an absolute, clean path to a Wine prefix.

use std::path::{Path, PathBuf};

use bridgekeeper_steam::{Discovery, Game};

use crate::registry::is_clean_absolute;

/// A target as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareTarget {
    /// A Steam appid or a non-Steam shortcut's appid.
    Appid(u32),
    /// A non-Steam shortcut, by its name in Steam (case-insensitive).
    Shortcut(String),
    /// A Wine prefix folder (the folder holding `drive_c`), or a
    /// `compatdata/<appid>` folder holding `pfx`.
    Prefix(PathBuf),
}

/// A target resolved to one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedTarget {
    /// How the target is shown: the game's or shortcut's name, or the path.
    pub label: String,
    /// The Wine prefix.
    pub prefix: PathBuf,
    /// The Proton build Steam runs the target with, when it is a Steam app
    /// or shortcut with one; `None` for a bare prefix (then the build of its
    /// running wineserver is used).
    pub proton: Option<PathBuf>,
}

/// Why a target names no prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error(
        "no Steam game or non-Steam shortcut has the appid {0}; `bridgekeeper games` lists them \
         (shortcuts are marked), or give the tool's prefix folder instead"
    )]
    UnknownAppid(u32),
    #[error(
        "no non-Steam shortcut is named {name:?}; the shortcuts found are: {}. Give its appid \
         from `bridgekeeper games`, or the tool's prefix folder",
        if .found.is_empty() { "none".to_owned() } else { .found.join(", ") }
    )]
    UnknownShortcut { name: String, found: Vec<String> },
    #[error(
        "{count} non-Steam shortcuts are named {name:?}; give the one you mean by its appid \
         (`bridgekeeper games` lists them)"
    )]
    AmbiguousShortcut { name: String, count: usize },
    #[error(
        "{label} (appid {appid}) has no Wine prefix yet: Steam makes it the first time the \
         tool runs under Proton. Start it once from Steam, then share into it"
    )]
    NoPrefix { label: String, appid: u32 },
    #[error(
        "{0} is not a Wine prefix (no drive_c in it, and no pfx/drive_c); give the folder that \
         holds drive_c, or the compatdata/<appid> folder"
    )]
    NotAPrefix(PathBuf),
    #[error("{0:?} is not an absolute path without '.' or '..'")]
    NotAbsolute(PathBuf),
}

impl ShareTarget {
    /// Reads a target as written on the command line or in the settings:
    /// digits are an appid, a path (starting with `/` or `~/`) is a prefix,
    /// anything else a shortcut's name.
    pub fn parse(text: &str) -> ShareTarget {
        let text = text.trim();
        if let Ok(appid) = text.parse::<u32>() {
            return ShareTarget::Appid(appid);
        }
        if let Some(rest) = text.strip_prefix("~/")
            && let Some(home) = std::env::var_os("HOME")
        {
            return ShareTarget::Prefix(Path::new(&home).join(rest));
        }
        if text.starts_with('/') {
            return ShareTarget::Prefix(PathBuf::from(text));
        }
        ShareTarget::Shortcut(text.to_owned())
    }

    /// Resolves the target with what discovery found.
    pub fn resolve(&self, discovery: &Discovery) -> Result<ResolvedTarget, TargetError> {
        match self {
            ShareTarget::Appid(appid) => {
                let game = discovery
                    .games
                    .iter()
                    .find(|g| g.appid == *appid)
                    .ok_or(TargetError::UnknownAppid(*appid))?;
                of_game(game)
            }
            ShareTarget::Shortcut(name) => {
                let shortcuts: Vec<&Game> = discovery.games.iter().filter(|g| g.shortcut).collect();
                let matching: Vec<&&Game> = shortcuts
                    .iter()
                    .filter(|g| g.name.eq_ignore_ascii_case(name))
                    .collect();
                match matching.as_slice() {
                    [game] => of_game(game),
                    [] => Err(TargetError::UnknownShortcut {
                        name: name.clone(),
                        found: shortcuts.iter().map(|g| g.name.clone()).collect(),
                    }),
                    many => Err(TargetError::AmbiguousShortcut {
                        name: name.clone(),
                        count: many.len(),
                    }),
                }
            }
            ShareTarget::Prefix(path) => {
                if !is_clean_absolute(path) {
                    return Err(TargetError::NotAbsolute(path.clone()));
                }
                let prefix = if path.join("drive_c").is_dir() {
                    path.clone()
                } else if path.join("pfx").join("drive_c").is_dir() {
                    path.join("pfx")
                } else {
                    return Err(TargetError::NotAPrefix(path.clone()));
                };
                // A prefix Steam made: its app's Proton is the build to use.
                let game = discovery.games.iter().find(|g| {
                    g.prefix
                        .as_deref()
                        .is_some_and(|p| crate::registry::same_prefix(p, &prefix))
                });
                Ok(ResolvedTarget {
                    label: game.map_or_else(|| prefix.display().to_string(), |g| g.name.clone()),
                    proton: game.and_then(proton_dir),
                    prefix,
                })
            }
        }
    }
}

impl std::fmt::Display for ShareTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShareTarget::Appid(appid) => write!(f, "{appid}"),
            ShareTarget::Shortcut(name) => f.write_str(name),
            ShareTarget::Prefix(path) => write!(f, "{}", path.display()),
        }
    }
}

fn proton_dir(game: &Game) -> Option<PathBuf> {
    game.proton.as_ref().and_then(|p| p.path.clone())
}

fn of_game(game: &Game) -> Result<ResolvedTarget, TargetError> {
    let prefix = game
        .prefix
        .clone()
        .filter(|p| p.join("drive_c").is_dir())
        .ok_or_else(|| TargetError::NoPrefix {
            label: game.name.clone(),
            appid: game.appid,
        })?;
    Ok(ResolvedTarget {
        label: game.name.clone(),
        proton: proton_dir(game),
        prefix,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_read_by_their_shape() {
        assert_eq!(ShareTarget::parse("805550"), ShareTarget::Appid(805_550));
        assert_eq!(
            ShareTarget::parse(" SimHub "),
            ShareTarget::Shortcut("SimHub".into())
        );
        assert_eq!(
            ShareTarget::parse("/games/simhub/pfx"),
            ShareTarget::Prefix("/games/simhub/pfx".into())
        );
    }

    #[test]
    fn unknown_and_bad_targets_say_what_to_give() {
        let discovery = Discovery::default();
        let err = ShareTarget::Appid(7).resolve(&discovery).unwrap_err();
        assert!(err.to_string().contains("bridgekeeper games"), "{err}");
        let err = ShareTarget::Shortcut("SimHub".into())
            .resolve(&discovery)
            .unwrap_err();
        assert!(err.to_string().contains("are: none"), "{err}");
        let err = ShareTarget::Prefix("rel/pfx".into())
            .resolve(&discovery)
            .unwrap_err();
        assert_eq!(err, TargetError::NotAbsolute("rel/pfx".into()));
        let dir = tempfile::tempdir().unwrap();
        let err = ShareTarget::Prefix(dir.path().into())
            .resolve(&discovery)
            .unwrap_err();
        assert!(err.to_string().contains("no drive_c"), "{err}");
        std::fs::create_dir_all(dir.path().join("pfx/drive_c")).unwrap();
        let ok = ShareTarget::Prefix(dir.path().into())
            .resolve(&discovery)
            .unwrap();
        assert_eq!(ok.prefix, dir.path().join("pfx"));
        assert_eq!(ok.proton, None);
    }
}
