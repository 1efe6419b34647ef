//! One game as a card, the way Steam's library shows it: the header image
//! (or a generated one), the name, a state chip shaped like the tray icon,
//! the details that matter for bridging, and one-click actions.

use egui::{Role, Sense, Vec2};

use super::Request;
use super::a11y;
use super::art::{Art, ArtCache, paint_generated};
use super::chip::chip;
use super::profile_editor::ProfileEditor;
use crate::actions::Action;
use crate::state::{DesktopState, GameRow, GameState, VerifyState};

/// Card width in points.
pub const WIDTH: f32 = 330.0;

/// Header images are 460 × 215.
const ART_RATIO: f32 = 215.0 / 460.0;

/// What a card may change in the panel.
#[derive(Debug)]
pub struct CardOutput<'a> {
    /// Requests for the app.
    pub requests: &'a mut Vec<Request>,
    /// The profile editor, opened by "Give it a profile".
    pub editor: &'a mut Option<ProfileEditor>,
    /// The appid whose launch option was copied last.
    pub copied: &'a mut Option<u32>,
}

/// Draws the card of `row`.
pub fn card(
    ui: &mut egui::Ui,
    row: &GameRow,
    state: &DesktopState,
    art: &mut ArtCache,
    out: CardOutput<'_>,
) {
    egui::Frame::group(ui.style())
        .inner_margin(egui::Margin::same(8))
        .corner_radius(6.0)
        .show(ui, |ui| {
            ui.set_width(WIDTH);
            ui.vertical(|ui| {
                header(ui, row, art);
                ui.add_space(4.0);
                ui.add(egui::Label::new(egui::RichText::new(&row.name).strong().size(16.0)).wrap());
                let words = row.state.label();
                let look = row.state.look(row.auto_attach);
                let words = match &row.state {
                    GameState::Ready if row.auto_attach => format!("{words} · auto-attach on"),
                    _ => words,
                };
                chip(ui, look, &words, &format!("{}: {words}", row.name));
                details(ui, row);
                notes(ui, row);
                ui.add_space(2.0);
                if row.profile.is_some() {
                    let current = state.settings.serve_into.get(&row.appid);
                    egui::CollapsingHeader::new("Also serve into…")
                        .id_salt(("card_serve_into", row.appid))
                        .show(ui, |ui| {
                            if let Some(wanted) =
                                super::serve_into::editor(ui, row.appid, &row.name, current)
                            {
                                out.requests
                                    .push(Request::Action(Action::SetServeInto(row.appid, wanted)));
                            }
                        });
                }
                buttons(ui, row, state, out);
                verify_report(ui, row, state);
            });
        });
}

fn header(ui: &mut egui::Ui, row: &GameRow, art: &mut ArtCache) {
    let size = Vec2::new(WIDTH, (WIDTH * ART_RATIO).round());
    let shown = row
        .header_image
        .as_deref()
        .map(|path| art.get(ui.ctx(), path));
    match shown {
        Some(Art::Ready(texture)) => {
            ui.add(
                egui::Image::from_texture((texture.id(), size))
                    .fit_to_exact_size(size)
                    .corner_radius(4.0)
                    .alt_text(format!("{} header image", row.name)),
            );
        }
        other => {
            let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
            if ui.is_rect_visible(rect) {
                paint_generated(ui.painter(), rect, row.appid, &row.name);
            }
            let why = match other {
                Some(Art::Loading) => "header image loading",
                Some(Art::Failed(_)) => "generated card: the header image cannot be shown",
                _ => "generated card: no header image in Steam's cache",
            };
            let response = match other {
                Some(Art::Failed(e)) => response.on_hover_text(e.to_string()),
                _ => response,
            };
            a11y::labelled(response, Role::Image, &format!("{} ({why})", row.name));
        }
    }
}

/// A line of detail: weaker than the name, full size (small text is hard
/// to read), cut to the card's width with the whole text on hover.
fn detail(ui: &mut egui::Ui, text: String) -> egui::Response {
    ui.add(egui::Label::new(egui::RichText::new(text).weak()).truncate())
}

fn details(ui: &mut egui::Ui, row: &GameRow) {
    detail(ui, format!("appid {}", row.appid));
    detail(
        ui,
        format!(
            "Proton: {}",
            row.proton
                .as_deref()
                .unwrap_or("none chosen (native or unknown)")
        ),
    );
    let prefix = row
        .prefix
        .as_ref()
        .map_or("none yet".to_string(), |p| p.display().to_string());
    detail(ui, format!("Prefix: {prefix}")).on_hover_text(prefix);
    detail(
        ui,
        format!("Profile: {}", row.profile.as_deref().unwrap_or("none")),
    );
}

fn notes(ui: &mut egui::Ui, row: &GameRow) {
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
}

fn buttons(ui: &mut egui::Ui, row: &GameRow, state: &DesktopState, out: CardOutput<'_>) {
    let name = &row.name;
    ui.horizontal_wrapped(|ui| {
        let busy = matches!(row.state, GameState::Busy(_));
        match &row.state {
            GameState::Unsupported => {
                if a11y::button(
                    ui,
                    true,
                    "Give it a profile",
                    &format!("Give {name} a profile"),
                )
                .on_hover_text("write its mapping names and sizes; saved in your profile folder")
                .clicked()
                {
                    *out.editor = Some(ProfileEditor::for_game(row.appid, name));
                }
                return;
            }
            GameState::Bridged { .. } => {
                if a11y::button(ui, !busy, "Stop", &format!("Stop {name}"))
                    .on_hover_text("stop the game's bridge")
                    .clicked()
                {
                    out.requests.push(Request::Action(Action::Stop(row.appid)));
                }
            }
            _ => {
                if a11y::button(ui, !busy, "Attach", &format!("Attach {name}"))
                    .on_hover_text("start a bridge for the running game")
                    .clicked()
                {
                    out.requests
                        .push(Request::Action(Action::Attach(row.appid)));
                }
            }
        }
        let running = matches!(state.verify.get(&row.appid), Some(VerifyState::Running));
        if a11y::button(ui, !running, "Verify", &format!("Verify {name}"))
            .on_hover_text("run the chain check in the game's prefix, step by step")
            .clicked()
        {
            out.requests
                .push(Request::Action(Action::Verify(row.appid)));
        }
        if a11y::button(
            ui,
            true,
            "Copy launch option",
            &format!("Copy launch option for {name}"),
        )
        .on_hover_text(format!(
            "copies `{}` for the game's Properties in Steam, under Launch Options",
            state.launch_option
        ))
        .clicked()
        {
            ui.ctx().copy_text(state.launch_option.clone());
            *out.copied = Some(row.appid);
        }
    });
    if *out.copied == Some(row.appid) {
        ui.label("Copied: paste it in the game's Properties in Steam, under Launch Options.");
    }
}

fn verify_report(ui: &mut egui::Ui, row: &GameRow, state: &DesktopState) {
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
                ui.horizontal_wrapped(|ui| {
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
