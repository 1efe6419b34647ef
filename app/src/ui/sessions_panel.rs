//! Sessions and their mappings: name, /dev/shm file, size, mode, updates
//! per second, time since the last change, and a clear sign when no data
//! flows. Each mapping file is read (safely, see `shm::MappingReader`) a
//! few times a second while the panel shows.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bridgekeeper_protocol::MappingMode;

use super::Request;
use super::inspector::QUIET;
use crate::actions::Action;
use crate::state::DesktopState;
use bridgekeeper_profiles::{Catalog, Field, FieldType, Scalar, Value};
use bridgekeeper_sessions::SessionStatus;
use bridgekeeper_shm::{ChangeTracker, MappingReader, ReadState};

/// How often a mapping is read for the table; a game that updates faster
/// shows "≥ 20" unless its profile names a packet counter.
const POLL: Duration = Duration::from_millis(50);

/// The game's own update rate, from a packet counter it advances on every
/// update (the profile's `liveness` field): the file is only sampled a few
/// times a second, so counting changes seen would cap the rate there.
#[derive(Debug)]
pub struct CounterRate {
    field: Field,
    samples: VecDeque<(Instant, i128)>,
}

impl CounterRate {
    /// How far back the rate looks.
    const WINDOW: Duration = Duration::from_secs(2);

    /// A rate read from `field`, when it is an integer counter.
    pub fn of(field: &Field) -> Option<CounterRate> {
        let integer = matches!(
            field.ty,
            FieldType::Scalar(
                Scalar::I8
                    | Scalar::U8
                    | Scalar::I16
                    | Scalar::U16
                    | Scalar::I32
                    | Scalar::U32
                    | Scalar::I64
                    | Scalar::U64
            )
        );
        integer.then(|| CounterRate {
            field: field.clone(),
            samples: VecDeque::new(),
        })
    }

    /// Records the counter in `page` at `now`.
    pub fn sample(&mut self, page: &[u8], now: Instant) {
        let value = match self.field.read(page) {
            Some(Value::Int(v)) => i128::from(v),
            Some(Value::UInt(v)) => i128::from(v),
            _ => return,
        };
        if self.samples.back().is_some_and(|&(_, last)| value < last) {
            self.samples.clear();
        }
        self.samples.push_back((now, value));
        while self
            .samples
            .front()
            .is_some_and(|&(t, _)| now.saturating_duration_since(t) > Self::WINDOW)
        {
            self.samples.pop_front();
        }
    }

    /// Counter steps per second over the window, once it spans half a second.
    pub fn per_second(&self) -> Option<f64> {
        let (&(t0, v0), &(t1, v1)) = (self.samples.front()?, self.samples.back()?);
        let span = t1.saturating_duration_since(t0).as_secs_f64();
        (span >= 0.5).then(|| (v1 - v0) as f64 / span)
    }
}

/// The live figures of one mapping file.
#[derive(Debug)]
pub struct Monitor {
    reader: MappingReader,
    /// Its changes.
    pub tracker: ChangeTracker,
    /// The game's update rate, when its profile names a packet counter.
    pub counter: Option<CounterRate>,
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
            if let Some(counter) = &mut self.counter {
                counter.sample(self.reader.data(), now);
            }
        }
    }
}

/// The sessions panel's state: a monitor per mapping file.
#[derive(Debug, Default)]
pub struct SessionsPanel {
    /// Monitors by file.
    pub monitors: HashMap<PathBuf, Monitor>,
    /// Whether Flatpak Steam keeps a private /dev/shm, and when that was
    /// last looked at.
    flatpak_steam: Option<(Instant, Option<String>)>,
}

/// How often the panel looks for Flatpak Steam's private /dev/shm.
const FLATPAK_STEAM_CHECK: Duration = Duration::from_secs(5);

