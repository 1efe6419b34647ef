//! A plot of one decoded field over time.

use std::collections::VecDeque;
use std::time::Instant;

use egui_plot::{Line, Plot, PlotPoints};

use super::fields::as_number;
use bridgekeeper_profiles::Layout;

/// Points kept: a minute at 60 updates a second.
const POINTS: usize = 3600;

/// One field's values over time.
#[derive(Debug)]
pub struct FieldPlot {
    /// The field plotted.
    pub field: Option<String>,
    /// (seconds since the start, value).
    pub points: VecDeque<[f64; 2]>,
    start: Instant,
}

impl Default for FieldPlot {
    fn default() -> Self {
        FieldPlot {
            field: None,
            points: VecDeque::new(),
            start: Instant::now(),
        }
    }
}

impl FieldPlot {
    /// Adds the plotted field's current value.
    pub fn record(&mut self, layout: &Layout, data: &[u8], now: Instant) {
        let Some(name) = &self.field else {
            return;
        };
        let Some(value) = layout.field(name).and_then(|f| f.read(data)) else {
            return;
        };
        if let Some(y) = as_number(&value) {
            let x = now.saturating_duration_since(self.start).as_secs_f64();
            self.points.push_back([x, y]);
            if self.points.len() > POINTS {
                self.points.pop_front();
            }
        }
    }

    /// Draws the plot, or a hint when no field is picked.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let Some(name) = self.field.clone() else {
            ui.label("Tick a field's Plot box to plot it over time.");
            self.points.clear();
            return;
        };
        ui.label(format!("{name} over time (s)"));
        let points: PlotPoints = self.points.iter().copied().collect();
        Plot::new("field plot")
            .height(160.0)
            .allow_scroll(false)
            .show(ui, |p| p.line(Line::new(name, points)));
    }
}
