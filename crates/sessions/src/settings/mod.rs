//! The app's settings, kept as TOML in the XDG config directory
//! (`~/.config/bridgekeeper/settings.toml`), and the login autostart entry
//! ([`autostart`]). Paths are parameters so tests use temporary directories.

pub mod autostart;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What a person chose in the Settings panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Attach to supported games as they start.
    pub auto_attach: bool,
    /// Per game (appid): `false` turns auto-attach off for that game only.
    pub auto_attach_games: BTreeMap<u32, bool>,
    /// The folder of user profiles; `None` is the default
    /// (`~/.config/bridgekeeper/profiles`).
    pub profiles_dir: Option<PathBuf>,
    /// More folders of user profiles, read after `profiles_dir`.
    pub extra_profile_dirs: Vec<PathBuf>,
    /// Keep the `/dev/shm` files after a session ends.
    pub keep_files: bool,
    /// Start in the tray at login (mirrors the autostart entry).
    pub start_at_login: bool,
    /// Show desktop notifications: a game bridged (zero copy or copy, and
    /// why), not bridged (why), a problem with a mapping's file.
    pub notifications: bool,
    /// Per game (appid): also serve its sessions into these tools' prefixes
    /// (see `crate::share::auto`).
    pub serve_into: BTreeMap<u32, ServeInto>,
}

/// Where a game's sessions are also served, and how.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ServeInto {
    /// Targets as the user wrote them: a Steam appid, a non-Steam
    /// shortcut's name or appid, or a prefix folder.
    pub targets: Vec<String>,
    /// Run a stand-in named like the game's exe in each target, for tools
    /// that look for the game's process (SimHub, CrewChief).
    pub stand_in: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            auto_attach: true,
            auto_attach_games: BTreeMap::new(),
            profiles_dir: None,
            extra_profile_dirs: Vec::new(),
            keep_files: false,
            start_at_login: false,
            notifications: true,
            serve_into: BTreeMap::new(),
        }
    }
}

impl Settings {
    /// The default file: `$XDG_CONFIG_HOME/bridgekeeper/settings.toml`.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "bridgekeeper")
            .map(|d| d.config_dir().join("settings.toml"))
    }

    /// Reads `path`; a missing file gives the defaults, a bad one the
    /// defaults and a sentence saying what was wrong.
    pub fn load(path: &Path) -> (Settings, Option<String>) {
        match std::fs::read_to_string(path) {
            Ok(text) => match toml::from_str(&text) {
                Ok(s) => (s, None),
                Err(e) => (
                    Settings::default(),
                    Some(format!(
                        "{} is not valid ({e}); the defaults are used and saving replaces it",
                        path.display()
                    )),
                ),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Settings::default(), None),
            Err(e) => (
                Settings::default(),
                Some(format!("cannot read {}: {e}", path.display())),
            ),
        }
    }

    /// Writes the settings to `path`, creating its directory.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let text = toml::to_string_pretty(self).map_err(std::io::Error::other)?;
        bridgekeeper_host::files::write_atomic(path, text.as_bytes())
    }

    /// Whether the watcher should attach to `appid` by itself.
    pub fn auto_attach_for(&self, appid: u32) -> bool {
        self.auto_attach && self.auto_attach_games.get(&appid).copied().unwrap_or(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/settings.toml");
        assert_eq!(Settings::load(&path), (Settings::default(), None));
        let mut s = Settings::default();
        s.auto_attach_games.insert(805_550, false);
        s.keep_files = true;
        s.profiles_dir = Some("/tmp/p".into());
        s.extra_profile_dirs = vec!["/tmp/shared profiles".into()];
        s.notifications = false;
        s.serve_into.insert(
            805_550,
            ServeInto {
                targets: vec!["SimHub".into(), "/games/crewchief/pfx".into()],
                stand_in: true,
            },
        );
        s.save(&path).unwrap();
        assert_eq!(Settings::load(&path).0, s);
        assert!(!s.auto_attach_for(805_550));
        assert!(s.auto_attach_for(244_210));
        std::fs::write(&path, "auto_attach = 3").unwrap();
        let (loaded, problem) = Settings::load(&path);
        assert_eq!(loaded, Settings::default());
        assert!(problem.unwrap().contains("not valid"));
    }

    #[test]
    fn notifications_are_on_unless_turned_off() {
        assert!(
            toml::from_str::<Settings>("keep_files = true")
                .unwrap()
                .notifications
        );
        assert!(
            !toml::from_str::<Settings>("notifications = false")
                .unwrap()
                .notifications
        );
    }
}