impl SessionsPanel {
    /// The note about Flatpak Steam's private /dev/shm, if it has one
    /// (see [`bridgekeeper_host::steam_shm::notice`]); looked up every few seconds.
    fn flatpak_steam_notice(&mut self, now: Instant) -> Option<&str> {
        let stale = self
            .flatpak_steam
            .as_ref()
            .is_none_or(|(checked, _)| now.duration_since(*checked) >= FLATPAK_STEAM_CHECK);
        if stale {
            let notice = bridgekeeper_host::steam_shm::notice(std::path::Path::new("/dev/shm"));
            self.flatpak_steam = Some((now, notice));
        }
        self.flatpak_steam.as_ref()?.1.as_deref()
    }
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
        Some(MappingMode::Shared) => "zero copy",
        Some(MappingMode::Copy) => "copy",
        None => "not set up",
    }
}

impl SessionsPanel {
    /// Draws every session; returns what the person asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &DesktopState) -> Vec<Request> {
        let catalog = state.catalog.read();
        self.sessions_ui(ui, &state.sessions, Some(&catalog))
    }

    /// Draws `sessions`, with their profiles from `catalog` when given.
    pub fn sessions_ui(
        &mut self,
        ui: &mut egui::Ui,
        sessions: &[SessionStatus],
        catalog: Option<&Catalog>,
    ) -> Vec<Request> {
        let mut out = Vec::new();
        ui.heading("Sessions");
        if let Some(notice) = self.flatpak_steam_notice(Instant::now()) {
            ui.colored_label(ui.visuals().warn_fg_color, notice);
        }
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
                self.session(ui, session, catalog, now, &mut out);
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
        catalog: Option<&Catalog>,
        now: Instant,
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
                            counter: liveness_field(catalog, &session.profile, &m.name)
                                .and_then(CounterRate::of),
                            last_poll: None,
                        });
                    monitor.poll(now);
                    ui.label(&m.name);
                    ui.monospace(m.file.display().to_string());
                    ui.label(format!("{} bytes", m.size));
                    ui.label(mode_label(m.mode));
                    let t = &monitor.tracker;
                    let sampled = 1000 / POLL.as_millis() as usize;
                    ui.label(
                        match monitor.counter.as_ref().and_then(CounterRate::per_second) {
                            Some(rate) => format!("{rate:.0}"),
                            None => match t.updates_per_second(now) {
                                n if n >= sampled => format!("≥ {sampled}"),
                                n => n.to_string(),
                            },
                        },
                    );
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
                            ui.colored_label(egui::Color32::from_rgb(60, 170, 60), "• data flows")
                        }
                        (ReadState::Live { .. }, _) => ui.colored_label(
                            ui.visuals().warn_fg_color,
                            "NO DATA: nothing changed for 2 s",
                        ),
                        (other, _) => {
                            ui.colored_label(ui.visuals().error_fg_color, other.describe())
                        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn counter() -> CounterRate {
        CounterRate::of(&Field {
            name: "packetId".into(),
            offset: 0,
            ty: FieldType::Scalar(Scalar::U32),
            unit: String::new(),
            note: String::new(),
        })
        .expect("an integer field")
    }

    #[test]
    fn the_games_rate_comes_from_its_packet_counter() {
        let mut rate = counter();
        let t0 = Instant::now();
        rate.sample(&0u32.to_le_bytes(), t0);
        assert_eq!(rate.per_second(), None, "not enough time yet");
        rate.sample(&150u32.to_le_bytes(), t0 + Duration::from_millis(500));
        rate.sample(&300u32.to_le_bytes(), t0 + Duration::from_secs(1));
        assert_eq!(rate.per_second(), Some(300.0));

        rate.sample(&5u32.to_le_bytes(), t0 + Duration::from_millis(1100));
        assert_eq!(rate.per_second(), None, "a restarted counter starts over");
    }

    #[test]
    fn only_integer_fields_count() {
        let clock = Field {
            name: "mCurrentET".into(),
            offset: 0,
            ty: FieldType::Scalar(Scalar::F64),
            unit: "s".into(),
            note: String::new(),
        };
        assert!(CounterRate::of(&clock).is_none());
    }
}
