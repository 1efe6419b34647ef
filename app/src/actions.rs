//! What the window and the tray ask for, done through the library's own
//! code (`steam::discover`, `sessions::attach`, `sessions::stop`,
//! `sessions::verify`), the same code the command line runs.
//!
//! Every action that touches a file, a process or Steam runs on a worker
//! thread unless `Env::inline` is set (tests), never on the window's thread;
//! either way the result lands in the shared state (the lock is taken only
//! to copy inputs and to store results, never across I/O) and the window and
//! the tray are told ([`crate::state::DesktopState::changed`]).

use std::path::PathBuf;
use std::sync::Arc;

use crate::profile_wake::ProfileWake;
pub use crate::state::SaveProfileError;
use crate::state::{SharedState, VerifyState, lock};
use bridgekeeper_profiles::{Catalog, CatalogReloader, parse_profile};
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
    /// Set a game's "also serve into" (no targets: off) and save.
    SetServeInto(u32, bridgekeeper_sessions::settings::ServeInto),
    /// Write the settings file (and the autostart entry).
    SaveSettings,
    /// Check a profile (TOML) and save it in the user profile folder; the
    /// outcome goes to `DesktopState::profile_saved`.
    SaveProfile(String),
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

/// Does `action`.
pub fn run(shared: &SharedState, action: Action) {
    match action {
        Action::RefreshGames => background(shared, refresh_discovery),
        Action::RefreshSessions => background(shared, |s| {
            refresh_sessions(s);
        }),
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
            background(shared, save_settings);
        }
        Action::SetServeInto(appid, wanted) => {
            let mut state = lock(shared);
            if wanted.targets.is_empty() {
                state.settings.serve_into.remove(&appid);
            } else {
                state.settings.serve_into.insert(appid, wanted);
            }
            drop(state);
            background(shared, save_settings);
        }
        Action::SaveSettings => background(shared, save_settings),
        Action::SaveProfile(text) => background(shared, move |s| {
            let outcome = save_profile(s, &text).map_err(Arc::new);
            lock(s).profile_saved = Some(outcome);
        }),
    }
}

fn background(shared: &SharedState, work: impl FnOnce(&SharedState) + Send + 'static) {
    if lock(shared).env.inline {
        work(shared);
        lock(shared).changed();
        return;
    }
    let shared = shared.clone();
    std::thread::spawn(move || {
        work(&shared);
        lock(&shared).changed();
    });
}

/// Searches Steam and stores the result.
pub fn refresh_discovery(shared: &SharedState) {
    let options = lock(shared).env.discovery.clone();
    let discovery = steam::discover(&options);
    lock(shared).discovery = Some(discovery);
}

/// Re-reads the session registry (and whether Flatpak Steam keeps a
/// private /dev/shm); tells the listeners and returns true when anything
/// differs from what the state held.
pub fn refresh_sessions(shared: &SharedState) -> bool {
    let (registry, shm_dir) = match &lock(shared).env.sessions {
        Ok(config) => (config.registry.clone(), config.shm_dir.clone()),
        Err(_) => return false,
    };
    let mut sessions = status::all(&registry);
    // Known readers that fight the bridge (simd in memmap mode).
    let files: Vec<PathBuf> = sessions
        .iter()
        .filter(|s| s.is_active())
        .flat_map(|s| s.mappings.iter().map(|m| m.file.clone()))
        .collect();
    let readers = bridgekeeper_sessions::reader_check::fighting_readers(&shm_dir, &files);
    for session in sessions.iter_mut().filter(|s| s.is_active()) {
        session.readers = readers
            .iter()
            .filter(|w| {
                w.files
                    .iter()
                    .any(|f| session.mappings.iter().any(|m| &m.file == f))
            })
            .cloned()
            .collect();
    }
    let notice = bridgekeeper_host::steam_shm::notice(std::path::Path::new("/dev/shm"));
    let mut state = lock(shared);
    let same = state.shm_notice == notice
        && state.reader_warnings == readers
        && state.sessions.len() == sessions.len()
        && state
            .sessions
            .iter()
            .zip(&sessions)
            .all(|(a, b)| serde_json::to_value(a).ok() == serde_json::to_value(b).ok());
    state.sessions = sessions;
    state.shm_notice = notice;
    state.reader_warnings = readers;
    if !same {
        state.changed();
    }
    !same
}

