//! The inspector: one mapping live, down to the byte.
//!
//! - [`hexdump`]: the rows in view, changed bytes highlighted and fading;
//! - [`values`]: the selected offset as every integer and float type;
//! - [`search`]: bytes, text or a number;
//! - [`fields`]: the profile's decoded fields, live; [`plot`]: one over time.
//!
//! The page is read with [`MappingReader`] (positional reads, no mmap), so a
//! file that shrinks or vanishes shows a message, not a crash.

pub mod fields;
pub mod hexdump;
pub mod plot;
pub mod search;
pub mod values;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bridgekeeper_profiles::Layout;
use bridgekeeper_shm::hex::{format_range, parse_offset};
use bridgekeeper_shm::{ChangeTracker, MappingReader, ReadState};

use hexdump::HexDump;
use plot::FieldPlot;
use search::SearchBox;

/// How long a changed byte stays highlighted.
pub const FADE: Duration = Duration::from_millis(1500);

/// After this long without a change, a page counts as not flowing.
pub const QUIET: Duration = Duration::from_secs(2);

/// One mapping under inspection.
#[derive(Debug)]
pub struct Inspector {
    /// What is inspected (the mapping's name).
    pub title: String,
    reader: MappingReader,
    /// Changes across reads.
    pub tracker: ChangeTracker,
    /// The profile's layout of this mapping, if any.
    pub layout: Option<Layout>,
    /// Stop reading: the view keeps the last page.
    pub frozen: bool,
    /// The page as it was when the snapshot was taken.
    pub snapshot: Option<Vec<u8>>,
    /// Show the bytes that differ from the snapshot.
    pub diff: bool,
    /// The hexdump.
    pub hexdump: HexDump,
    /// The search box.
    pub search: SearchBox,
    /// The plotted field.
    pub plot: FieldPlot,
    /// The jump-to-offset text.
    pub jump_text: String,
    /// Why the last jump failed.
    pub jump_error: Option<String>,
    /// The last range copied as hex.
    pub copied: Option<String>,
}

impl Inspector {
    /// An inspector of the file `path`, titled `title`.
    pub fn new(title: impl Into<String>, path: impl Into<PathBuf>, layout: Option<Layout>) -> Self {
        Inspector {
            title: title.into(),
            reader: MappingReader::new(path),
            tracker: ChangeTracker::new(),
            layout,
            frozen: false,
            snapshot: None,
            diff: false,
            hexdump: HexDump::default(),
            search: SearchBox::default(),
            plot: FieldPlot::default(),
            jump_text: String::new(),
            jump_error: None,
            copied: None,
        }
    }

    /// The file read.
    pub fn path(&self) -> &std::path::Path {
        self.reader.path()
    }

    /// The page shown.
    pub fn data(&self) -> &[u8] {
        self.tracker.data()
    }

    /// What the last read found.
    pub fn read_state(&self) -> &ReadState {
        self.reader.state()
    }

    /// Reads the page again and tracks its changes, unless frozen.
    pub fn poll(&mut self, now: Instant) {
        if self.frozen {
            return;
        }
        if let ReadState::Live { .. } = self.reader.refresh() {
            self.tracker.update(self.reader.data(), now);
        }
        if let Some(layout) = &self.layout {
            self.plot.record(layout, self.tracker.data(), now);
        }
    }

    /// Jumps to the offset in `jump_text`.
    pub fn jump(&mut self) {
        match parse_offset(&self.jump_text) {
            Some(o) if o < self.data().len() => {
                self.jump_error = None;
                self.hexdump.jump(o);
            }
            Some(o) => {
                self.jump_error = Some(format!(
                    "0x{o:x} is past the end of the page ({} bytes)",
                    self.data().len()
                ))
            }
            None => {
                self.jump_error =
                    Some("write an offset: 0x1f0 or 1f0h for hex, 496 for decimal".into())
            }
        }
    }

    /// The selected range as hex pairs.
    pub fn selection_hex(&self) -> Option<String> {
        let (a, b) = self.hexdump.selection()?;
        Some(format_range(self.data(), a, b + 1))
    }

