//! Sessions and their mappings: name, /dev/shm file, size, mode, updates
//! per second, time since the last change, and a clear sign when no data
//! flows. Each mapping file is read by a [`Feed`] on its own thread (20
//! times a second, only the bytes the table needs); the table is drawn
//! again at most twice a second while data flows, once when it stops, and
//! not at all while nothing changes.
//!
//! Above each session's table, a [`LiveDashboard`] shows the profile's
//! gauges. It decodes from the same feeds (no file is read twice); the
//! files it reads are read more often ([`DASHBOARD_POLL`], about a screen's
//! refresh) and up to the last byte a gauge needs, and it wakes the window
//! only when a value changes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bridgekeeper_protocol::MappingMode;

use super::Request;
use super::dashboard::LiveDashboard;
use super::dashboard_source::DashboardSource;
use super::feed::{Feed, FeedConfig, QUIET, Wake};
pub use super::since::since_words;
use crate::actions::Action;
use crate::state::DesktopState;
use bridgekeeper_profiles::{Catalog, Field};
use bridgekeeper_sessions::SessionStatus;
use bridgekeeper_sessions::status::MappingStatus;
use bridgekeeper_shm::{MAX_READ, ReadState};

/// How often a mapping is read for the table; a game that updates faster
/// shows "≥ 20" unless its profile names a packet counter.
const POLL: Duration = Duration::from_millis(50);

/// How often a mapping a dashboard gauge reads is read: a 60 Hz screen's
/// refresh. A game that writes more often is shown at this rate; one that
/// writes less often, at its own (the window is woken only on a change).
pub const DASHBOARD_POLL: Duration = Duration::from_micros(16_667);

/// The table is drawn again at most this often while data flows.
const TABLE_REFRESH: Duration = Duration::from_millis(500);

/// The sessions panel's state: a feed per mapping file, a dashboard per
/// session.
#[derive(Debug, Default)]
pub struct SessionsPanel {
    /// Feeds by file.
    pub feeds: HashMap<PathBuf, Feed>,
    /// Live dashboards by session id, with the files they were started on
    /// (a session whose files change gets a new one).
    pub dashboards: HashMap<String, (Vec<PathBuf>, LiveDashboard)>,
    /// Ids of the sessions being recorded (their button says Stop
    /// recording).
    pub recording: Vec<String>,
}

/// The profile's packet counter for `mapping`, if it names one.
fn liveness_field<'a>(
    catalog: Option<&'a Catalog>,
    profile: &str,
    mapping: &str,
) -> Option<&'a Field> {
    let profile = &catalog?.get(profile)?.profile;
    let m = profile.mapping(mapping)?;
    profile.layout_of(m)?.field(m.liveness.as_deref()?)
}

/// The word for a mapping's mode.
pub fn mode_label(mode: Option<MappingMode>) -> &'static str {
    match mode {
        Some(mode) => mode.label(),
        None => "not set up",
    }
}

/// Record (or Stop recording) for an active session that is not a replay.
fn record_button(
    ui: &mut egui::Ui,
    session: &SessionStatus,
    recording: &[String],
    out: &mut Vec<Request>,
) {
    if !session.is_active() || session.kind == bridgekeeper_sessions::SessionKind::Replay {
        return;
    }
    if recording.contains(&session.id) {
        if ui
            .button(format!("Stop recording {}", session.game))
            .clicked()
        {
            out.push(Request::StopRecording(session.id.clone()));
        }
    } else if ui
        .button(format!("Record {}", session.game))
        .on_hover_text("record every mapping into a capture file (Replays tab)")
        .clicked()
    {
        out.push(Request::Record(session.id.clone()));
    }
}

impl SessionsPanel {
    /// Stops (or resumes) reading the files: a hidden table needs no data,
    /// and must not wake the window.
    pub fn pause(&self, paused: bool) {
        for feed in self.feeds.values() {
            feed.set_paused(paused);
        }
    }

