//! [`DashboardSource`]: a session's gauges, decoded off the window's thread.
//!
//! Failure mode: decoding the gauges on the window's thread would tie each
//! frame's cost to the pages' sizes (rFactor 2's per-car telemetry is a
//! quarter of a megabyte), and the window would have to wake on a timer to
//! learn whether any value changed, repainting when none did. And a second
//! reader of the mapping files would double the reads and could disagree
//! with the table about whether data flows.
//!
//! So the [`Feed`](super::feed::Feed)s that already read the session's
//! mapping files call [`DashboardSource::update`] on their own threads after
//! a read that brought news. It decodes with [`Dashboard::read`] from the
//! pages as the feeds stored them, keeps the values and when they last
//! changed, and wakes the window only when a value changed: the window is
//! drawn at the game's rate or the feeds' (the screen's) rate, whichever is
//! lower, and not at all while nothing changes.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use parking_lot::{Mutex, MutexGuard};

use bridgekeeper_profiles::{Dashboard, DashboardValues};
use bridgekeeper_shm::ReadState;

use super::feed::{Listener, Page};

/// The latest decoded values and when they last changed.
#[derive(Debug, Default)]
pub struct Reading {
    /// The gauges' values.
    pub values: DashboardValues,
    /// When a value last changed (`None`: no value read yet).
    pub changed_at: Option<Instant>,
    /// The same moment on the wall clock, to say "since 14:02:11".
    pub changed_wall: Option<SystemTime>,
    /// Decodes done.
    pub decodes: u64,
    /// Times the window was woken (a value changed).
    pub wakes: u64,
}

/// A session's dashboard and the pages it reads; see the module docs.
pub struct DashboardSource {
    dashboard: Dashboard,
    /// The pages by the mapping names the dashboard uses, locked in this
    /// order (one decode at a time, see `decoding`).
    pages: Vec<(String, Arc<Mutex<Page>>)>,
    reading: Mutex<Reading>,
    /// Held across a decode: several feeds' threads may call `update`.
    decoding: Mutex<()>,
    ctx: egui::Context,
}

impl std::fmt::Debug for DashboardSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardSource")
            .field("gauges", &self.dashboard.gauges())
            .field(
                "pages",
                &self.pages.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl DashboardSource {
    /// A source decoding `dashboard` from `pages` (by mapping name), waking
    /// `ctx` when a value changes.
    pub fn new(
        dashboard: Dashboard,
        pages: Vec<(String, Arc<Mutex<Page>>)>,
        ctx: egui::Context,
    ) -> Arc<DashboardSource> {
        Arc::new(DashboardSource {
            dashboard,
            pages,
            reading: Mutex::new(Reading::default()),
            decoding: Mutex::new(()),
            ctx,
        })
    }

    /// The dashboard decoded.
    pub fn dashboard(&self) -> &Dashboard {
        &self.dashboard
    }

    /// The latest reading (locked: keep it for one frame at most).
    pub fn reading(&self) -> MutexGuard<'_, Reading> {
        self.reading.lock()
    }

    /// Decodes the pages as they are; wakes the window when a value
    /// changed. Returns whether one did. A page whose file is not readable
    /// now counts as missing: its gauges read as none.
    pub fn update(&self, now: Instant) -> bool {
        let _one = self.decoding.lock();
        let guards: Vec<(&str, MutexGuard<'_, Page>)> = self
            .pages
            .iter()
            .map(|(name, page)| (name.as_str(), page.lock()))
            .collect();
        let values = self.dashboard.read(|name| {
            guards
                .iter()
                .find(|(n, page)| *n == name && matches!(page.read, ReadState::Live { .. }))
                .map(|(_, page)| page.tracker.data())
        });
        drop(guards);
        let mut reading = self.reading.lock();
        reading.decodes += 1;
        if values == reading.values {
            return false;
        }
        reading.values = values;
        reading.changed_at = Some(now);
        reading.changed_wall = Some(SystemTime::now());
        reading.wakes += 1;
        drop(reading);
        self.ctx.request_repaint();
        true
    }

    /// A listener for the feeds: decodes on the calling feed's thread. It
    /// holds the source weakly, so a dropped dashboard stops decoding.
    pub fn listener(self: &Arc<Self>) -> Listener {
        let source = Arc::downgrade(self);
        Arc::new(move || {
            if let Some(source) = source.upgrade() {
                source.update(Instant::now());
            }
        })
    }
}
