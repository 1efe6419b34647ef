//! Bridgekeeper on D-Bus: the interface `io.github.bridgekeeper.Bridgekeeper1`
//! on the session bus (methods Attach, Stop, Status, StatusJson; signals
//! SessionStarted, SessionEnded, AttachRefused, MappingProblem; see
//! docs/dbus.md), and desktop notifications through the freedesktop
//! Notifications API, both driven by the library's session events
//! ([`bridgekeeper_sessions::events`]).
//!
//! The desktop app and `bridgekeeper watch` each start a [`Service`] over
//! their own [`Backend`]; one owns the name at a time (see [`service`]).
//!
//! Layers: this crate uses `bridgekeeper-sessions` and below; the app uses
//! it. It speaks D-Bus through zbus, the stack the tray already uses.

pub mod errors;
pub mod interface;
pub mod names;
pub mod notifications;
pub mod service;
pub mod wire;

use std::sync::Arc;

use bridgekeeper_profiles::SharedCatalog;
use bridgekeeper_sessions::config::ConfigError;
use bridgekeeper_sessions::{Registry, SessionConfig};

pub use errors::BusError;
pub use names::{BUS_NAME, ERROR_PREFIX, INTERFACE, OBJECT_PATH};
pub use service::{Bus, Service, ServiceError};

/// What the service serves from: the desktop app's state, or the
/// watcher's. Each call asks afresh, so changed settings apply at once.
pub trait Backend: Send + Sync + 'static {
    /// Who serves: `desktop app` or `bridgekeeper watch` (the `ServedBy`
    /// property).
    fn served_by(&self) -> &str;
    /// The session registry.
    fn registry(&self) -> Registry;
    /// The sessions' configuration, or why sessions cannot start.
    fn sessions(&self) -> Result<SessionConfig, Arc<ConfigError>>;
    /// The profiles.
    fn catalog(&self) -> SharedCatalog;
    /// Whether supported games are attached as they start.
    fn watching(&self) -> bool;
    /// Whether desktop notifications are on.
    fn notifications(&self) -> bool;
}
