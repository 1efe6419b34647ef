//! The hexdump: offsets, hex and ASCII, 16 bytes a row, drawing only the
//! rows in view (`ScrollArea::show_rows`), so a 1.2 MB page scrolls as
//! smoothly as a small one. Changed bytes are highlighted and fade out.
//!
//! The whole dump is one stop in the Tab order (not one per row): with the
//! focus on it, the arrow keys move the selected byte (a row up or down,
//! a byte left or right), Page Up and Page Down move a screen, Home and End
//! go to the first and last byte, and Shift with any of them extends the
//! selection, as a click and a Shift-click do.

use std::time::{Duration, Instant};

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId, ScrollArea, Sense, TextStyle};

use bridgekeeper_shm::hex::{ROW, ascii};
use bridgekeeper_shm::tracker::{ChangeTracker, fade};

/// Characters in a row: `oooooooo  ` + 16 × `xx ` + ` ` + 16 ASCII.
const OFFSET_CHARS: usize = 10;
const HEX_CHARS: usize = ROW * 3;
const ROW_CHARS: usize = OFFSET_CHARS + HEX_CHARS + 1 + ROW;

/// What the last frame drew, for tests and the status line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drawn {
    /// The first row drawn.
    pub first_row: usize,
    /// Rows drawn.
    pub rows: usize,
    /// Offsets drawn highlighted as recently changed.
    pub changed: Vec<usize>,
    /// Offsets drawn as differing from the snapshot.
    pub differs: Vec<usize>,
}

/// The hexdump's state.
#[derive(Debug, Default)]
pub struct HexDump {
    /// The selected offset.
    pub selected: Option<usize>,
    /// The other end of a shift-click selection.
    pub selection_end: Option<usize>,
    /// A range to mark (a search hit): start, length.
    pub mark: Option<(usize, usize)>,
    /// Scroll so this offset's row is at the top on the next frame.
    pub scroll_to: Option<usize>,
    /// What the last frame drew.
    pub drawn: Drawn,
}

impl HexDump {
    /// The selected range, inclusive, ordered.
    pub fn selection(&self) -> Option<(usize, usize)> {
        let a = self.selected?;
        let b = self.selection_end.unwrap_or(a);
        Some((a.min(b), a.max(b)))
    }

    /// Selects `offset` and scrolls to it.
    pub fn jump(&mut self, offset: usize) {
        self.selected = Some(offset);
        self.selection_end = None;
        self.scroll_to = Some(offset);
    }

