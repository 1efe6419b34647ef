//! The interface's D-Bus errors, named `io.github.bridgekeeper.Bridgekeeper1.Error.*`,
//! one per reason the library gives: a tool can tell "the game is not
//! running" from "no profile" by name, and the message is the sentence the
//! command line prints, which says what to do.

use bridgekeeper_sessions::attach::AttachError;
use bridgekeeper_sessions::config::ConfigError;
use bridgekeeper_sessions::stop::StopOutcome;

/// An error of a method call.
#[derive(Debug, zbus::DBusError)]
#[zbus(prefix = "io.github.bridgekeeper.Bridgekeeper1.Error")]
pub enum BusError {
    /// A D-Bus error of zbus itself.
    #[zbus(error)]
    ZBus(zbus::Error),
    /// The game is not running (no process of its profile with a Wine prefix).
    NotRunning(String),
    /// No profile knows the appid.
    NoProfile(String),
    /// A bridge already serves the game's prefix.
    AlreadyBridged(String),
    /// Another live session serves one of the game's files.
    Clash(String),
    /// The game's wineserver cannot be joined (no Proton found, its Wine is missing …).
    CannotJoin(String),
    /// The profile has no mappings.
    NoMappings(String),
    /// A backing file cannot be used (a link, someone else's, no space …).
    BackingFile(String),
    /// The session registry cannot be written.
    Registry(String),
    /// The bridge did not start or did not get ready.
    BridgeFailed(String),
    /// Sessions cannot start at all: the bridge files are missing or
    /// `BRIDGEKEEPER_SHM_DIR` is wrong.
    Config(String),
    /// Stop: no running session of the appid.
    NoSession(String),
    /// Stop: a `bridgekeeper run` session; it ends with its game.
    EndsWithGame(String),
    /// Stop: the bridge did not stop in time.
    StopTimedOut(String),
    /// Stop: the stop request could not be written.
    StopFailed(String),
}

impl From<AttachError> for BusError {
    fn from(err: AttachError) -> BusError {
        let message = err.to_string();
        match err {
            AttachError::NotRunning { .. } => BusError::NotRunning(message),
            AttachError::NoProfile { .. } => BusError::NoProfile(message),
            AttachError::AlreadyBridged { .. } => BusError::AlreadyBridged(message),
            AttachError::Clash(_) => BusError::Clash(message),
            AttachError::Join(_) => BusError::CannotJoin(message),
            AttachError::NoMappings { .. } => BusError::NoMappings(message),
            AttachError::File(_) => BusError::BackingFile(message),
            AttachError::Registry { .. } => BusError::Registry(message),
            AttachError::Bridge(_) => BusError::BridgeFailed(message),
        }
    }
}

impl From<&ConfigError> for BusError {
    fn from(err: &ConfigError) -> BusError {
        BusError::Config(err.to_string())
    }
}

/// The error for the outcomes of a stop that did not stop every session,
/// or `None` when all stopped. The message names each session that did not.
pub fn stop_error(appid: u32, outcomes: &[StopOutcome]) -> Option<BusError> {
    if outcomes.is_empty() {
        return Some(BusError::NoSession(format!(
            "no running session for appid {appid}"
        )));
    }
    let mut first = None;
    let mut messages = Vec::new();
    for outcome in outcomes {
        let make: fn(String) -> BusError = match outcome {
            StopOutcome::Stopped(_) => continue,
            StopOutcome::EndsWithGame(_) => BusError::EndsWithGame,
            StopOutcome::TimedOut(_) => BusError::StopTimedOut,
        };
        first.get_or_insert(make);
        messages.push(outcome.to_string());
    }
    first.map(|make| make(messages.join("; ")))
}
