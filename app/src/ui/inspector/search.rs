//! Search box: bytes, text or a number; each search finds the next match
//! after the selection, wrapping around.

use bridgekeeper_shm::search::{Hit, SearchError, SearchKind, count, find_next, patterns};

/// The search box's state.
#[derive(Debug, Default)]
pub struct SearchBox {
    /// What the text means.
    pub kind: SearchKind,
    /// What to look for.
    pub text: String,
    /// The last result: a match, or why there is none.
    pub result: Option<Result<Hit, SearchError>>,
    /// How many matches there are in all (up to 1000).
    pub matches: usize,
}

impl SearchBox {
    /// Searches `data` from `from`; the hit, if any, is also returned.
    pub fn find(&mut self, data: &[u8], from: usize) -> Option<Hit> {
        let result = patterns(self.kind, &self.text).and_then(|p| {
            self.matches = count(data, &p, 1000);
            find_next(data, &p, from)
                .ok_or_else(|| SearchError::NotFound(self.text.trim().to_string()))
        });
        let hit = result.as_ref().ok().cloned();
        self.result = Some(result);
        hit
    }

    /// Draws the box; returns a hit when a search was run and matched.
    pub fn ui(&mut self, ui: &mut egui::Ui, data: &[u8], from: usize) -> Option<Hit> {
        let mut go = false;
        ui.horizontal(|ui| {
            for kind in [SearchKind::Hex, SearchKind::Text, SearchKind::Number] {
                ui.radio_value(&mut self.kind, kind, kind.label());
            }
        });
        ui.horizontal(|ui| {
            let label = ui.label("Search for:");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.text)
                        .hint_text("de ad be ef / text / 42")
                        .desired_width(160.0),
                )
                .labelled_by(label.id);
            go |= edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            go |= ui.button("Find next").clicked();
        });
        let hit = if go { self.find(data, from) } else { None };
        match &self.result {
            Some(Ok(h)) => {
                ui.label(format!(
                    "Found at 0x{:08x} as {} ({} match(es))",
                    h.offset, h.encoding, self.matches
                ));
            }
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().warn_fg_color, e.to_string());
            }
            None => {}
        }
        hit
    }
}
