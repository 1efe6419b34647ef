//! [`LiveDashboard`]: a session's driving data as a driver reads it: speed,
//! gear, rpm with a rev bar, pedal bars, fuel, lap times and the session's
//! status, drawn from a [`DashboardSource`].
//!
//! Failure mode: a dashboard that keeps showing the last numbers after the
//! game stopped writing (paused, crashed, the bridge gone) tells the driver
//! that all is well when nothing flows. So once no value changed for
//! [`QUIET`], the widget says "NO DATA" in large type, with the time the
//! values last changed, and greys the gauges. It does this without a timer
//! of its own while idle: one repaint is asked for at the moment the data
//! would turn quiet, and then one at each step of the "over N s ago"
//! wording ([`since_words`]).
//!
//! Gauges a game's data cannot feed show "n/a", with the profile's reason
//! on hover; values the game marks as not available show "–".

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use egui::{Color32, ProgressBar, RichText};

use bridgekeeper_profiles::DashboardValues;

use super::a11y;
use super::dashboard_source::DashboardSource;
use super::feed::QUIET;
use super::since::since_words;

/// Rev bar colours: green, then amber from this share of the limit, then
/// red (shift now) from the next.
const REV_AMBER: f64 = 0.85;
const REV_RED: f64 = 0.95;

/// A session's live dashboard; see the module docs.
#[derive(Debug)]
pub struct LiveDashboard {
    source: Arc<DashboardSource>,
    /// The highest rpm seen, the rev bar's top when the game gives no limit.
    peak_rpm: f64,
}

/// The rev bar's colour at `share` of the limit.
pub fn rev_colour(share: f64) -> Color32 {
    if share >= REV_RED {
        Color32::from_rgb(220, 50, 47)
    } else if share >= REV_AMBER {
        Color32::from_rgb(230, 160, 20)
    } else {
        Color32::from_rgb(60, 170, 60)
    }
}

/// `1:23.456`, or `1:02:03.456` past an hour.
pub fn lap_text(d: Duration) -> String {
    let ms = d.as_millis();
    let (h, m, s, ms) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}.{ms:03}")
    } else {
        format!("{m}:{s:02}.{ms:03}")
    }
}

