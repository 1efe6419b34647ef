//! The app's state, kept outside the eframe `App` (in an
//! `Arc<Mutex<DesktopState>>`) so a window that is closed and opened again, and
//! the tray, see the same games, sessions and settings.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard, RwLock};

use bridgekeeper_protocol::MappingMode;

use bridgekeeper_host::program::Program;
use bridgekeeper_profiles::{Catalog, CatalogReloader, SharedCatalog, default_user_dir};
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
    /// Where it stands.
    pub state: GameState,
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
    /// Asked to repaint when a worker changes something.
    pub repaint: Option<egui::Context>,
    /// Reloads `catalog` when a file in the user profile folder changes.
    profile_watcher: Option<CatalogReloader>,
}

/// The state shared between the window, the tray and the workers.
pub type SharedState = Arc<Mutex<DesktopState>>;

/// Locks the shared state, recovering from a worker that panicked.
pub fn lock(shared: &SharedState) -> MutexGuard<'_, DesktopState> {
    shared.lock()
}

const LOG_LINES: usize = 50;

impl DesktopState {
    /// The state for `env`, with settings loaded and profiles read; Steam is
    /// not searched yet (see `actions::refresh_discovery`).
    pub fn new(env: Env) -> DesktopState {
        let (settings, settings_problem) = Settings::load(&env.settings_file);
        let catalog = Arc::new(RwLock::new(Catalog::default()));
        let mut state = DesktopState {
            env,
            settings,
            settings_problem,
            discovery: None,
            catalog,
            sessions: Vec::new(),
            busy: BTreeMap::new(),
            refusals: BTreeMap::new(),
            verify: BTreeMap::new(),
            log: VecDeque::new(),
            watching: false,
            repaint: None,
            profile_watcher: None,
        };
        state.reload_profiles();
        state
    }

    /// Reads the profiles again from the user profile folder in use, and
    /// keeps watching that folder for changes.
    pub fn reload_profiles(&mut self) {
        let dirs = self.all_profile_dirs();
        *self.catalog.write() = Catalog::load_dirs(dirs.iter().map(PathBuf::as_path));
        self.profile_watcher = None;
        match CatalogReloader::start_dirs(&dirs, Arc::clone(&self.catalog)) {
            Ok(watcher) => self.profile_watcher = Some(watcher),
            Err(err) => self.note(format!("profiles are not watched for changes: {err}")),
        }
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

    /// Asks the window (if any) to repaint.
    pub fn repaint(&self) {
        if let Some(ctx) = &self.repaint {
            ctx.request_repaint();
        }
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
            state,
        }
    }
}
