//! The app's state, kept outside the eframe `App` (in an
//! `Arc<Mutex<DesktopState>>`) so a window that is closed and opened again, and
//! the tray, see the same games, sessions and settings.
//!
//! The window's thread only draws: every file read, process scan, discovery
//! and settings write happens on another thread, which takes the lock only
//! to store its result (never while it waits on I/O) and then calls
//! [`DesktopState::changed`]. That is the one way the window and the tray
//! learn of news, so nothing polls on a timer: a window with nothing
//! changing draws no frames.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard, RwLock};

use bridgekeeper_protocol::MappingMode;

use crate::look::TrayLook;
use crate::profile_wake::ProfileWake;
use bridgekeeper_host::program::Program;
use bridgekeeper_profiles::{Catalog, CatalogReloader, Rejection, SharedCatalog, default_user_dir};
use bridgekeeper_sessions::config::ConfigError;
use bridgekeeper_sessions::settings::{Settings, autostart};
use bridgekeeper_sessions::verify::Report;
use bridgekeeper_sessions::{SessionConfig, SessionStatus};
use bridgekeeper_steam::{Discovery, DiscoveryOptions, Game};

/// Where the app looks and writes; built from the environment in the app,
/// by hand in tests.
#[derive(Debug, Clone)]
pub struct Env {
    /// How to find Steam.
    pub discovery: DiscoveryOptions,
    /// The sessions' configuration, or why there is none (the bridge is
    /// missing), in a sentence that says what to do.
    pub sessions: Result<SessionConfig, Arc<ConfigError>>,
    /// The settings file.
    pub settings_file: PathBuf,
    /// The XDG autostart directory.
    pub autostart_dir: PathBuf,
    /// This program (the AppImage when run from one), for the autostart
    /// entry and the launch option.
    pub program: Program,
    /// Run attach, stop, verify and refresh on the calling thread (tests);
    /// the app runs them on worker threads.
    pub inline: bool,
}

impl Env {
    /// The environment of a real run.
    pub fn from_env() -> Env {
        Env {
            discovery: DiscoveryOptions::from_env(),
            sessions: SessionConfig::from_env().map_err(Arc::new),
            settings_file: Settings::default_path()
                .unwrap_or_else(|| PathBuf::from("bridgekeeper-settings.toml")),
            autostart_dir: autostart::default_dir().unwrap_or_else(|| PathBuf::from("autostart")),
            program: Program::current(),
            inline: false,
        }
    }
}

/// Where a game stands, for the window and the tray.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GameState {
    /// No profile: Bridgekeeper does not know its mappings.
    Unsupported,
    /// Supported, but it never ran under Proton: no prefix yet.
    NeverRan,
    /// Supported and ready; no bridge now.
    Ready,
    /// An attach or stop is under way.
    Busy(String),
    /// A bridge serves it.
    Bridged {
        /// Some mapping is in copy mode (the game created it first).
        copy: bool,
    },
    /// The last attach was refused, with the reason.
    Refused(String),
}

impl GameState {
    /// The tray icon's look that tells this state, for the chip on the
    /// game's card (`auto_attach`: whether the watcher attaches this game
    /// when it starts).
    pub fn look(&self, auto_attach: bool) -> TrayLook {
        match self {
            GameState::Bridged { copy: false } => TrayLook::BridgedZeroCopy,
            GameState::Bridged { copy: true } => TrayLook::BridgedCopy,
            GameState::Refused(_) => TrayLook::Problem,
            GameState::Busy(_) => TrayLook::Watching,
            GameState::Ready if auto_attach => TrayLook::Watching,
            GameState::Ready | GameState::NeverRan | GameState::Unsupported => TrayLook::Idle,
        }
    }

    /// A short label.
    pub fn label(&self) -> String {
        match self {
            GameState::Unsupported => "no profile".into(),
            GameState::NeverRan => "never ran (no prefix)".into(),
            GameState::Ready => "ready".into(),
            GameState::Busy(what) => what.clone(),
            GameState::Bridged { copy: false } => "bridged (zero copy)".into(),
            GameState::Bridged { copy: true } => "bridged (copy mode)".into(),
            GameState::Refused(_) => "refused".into(),
        }
    }
}

