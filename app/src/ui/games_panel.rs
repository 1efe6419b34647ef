//! Games: installed games, supported first, with their Proton build,
//! prefix, profile and state; attach or stop, verify, the launch option, and
//! a profile for an unsupported game.

use super::Request;
use super::empty_states::{LAUNCH_WHY, banners};
use super::profile_editor::ProfileEditor;
use crate::actions::Action;
use crate::state::{DesktopState, GameRow, GameState, VerifyState};

/// The games panel's state.
#[derive(Debug, Default)]
pub struct GamesPanel {
    /// The profile editor, when one is open.
    pub editor: Option<ProfileEditor>,
    /// Whether the launch option was just copied.
    pub copied: bool,
    /// The launch option for this program, worked out once.
    launch_option: Option<String>,
}

impl GamesPanel {
    /// Draws the list; returns what the person asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &DesktopState) -> Vec<Request> {
        let mut out = Vec::new();
        ui.horizontal(|ui| {
            ui.heading("Games");
            if ui.button("Refresh").clicked() {
                out.push(Request::Action(Action::RefreshGames));
            }
        });
        self.launch_option(ui, state);
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
        if !banners(ui, state) {
            return out;
        }
        for row in state.game_rows() {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_width(ui.available_width());
                self.row(ui, state, &row, &mut out);
            });
        }
        out
    }

    fn launch_option(&mut self, ui: &mut egui::Ui, state: &DesktopState) {
        let option = self
            .launch_option
            .get_or_insert_with(|| {
                let path = std::env::var_os("PATH");
                state.env.program.launch_option(path.as_deref())
            })
            .clone();
        ui.horizontal(|ui| {
            ui.label("Launch option:");
            ui.code(&option);
            if ui.button("Copy launch option").clicked() {
                ui.ctx().copy_text(option.clone());
                self.copied = true;
            }
            if self.copied {
                ui.label("copied; paste it in the game's Properties → Launch Options in Steam");
            }
        });
        ui.label(LAUNCH_WHY);
        ui.separator();
    }

    fn row(
        &mut self,
        ui: &mut egui::Ui,
        state: &DesktopState,
        row: &GameRow,
        out: &mut Vec<Request>,
    ) {
        ui.horizontal_wrapped(|ui| {
            ui.strong(&row.name);
            ui.label(format!("appid {}", row.appid));
            ui.label(format!("· {}", row.state.label()));
        });
        ui.label(format!(
            "Proton: {}",
            row.proton
                .as_deref()
                .unwrap_or("none chosen (native or unknown)")
        ));
        ui.label(format!(
            "Prefix: {}",
            row.prefix
                .as_ref()
                .map_or("none yet".to_string(), |p| p.display().to_string())
        ));
        ui.label(format!(
            "Profile: {}",
            row.profile.as_deref().unwrap_or("none")
        ));
        match &row.state {
            GameState::NeverRan => {
                ui.label(
                    "It never ran under Proton: start it once from Steam so Proton creates its \
                     prefix, then attach.",
                );
            }
            GameState::Refused(reason) => {
                ui.colored_label(ui.visuals().error_fg_color, format!("Refused: {reason}"));
            }
            _ => {}
        }
        ui.horizontal(|ui| {
            let busy = matches!(row.state, GameState::Busy(_));
            match &row.state {
                GameState::Unsupported => {
                    if ui.button(format!("Give {} a profile", row.name)).clicked() {
                        self.editor = Some(ProfileEditor::for_game(row.appid, &row.name));
                    }
                }
                GameState::Bridged { .. } => {
                    if ui
                        .add_enabled(!busy, egui::Button::new(format!("Stop {}", row.name)))
                        .clicked()
                    {
                        out.push(Request::Action(Action::Stop(row.appid)));
                    }
                }
                _ => {
                    if ui
                        .add_enabled(!busy, egui::Button::new(format!("Attach {}", row.name)))
                        .on_hover_text("start a bridge for the running game")
                        .clicked()
                    {
                        out.push(Request::Action(Action::Attach(row.appid)));
                    }
                }
            }
            if row.profile.is_some() {
                let running = matches!(state.verify.get(&row.appid), Some(VerifyState::Running));
                if ui
                    .add_enabled(!running, egui::Button::new(format!("Verify {}", row.name)))
                    .on_hover_text("run the chain check in the game's prefix, step by step")
                    .clicked()
                {
                    out.push(Request::Action(Action::Verify(row.appid)));
                }
            }
        });
        match state.verify.get(&row.appid) {
            Some(VerifyState::Running) => {
                ui.label("Verifying… (the first Wine start in a prefix can take a minute)");
            }
            Some(VerifyState::Done(report)) => {
                ui.label(if report.passed() {
                    "Verify: every step passed"
                } else {
                    "Verify: a step failed"
                });
                for step in &report.steps {
                    ui.horizontal(|ui| {
                        if step.ok {
                            ui.colored_label(ui.visuals().widgets.active.fg_stroke.color, "passed");
                        } else {
                            ui.colored_label(ui.visuals().error_fg_color, "FAILED");
                        }
                        ui.label(format!("{}: {}", step.step, step.detail));
                    });
                }
            }
            None => {}
        }
    }
}
