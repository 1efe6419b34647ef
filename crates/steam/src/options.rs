//! What discovery may look at. Everything taken from the environment is
//! gathered here, once, so the rest of the module never reads `$HOME` or
//! environment variables and tests can run against a made-up tree.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;

/// The system-wide directories Steam scans for custom compatibility tools,
/// in the order Steam gives them priority (later ones override earlier ones).
pub const SYSTEM_COMPAT_TOOL_DIRS: [&str; 2] = [
    "/usr/share/steam/compatibilitytools.d",
    "/usr/local/share/steam/compatibilitytools.d",
];

/// Inputs of [`discover`](super::discover).
#[derive(Debug, Clone, Default)]
pub struct DiscoveryOptions {
    /// The user's home directory; the native, Flatpak and Snap locations are
    /// looked for under it. `None` skips them.
    pub home: Option<PathBuf>,
    /// `$XDG_DATA_HOME`, when set: `<it>/Steam` is another native candidate.
    pub xdg_data_home: Option<PathBuf>,
    /// `$HOST_XDG_DATA_HOME` (set inside a Flatpak sandbox): `<it>/Steam` is
    /// another native candidate.
    pub host_xdg_data_home: Option<PathBuf>,
    /// `--steam-dir` or `$STEAM_DIR`: when set, only this directory is used.
    pub steam_dir_override: Option<PathBuf>,
    /// Entries of `$STEAM_EXTRA_COMPAT_TOOLS_PATHS`, in order.
    pub extra_compat_tool_paths: Vec<PathBuf>,
    /// System-wide `compatibilitytools.d` directories; `from_env` fills in
    /// [`SYSTEM_COMPAT_TOOL_DIRS`], tests leave it empty.
    pub system_compat_dirs: Vec<PathBuf>,
    /// Games known to be running, by appid, with what their environment
    /// says. This is the first source of truth for their Proton and prefix.
    pub running: HashMap<u32, RunningGame>,
}

impl DiscoveryOptions {
    /// Options from this process's environment: `$HOME`, `$XDG_DATA_HOME`,
    /// `$HOST_XDG_DATA_HOME`, `$STEAM_DIR`, `$STEAM_EXTRA_COMPAT_TOOLS_PATHS`
    /// and the system compatibility tool directories. No running games.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        Self {
            home: var("HOME").map(PathBuf::from),
            xdg_data_home: var("XDG_DATA_HOME").map(PathBuf::from),
            host_xdg_data_home: var("HOST_XDG_DATA_HOME").map(PathBuf::from),
            steam_dir_override: var("STEAM_DIR").map(PathBuf::from),
            extra_compat_tool_paths: var("STEAM_EXTRA_COMPAT_TOOLS_PATHS")
                .map(|v| split_path_list(&v))
                .unwrap_or_default(),
            system_compat_dirs: SYSTEM_COMPAT_TOOL_DIRS.iter().map(PathBuf::from).collect(),
            running: HashMap::new(),
        }
    }

    /// Options that look only at `home` (for tests and tools): nothing from
    /// the environment, no system directories.
    pub fn with_home(home: impl Into<PathBuf>) -> Self {
        Self {
            home: Some(home.into()),
            ..Self::default()
        }
    }

    /// Options that look only at one Steam directory.
    pub fn with_steam_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            steam_dir_override: Some(dir.into()),
            ..Self::default()
        }
    }
}

/// What a running game's environment says about its compatibility tools.
///
/// The code that scans `/proc` fills this from the game's `environ` (see
/// [`RunningGame::from_environ`]); discovery only consumes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunningGame {
    /// `STEAM_COMPAT_TOOL_PATHS`: colon-separated tool directories, the
    /// Proton build first, its runtime after it.
    pub tool_paths: Option<String>,
    /// `STEAM_COMPAT_DATA_PATH`: the game's `compatdata/<appid>` directory.
    pub compat_data_path: Option<PathBuf>,
}

impl RunningGame {
    /// Picks the relevant variables out of a process environment given as
    /// name/value pairs (for example parsed from `/proc/<pid>/environ`).
    pub fn from_environ<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut out = Self::default();
        for (k, v) in vars {
            match k.as_ref() {
                "STEAM_COMPAT_TOOL_PATHS" => out.tool_paths = Some(v.as_ref().to_owned()),
                "STEAM_COMPAT_DATA_PATH" if !v.as_ref().is_empty() => {
                    out.compat_data_path = Some(PathBuf::from(v.as_ref()));
                }
                _ => {}
            }
        }
        out
    }
}

/// Splits a colon-separated list of paths, dropping empty entries.
pub fn split_path_list(value: &OsString) -> Vec<PathBuf> {
    std::env::split_paths(value)
        .filter(|p| !p.as_os_str().is_empty())
        .collect()
}
