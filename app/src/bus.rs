//! The D-Bus service (`bridgekeeper-bus`) in this program: `bridgekeeper
//! watch` and the desktop app each serve it over their own state, and
//! whichever owns the name sends the notifications (see docs/dbus.md).
//!
//! No session bus is not an error: the program works on without its D-Bus
//! interface and notifications, and says so once in the log.

use std::path::PathBuf;
use std::sync::Arc;

use bridgekeeper_bus::{Backend, Bus, Service};
use bridgekeeper_profiles::SharedCatalog;
use bridgekeeper_sessions::config::ConfigError;
use bridgekeeper_sessions::events::{EventSender, SessionEvents};
use bridgekeeper_sessions::settings::Settings;
use bridgekeeper_sessions::{Registry, SessionConfig};

/// Starts the event source over `registry` and the service over
/// `backend`; returns the service (none without a session bus) and the
/// sender for events noticed elsewhere (the watcher's refusals).
pub fn start(backend: Arc<dyn Backend>, registry: Registry) -> (Option<Service>, EventSender) {
    let events = SessionEvents::start(registry);
    let sender = events.sender();
    match Service::start(backend, events, &Bus::Session) {
        Ok(service) => (Some(service), sender),
        Err(err) => {
            tracing::warn!("{err}");
            (None, sender)
        }
    }
}

/// What `bridgekeeper watch` serves from.
#[derive(Debug)]
pub struct WatchBackend {
    /// The sessions' configuration, or why there is none.
    pub sessions: Result<SessionConfig, Arc<ConfigError>>,
    /// The profiles the watcher uses.
    pub catalog: SharedCatalog,
    /// The settings file, read at each event so the desktop app's
    /// Notifications checkbox applies to a running watcher too.
    pub settings_file: Option<PathBuf>,
}

impl Backend for WatchBackend {
    fn served_by(&self) -> &str {
        "bridgekeeper watch"
    }

    fn registry(&self) -> Registry {
        match &self.sessions {
            Ok(config) => config.registry.clone(),
            Err(_) => Registry::for_user(),
        }
    }

    fn sessions(&self) -> Result<SessionConfig, Arc<ConfigError>> {
        self.sessions.clone()
    }

    fn catalog(&self) -> SharedCatalog {
        Arc::clone(&self.catalog)
    }

    fn watching(&self) -> bool {
        true
    }

    fn notifications(&self) -> bool {
        self.settings_file
            .as_deref()
            .is_none_or(|file| Settings::load(file).0.notifications)
    }
}

/// What the desktop app serves from: its shared state.
#[cfg(feature = "gui")]
#[derive(Debug)]
pub struct DesktopBackend(pub crate::state::SharedState);

#[cfg(feature = "gui")]
impl Backend for DesktopBackend {
    fn served_by(&self) -> &str {
        "desktop app"
    }

    fn registry(&self) -> Registry {
        match &crate::state::lock(&self.0).env.sessions {
            Ok(config) => config.registry.clone(),
            Err(_) => Registry::for_user(),
        }
    }

    fn sessions(&self) -> Result<SessionConfig, Arc<ConfigError>> {
        crate::state::lock(&self.0).env.sessions.clone()
    }

    fn catalog(&self) -> SharedCatalog {
        crate::state::lock(&self.0).catalog.clone()
    }

    fn watching(&self) -> bool {
        crate::state::lock(&self.0).watching
    }

    fn notifications(&self) -> bool {
        crate::state::lock(&self.0).settings.notifications
    }
}
