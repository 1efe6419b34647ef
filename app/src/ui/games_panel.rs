//! Games: installed games as cards, the supported ones first, each with its
//! Steam header image, a state chip, and one-click attach or stop, verify
//! and the launch option; then the other games, which can get a profile.

use super::Request;
use super::art::ArtCache;
use super::empty_states::{LAUNCH_WHY, banners};
use super::game_card::{self, CardOutput};
use super::profile_editor::ProfileEditor;
use crate::actions::Action;
use crate::state::{DesktopState, GameRow};

/// Space between cards.
const GAP: f32 = 12.0;

/// The games panel's state.
#[derive(Debug, Default)]
pub struct GamesPanel {
    /// The profile editor, when one is open.
    pub editor: Option<ProfileEditor>,
    /// The appid whose launch option was copied last.
    pub copied: Option<u32>,
    /// The header images.
    pub art: ArtCache,
}

/// "Try the demo" while no game is bridged: the built-in capture plays as
/// a session, so Sessions and the Inspector can be seen working with no
/// Steam, Wine or game.
fn demo_offer(ui: &mut egui::Ui, state: &DesktopState, out: &mut Vec<Request>) {
    if state.sessions.iter().any(|s| s.is_active()) {
        return;
    }
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                "No supported game runs. See what Bridgekeeper does with a recorded session                  of a made-up Assetto Corsa Competizione car:",
            );
            if ui.button("Try the demo").clicked() {
                out.push(Request::TryDemo);
            }
        });
    });
}

impl GamesPanel {
    /// Draws the cards; returns what the person asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &DesktopState) -> Vec<Request> {
        let mut out = Vec::new();
        ui.horizontal(|ui| {
            ui.heading("Games");
            if ui
                .button("Refresh")
                .on_hover_text("search Steam again")
                .clicked()
            {
                out.push(Request::Action(Action::RefreshGames));
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.label("Launch option:");
            ui.code(&state.launch_option);
        });
        ui.label(LAUNCH_WHY);
        ui.separator();
        if let Some(editor) = &mut self.editor {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                if let Some(request) = editor.ui(ui) {
                    out.push(request);
                }
            });
            if editor.closed {
                self.editor = None;
            }
        }
        for warning in &state.reader_warnings {
            ui.colored_label(ui.visuals().warn_fg_color, warning.to_string());
        }
        demo_offer(ui, state, &mut out);
        if !banners(ui, state) {
            return out;
        }
        let (supported, others): (Vec<GameRow>, Vec<GameRow>) = state
            .game_rows()
            .into_iter()
            .partition(|r| r.profile.is_some());
        if !supported.is_empty() {
            ui.heading("Supported games");
            self.grid(ui, state, &supported, &mut out);
        }
        if !others.is_empty() {
            ui.add_space(GAP);
            ui.heading("Other games");
            ui.label("Bridgekeeper has no profile for these: give one its mapping names and sizes to bridge it.");
            self.grid(ui, state, &others, &mut out);
        }
        out
    }

    /// Cards in rows as wide as the panel.
    fn grid(
        &mut self,
        ui: &mut egui::Ui,
        state: &DesktopState,
        rows: &[GameRow],
        out: &mut Vec<Request>,
    ) {
        let card = game_card::WIDTH + 2.0 * 8.0 + 2.0;
        let per_row = (((ui.available_width() + GAP) / (card + GAP)).floor() as usize).max(1);
        for chunk in rows.chunks(per_row) {
            ui.horizontal_top(|ui| {
                ui.spacing_mut().item_spacing.x = GAP;
                for row in chunk {
                    game_card::card(
                        ui,
                        row,
                        state,
                        &mut self.art,
                        CardOutput {
                            requests: out,
                            editor: &mut self.editor,
                            copied: &mut self.copied,
                        },
                    );
                }
            });
            ui.add_space(GAP);
        }
    }
}
