//! The "also serve into" editor of one game: the tools' prefixes its
//! sessions are shared into (Steam appids, non-Steam shortcuts by name, or
//! prefix folders, comma-separated) and whether a stand-in runs there. Used
//! by the Settings panel and by the game's card; the text being typed is
//! kept in egui's memory until the user applies it.

use bridgekeeper_sessions::settings::ServeInto;

/// What is being edited.
#[derive(Debug, Clone, Default)]
struct Draft {
    targets: String,
    stand_in: bool,
}

/// Draws the editor of `appid` (named `name`); returns the new setting
/// when the user applies it (no targets: sharing off).
pub fn editor(
    ui: &mut egui::Ui,
    appid: u32,
    name: &str,
    current: Option<&ServeInto>,
) -> Option<ServeInto> {
    let id = egui::Id::unique(("serve_into", appid));
    let mut draft = ui.data_mut(|d| {
        d.get_temp_mut_or_insert_with(id, || Draft {
            targets: current.map_or(String::new(), |c| c.targets.join(", ")),
            stand_in: current.is_some_and(|c| c.stand_in),
        })
        .clone()
    });
    let mut applied = None;
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(format!("Also serve {name} into:"));
        ui.add(
            egui::TextEdit::singleline(&mut draft.targets)
                .hint_text("SimHub, 12345, /path/to/pfx")
                .desired_width(200.0),
        )
        .labelled_by(label.id)
        .on_hover_text(
            "Tools in a prefix of their own: a non-Steam shortcut's name, a Steam appid or a \
             prefix folder, comma-separated. Each session of the game is shared into them, \
             zero copy, while it runs.",
        );
        ui.checkbox(&mut draft.stand_in, "stand-in").on_hover_text(
            "Run a process named like the game's exe in each tool's prefix while the game \
                 runs, for tools that look for the game's process (SimHub, CrewChief)",
        );
        if ui.button("Apply").clicked() {
            applied = Some(ServeInto {
                targets: draft
                    .targets
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
                stand_in: draft.stand_in,
            });
        }
    });
    ui.data_mut(|d| d.insert_temp(id, draft));
    applied
}
