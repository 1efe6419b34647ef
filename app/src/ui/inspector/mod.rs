//! The inspector: one mapping live, down to the byte.
//!
//! - [`hexdump`]: the rows in view, changed bytes highlighted and fading;
//! - [`values`]: the selected offset as every integer and float type;
//! - [`search`]: bytes, text or a number;
//! - [`fields`]: the profile's decoded fields, live; [`plot`]: one over time.
//!
//! The page is read by a [`Feed`] on its own thread (positional reads of a
//! regular file, no mmap, at most the mapping's declared size), so a file
//! that shrinks, vanishes or is not a file at all shows a message, never a
//! crash or a frozen window. A change wakes the window; while changed bytes
//! fade, frames come at 30 a second, and none once the page is still.

pub mod fields;
pub mod hexdump;
pub mod plot;
pub mod search;
pub mod values;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bridgekeeper_profiles::Layout;
use bridgekeeper_shm::hex::{format_range, parse_offset};
use bridgekeeper_shm::{MAX_READ, ReadState};
use parking_lot::MutexGuard;

use super::feed::{Feed, FeedConfig, Page, QUIET, Wake};
use hexdump::HexDump;
use search::SearchBox;

/// How long a changed byte stays highlighted.
pub const FADE: Duration = Duration::from_millis(1500);

/// How often the page is read.
const PERIOD: Duration = Duration::from_millis(16);

/// Frame interval while highlights fade.
const FADE_FRAME: Duration = Duration::from_millis(33);

/// One mapping under inspection.
#[derive(Debug)]
pub struct Inspector {
    /// What is inspected (the mapping's name).
    pub title: String,
    path: PathBuf,
    limit: u64,
    feed: Option<Feed>,
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
    /// The jump-to-offset text.
    pub jump_text: String,
    /// Why the last jump failed.
    pub jump_error: Option<String>,
    /// The last range copied as hex.
    pub copied: Option<String>,
}

impl Inspector {
    /// An inspector of the file `path`, titled `title`; it reads at most
    /// [`MAX_READ`] bytes (see [`Inspector::with_limit`]). Reading starts
    /// with the first frame.
    pub fn new(title: impl Into<String>, path: impl Into<PathBuf>, layout: Option<Layout>) -> Self {
        Inspector {
            title: title.into(),
            path: path.into(),
            limit: MAX_READ,
            feed: None,
            layout,
            frozen: false,
            snapshot: None,
            diff: false,
            hexdump: HexDump::default(),
            search: SearchBox::default(),
            jump_text: String::new(),
            jump_error: None,
            copied: None,
        }
    }

    /// Reads at most `limit` bytes of the file (the mapping's declared size).
    pub fn with_limit(mut self, limit: u64) -> Self {
        self.limit = limit.clamp(1, MAX_READ);
        self
    }

    /// Stops reading while the inspector is not shown (drawing it again
    /// resumes, unless frozen).
    pub fn pause(&self) {
        if let Some(feed) = &self.feed {
            feed.set_paused(true);
        }
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The latest reading, once reading started (locked: drop it soon).
    pub fn page(&self) -> Option<MutexGuard<'_, Page>> {
        self.feed.as_ref().map(Feed::page)
    }

    /// The page shown (a copy).
    pub fn data(&self) -> Vec<u8> {
        self.page()
            .map(|p| p.tracker.data().to_vec())
            .unwrap_or_default()
    }

    /// What the last read found.
    pub fn read_state(&self) -> ReadState {
        self.page().map(|p| p.read.clone()).unwrap_or_default()
    }

    /// Jumps to the offset in `jump_text`.
    pub fn jump(&mut self) {
        let len = self.page().map_or(0, |p| p.tracker.data().len());
        self.jump_in(len);
    }

    fn jump_in(&mut self, len: usize) {
        match parse_offset(&self.jump_text) {
            Some(o) if o < len => {
                self.jump_error = None;
                self.hexdump.jump(o);
            }
            Some(o) => {
                self.jump_error = Some(format!("0x{o:x} is past the end of the page ({len} bytes)"))
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
        let page = self.page()?;
        Some(format_range(page.tracker.data(), a, b + 1))
    }

    /// Draws the page as last read (starting the reading on the first
    /// call).
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let config = FeedConfig {
            path: self.path.clone(),
            limit: self.limit,
            period: PERIOD,
            wake: Wake::AtOnce,
            counter: None,
            layout: self.layout.clone(),
        };
        let feed = self
            .feed
            .get_or_insert_with(|| Feed::start(config, ui.ctx().clone()));
        feed.set_paused(self.frozen);
        let mut page = feed.page();
        let now = Instant::now();
        let Inspector {
            title,
            path,
            frozen,
            snapshot,
            diff,
            hexdump,
            search,
            jump_text,
            jump_error,
            copied,
            layout,
            ..
        } = self;
        let mut toolbar = Toolbar {
            title: title.as_str(),
            path: path.as_path(),
            frozen,
            snapshot,
            diff,
            hexdump,
            jump_text,
            jump_error,
            copied,
        };
        let jump = toolbar.ui(ui, &page, now);
        ui.separator();
        if page.tracker.data().is_empty() {
            ui.label(format!("Nothing to show: {}", page.read.describe()));
        } else {
            egui_extras::StripBuilder::new(ui)
                .size(egui_extras::Size::exact(600.0))
                .size(egui_extras::Size::remainder().at_least(200.0))
                .horizontal(|mut strip| {
                    strip.cell(|ui| {
                        let snap = snapshot.as_deref().filter(|_| *diff);
                        hexdump.ui(ui, page.tracker.data(), &page.tracker, snap, FADE, now);
                    });
                    strip.cell(|ui| {
                        egui::ScrollArea::vertical()
                            .id_salt("inspector tools")
                            .show(ui, |ui| {
                                tools(ui, layout.as_ref(), &mut page, hexdump, search)
                            });
                    });
                });
        }
        let fading = page
            .tracker
            .last_change()
            .is_some_and(|t| now.saturating_duration_since(t) < FADE);
        if fading && !*frozen {
            ui.ctx().request_repaint_after(FADE_FRAME);
        }
        drop(page);
        if let Some(len) = jump {
            self.jump_in(len);
        }
    }
}

/// The toolbar's borrow of the inspector.
struct Toolbar<'a> {
    title: &'a str,
    path: &'a Path,
    frozen: &'a mut bool,
    snapshot: &'a mut Option<Vec<u8>>,
    diff: &'a mut bool,
    hexdump: &'a mut HexDump,
    jump_text: &'a mut String,
    jump_error: &'a mut Option<String>,
    copied: &'a mut Option<String>,
}