    /// Draws every session; returns what the person asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &DesktopState) -> Vec<Request> {
        let catalog = state.catalog.read();
        self.sessions_ui(
            ui,
            &state.sessions,
            state.shm_notice.as_deref(),
            Some(&catalog),
        )
    }

    /// Draws `sessions` (with the Flatpak Steam `notice`, if any), with
    /// their profiles from `catalog` when given.
    pub fn sessions_ui(
        &mut self,
        ui: &mut egui::Ui,
        sessions: &[SessionStatus],
        notice: Option<&str>,
        catalog: Option<&Catalog>,
    ) -> Vec<Request> {
        let mut out = Vec::new();
        ui.heading("Sessions");
        if let Some(notice) = notice {
            ui.colored_label(ui.visuals().warn_fg_color, notice);
        }
        let live: Vec<&PathBuf> = sessions
            .iter()
            .flat_map(|s| s.mappings.iter().map(|m| &m.file))
            .collect();
        self.feeds.retain(|file, _| live.contains(&file));
        self.dashboards
            .retain(|id, _| sessions.iter().any(|s| &s.id == id));
        self.pause(false);
        if sessions.is_empty() {
            ui.label(
                "No session. Attach a running game in Games, turn on auto-attach, or start a \
                 game with the launch option `bridgekeeper run %command%`.",
            );
            return out;
        }
        let now = Instant::now();
        let mut next_change = None;
        for session in sessions {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_width(ui.available_width());
                self.session(ui, session, catalog, now, &mut next_change, &mut out);
            });
        }
        if let Some(after) = next_change {
            // The "last change" column moves to its next wording then.
            ui.ctx().request_repaint_after(after);
        }
        out
    }

    /// Starts the feed of `m`'s file if there is none: it reads up to the
    /// profile's packet counter (the whole mapping without one), and at
    /// least the `extent` a dashboard needs, then more often.
    fn ensure_feed(
        &mut self,
        ctx: &egui::Context,
        m: &MappingStatus,
        catalog: Option<&Catalog>,
        profile: &str,
        extent: usize,
    ) {
        if self.feeds.contains_key(&m.file) {
            return;
        }
        let counter = liveness_field(catalog, profile, &m.name).cloned();
        let limit = counter
            .as_ref()
            .map_or(m.size, |f| f.end() as u64)
            .max(extent as u64)
            .clamp(1, MAX_READ);
        let period = if extent > 0 { DASHBOARD_POLL } else { POLL };
        let feed = Feed::start(
            FeedConfig {
                path: m.file.clone(),
                limit,
                period,
                wake: Wake::AtMost(TABLE_REFRESH),
                counter,
                layout: None,
            },
            ctx.clone(),
        );
        self.feeds.insert(m.file.clone(), feed);
    }

    /// Draws `session`'s live dashboard, starting it on first sight.
    fn dashboard_ui(
        &mut self,
        ui: &mut egui::Ui,
        session: &SessionStatus,
        dashboard: &bridgekeeper_profiles::Dashboard,
    ) {
        if dashboard.gauges().is_empty() {
            if let Some(why) = dashboard.unavailable.values().next() {
                ui.label(format!(
                    "No live dashboard for {}: every value is {why}.",
                    session.game
                ));
            }
            return;
        }
        let files: Vec<PathBuf> = session.mappings.iter().map(|m| m.file.clone()).collect();
        if self
            .dashboards
            .get(&session.id)
            .is_some_and(|(started_on, _)| *started_on != files)
        {
            self.dashboards.remove(&session.id);
        }
        let feeds = &self.feeds;
        let (_, live) = self
            .dashboards
            .entry(session.id.clone())
            .or_insert_with(|| {
                let pages = session
                    .mappings
                    .iter()
                    .filter(|m| dashboard.extent(&m.name) > 0)
                    .filter_map(|m| Some((m.name.clone(), feeds.get(&m.file)?)))
                    .collect::<Vec<_>>();
                let source = DashboardSource::new(
                    dashboard.clone(),
                    pages
                        .iter()
                        .map(|(name, feed)| (name.clone(), feed.shared_page()))
                        .collect(),
                    ui.ctx().clone(),
                );
                for (_, feed) in &pages {
                    feed.set_listener(Some(source.listener()));
                }
                // The pages the feeds already hold.
                source.update(Instant::now());
                (files, LiveDashboard::new(source))
            });
        egui::Frame::new()
            .inner_margin(egui::Margin::symmetric(0, 6))
            .show(ui, |ui| live.ui(ui));
    }

    fn session(
        &mut self,
        ui: &mut egui::Ui,
        session: &SessionStatus,
        catalog: Option<&Catalog>,
        now: Instant,
        next_change: &mut Option<Duration>,
        out: &mut Vec<Request>,
    ) {
        let state = &session.state;
        ui.horizontal_wrapped(|ui| {
            ui.strong(&session.game);
            let pid = session
                .bridge_pid
                .map(|p| format!(" · bridge pid {p}"))
                .unwrap_or_default();
            ui.label(format!(
                "profile {} · {} session · {state}{pid}",
                session.profile, session.kind,
            ));
            if session.is_active() && ui.button(format!("Stop {}", session.game)).clicked() {
                out.push(Request::Action(Action::Stop(session.appid)));
            }
            record_button(ui, session, &self.recording, out);
        });
        ui.label(format!("Prefix: {}", session.prefix.display()));
        if let Some(ending) = &session.ending {
            ui.label(ending);
        }
        if let Some(advice) = &session.advice {
            ui.colored_label(ui.visuals().warn_fg_color, advice);
        }
        for problem in &session.problems {
            ui.colored_label(ui.visuals().error_fg_color, format!("Problem: {problem}"));
            ui.label(&problem.fix);
        }
        for warning in &session.readers {
            ui.colored_label(ui.visuals().warn_fg_color, warning.to_string());
        }
        let dashboard = catalog
            .and_then(|c| c.get(&session.profile))
            .and_then(|e| e.profile.dashboard.as_ref());
        for m in &session.mappings {
            let extent = dashboard.map_or(0, |d| d.extent(&m.name));
            self.ensure_feed(ui.ctx(), m, catalog, &session.profile, extent);
        }
        if let Some(dashboard) = dashboard {
            self.dashboard_ui(ui, session, dashboard);
        }
        let mut problems = Vec::new();
        egui::Grid::new(("mappings", &session.id))
            .num_columns(8)
            .striped(true)
            .show(ui, |ui| {
                for h in [
                    "Mapping",
                    "File",
                    "Size",
                    "Mode",
                    "Updates/s",
                    "Last change",
                    "Flow",
                    "",
                ] {
                    ui.strong(h);
                }
                ui.end_row();
                for m in &session.mappings {
                    let Some(feed) = self.feeds.get(&m.file) else {
                        continue;
                    };
                    let page = feed.page();
                    ui.label(&m.name);
                    ui.monospace(m.file.display().to_string());
                    ui.label(format!("{} bytes", m.size));
                    ui.label(mode_label(m.mode));
                    let t = &page.tracker;
                    let sampled = (1.0 / feed.period().as_secs_f64()).round() as usize;
                    ui.label(match page.counter.as_ref().and_then(|c| c.per_second()) {
                        Some(rate) => format!("{rate:.0}"),
                        None => match t.updates_per_second(now) {
                            n if n >= sampled => format!("≥ {sampled}"),
                            n => n.to_string(),
                        },
                    });
                    let (since, next) =
                        since_words(t.last_change().map(|c| now.saturating_duration_since(c)));
                    if let Some(next) = next {
                        *next_change = Some(next_change.map_or(next, |n: Duration| n.min(next)));
                    }
                    ui.label(since);
                    let problem = match (&page.read, &m.error) {
                        (_, Some(e)) => {
                            ui.colored_label(ui.visuals().error_fg_color, format!("error: {e}"));
                            None
                        }
                        (ReadState::Live { .. }, _) if !t.is_stale(now, QUIET) => {
                            ui.colored_label(egui::Color32::from_rgb(60, 170, 60), "• data flows");
                            None
                        }
                        // A page with a packet counter changes every frame
                        // while the game runs; others (static data, session
                        // info, a page only readers use) may rest for long.
                        (ReadState::Live { .. }, _) if page.counter.is_some() => {
                            ui.colored_label(
                                ui.visuals().warn_fg_color,
                                "NO DATA: nothing changed for 2 s",
                            );
                            None
                        }
                        (ReadState::Live { .. }, _) => {
                            ui.label("steady").on_hover_text(
                                "Nothing changed for 2 s. This page has no packet counter: \
                                 the game may write it only now and then.",
                            );
                            None
                        }
                        (ReadState::Unread, _) => {
                            ui.label("reading…");
                            None
                        }
                        (ReadState::NotRegular { kind }, _) => {
                            ui.colored_label(
                                ui.visuals().error_fg_color,
                                format!("NOT A FILE ({kind})"),
                            );
                            Some(format!("{} is {}", m.file.display(), page.read.describe()))
                        }
                        (ReadState::Empty, _) => {
                            ui.colored_label(ui.visuals().warn_fg_color, "EMPTY");
                            Some(format!("{}: {}", m.file.display(), page.read.describe()))
                        }
                        (ReadState::Vanished, _) => {
                            ui.colored_label(ui.visuals().error_fg_color, "GONE");
                            Some(format!("{}: {}", m.file.display(), page.read.describe()))
                        }
                        (ReadState::Failed(_), _) => {
                            ui.colored_label(ui.visuals().error_fg_color, "UNREADABLE");
                            Some(format!("{}: {}", m.file.display(), page.read.describe()))
                        }
                    };
                    problems.extend(problem);
                    drop(page);
                    if ui.button(format!("Inspect {}", m.name)).clicked() {
                        out.push(Request::Inspect {
                            title: m.name.clone(),
                            path: m.file.clone(),
                            profile: session.profile.clone(),
                        });
                    }
                    ui.end_row();
                }
            });
        // What is wrong with a file, in full, below the table (a table
        // cell that long would push the Inspect buttons out of the window).
        for problem in problems {
            ui.colored_label(ui.visuals().error_fg_color, problem);
        }
    }
}