    /// Reads and draws (reads at most once per frame).
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let now = Instant::now();
        self.poll(now);
        self.toolbar(ui, now);
        ui.separator();
        let data_len = self.data().len();
        if data_len == 0 {
            ui.label(format!("Nothing to show: {}", self.read_state().describe()));
            return;
        }
        egui_extras::StripBuilder::new(ui)
            .size(egui_extras::Size::exact(600.0))
            .size(egui_extras::Size::remainder().at_least(200.0))
            .horizontal(|mut strip| {
                strip.cell(|ui| {
                    let snapshot = self.snapshot.as_deref().filter(|_| self.diff);
                    self.hexdump
                        .ui(ui, self.tracker.data(), &self.tracker, snapshot, FADE, now);
                });
                strip.cell(|ui| {
                    egui::ScrollArea::vertical()
                        .id_salt("inspector tools")
                        .show(ui, |ui| self.tools(ui));
                });
            });
        if !self.frozen {
            ui.ctx().request_repaint_after(Duration::from_millis(16));
        }
    }

    fn toolbar(&mut self, ui: &mut egui::Ui, now: Instant) {
        ui.horizontal_wrapped(|ui| {
            ui.heading(&self.title);
            ui.label(self.path().display().to_string());
        });
        match self.read_state() {
            ReadState::Live { len } => {
                let rate = self.tracker.updates_per_second(now);
                let since = self.tracker.last_change().map_or_else(
                    || "never changed".to_string(),
                    |t| {
                        format!(
                            "last change {:.1} s ago",
                            now.duration_since(t).as_secs_f32()
                        )
                    },
                );
                ui.label(format!("{len} bytes · {rate} updates/s · {since}"));
                if self.tracker.is_stale(now, QUIET) && !self.frozen {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        "No data flows: nothing changed for 2 s. Is the game in a session \
                         (not a menu), and is it bridged?",
                    );
                }
            }
            other => {
                ui.colored_label(ui.visuals().error_fg_color, other.describe());
            }
        }
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Offset:");
            let edit = ui
                .add(egui::TextEdit::singleline(&mut self.jump_text).desired_width(90.0))
                .labelled_by(label.id);
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Jump").clicked() || enter {
                self.jump();
            }
            ui.checkbox(&mut self.frozen, "Freeze");
            if ui.button("Snapshot").clicked() {
                self.snapshot = Some(self.data().to_vec());
                self.diff = true;
            }
            ui.add_enabled(
                self.snapshot.is_some(),
                egui::Checkbox::new(&mut self.diff, "Diff against snapshot"),
            );
            if ui
                .add_enabled(
                    self.hexdump.selected.is_some(),
                    egui::Button::new("Copy selection as hex"),
                )
                .on_hover_text("click a byte, shift-click another to select a range")
                .clicked()
                && let Some(hex) = self.selection_hex()
            {
                ui.ctx().copy_text(hex.clone());
                self.copied = Some(hex);
            }
        });
        if let Some(e) = &self.jump_error {
            ui.colored_label(ui.visuals().warn_fg_color, e);
        }
        if self.diff
            && let Some(s) = &self.snapshot
        {
            let n = s.iter().zip(self.data()).filter(|(a, b)| a != b).count();
            ui.label(format!("{n} byte(s) differ from the snapshot"));
        }
    }

    fn tools(&mut self, ui: &mut egui::Ui) {
        egui::CollapsingHeader::new("Value at the selected offset")
            .default_open(true)
            .show(ui, |ui| {
                values::ui(ui, self.tracker.data(), self.hexdump.selected)
            });
        egui::CollapsingHeader::new("Search")
            .default_open(true)
            .show(ui, |ui| {
                let from = self.hexdump.selected.map_or(0, |o| o + 1);
                if let Some(hit) = self.search.ui(ui, self.tracker.data(), from) {
                    self.hexdump.jump(hit.offset);
                    self.hexdump.mark = Some((hit.offset, hit.len));
                }
            });
        if let Some(layout) = &self.layout {
            egui::CollapsingHeader::new("Decoded fields")
                .default_open(true)
                .show(ui, |ui| {
                    let before = self.plot.field.clone();
                    if let Some(offset) =
                        fields::ui(ui, layout, self.tracker.data(), &mut self.plot.field)
                    {
                        self.hexdump.jump(offset);
                    }
                    if self.plot.field != before {
                        self.plot.points.clear();
                    }
                });
            egui::CollapsingHeader::new("Plot")
                .default_open(true)
                .show(ui, |ui| self.plot.ui(ui));
        } else {
            ui.label("No layout in the profile for this mapping: no decoded fields.");
        }
    }
}