/// One line of the games list.
#[derive(Debug, Clone)]
pub struct GameRow {
    /// Steam appid.
    pub appid: u32,
    /// Its name.
    pub name: String,
    /// The profile id, when supported.
    pub profile: Option<String>,
    /// The Proton build's name and version.
    pub proton: Option<String>,
    /// The Wine prefix.
    pub prefix: Option<PathBuf>,
    /// The header image in Steam's library cache, if it has one.
    pub header_image: Option<PathBuf>,
    /// Where it stands.
    pub state: GameState,
    /// Whether auto-attach is on for it (the setting, and this game's own).
    pub auto_attach: bool,
}

/// A verify run.
#[derive(Debug, Clone)]
pub enum VerifyState {
    /// Under way.
    Running,
    /// Done.
    Done(Report),
}

/// Everything the window and the tray show.
#[derive(Debug)]
pub struct DesktopState {
    /// Where things are.
    pub env: Env,
    /// The settings.
    pub settings: Settings,
    /// What was wrong with the settings file or the last save.
    pub settings_problem: Option<String>,
    /// The last discovery, once done.
    pub discovery: Option<Discovery>,
    /// The profiles (reloaded when the user folder changes).
    pub catalog: SharedCatalog,
    /// The sessions in the registry.
    pub sessions: Vec<SessionStatus>,
    /// Attach or stop under way, per appid.
    pub busy: BTreeMap<u32, String>,
    /// The last refusal per appid (cleared by a successful attach).
    pub refusals: BTreeMap<u32, String>,
    /// Verify runs per appid.
    pub verify: BTreeMap<u32, VerifyState>,
    /// Recent events, newest last.
    pub log: VecDeque<String>,
    /// Whether the auto-attach watcher runs.
    pub watching: bool,
    /// The launch option for this program (`bridgekeeper run %command%`).
    pub launch_option: String,
    /// The note about Flatpak Steam's private /dev/shm, when it has one;
    /// looked up with the sessions.
    pub shm_notice: Option<String>,
    /// Known readers running now that fight the bridge (simd in memmap
    /// mode), looked up with the sessions.
    pub reader_warnings: Vec<bridgekeeper_sessions::reader_check::ReaderWarning>,
    /// The outcome of the last profile save, until the editor shows it.
    pub profile_saved: Option<Result<PathBuf, Arc<SaveProfileError>>>,
    /// Who hears about changes.
    pub listeners: Listeners,
    /// Reloads `catalog` when a file in the user profile folder changes.
    pub(crate) profile_watcher: Option<CatalogReloader>,
    /// Wakes the listeners when `profile_watcher` reloads.
    pub(crate) profile_wake: Option<ProfileWake>,
}

/// Who is told that the state changed: the open window (a repaint) and the
/// main loop (the tray), each only if there.
#[derive(Default)]
pub struct Listeners {
    /// The open window.
    pub window: Option<egui::Context>,
    /// The main loop, while the window is closed.
    pub main_loop: Option<Box<dyn Fn() + Send>>,
}

impl std::fmt::Debug for Listeners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listeners")
            .field("window", &self.window.is_some())
            .field("main_loop", &self.main_loop.is_some())
            .finish()
    }
}

/// The state shared between the window, the tray and the workers.
pub type SharedState = Arc<Mutex<DesktopState>>;

/// Locks the shared state, recovering from a worker that panicked.
pub fn lock(shared: &SharedState) -> MutexGuard<'_, DesktopState> {
    shared.lock()
}

