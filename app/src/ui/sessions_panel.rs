//! Sessions and their mappings: name, /dev/shm file, size, mode, updates
//! per second, time since the last change, and a clear sign when no data
//! flows. Each mapping file is read by a [`Feed`] on its own thread (20
//! times a second, only the bytes the table needs); the table is drawn
//! again at most twice a second while data flows, once when it stops, and
//! not at all while nothing changes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bridgekeeper_protocol::MappingMode;

use super::Request;
use super::feed::{Feed, FeedConfig, QUIET, Wake};
use crate::actions::Action;
use crate::state::DesktopState;
use bridgekeeper_profiles::{Catalog, Field};
use bridgekeeper_sessions::SessionStatus;
use bridgekeeper_shm::{MAX_READ, ReadState};

/// How often a mapping is read for the table; a game that updates faster
/// shows "≥ 20" unless its profile names a packet counter.
const POLL: Duration = Duration::from_millis(50);

/// The table is drawn again at most this often while data flows.
const TABLE_REFRESH: Duration = Duration::from_millis(500);

/// The sessions panel's state: a feed per mapping file.
#[derive(Debug, Default)]
pub struct SessionsPanel {
    /// Feeds by file.
    pub feeds: HashMap<PathBuf, Feed>,
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
            ui.label(format!(
                "profile {} · {} session · {state} · bridge pid {}",
                session.profile,
                session.kind,
                session
                    .bridge_pid
                    .map_or("none".to_string(), |p| p.to_string())
            ));
            if session.is_active() && ui.button(format!("Stop {}", session.game)).clicked() {
                out.push(Request::Action(Action::Stop(session.appid)));
            }
        });
        ui.label(format!("Prefix: {}", session.prefix.display()));
        if let Some(ending) = &session.ending {
            ui.label(ending);
        }
        if let Some(advice) = &session.advice {
            ui.colored_label(ui.visuals().warn_fg_color, advice);
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
                    let feed = self.feeds.entry(m.file.clone()).or_insert_with(|| {
                        let counter = liveness_field(catalog, &session.profile, &m.name).cloned();
                        let limit = counter
                            .as_ref()
                            .map(|f| f.end() as u64)
                            .unwrap_or(m.size)
                            .clamp(1, MAX_READ);
                        Feed::start(
                            FeedConfig {
                                path: m.file.clone(),
                                limit,
                                period: POLL,
                                wake: Wake::AtMost(TABLE_REFRESH),
                                counter,
                                layout: None,
                            },
                            ui.ctx().clone(),
                        )
                    });
                    let page = feed.page();
                    ui.label(&m.name);
                    ui.monospace(m.file.display().to_string());
                    ui.label(format!("{} bytes", m.size));
                    ui.label(mode_label(m.mode));
                    let t = &page.tracker;
                    let sampled = 1000 / POLL.as_millis() as usize;
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
                        (ReadState::Live { .. }, _) => {
                            ui.colored_label(
                                ui.visuals().warn_fg_color,
                                "NO DATA: nothing changed for 2 s",
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

/// Steps of the "last change" column once data stopped: it says "over N"
/// and moves on at each step, so a stopped page costs a handful of frames,
/// not one a second.
const SINCE_STEPS: [u64; 10] = [2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/// The words for a last change `ago` (`None`: never), and how long until
/// they change on their own (`None`: not while the data flows, when the
/// feed's wakes redraw the table, nor after the last step).
pub fn since_words(ago: Option<Duration>) -> (String, Option<Duration>) {
    let Some(ago) = ago else {
        return ("never".into(), None);
    };
    if ago < QUIET {
        return (format!("{:.1} s ago", ago.as_secs_f32()), None);
    }
    let secs = ago.as_secs();
    let passed = SINCE_STEPS
        .iter()
        .rev()
        .find(|&&s| secs >= s)
        .copied()
        .unwrap_or(2);
    let next = SINCE_STEPS
        .iter()
        .find(|&&s| s > secs)
        .map(|&s| Duration::from_secs(s).saturating_sub(ago));
    let words = if passed >= 60 {
        format!("over {} min ago", passed / 60)
    } else {
        format!("over {passed} s ago")
    };
    (words, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_change_moves_in_steps_once_data_stops() {
        assert_eq!(since_words(None), ("never".into(), None));
        assert_eq!(
            since_words(Some(Duration::from_millis(300))),
            ("0.3 s ago".into(), None),
            "flowing: the feed's wakes redraw it"
        );
        assert_eq!(
            since_words(Some(Duration::from_millis(2500))),
            ("over 2 s ago".into(), Some(Duration::from_millis(2500)))
        );
        assert_eq!(
            since_words(Some(Duration::from_secs(61))),
            ("over 1 min ago".into(), Some(Duration::from_secs(59)))
        );
        assert_eq!(
            since_words(Some(Duration::from_secs(7200))),
            ("over 60 min ago".into(), None),
            "no more steps after an hour"
        );
    }
}