/// The local time of day of `t`, `14:02:11`.
pub fn clock(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let secs = libc::time_t::try_from(secs).unwrap_or(0);
    // SAFETY: `tm` is plain data that localtime_r fills; both pointers are
    // valid for the call.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let done = unsafe { !libc::localtime_r(&secs, &mut tm).is_null() };
    if done {
        format!("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec)
    } else {
        let day = secs.rem_euclid(86_400);
        format!("{:02}:{:02}:{:02} UTC", day / 3600, day / 60 % 60, day % 60)
    }
}

impl LiveDashboard {
    /// A dashboard drawn from `source`.
    pub fn new(source: Arc<DashboardSource>) -> Self {
        LiveDashboard {
            source,
            peak_rpm: 0.0,
        }
    }

    /// Where its values come from.
    pub fn source(&self) -> &Arc<DashboardSource> {
        &self.source
    }

    /// Draws the dashboard.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.ui_at(ui, Instant::now());
    }

    /// Draws the dashboard as of `now`.
    pub fn ui_at(&mut self, ui: &mut egui::Ui, now: Instant) {
        let (values, changed_at, changed_wall) = {
            let r = self.source.reading();
            (r.values.clone(), r.changed_at, r.changed_wall)
        };
        let ago = changed_at.map(|t| now.saturating_duration_since(t));
        let quiet = ago.is_none_or(|ago| ago >= QUIET);
        if quiet {
            let (words, next) = since_words(ago);
            let text = match changed_wall {
                Some(wall) if ago.is_some() => {
                    format!("NO DATA since {} ({words})", clock(wall))
                }
                _ => "NO DATA: no value read yet".to_string(),
            };
            ui.label(
                RichText::new(text)
                    .size(20.0)
                    .strong()
                    .color(ui.visuals().warn_fg_color),
            );
            if let Some(next) = next {
                ui.ctx().request_repaint_after(next);
            }
        } else if let Some(ago) = ago {
            // The one frame that turns the view quiet if nothing changes.
            ui.ctx()
                .request_repaint_after(QUIET.saturating_sub(ago) + Duration::from_millis(10));
        }
        ui.add_enabled_ui(!quiet, |ui| self.gauges(ui, &values));
    }

    fn missing(&self, gauge: &str) -> Option<&str> {
        self.source
            .dashboard()
            .unavailable
            .get(gauge)
            .map(String::as_str)
    }

    /// A value's text: the value, "–" when the game gives none now, "n/a"
    /// (with the reason on hover) when the game's data has no such gauge.
    /// A screen reader hears it after its `caption` ("Gear 4", not "4").
    fn value_label(
        &self,
        ui: &mut egui::Ui,
        gauge: &str,
        caption: &str,
        text: Option<String>,
        size: f32,
    ) {
        let (shown, why) = match (text, self.missing(gauge)) {
            (Some(text), _) => (text, None),
            (None, Some(why)) => ("n/a".to_string(), Some(why)),
            (None, None) => ("–".to_string(), None),
        };
        let mut response = ui.label(RichText::new(&shown).size(size).strong().monospace());
        if let Some(why) = why {
            response = response.on_hover_text(why);
        }
        a11y::labelled(response, egui::Role::Label, &format!("{caption} {shown}"));
    }

    fn gauges(&mut self, ui: &mut egui::Ui, v: &DashboardValues) {
        ui.horizontal(|ui| {
            ui.vertical(|ui| {
                ui.small("Speed");
                let speed = v.speed_kmh.map(|s| format!("{s:.0} km/h"));
                self.value_label(ui, "speed", "Speed", speed, 28.0);
            });
            ui.add_space(16.0);
            ui.vertical(|ui| {
                ui.small("Gear");
                let gear = v.gear.map(|g| g.to_string());
                self.value_label(ui, "gear", "Gear", gear, 28.0);
            });
            ui.add_space(16.0);
            ui.vertical(|ui| self.rev_bar(ui, v));
        });
        ui.horizontal(|ui| {
            for (gauge, name, value, colour) in [
                (
                    "throttle",
                    "Throttle",
                    v.throttle,
                    Color32::from_rgb(60, 170, 60),
                ),
                ("brake", "Brake", v.brake, Color32::from_rgb(220, 50, 47)),
                (
                    "clutch",
                    "Clutch",
                    v.clutch,
                    Color32::from_rgb(38, 139, 210),
                ),
            ] {
                self.pedal(ui, gauge, name, value, colour);
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.label("Fuel");
            let fuel = v.fuel_litres.map(|f| match v.max_fuel_litres {
                Some(max) => format!("{f:.1} l of {max:.0} l"),
                None => format!("{f:.1} l"),
            });
            self.value_label(ui, "fuel", "Fuel", fuel, 14.0);
            ui.separator();
            ui.label("Lap");
            self.value_label(ui, "current_lap", "Lap", v.current_lap.map(lap_text), 14.0);
            ui.separator();
            ui.label("Last lap");
            self.value_label(ui, "last_lap", "Last lap", v.last_lap.map(lap_text), 14.0);
            ui.separator();
            ui.label("Status");
            let status = v.status.as_ref().map(|s| match &s.label {
                Some(label) => label.clone(),
                None => format!("code {}", s.raw),
            });
            self.value_label(ui, "status", "Status", status, 14.0);
        });
    }

    fn rev_bar(&mut self, ui: &mut egui::Ui, v: &DashboardValues) {
        ui.small("Engine");
        let Some(rpm) = v.rpm else {
            self.value_label(ui, "rpm", "Engine", None, 14.0);
            return;
        };
        self.peak_rpm = self.peak_rpm.max(rpm);
        let top = v.max_rpm.unwrap_or(self.peak_rpm * 1.1).max(1.0);
        let share = (rpm / top).clamp(0.0, 1.0);
        let limit = match v.max_rpm {
            Some(max) => format!("{rpm:.0} rpm of {max:.0}"),
            None => format!("{rpm:.0} rpm"),
        };
        ui.add(
            ProgressBar::new(share as f32)
                .desired_width(280.0)
                .fill(rev_colour(share))
                .text(RichText::new(limit).strong()),
        );
    }

    fn pedal(
        &self,
        ui: &mut egui::Ui,
        gauge: &str,
        name: &str,
        value: Option<f64>,
        colour: Color32,
    ) {
        let (share, text) = match (value, self.missing(gauge)) {
            (Some(v), _) => (v as f32, format!("{name} {:.0} %", v * 100.0)),
            (None, Some(_)) => (0.0, format!("{name} n/a")),
            (None, None) => (0.0, format!("{name} –")),
        };
        let bar = ui.add(
            ProgressBar::new(share)
                .desired_width(150.0)
                .fill(colour)
                .text(text),
        );
        if let Some(why) = self.missing(gauge) {
            bar.on_hover_text(why);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lap_times_and_rev_colours_read_as_a_driver_expects() {
        assert_eq!(lap_text(Duration::from_millis(83_456)), "1:23.456");
        assert_eq!(lap_text(Duration::from_millis(5_007)), "0:05.007");
        assert_eq!(lap_text(Duration::from_millis(3_723_004)), "1:02:03.004");
        assert_eq!(rev_colour(0.5), Color32::from_rgb(60, 170, 60));
        assert_eq!(rev_colour(0.9), Color32::from_rgb(230, 160, 20));
        assert_eq!(rev_colour(0.97), Color32::from_rgb(220, 50, 47));
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(86_400 + 3_600 * 13 + 62);
        assert_eq!(clock(t).len(), 8, "{}", clock(t));
    }
}