    /// Draws the rows in view of `data`.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        data: &[u8],
        tracker: &ChangeTracker,
        snapshot: Option<&[u8]>,
        fade_after: Duration,
        now: Instant,
    ) {
        let font = TextStyle::Monospace.resolve(ui.style());
        let row_height = ui.text_style_height(&TextStyle::Monospace);
        let spacing = ui.spacing().item_spacing.y;
        let rows = data.len().div_ceil(ROW);
        let mut area = ScrollArea::vertical()
            .id_salt("hexdump")
            .auto_shrink([false, false]);
        if let Some(offset) = self.scroll_to.take() {
            let row = (offset / ROW) as f32;
            area = area.vertical_scroll_offset(row * (row_height + spacing));
        }
        let visuals = Colors::of(ui);
        let mut drawn = Drawn::default();
        let shown = area.show_rows(ui, row_height, rows, |ui, range| {
            drawn.first_row = range.start;
            drawn.rows = range.len();
            for row in range {
                let job = self.row_job(
                    row, data, tracker, snapshot, fade_after, now, &font, &visuals, &mut drawn,
                );
                // Clickable, but not a Tab stop: the dump is one (below).
                let response = ui.add(
                    egui::Label::new(job)
                        .sense(Sense::CLICK)
                        .wrap_mode(egui::TextWrapMode::Extend),
                );
                if response.clicked()
                    && let Some(pos) = response.interact_pointer_pos()
                {
                    let char_w = response.rect.width() / ROW_CHARS as f32;
                    let col = ((pos.x - response.rect.left()) / char_w) as usize;
                    if let Some(byte) = byte_at(col) {
                        let offset = row * ROW + byte;
                        if offset < data.len() {
                            if ui.input(|i| i.modifiers.shift) && self.selected.is_some() {
                                self.selection_end = Some(offset);
                            } else {
                                self.selected = Some(offset);
                                self.selection_end = None;
                            }
                        }
                    }
                }
            }
        });
        self.drawn = drawn;
        self.keys(ui, shown.inner_rect, data.len());
    }

    /// The dump as one keyboard stop: arrows move the selection.
    fn keys(&mut self, ui: &mut egui::Ui, rect: egui::Rect, len: usize) {
        let id = ui.scope_id().with("hexdump keys");
        let response = ui.interact(rect, id, Sense::focusable_noninteractive());
        let label = match self.selection() {
            Some((a, b)) if a != b => format!("Hexdump, bytes 0x{a:x} to 0x{b:x} selected"),
            Some((a, _)) => format!("Hexdump, byte 0x{a:x} selected"),
            None => "Hexdump: arrow keys select a byte, Shift extends".to_string(),
        };
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Grid, true, &label));
        if !response.has_focus() || len == 0 {
            return;
        }
        // The arrows move the selection, not the focus.
        ui.memory_mut(|m| {
            m.set_focus_lock_filter(
                id,
                egui::EventFilter {
                    horizontal_arrows: true,
                    vertical_arrows: true,
                    ..Default::default()
                },
            )
        });
        ui.painter().rect_stroke(
            rect,
            2.0,
            ui.visuals().selection.stroke,
            egui::StrokeKind::Inside,
        );
        let page = self.drawn.rows.max(1) * ROW;
        let steps: [(egui::Key, isize); 8] = [
            (egui::Key::ArrowLeft, -1),
            (egui::Key::ArrowRight, 1),
            (egui::Key::ArrowUp, -(ROW as isize)),
            (egui::Key::ArrowDown, ROW as isize),
            (egui::Key::PageUp, -(page as isize)),
            (egui::Key::PageDown, page as isize),
            (egui::Key::Home, isize::MIN),
            (egui::Key::End, isize::MAX),
        ];
        let pressed = ui.input_mut(|i| {
            let shift = i.modifiers.shift;
            steps
                .iter()
                .find(|(key, _)| {
                    i.consume_key(egui::Modifiers::NONE, *key)
                        || i.consume_key(egui::Modifiers::SHIFT, *key)
                })
                .map(|&(_, step)| (step, shift))
        });
        let Some((step, shift)) = pressed else {
            return;
        };
        let from = if shift {
            self.selection_end.or(self.selected)
        } else {
            self.selected
        }
        .unwrap_or(0);
        let to = match step {
            isize::MIN => 0,
            isize::MAX => len - 1,
            step => from.saturating_add_signed(step).min(len - 1),
        };
        if shift && self.selected.is_some() {
            self.selection_end = Some(to);
        } else {
            self.selected = Some(to);
            self.selection_end = None;
        }
        let row = to / ROW;
        let first = self.drawn.first_row;
        if row < first || row >= first + self.drawn.rows.saturating_sub(1) {
            self.scroll_to = Some(to);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn row_job(
        &self,
        row: usize,
        data: &[u8],
        tracker: &ChangeTracker,
        snapshot: Option<&[u8]>,
        fade_after: Duration,
        now: Instant,
        font: &FontId,
        colors: &Colors,
        drawn: &mut Drawn,
    ) -> LayoutJob {
        let start = row * ROW;
        let end = (start + ROW).min(data.len());
        let selection = self.selection();
        let mut job = LayoutJob::default();
        let plain = TextFormat::simple(font.clone(), colors.dim);
        job.append(&format!("{start:08x}  "), 0.0, plain.clone());
        let mut backgrounds = [Color32::TRANSPARENT; ROW];
        for (i, offset) in (start..end).enumerate() {
            let selected = selection.is_some_and(|(a, b)| (a..=b).contains(&offset));
            let marked = self
                .mark
                .is_some_and(|(a, n)| offset >= a && offset < a + n);
            let differs = snapshot.is_some_and(|s| s.get(offset) != data.get(offset));
            let heat = fade(tracker.age(offset, now), fade_after);
            if differs {
                drawn.differs.push(offset);
            }
            if heat > 0.0 {
                drawn.changed.push(offset);
            }
            backgrounds[i] = if selected {
                colors.selected
            } else if marked {
                colors.mark
            } else if differs {
                colors.differs
            } else if heat > 0.0 {
                colors.changed.gamma_multiply(heat)
            } else {
                Color32::TRANSPARENT
            };
        }
        for (i, background) in backgrounds.iter().enumerate() {
            let hex;
            let text = match data.get(start + i).filter(|_| start + i < end) {
                Some(b) => {
                    hex = hex_pair(*b);
                    std::str::from_utf8(&hex).unwrap_or("?? ")
                }
                None => "   ",
            };
            let mut format = TextFormat::simple(font.clone(), colors.text);
            format.background = *background;
            job.append(text, 0.0, format);
        }
        job.append(" ", 0.0, plain);
        let mut text = String::with_capacity(4);
        for (i, background) in backgrounds.iter().enumerate() {
            text.clear();
            text.push(
                data.get(start + i)
                    .filter(|_| start + i < end)
                    .map_or(' ', |b| ascii(*b)),
            );
            let mut format = TextFormat::simple(font.clone(), colors.text);
            format.background = *background;
            job.append(&text, 0.0, format);
        }
        job
    }
}

fn hex_pair(b: u8) -> [u8; 3] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    [DIGITS[(b >> 4) as usize], DIGITS[(b & 15) as usize], b' ']
}

/// The byte (0..16) under character column `col` of a row.
fn byte_at(col: usize) -> Option<usize> {
    if (OFFSET_CHARS..OFFSET_CHARS + HEX_CHARS).contains(&col) {
        Some((col - OFFSET_CHARS) / 3)
    } else if (OFFSET_CHARS + HEX_CHARS + 1..ROW_CHARS).contains(&col) {
        Some(col - OFFSET_CHARS - HEX_CHARS - 1)
    } else {
        None
    }
}

struct Colors {
    text: Color32,
    dim: Color32,
    selected: Color32,
    mark: Color32,
    differs: Color32,
    changed: Color32,
}

impl Colors {
    fn of(ui: &egui::Ui) -> Colors {
        let v = ui.visuals();
        Colors {
            text: v.text_color(),
            dim: v.weak_text_color(),
            selected: v.selection.bg_fill,
            mark: Color32::from_rgb(160, 140, 0),
            differs: Color32::from_rgb(120, 60, 160),
            changed: Color32::from_rgb(220, 110, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_map_to_bytes() {
        assert_eq!(byte_at(0), None);
        assert_eq!(byte_at(10), Some(0));
        assert_eq!(byte_at(12), Some(0));
        assert_eq!(byte_at(13), Some(1));
        assert_eq!(byte_at(57), Some(15));
        assert_eq!(byte_at(58), None);
        assert_eq!(byte_at(59), Some(0));
        assert_eq!(byte_at(74), Some(15));
        assert_eq!(byte_at(75), None);
        assert_eq!(&hex_pair(0xaf), b"af ");
    }
}
