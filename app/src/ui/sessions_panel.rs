//! Sessions and their mappings: name, /dev/shm file, size, mode, updates
//! per second, time since the last change, and a clear sign when no data
//! flows. Each mapping file is read (safely, see `shm::MappingReader`) a
//! few times a second while the panel shows.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bridgekeeper_protocol::MappingMode;

use super::Request;
use super::actions::Action;
use super::inspector::QUIET;
use super::state::AppState;
use crate::sessions::{SessionState, SessionStatus};
use crate::shm::{ChangeTracker, MappingReader, ReadState};

/// How often a mapping is read for the table.
const POLL: Duration = Duration::from_millis(50);

/// The live figures of one mapping file.
#[derive(Debug)]
pub struct Monitor {
    reader: MappingReader,
    /// Its changes.
    pub tracker: ChangeTracker,
    last_poll: Option<Instant>,
}

impl Monitor {
    fn poll(&mut self, now: Instant) {
        if self
            .last_poll
            .is_some_and(|t| now.saturating_duration_since(t) < POLL)
        {
            return;
        }
        self.last_poll = Some(now);
        if let ReadState::Live { .. } = self.reader.refresh() {
            self.tracker.update(self.reader.data(), now);
        }
    }
}

/// The sessions panel's state: a monitor per mapping file.
#[derive(Debug, Default)]
pub struct SessionsPanel {
    /// Monitors by file.
    pub monitors: HashMap<PathBuf, Monitor>,
}

/// The word for a mapping's mode.
pub fn mode_label(mode: Option<MappingMode>) -> &'static str {
    match mode {
        Some(MappingMode::Shared) => "zero copy",
        Some(MappingMode::Copy) => "copy",
        None => "not set up",
    }
}

impl SessionsPanel {
    /// Draws every session; returns what the person asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &AppState) -> Vec<Request> {
        self.sessions_ui(ui, &state.sessions)
    }

    /// Draws `sessions` (used directly by tests).
    pub fn sessions_ui(&mut self, ui: &mut egui::Ui, sessions: &[SessionStatus]) -> Vec<Request> {
        let mut out = Vec::new();
        ui.heading("Sessions");
        if sessions.is_empty() {
            ui.label(
                "No session. Attach a running game in Games, turn on auto-attach, or start a \
                 game with the launch option `bridgekeeper run %command%`.",
            );
            return out;
        }
        let now = Instant::now();
        for session in sessions {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_width(ui.available_width());
                self.session(ui, session, now, &mut out);
            });
        }
        let live: Vec<&PathBuf> = sessions
            .iter()
            .flat_map(|s| s.mappings.iter().map(|m| &m.file))
            .collect();
        self.monitors.retain(|file, _| live.contains(&file));
        ui.ctx().request_repaint_after(Duration::from_millis(250));
        out
    }

    fn session(
        &mut self,
        ui: &mut egui::Ui,
        session: &SessionStatus,
        now: Instant,
        out: &mut Vec<Request>,
    ) {
        let state = match &session.state {
            SessionState::Starting => "starting".to_string(),
            SessionState::Running => "running".to_string(),
            SessionState::Ended { reason, exit_code } => {
                format!("ended ({reason}, exit code {exit_code})")
            }
            SessionState::Crashed => "crashed".to_string(),
        };
        ui.horizontal_wrapped(|ui| {
            ui.strong(&session.game);
            ui.label(format!(
                "profile {} · {:?} · {state} · bridge pid {}",
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
        if let Some(advice) = &session.advice {
            ui.colored_label(ui.visuals().warn_fg_color, advice);
        }
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
                    let monitor = self
                        .monitors
                        .entry(m.file.clone())
                        .or_insert_with(|| Monitor {
                            reader: MappingReader::new(&m.file),
                            tracker: ChangeTracker::new(),
                            last_poll: None,
                        });
                    monitor.poll(now);
                    ui.label(&m.name);
                    ui.monospace(m.file.display().to_string());
                    ui.label(format!("{} bytes", m.size));
                    ui.label(mode_label(m.mode));
                    let t = &monitor.tracker;
                    ui.label(t.updates_per_second(now).to_string());
                    ui.label(t.last_change().map_or("never".to_string(), |c| {
                        format!(
                            "{:.1} s ago",
                            now.saturating_duration_since(c).as_secs_f32()
                        )
                    }));
                    match (monitor.reader.state(), &m.error) {
                        (_, Some(e)) => {
                            ui.colored_label(ui.visuals().error_fg_color, format!("error: {e}"))
                        }
                        (ReadState::Live { .. }, _) if !t.is_stale(now, QUIET) => {
                            ui.colored_label(egui::Color32::from_rgb(60, 170, 60), "● data flows")
                        }
                        (ReadState::Live { .. }, _) => ui.colored_label(
                            ui.visuals().warn_fg_color,
                            "○ NO DATA: nothing changed for 2 s",
                        ),
                        (other, _) => ui.colored_label(
                            ui.visuals().error_fg_color,
                            format!("○ {}", other.describe()),
                        ),
                    };
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
    }
}