impl Toolbar<'_> {
    /// Draws the toolbar; returns the page length when a jump was asked.
    fn ui(&mut self, ui: &mut egui::Ui, page: &Page, now: Instant) -> Option<usize> {
        let data = page.tracker.data();
        let mut jump = None;
        ui.horizontal_wrapped(|ui| {
            ui.heading(self.title);
            ui.label(self.path.display().to_string());
        });
        match &page.read {
            ReadState::Live { len } => {
                let rate = page.tracker.updates_per_second(now);
                let since = page.tracker.last_change().map_or_else(
                    || "never changed".to_string(),
                    |t| {
                        format!(
                            "last change {:.1} s ago",
                            now.saturating_duration_since(t).as_secs_f32()
                        )
                    },
                );
                ui.label(format!("{len} bytes · {rate} updates/s · {since}"));
                if page.tracker.is_stale(now, QUIET) && !*self.frozen {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        "No data flows: nothing changed for 2 s. Is the game in a session \
                         (not a menu), and is it bridged?",
                    );
                }
            }
            ReadState::NotRegular { .. } => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("{} is {}", self.path.display(), page.read.describe()),
                );
            }
            other => {
                ui.colored_label(ui.visuals().error_fg_color, other.describe());
            }
        }
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Offset:");
            let edit = ui
                .add(egui::TextEdit::singleline(self.jump_text).desired_width(90.0))
                .labelled_by(label.id);
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Jump").clicked() || enter {
                jump = Some(data.len());
            }
            ui.checkbox(self.frozen, "Freeze");
            if ui.button("Snapshot").clicked() {
                *self.snapshot = Some(data.to_vec());
                *self.diff = true;
            }
            ui.add_enabled(
                self.snapshot.is_some(),
                egui::Checkbox::new(self.diff, "Diff against snapshot"),
            );
            if ui
                .add_enabled(
                    self.hexdump.selected.is_some(),
                    egui::Button::new("Copy selection as hex"),
                )
                .on_hover_text(
                    "select a byte: click, Jump, or the arrow keys in the hexdump; Shift extends",
                )
                .clicked()
                && let Some((a, b)) = self.hexdump.selection()
            {
                let hex = format_range(data, a, b + 1);
                ui.ctx().copy_text(hex.clone());
                *self.copied = Some(hex);
            }
        });
        if let Some(e) = self.jump_error.as_ref() {
            ui.colored_label(ui.visuals().warn_fg_color, e);
        }
        if *self.diff
            && let Some(s) = self.snapshot.as_ref()
        {
            let n = s.iter().zip(data).filter(|(a, b)| a != b).count();
            ui.label(format!("{n} byte(s) differ from the snapshot"));
        }
        jump
    }
}

/// The tools beside the hexdump: the value at the selection, search, the
/// decoded fields and the plot.
fn tools(
    ui: &mut egui::Ui,
    layout: Option<&Layout>,
    page: &mut Page,
    hexdump: &mut HexDump,
    search: &mut SearchBox,
) {
    let Page { tracker, plot, .. } = page;
    egui::CollapsingHeader::new("Value at the selected offset")
        .default_open(true)
        .show(ui, |ui| values::ui(ui, tracker.data(), hexdump.selected));
    egui::CollapsingHeader::new("Search")
        .default_open(true)
        .show(ui, |ui| {
            let from = hexdump.selected.map_or(0, |o| o + 1);
            if let Some(hit) = search.ui(ui, tracker.data(), from) {
                hexdump.jump(hit.offset);
                hexdump.mark = Some((hit.offset, hit.len));
            }
        });
    if let Some(layout) = layout {
        egui::CollapsingHeader::new("Decoded fields")
            .default_open(true)
            .show(ui, |ui| {
                let before = plot.field.clone();
                if let Some(offset) = fields::ui(ui, layout, tracker.data(), &mut plot.field) {
                    hexdump.jump(offset);
                }
                if plot.field != before {
                    plot.points.clear();
                }
            });
        egui::CollapsingHeader::new("Plot")
            .default_open(true)
            .show(ui, |ui| plot.ui(ui));
    } else {
        ui.label("No layout in the profile for this mapping: no decoded fields.");
    }
}
