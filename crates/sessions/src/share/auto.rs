//! "Also serve into": the per-game setting that shares every session of a
//! game into the prefixes of the user's tools, applied by whoever starts or
//! follows the session (the watcher, `bridgekeeper run`, the desktop app),
//! and undone when it ends.
//!
//! Failure mode: a target that cannot be served (renamed shortcut, prefix
//! removed, another build) must not stop the game's own session nor the
//! other targets: each target is tried on its own, and what went wrong is
//! returned in a sentence for the caller to log or show.

use std::path::Path;

use super::{Served, Share, ShareError, ShareOptions, ShareTarget, share_into};
use crate::settings::{ServeInto, Settings};
use crate::{SessionConfig, SessionRecord};

/// The shares of one session, ended when dropped (or with the session).
#[derive(Debug, Default)]
pub struct SessionShares {
    /// The running shares.
    pub shares: Vec<Share>,
    /// Targets that could not be served, each in a sentence.
    pub problems: Vec<String>,
}

/// True when the settings file at its default place asks to serve `appid`
/// somewhere.
pub fn wanted(appid: u32) -> bool {
    Settings::default_path().is_some_and(|path| {
        Settings::load(&path)
            .0
            .serve_into
            .get(&appid)
            .is_some_and(|w| !w.targets.is_empty())
    })
}

/// Starts the shares the settings file at its default place asks for
/// `record`'s game. `live_exe` is the game's exe name, for a stand-in.
pub fn start_for(
    config: &SessionConfig,
    record: &SessionRecord,
    live_exe: Option<&str>,
) -> SessionShares {
    let Some(path) = Settings::default_path() else {
        return SessionShares::default();
    };
    start_from(config, record, live_exe, &path)
}

/// [`start_for`] with the settings in `settings_file`.
pub fn start_from(
    config: &SessionConfig,
    record: &SessionRecord,
    live_exe: Option<&str>,
    settings_file: &Path,
) -> SessionShares {
    let settings = Settings::load(settings_file).0;
    match settings.serve_into.get(&record.appid) {
        Some(wanted) if !wanted.targets.is_empty() && record.failure.is_none() => {
            start_with(config, Served::of_session(record), wanted, live_exe)
        }
        _ => SessionShares::default(),
    }
}

/// Serves `served` into every target of `wanted`.
pub fn start_with(
    config: &SessionConfig,
    served: Served,
    wanted: &ServeInto,
    live_exe: Option<&str>,
) -> SessionShares {
    let mut out = SessionShares::default();
    let discovery = bridgekeeper_steam::discover(&bridgekeeper_steam::DiscoveryOptions::from_env());
    let options = ShareOptions {
        stand_in: wanted
            .stand_in
            .then(|| live_exe.map(str::to_owned))
            .flatten(),
    };
    for text in &wanted.targets {
        let target = ShareTarget::parse(text);
        let started = target
            .resolve(&discovery)
            .map_err(ShareError::from)
            .and_then(|resolved| share_into(config, served.clone(), resolved, &options));
        match started {
            Ok(share) => out.shares.push(share),
            // Another keeper (the program that started the session)
            // serves it already.
            Err(ShareError::AlreadyShared { .. }) => {}
            Err(err) => {
                let problem = format!("not serving {} into {target}: {err}", served.game);
                tracing::warn!("{problem}");
                out.problems.push(problem);
            }
        }
    }
    out
}
