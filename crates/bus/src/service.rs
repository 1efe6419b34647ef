//! The service: the interface on the bus, its well-known name, and the
//! session events turned into signals and notifications.
//!
//! Failure mode: the desktop app and `bridgekeeper watch` (a systemd user
//! service) may both run; two owners would answer calls twice and a person
//! would see every notification twice. Design: each asks for the name
//! *queued* (no `DoNotQueue`, no replacement): the first owns it, the
//! second waits in the bus's queue and gets it when the first exits, with
//! nothing lost meanwhile (its event source already tracks the sessions).
//! Only the current owner (asked of the bus at each event) emits signals
//! and sends notifications.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use bridgekeeper_sessions::events::{SessionEvent, SessionEvents};
use enumflags2::BitFlags;
use zbus::blocking::Connection;
use zbus::blocking::connection::Builder;
use zbus::fdo::RequestNameReply;
use zbus::object_server::SignalEmitter;

use crate::Backend;
use crate::interface::Bridgekeeper1;
use crate::names::{BUS_NAME, OBJECT_PATH};
use crate::notifications::{self, Notifier};
use crate::wire;

/// How long this process waits for the bus or the notification server.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Which bus to serve on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bus {
    /// The session bus (`DBUS_SESSION_BUS_ADDRESS`, else
    /// `$XDG_RUNTIME_DIR/bus`).
    Session,
    /// The bus at this D-Bus address.
    Address(String),
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot serve {BUS_NAME} on the session bus ({0}); Bridgekeeper works on, without its \
     D-Bus interface and notifications. Is a D-Bus session bus running (DBUS_SESSION_BUS_ADDRESS)?"
)]
pub struct ServiceError(#[from] zbus::Error);

/// The running service; it leaves the bus when dropped.
#[derive(Debug)]
pub struct Service {
    connection: Connection,
    stop: Arc<AtomicBool>,
    pump: Option<JoinHandle<()>>,
}

impl Service {
    /// Serves the interface for `backend` on `bus`, asks for the name
    /// (queued behind an owner that is there already) and turns `events`
    /// into signals and notifications while it owns the name.
    pub fn start(
        backend: Arc<dyn Backend>,
        events: SessionEvents,
        bus: &Bus,
    ) -> Result<Service, ServiceError> {
        let builder = match bus {
            Bus::Session => Builder::session()?,
            Bus::Address(address) => Builder::address(address.as_str())?,
        };
        let connection = builder
            // A notification server that hangs must not hold up the events
            // behind it: this process's own calls give up after a while.
            .method_timeout(CALL_TIMEOUT)
            .serve_at(OBJECT_PATH, Bridgekeeper1::new(Arc::clone(&backend)))?
            .build()?;
        // No flags: queue behind an owner, never replace one. (zbus's
        // default flags would replace the owner and never queue.)
        let reply = connection.request_name_with_flags(BUS_NAME, BitFlags::empty())?;
        if reply == RequestNameReply::InQueue {
            tracing::info!(
                "{BUS_NAME} is served by another Bridgekeeper; this one takes over when it exits"
            );
        }
        let emitter = connection
            .object_server()
            .interface::<_, Bridgekeeper1>(OBJECT_PATH)?
            .signal_emitter()
            .clone();
        let stop = Arc::new(AtomicBool::new(false));
        let pump = Pump {
            connection: connection.clone(),
            emitter,
            notifier: Notifier::new(&connection)
                .inspect_err(|err| tracing::warn!("no desktop notifications: {err}"))
                .ok(),
            backend,
        };
        let flag = Arc::clone(&stop);
        let pump = std::thread::spawn(move || pump.run(&events, &flag));
        Ok(Service {
            connection,
            stop,
            pump: Some(pump),
        })
    }

    /// Whether this process owns [`BUS_NAME`] now.
    pub fn is_owner(&self) -> bool {
        is_owner(&self.connection)
    }

    /// This connection's unique name on the bus.
    pub fn unique_name(&self) -> Option<String> {
        self.connection.unique_name().map(|n| n.to_string())
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(pump) = self.pump.take() {
            let _ = pump.join();
        }
        let _ = self.connection.release_name(BUS_NAME);
    }
}

/// Whether `connection` owns [`BUS_NAME`] now (asked of the bus).
fn is_owner(connection: &Connection) -> bool {
    let owner = zbus::blocking::fdo::DBusProxy::new(connection)
        .and_then(|bus| Ok(bus.get_name_owner(BUS_NAME.try_into()?)?));
    match (owner, connection.unique_name()) {
        (Ok(owner), Some(me)) => owner.as_str() == me.as_str(),
        _ => false,
    }
}

/// Turns session events into signals and notifications.
struct Pump {
    connection: Connection,
    emitter: SignalEmitter<'static>,
    notifier: Option<Notifier>,
    backend: Arc<dyn Backend>,
}

impl Pump {
    fn run(mut self, events: &SessionEvents, stop: &AtomicBool) {
        while !stop.load(Ordering::Relaxed) {
            match events.recv_timeout(Duration::from_millis(200)) {
                Ok(event) => self.handle(&event),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn handle(&mut self, event: &SessionEvent) {
        if !is_owner(&self.connection) {
            return;
        }
        if let Err(err) = futures_lite::future::block_on(emit(&self.emitter, event)) {
            tracing::warn!("cannot emit a D-Bus signal: {err}");
        }
        if !self.backend.notifications() {
            return;
        }
        let (Some(notification), Some(notifier)) = (notifications::of(event), &mut self.notifier)
        else {
            return;
        };
        if let Err(err) = notifier.send(&notification) {
            tracing::warn!(
                "cannot show the notification \"{}\" ({err}); is a notification server running?",
                notification.summary
            );
        }
    }
}

/// Emits the signal of `event`.
async fn emit(emitter: &SignalEmitter<'_>, event: &SessionEvent) -> zbus::Result<()> {
    match event {
        SessionEvent::Started(s) => {
            Bridgekeeper1::session_started(
                emitter,
                s.appid,
                &s.game,
                &s.id,
                &s.kind.to_string(),
                &wire::mappings(s),
            )
            .await
        }
        SessionEvent::Ended(s) => {
            Bridgekeeper1::session_ended(
                emitter,
                s.appid,
                &s.game,
                &s.id,
                wire::state_word(&s.state),
                s.ending.as_deref().unwrap_or_default(),
                &wire::mappings(s),
            )
            .await
        }
        SessionEvent::Refused(r) => {
            Bridgekeeper1::attach_refused(emitter, r.appid, &r.game, &r.reason).await
        }
        SessionEvent::MappingProblem(p) => {
            let (pid, exe) = p.culprit.as_ref().map_or((0, String::new()), |c| {
                (
                    c.pid,
                    c.exe
                        .as_ref()
                        .map(|e| e.display().to_string())
                        .unwrap_or_default(),
                )
            });
            let length = match p.what {
                bridgekeeper_sessions::events::ProblemKind::Shortened { length, .. } => length,
                _ => 0,
            };
            Bridgekeeper1::mapping_problem(
                emitter,
                p.appid,
                &p.game,
                &p.session,
                &p.mapping,
                &p.file.display().to_string(),
                p.what.word(),
                length,
                pid,
                &exe,
                &p.fix,
                &p.to_string(),
            )
            .await
        }
    }
}