/// Reads the profiles again from the user profile folders in use, and
/// watches them for changes (the folders are read without the lock held).
pub fn reload_profiles(shared: &SharedState) {
    let (dirs, catalog) = {
        let state = lock(shared);
        (state.all_profile_dirs(), state.catalog.clone())
    };
    let watcher = CatalogReloader::start_dirs(&dirs, catalog.clone());
    if watcher.is_err() {
        *catalog.write() = Catalog::load_dirs(dirs.iter().map(PathBuf::as_path));
    }
    let mut state = lock(shared);
    // Dropped after the lock is released: dropping a reloader joins its
    // thread, which may be waiting to store a catalog.
    let old = (state.profile_watcher.take(), state.profile_wake.take());
    match watcher {
        Ok(watcher) => {
            state.profile_watcher = Some(watcher);
            let reloads = Arc::downgrade(shared);
            let wake = Arc::downgrade(shared);
            let started = ProfileWake::start(
                &dirs,
                move || {
                    let shared = reloads.upgrade()?;
                    let state = lock(&shared);
                    Some(state.profile_watcher.as_ref().map_or(0, |w| w.reloads()))
                },
                move || match wake.upgrade() {
                    Some(shared) => {
                        lock(&shared).changed();
                        true
                    }
                    None => false,
                },
            );
            match started {
                Ok(wake) => state.profile_wake = Some(wake),
                Err(err) => {
                    state.note(format!("profile changes may show late: {err}"));
                }
            }
        }
        Err(err) => state.note(format!("profiles are not watched for changes: {err}")),
    }
    state.changed();
    drop(state);
    drop(old);
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
    let (config, catalog, settings_file) = {
        let state = lock(shared);
        (
            state
                .env
                .sessions
                .clone()
                .map_err(ActionError::NoSessions)?,
            state.catalog.clone(),
            state.env.settings_file.clone(),
        )
    };
    // A copy: attach can take half a minute, and a read lock held that long
    // would stall the window behind the next profile reload (the lock is
    // fair, so a waiting writer blocks new readers).
    let catalog = catalog.read().clone();
    let session = attach_appid(&config, &catalog, appid)?;
    let mut line = format!(
        "{} bridged: {} mapping(s), bridge pid {}",
        session.record.game,
        session.record.mappings.len(),
        session.bridge_pid()
    );
    // "Also serve into": the shares end with the session, on a thread of
    // their own.
    let live_exe = catalog
        .by_appid(appid)
        .and_then(|entry| entry.profile.live_exes.first().cloned());
    let shares = bridgekeeper_sessions::share::auto::start_from(
        &config,
        &session.record,
        live_exe.as_deref(),
        &settings_file,
    );
    for problem in &shares.problems {
        line.push_str("; ");
        line.push_str(problem);
    }
    session.detach();
    if !shares.shares.is_empty() {
        std::thread::spawn(move || {
            for share in shares.shares {
                share.wait();
            }
        });
    }
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
            // A copy, not the read lock: see `try_attach`.
            let catalog = catalog.read().clone();
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
    let (settings, file, autostart_dir, program) = {
        let state = lock(shared);
        (
            state.settings.clone(),
            state.env.settings_file.clone(),
            state.env.autostart_dir.clone(),
            state.env.program.clone(),
        )
    };
    let mut problems = Vec::new();
    if let Err(e) = settings.save(&file) {
        problems.push(format!("cannot save {}: {e}", file.display()));
    }
    if autostart::is_enabled(&autostart_dir) != settings.start_at_login
        && let Err(e) = autostart::set_enabled(&autostart_dir, settings.start_at_login, &program)
    {
        problems.push(format!(
            "cannot change the autostart entry in {}: {e}",
            autostart_dir.display()
        ));
    }
    {
        let mut state = lock(shared);
        state.settings_problem = (!problems.is_empty()).then(|| problems.join("; "));
        let keep = settings.keep_files;
        if let Ok(config) = &mut state.env.sessions {
            config.keep_files = keep;
        }
    }
    reload_profiles(shared);
}

/// Checks a profile's TOML and writes it to the user profile folder as
/// `<id>.toml`, then reloads the profiles. Returns the file written, or the
/// problems in sentences that say what to fix. Writes files: call it off
/// the window's thread (as [`Action::SaveProfile`] does).
pub fn save_profile(shared: &SharedState, text: &str) -> Result<PathBuf, SaveProfileError> {
    let profile = parse_profile("new profile", text).map_err(SaveProfileError::Invalid)?;
    let dir = lock(shared)
        .profiles_dir()
        .ok_or(SaveProfileError::NoFolder)?;
    let file = dir.join(format!("{}.toml", profile.id));
    bridgekeeper_host::files::write_atomic(&file, text.as_bytes()).map_err(|source| {
        SaveProfileError::Write {
            path: file.clone(),
            source,
        }
    })?;
    reload_profiles(shared);
    lock(shared).note(format!(
        "profile {} saved to {}",
        profile.id,
        file.display()
    ));
    Ok(file)
}
