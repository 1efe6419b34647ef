//! What the window and the tray ask for, done through the library's own
//! code (`steam::discover`, `sessions::attach`, `sessions::stop`,
//! `sessions::verify`), the same code the command line runs.
//!
//! Slow actions run on a worker thread unless `Env::inline` is set (tests);
//! either way the result lands in the shared state and a repaint is asked.

use std::path::PathBuf;
use std::sync::Arc;

use crate::state::{SharedState, VerifyState, lock};
use bridgekeeper_profiles::{Rejection, parse_profile};
use bridgekeeper_sessions::attach::{AttachError, attach_appid};
use bridgekeeper_sessions::config::ConfigError;
use bridgekeeper_sessions::settings::autostart;
use bridgekeeper_sessions::status;
use bridgekeeper_sessions::stop::{StopOutcome, stop as stop_game};
use bridgekeeper_sessions::verify::verify as verify_game;
use bridgekeeper_steam as steam;

/// A request from the window or the tray.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Search Steam again.
    RefreshGames,
    /// Re-read the session registry.
    RefreshSessions,
    /// Start a bridge for a running game.
    Attach(u32),
    /// Stop a game's bridge.
    Stop(u32),
    /// Run the chain check for a game.
    Verify(u32),
    /// Turn the auto-attach watcher on or off.
    SetAutoAttach(bool),
    /// Write the settings file (and the autostart entry).
    SaveSettings,
}