/// Why a profile from the editor was not saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveProfileError {
    /// The profile has problems; each says what to fix.
    #[error("{}", .0.problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Rejection),
    /// No user profile folder is set.
    #[error("no user profile folder: choose one in Settings")]
    NoFolder,
    /// The folder or the file could not be written.
    #[error("cannot write {}: {source}; choose another folder in Settings", .path.display())]
    Write {
        /// The folder or file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

const LOG_LINES: usize = 50;

impl DesktopState {
    /// The state for `env`, with settings loaded and profiles read (before
    /// any window, on the calling thread); Steam is not searched yet (see
    /// `actions::refresh_discovery`), nor are the profile folders watched
    /// (see `actions::reload_profiles`).
    pub fn new(env: Env) -> DesktopState {
        let (settings, settings_problem) = Settings::load(&env.settings_file);
        let path = std::env::var_os("PATH");
        let launch_option = env.program.launch_option(path.as_deref());
        let state = DesktopState {
            env,
            settings,
            settings_problem,
            discovery: None,
            catalog: Arc::new(RwLock::new(Catalog::default())),
            sessions: Vec::new(),
            busy: BTreeMap::new(),
            refusals: BTreeMap::new(),
            verify: BTreeMap::new(),
            log: VecDeque::new(),
            watching: false,
            launch_option,
            shm_notice: None,
            reader_warnings: Vec::new(),
            profile_saved: None,
            listeners: Listeners::default(),
            profile_watcher: None,
            profile_wake: None,
        };
        let dirs = state.all_profile_dirs();
        *state.catalog.write() = Catalog::load_dirs(dirs.iter().map(PathBuf::as_path));
        state
    }

    /// Every user profile folder: the main one (where new profiles are
    /// saved), then the extra ones.
    pub fn all_profile_dirs(&self) -> Vec<PathBuf> {
        self.profiles_dir()
            .into_iter()
            .chain(self.settings.extra_profile_dirs.iter().cloned())
            .collect()
    }

    /// Wraps the state for sharing.
    pub fn shared(self) -> SharedState {
        Arc::new(Mutex::new(self))
    }

    /// The user profile folder in use.
    pub fn profiles_dir(&self) -> Option<PathBuf> {
        self.settings.profiles_dir.clone().or_else(default_user_dir)
    }

    /// Adds a line to the event log.
    pub fn note(&mut self, line: impl Into<String>) {
        self.log.push_back(line.into());
        while self.log.len() > LOG_LINES {
            self.log.pop_front();
        }
    }

    /// Tells the window (a repaint) and the main loop (the tray) that
    /// something changed.
    pub fn changed(&self) {
        self.wake_window();
        if let Some(wake) = &self.listeners.main_loop {
            wake();
        }
    }

    /// Asks the open window, if any, to draw a frame.
    pub fn wake_window(&self) {
        if let Some(ctx) = &self.listeners.window {
            ctx.request_repaint();
        }
    }

    /// Whether the watcher would attach `appid` when it starts.
    pub fn auto_attaches(&self, appid: u32) -> bool {
        self.settings.auto_attach_for(appid)
    }

    /// The active sessions of `appid`.
    pub fn sessions_of(&self, appid: u32) -> impl Iterator<Item = &SessionStatus> {
        self.sessions
            .iter()
            .filter(move |s| s.appid == appid && s.is_active())
    }

    /// The installed games, supported ones first, then by name.
    pub fn game_rows(&self) -> Vec<GameRow> {
        let Some(discovery) = &self.discovery else {
            return Vec::new();
        };
        let catalog = self.catalog.read();
        let mut rows: Vec<GameRow> = discovery
            .games
            .iter()
            .map(|g| self.row(g, catalog.by_appid(g.appid).map(|e| e.profile.id.clone())))
            .collect();
        rows.sort_by(|a, b| {
            (a.profile.is_none(), a.name.to_lowercase())
                .cmp(&(b.profile.is_none(), b.name.to_lowercase()))
        });
        rows
    }

    fn row(&self, game: &Game, profile: Option<String>) -> GameRow {
        let active: Vec<&SessionStatus> = self.sessions_of(game.appid).collect();
        let state = if let Some(what) = self.busy.get(&game.appid) {
            GameState::Busy(what.clone())
        } else if !active.is_empty() {
            let copy = active
                .iter()
                .flat_map(|s| &s.mappings)
                .any(|m| m.mode == Some(MappingMode::Copy));
            GameState::Bridged { copy }
        } else if profile.is_none() {
            GameState::Unsupported
        } else if let Some(reason) = self.refusals.get(&game.appid) {
            GameState::Refused(reason.clone())
        } else if game.prefix.is_none() {
            GameState::NeverRan
        } else {
            GameState::Ready
        };
        GameRow {
            appid: game.appid,
            name: game.name.clone(),
            profile,
            proton: game.proton.as_ref().map(|p| match &p.version {
                Some(v) => format!("{} ({v})", p.name),
                None => p.name.clone(),
            }),
            prefix: game.prefix.clone(),
            header_image: game.header_image.clone(),
            state,
            auto_attach: self.auto_attaches(game.appid),
        }
    }
}
