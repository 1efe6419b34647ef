//! Auto-attach in the desktop app: the library's watcher
//! ([`bridgekeeper_sessions::watcher`]) on a thread while auto-attach is on;
//! its notices go into the shared state, and its refusals to the session
//! events (for the D-Bus signal and the notification).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use crate::actions;
use crate::state::{SharedState, lock};
use bridgekeeper_sessions::events::{EventSender, Refusal};
use bridgekeeper_sessions::watcher::{Notice, Watcher};

/// Starts and stops the watcher to follow the auto-attach setting.
#[derive(Debug, Default)]
pub struct AutoAttach {
    stop: Option<Arc<AtomicBool>>,
    events: Option<EventSender>,
}

impl AutoAttach {
    /// A watcher whose refusals also go to `events`.
    pub fn reporting_to(events: EventSender) -> AutoAttach {
        AutoAttach {
            stop: None,
            events: Some(events),
        }
    }

    /// Starts or stops the watcher to match the settings.
    pub fn sync(&mut self, shared: &SharedState) {
        let (want, config, catalog) = {
            let s = lock(shared);
            (
                s.settings.auto_attach,
                s.env.sessions.clone().ok(),
                s.catalog.clone(),
            )
        };
        match (want, config, &self.stop) {
            (true, Some(config), None) => {
                let stop = Arc::new(AtomicBool::new(false));
                let (tx, rx) = mpsc::channel();
                let flag = stop.clone();
                let settings = shared.clone();
                let allow = move |appid| lock(&settings).settings.auto_attach_for(appid);
                std::thread::spawn(move || {
                    Watcher::new(config, catalog, tx)
                        .with_auto_attach(allow)
                        .run(&flag)
                });
                let state = shared.clone();
                let events = self.events.clone();
                std::thread::spawn(move || {
                    for notice in rx {
                        on_notice(&state, notice, events.as_ref());
                    }
                });
                self.stop = Some(stop);
                lock(shared).watching = true;
            }
            (false, _, Some(_)) => {
                if let Some(stop) = self.stop.take() {
                    stop.store(true, Ordering::Relaxed);
                }
                lock(shared).watching = false;
            }
            _ => {}
        }
    }
}

impl Drop for AutoAttach {
    fn drop(&mut self) {
        if let Some(stop) = &self.stop {
            stop.store(true, Ordering::Relaxed);
        }
    }
}

fn on_notice(shared: &SharedState, notice: Notice, events: Option<&EventSender>) {
    if let Some(events) = events {
        let catalog = lock(shared).catalog.clone();
        if let Some(refusal) = Refusal::of_notice(&notice, &catalog.read()) {
            events.refused(refusal);
        }
    }
    {
        let mut s = lock(shared);
        match notice {
            Notice::Attached { status, game_pid } => {
                s.refusals.remove(&status.appid);
                s.note(format!("{} started (pid {game_pid}): bridged", status.game));
            }
            Notice::Refused { game, pid, reason } => {
                s.note(format!(
                    "{game} started (pid {pid}) but was not bridged: {reason}"
                ));
            }
            Notice::Adopted(status) => {
                s.note(format!("{}: following its running session", status.game))
            }
            Notice::Ended(status) => s.note(format!("{}: session ended", status.game)),
        }
    }
    actions::refresh_sessions(shared);
    lock(shared).changed();
}