/// Why an action of the window or the tray did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// Sessions cannot start at all (the bridge files are missing …).
    #[error(transparent)]
    NoSessions(Arc<ConfigError>),
    /// The session did not start.
    #[error(transparent)]
    Attach(#[from] AttachError),
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

/// Does `action`.
pub fn run(shared: &SharedState, action: Action) {
    match action {
        Action::RefreshGames => background(shared, refresh_discovery),
        Action::RefreshSessions => refresh_sessions(shared),
        Action::Attach(appid) => {
            lock(shared).busy.insert(appid, "attaching…".into());
            background(shared, move |s| attach(s, appid));
        }
        Action::Stop(appid) => {
            lock(shared).busy.insert(appid, "stopping…".into());
            background(shared, move |s| stop(s, appid));
        }
        Action::Verify(appid) => {
            lock(shared).verify.insert(appid, VerifyState::Running);
            background(shared, move |s| verify(s, appid));
        }
        Action::SetAutoAttach(on) => {
            lock(shared).settings.auto_attach = on;
            save_settings(shared);
        }
        Action::SaveSettings => save_settings(shared),
    }
}

fn background(shared: &SharedState, work: impl FnOnce(&SharedState) + Send + 'static) {
    if lock(shared).env.inline {
        work(shared);
        return;
    }
    let shared = shared.clone();
    std::thread::spawn(move || {
        work(&shared);
        lock(&shared).repaint();
    });
}

/// Searches Steam and stores the result.
pub fn refresh_discovery(shared: &SharedState) {
    let options = lock(shared).env.discovery.clone();
    let discovery = steam::discover(&options);
    lock(shared).discovery = Some(discovery);
}

/// Re-reads the session registry.
pub fn refresh_sessions(shared: &SharedState) {
    let registry = match &lock(shared).env.sessions {
        Ok(config) => config.registry.clone(),
        Err(_) => return,
    };
    let sessions = status::all(&registry);
    lock(shared).sessions = sessions;
}

fn attach(shared: &SharedState, appid: u32) {
    let result = try_attach(shared, appid);
    refresh_sessions(shared);
    let mut state = lock(shared);
    state.busy.remove(&appid);
    match result {
        Ok(line) => {
            state.refusals.remove(&appid);
            state.note(line);
        }
        Err(reason) => {
            state.note(format!("attach refused: {reason}"));
            state.refusals.insert(appid, reason.to_string());
        }
    }
}

fn try_attach(shared: &SharedState, appid: u32) -> Result<String, ActionError> {
    let (config, catalog) = {
        let state = lock(shared);
        (
            state
                .env
                .sessions
                .clone()
                .map_err(ActionError::NoSessions)?,
            state.catalog.clone(),
        )
    };
    let session = attach_appid(&config, &catalog.read(), appid)?;
    let line = format!(
        "{} bridged: {} mapping(s), bridge pid {}",
        session.record.game,
        session.record.mappings.len(),
        session.bridge_pid()
    );
    session.detach();
    Ok(line)
}

fn stop(shared: &SharedState, appid: u32) {
    let registry = lock(shared).env.sessions.clone().map(|c| c.registry);
    let line = match registry {
        Err(e) => format!("stop: {e}"),
        Ok(registry) => match stop_game(&registry, appid) {
            Err(e) => format!("cannot ask the bridge to stop: {e}"),
            Ok(outcomes) if outcomes.is_empty() => format!("appid {appid}: no session to stop"),
            Ok(outcomes) => outcomes
                .iter()
                .map(|o| match o {
                    StopOutcome::Stopped(s) => format!("{}: bridge stopped", s.game),
                    StopOutcome::EndsWithGame(r) => format!(
                        "{}: started by `bridgekeeper run`; it ends with the game",
                        r.game
                    ),
                    StopOutcome::TimedOut(r) => format!(
                        "{}: the bridge did not stop in time; quit the game to end it",
                        r.game
                    ),
                })
                .collect::<Vec<_>>()
                .join("; "),
        },
    };
    refresh_sessions(shared);
    let mut state = lock(shared);
    state.busy.remove(&appid);
    state.note(line);
}

fn verify(shared: &SharedState, appid: u32) {
    let (config, catalog, discovery) = {
        let state = lock(shared);
        (
            state.env.sessions.clone(),
            state.catalog.clone(),
            state.discovery.clone(),
        )
    };
    let report = match config {
        Ok(config) => {
            let discovery = discovery.unwrap_or_default();
            let catalog = catalog.read();
            verify_game(appid, &catalog, &discovery, &config)
        }
        Err(reason) => bridgekeeper_sessions::verify::Report {
            appid,
            steps: vec![bridgekeeper_sessions::verify::Step {
                step: "bridge files".into(),
                ok: false,
                detail: reason.to_string(),
            }],
        },
    };
    lock(shared).verify.insert(appid, VerifyState::Done(report));
}

fn save_settings(shared: &SharedState) {
    let mut state = lock(shared);
    let settings = state.settings.clone();
    let mut problems = Vec::new();
    if let Err(e) = settings.save(&state.env.settings_file) {
        problems.push(format!(
            "cannot save {}: {e}",
            state.env.settings_file.display()
        ));
    }
    if autostart::is_enabled(&state.env.autostart_dir) != settings.start_at_login
        && let Err(e) = autostart::set_enabled(
            &state.env.autostart_dir,
            settings.start_at_login,
            &state.env.program,
        )
    {
        problems.push(format!(
            "cannot change the autostart entry in {}: {e}",
            state.env.autostart_dir.display()
        ));
    }
    state.settings_problem = (!problems.is_empty()).then(|| problems.join("; "));
    let keep = settings.keep_files;
    if let Ok(config) = &mut state.env.sessions {
        config.keep_files = keep;
    }
    state.reload_profiles();
}

/// Checks a profile's TOML and writes it to the user profile folder as
/// `<id>.toml`, then reloads the profiles. Returns the file written, or the
/// problems in sentences that say what to fix.
pub fn save_profile(shared: &SharedState, text: &str) -> Result<PathBuf, SaveProfileError> {
    let profile = parse_profile("new profile", text).map_err(SaveProfileError::Invalid)?;
    let mut state = lock(shared);
    let dir = state.profiles_dir().ok_or(SaveProfileError::NoFolder)?;
    let file = dir.join(format!("{}.toml", profile.id));
    bridgekeeper_host::files::write_atomic(&file, text.as_bytes()).map_err(|source| {
        SaveProfileError::Write {
            path: file.clone(),
            source,
        }
    })?;
    state.reload_profiles();
    state.note(format!(
        "profile {} saved to {}",
        profile.id,
        file.display()
    ));
    Ok(file)
}
