//! The session registry, followed off the window's thread.
//!
//! The window used to re-read the registry every 2 s from its own frame
//! loop, which also meant drawing a frame every 2 s with nothing new. Now a
//! thread watches the registry folder with inotify (`notify`): a record or
//! an events file written, renamed or removed refreshes the sessions at
//! once. What inotify cannot see is a bridge that dies without a word, so
//! while a session is active its processes are also looked at every
//! [`LIVENESS`]; with no active session the thread sleeps until the folder
//! changes. The window and the tray hear of a refresh only when it changed
//! something ([`actions::refresh_sessions`]).

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use crate::actions;
use crate::state::{SharedState, lock};

/// How often active sessions' processes are looked at.
pub const LIVENESS: Duration = Duration::from_secs(2);

/// How long a burst of file events is gathered into one refresh.
const SETTLE: Duration = Duration::from_millis(30);

enum Message {
    Fs(notify::Result<Event>),
    Stop,
}

/// Follows the registry for as long as it lives.
pub struct SessionWatch {
    tx: mpsc::Sender<Message>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SessionWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionWatch")
    }
}

impl SessionWatch {
    /// Starts following the registry of `shared` (nothing to follow when
    /// sessions cannot start at all).
    pub fn start(shared: &SharedState) -> SessionWatch {
        let (tx, rx) = mpsc::channel();
        let registry = lock(shared)
            .env
            .sessions
            .as_ref()
            .ok()
            .map(|c| c.registry.clone());
        let shared = shared.clone();
        let events = tx.clone();
        let thread = std::thread::Builder::new()
            .name("session-watch".into())
            .spawn(move || {
                let watcher = registry.and_then(|registry| {
                    if let Err(e) = registry.ensure() {
                        tracing::warn!("cannot create {}: {e}", registry.dir().display());
                    }
                    watch(registry.dir(), events)
                        .map_err(|e| {
                            tracing::warn!(
                                "the session registry {} is not watched ({e}); it is re-read \
                                 every {} s instead",
                                registry.dir().display(),
                                LIVENESS.as_secs()
                            )
                        })
                        .ok()
                });
                run(&shared, &rx, watcher.is_some());
                drop(watcher);
            })
            .ok();
        SessionWatch { tx, thread }
    }
}

impl Drop for SessionWatch {
    fn drop(&mut self) {
        let _ = self.tx.send(Message::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn watch(
    dir: &std::path::Path,
    events: mpsc::Sender<Message>,
) -> notify::Result<RecommendedWatcher> {
    let mut watcher = notify::recommended_watcher(move |event| {
        let _ = events.send(Message::Fs(event));
    })?;
    watcher.watch(dir, RecursiveMode::NonRecursive)?;
    Ok(watcher)
}

/// Whether a file event may change a session: anything but reads (the
/// refresh's own reads of the folder come back as events too).
fn relevant(event: &notify::Result<Event>) -> bool {
    match event {
        Ok(e) => match e.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
            EventKind::Access(_) => false,
            _ => true,
        },
        Err(_) => true,
    }
}

fn run(shared: &SharedState, rx: &mpsc::Receiver<Message>, watched: bool) {
    actions::refresh_sessions(shared);
    loop {
        let active = lock(shared).sessions.iter().any(|s| s.is_active());
        let message = if active || !watched {
            rx.recv_timeout(LIVENESS)
        } else {
            rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
        };
        match message {
            Ok(Message::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Ok(Message::Fs(event)) if !relevant(&event) => continue,
            Ok(Message::Fs(_)) => {
                // Gather the rest of a burst (a record written, then renamed).
                std::thread::sleep(SETTLE);
                while let Ok(message) = rx.try_recv() {
                    if matches!(message, Message::Stop) {
                        return;
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        actions::refresh_sessions(shared);
    }
}
