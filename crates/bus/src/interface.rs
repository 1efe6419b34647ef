//! The interface `io.github.bridgekeeper.Bridgekeeper1`: its methods call
//! the library functions the command line and the window call
//! (`sessions::attach::attach_appid`, `sessions::stop::stop`,
//! `sessions::status::all`); nothing is done a second way here.
//!
//! Attach and Stop wait for a bridge (up to 30 s and 10 s), so they run on
//! a thread of the `blocking` pool: the connection's executor stays free to
//! answer other calls meanwhile.

// The MappingProblem signal has 11 arguments (and so the emitter the macro
// generates for it): that is its shape, kept flat for busctl and
// dbus-monitor.
#![allow(clippy::too_many_arguments)]

use std::sync::Arc;

use bridgekeeper_sessions::attach::attach_appid;
use bridgekeeper_sessions::status;
use bridgekeeper_sessions::stop::{StopOutcome, stop};
use zbus::object_server::SignalEmitter;

use crate::Backend;
use crate::errors::{BusError, stop_error};
use crate::wire::{MappingInfo, SessionInfo};

/// The object at [`crate::OBJECT_PATH`].
pub struct Bridgekeeper1 {
    backend: Arc<dyn Backend>,
}

impl std::fmt::Debug for Bridgekeeper1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridgekeeper1")
            .field("served_by", &self.backend.served_by())
            .finish()
    }
}

impl Bridgekeeper1 {
    /// The interface over `backend`.
    pub fn new(backend: Arc<dyn Backend>) -> Bridgekeeper1 {
        Bridgekeeper1 { backend }
    }
}

/// Attaches to the running game `appid`; the session's id, or why not.
fn attach(backend: &dyn Backend, appid: u32) -> Result<String, BusError> {
    let config = backend.sessions().map_err(|e| BusError::from(&*e))?;
    // A copy: attach can take half a minute, and a read lock held that long
    // would stall the window behind the next profile reload.
    let catalog = backend.catalog().read().clone();
    let session = attach_appid(&config, &catalog, appid)?;
    let id = session.record.id.clone();
    // Like the window's Attach: the bridge runs on its own and ends with
    // its game; the registry follows it.
    session.detach();
    Ok(id)
}

/// Stops the attach sessions of `appid`; the ids of those stopped.
fn stop_appid(backend: &dyn Backend, appid: u32) -> Result<Vec<String>, BusError> {
    let outcomes = stop(&backend.registry(), appid)
        .map_err(|e| BusError::StopFailed(format!("cannot ask the bridge to stop: {e}")))?;
    if let Some(err) = stop_error(appid, &outcomes) {
        return Err(err);
    }
    Ok(outcomes
        .iter()
        .filter_map(|o| match o {
            StopOutcome::Stopped(status) => Some(status.id.clone()),
            _ => None,
        })
        .collect())
}

#[zbus::interface(name = "io.github.bridgekeeper.Bridgekeeper1")]
impl Bridgekeeper1 {
    /// Attach(appid u) → session s: starts a bridge in the running game's
    /// wineserver, like `bridgekeeper attach APPID`.
    #[zbus(out_args("session"))]
    async fn attach(&self, appid: u32) -> Result<String, BusError> {
        let backend = Arc::clone(&self.backend);
        blocking::unblock(move || attach(&*backend, appid)).await
    }

    /// Stop(appid u) → stopped as: stops the game's attach sessions, like
    /// `bridgekeeper stop APPID`.
    #[zbus(out_args("stopped"))]
    async fn stop(&self, appid: u32) -> Result<Vec<String>, BusError> {
        let backend = Arc::clone(&self.backend);
        blocking::unblock(move || stop_appid(&*backend, appid)).await
    }

    /// Status() → sessions a(usssssua(sstss)): every session in the registry.
    #[zbus(out_args("sessions"))]
    async fn status(&self) -> Vec<SessionInfo> {
        let registry = self.backend.registry();
        blocking::unblock(move || {
            status::all(&registry)
                .iter()
                .map(SessionInfo::from)
                .collect()
        })
        .await
    }

    /// StatusJson() → json s: the JSON of `bridgekeeper status --json`.
    #[zbus(out_args("json"))]
    async fn status_json(&self) -> Result<String, BusError> {
        let registry = self.backend.registry();
        blocking::unblock(move || serde_json::to_string_pretty(&status::all(&registry)))
            .await
            .map_err(|e| BusError::Registry(format!("cannot write the status as JSON: {e}")))
    }

    /// This program's version.
    #[zbus(property(emits_changed_signal = "const"))]
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    /// Who serves the interface: `bridgekeeper watch` or `desktop app`.
    #[zbus(property(emits_changed_signal = "const"))]
    fn served_by(&self) -> String {
        self.backend.served_by().to_string()
    }

    /// Whether the server attaches to supported games as they start.
    #[zbus(property(emits_changed_signal = "false"))]
    fn watching(&self) -> bool {
        self.backend.watching()
    }

    /// Whether desktop notifications are on (the `notifications` setting).
    #[zbus(property(emits_changed_signal = "false"))]
    fn notifications(&self) -> bool {
        self.backend.notifications()
    }

    /// A session's bridge set up its mappings.
    #[zbus(signal)]
    pub async fn session_started(
        emitter: &SignalEmitter<'_>,
        appid: u32,
        game: &str,
        session: &str,
        kind: &str,
        mappings: &[MappingInfo],
    ) -> zbus::Result<()>;

    /// A started session is over; `state` is `ended` or `crashed`,
    /// `ending` says how in a sentence.
    #[zbus(signal)]
    pub async fn session_ended(
        emitter: &SignalEmitter<'_>,
        appid: u32,
        game: &str,
        session: &str,
        state: &str,
        ending: &str,
        mappings: &[MappingInfo],
    ) -> zbus::Result<()>;

    /// A game was not bridged, and why.
    #[zbus(signal)]
    pub async fn attach_refused(
        emitter: &SignalEmitter<'_>,
        appid: u32,
        game: &str,
        reason: &str,
    ) -> zbus::Result<()>;

    /// A mapping's file ran into a problem during a session.
    #[zbus(signal)]
    pub async fn mapping_problem(
        emitter: &SignalEmitter<'_>,
        appid: u32,
        game: &str,
        session: &str,
        mapping: &str,
        file: &str,
        problem: &str,
        length: u64,
        pid: u32,
        exe: &str,
        fix: &str,
        message: &str,
    ) -> zbus::Result<()>;
}
