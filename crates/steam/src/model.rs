//! The discovery result. Its JSON form (through serde) is a stable
//! interface, documented in `docs/games-json.md`.

use std::path::PathBuf;

use serde::Serialize;

use super::warning::Warning;

/// Everything discovery found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Discovery {
    /// Steam installations, in search order, each once.
    pub installations: Vec<Installation>,
    /// Installed games and non-Steam shortcuts of all installations, sorted
    /// by installation, then appid.
    pub games: Vec<Game>,
    /// Proton builds found (Valve's and custom ones), per installation.
    pub tools: Vec<CompatTool>,
    /// Problems not tied to one game (installations, library lists,
    /// `config.vdf`, tool declarations, `appinfo.vdf`).
    pub warnings: Vec<Warning>,
}

impl Discovery {
    /// All warnings: the global ones, then each game's.
    pub fn all_warnings(&self) -> impl Iterator<Item = &Warning> {
        self.warnings
            .iter()
            .chain(self.games.iter().flat_map(|g| g.warnings.iter()))
    }
}

/// How a Steam installation was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InstallKind {
    /// A distribution or Valve package in the home directory.
    Native,
    /// The `com.valvesoftware.Steam` Flatpak.
    Flatpak,
    /// The `steam` Snap.
    Snap,
    /// Named by `--steam-dir` or `$STEAM_DIR`.
    Override,
}

impl InstallKind {
    /// A lower-case label for display.
    pub fn label(self) -> &'static str {
        match self {
            InstallKind::Native => "native",
            InstallKind::Flatpak => "flatpak",
            InstallKind::Snap => "snap",
            InstallKind::Override => "override",
        }
    }
}

/// One Steam installation (a root holding `steamapps/`, `config/`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Installation {
    /// The root with symlinks resolved; this is what identifies it.
    pub path: PathBuf,
    /// How it was found.
    pub kind: InstallKind,
    /// The candidate paths that led here (symlinks such as `~/.steam/steam`).
    pub found_at: Vec<PathBuf>,
    /// Its libraries, the root's own first.
    pub libraries: Vec<Library>,
}

/// One Steam library folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Library {
    /// The library directory (holding `steamapps/`).
    pub path: PathBuf,
    /// The label the user gave it in Steam, if any.
    pub label: Option<String>,
    /// Whether its `steamapps/` could be reached (false for an unmounted
    /// drive).
    pub available: bool,
}

/// The install state of an app, from its manifest's `StateFlags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InstallState {
    /// Fully installed, nothing pending.
    Ready,
    /// Installed, but Steam wants to update it first.
    UpdateRequired,
    /// Being downloaded, updated, moved or validated.
    Busy,
    /// No usable `StateFlags` (and always for shortcuts).
    Unknown,
}

/// The state of an app's Wine prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrefixState {
    /// `pfx/` and `pfx.lock` exist: Proton has set it up.
    Ready,
    /// `pfx/` exists without `pfx.lock`: set-up may not have finished.
    Incomplete,
    /// No prefix: the app never ran under Proton.
    None,
}

/// One installed game or non-Steam shortcut.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Game {
    /// The Steam appid (for a shortcut, its 32-bit shortcut id).
    pub appid: u32,
    /// The store name (or the shortcut's name).
    pub name: String,
    /// Where the game is installed (for a shortcut, its start directory).
    pub install_dir: Option<PathBuf>,
    /// The library holding it (`None` for shortcuts).
    pub library: Option<PathBuf>,
    /// The Wine prefix (`compatdata/<appid>/pfx`), or `None` if it never ran.
    pub prefix: Option<PathBuf>,
    /// The Proton build that runs it, or `None` if none applies.
    pub proton: Option<Proton>,
    /// True for a non-Steam shortcut from `shortcuts.vdf`.
    pub shortcut: bool,
    /// Problems found while reading this game's files.
    pub warnings: Vec<Warning>,
    /// The installation it belongs to (its root).
    pub installation: PathBuf,
    /// The install state.
    pub state: InstallState,
    /// The state of the prefix.
    pub prefix_state: PrefixState,
    /// The `compatdata/<appid>` directory chosen, if any.
    pub compat_data: Option<PathBuf>,
    /// The shortcut's target executable (shortcuts only).
    pub exe: Option<String>,
    /// The header image Steam cached for the game in
    /// `appcache/librarycache/`, in either of its layouts (see
    /// `art::header_image`); `None` for shortcuts and when Steam has none.
    pub header_image: Option<PathBuf>,
}

/// Where the Proton choice came from, in order of priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProtonSource {
    /// The running game's `STEAM_COMPAT_TOOL_PATHS`.
    Running,
    /// The game's own `CompatToolMapping` entry in `config/config.vdf`.
    CompatToolMapping,
    /// The Proton that last set up the prefix (`compatdata/<appid>/config_info`).
    ConfigInfo,
    /// The global default (`CompatToolMapping` entry `"0"`).
    GlobalDefault,
    /// Valve's per-app default (`appcache/appinfo.vdf`, app 891390).
    Appinfo,
}

impl ProtonSource {
    /// A short label for display.
    pub fn label(self) -> &'static str {
        match self {
            ProtonSource::Running => "running",
            ProtonSource::CompatToolMapping => "per-game setting",
            ProtonSource::ConfigInfo => "last run",
            ProtonSource::GlobalDefault => "global default",
            ProtonSource::Appinfo => "Valve default",
        }
    }
}

/// A Proton build and why it was chosen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proton {
    /// The tool name: the internal name Steam stores (`proton_9`,
    /// `GE-Proton9-4`), or the directory name when only a path is known.
    pub name: String,
    /// The install directory, if it could be found.
    pub path: Option<PathBuf>,
    /// `files/bin/wine` (or `dist/bin/wine` in old builds), if present.
    pub wine: Option<PathBuf>,
    /// The build's version string from its `version` file.
    pub version: Option<String>,
    /// The runtime it requires (`toolmanifest.vdf` `require_tool_appid`).
    pub runtime_appid: Option<u32>,
    /// Where the choice came from.
    pub source: ProtonSource,
    /// Why this one was chosen, and how the other sources differ.
    pub explanation: String,
    /// What the lower-priority sources said, when they name another build.
    pub alternatives: Vec<ProtonAlternative>,
}

/// A Proton named by a lower-priority source that was not chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProtonAlternative {
    /// The source.
    pub source: ProtonSource,
    /// The tool name.
    pub name: String,
    /// The install directory, if found.
    pub path: Option<PathBuf>,
}

/// A Proton build installed for an installation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompatTool {
    /// The installation it serves.
    pub installation: PathBuf,
    /// The internal name (`proton_9`, `GE-Proton9-4`).
    pub name: String,
    /// The name shown in Steam, when declared.
    pub display_name: Option<String>,
    /// The install directory.
    pub path: PathBuf,
    /// Valve's tool appid (for Valve builds).
    pub appid: Option<u32>,
    /// True for tools declared by `compatibilitytool.vdf`.
    pub custom: bool,
}
