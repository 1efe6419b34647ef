//! What the window says when there is nothing to show or something is
//! missing, each time with what to do.

use crate::state::DesktopState;

/// Why the launch option is best, in a sentence.
pub const LAUNCH_WHY: &str = "With this launch option the bridge starts before the game, so every \
     mapping is backed by its /dev/shm file from the first frame (zero copy); attaching to a game \
     that already runs may find mappings the game created first, which can only be copied.";

/// Shows the warnings that concern the whole app: no Steam, no supported
/// game, the bridge missing. Returns false when there is no game list to
/// show at all.
pub fn banners(ui: &mut egui::Ui, state: &DesktopState) -> bool {
    if let Err(reason) = &state.env.sessions {
        problem(
            ui,
            "The bridge is missing",
            &format!("Games cannot be bridged: {reason}"),
        );
    }
    if let Some(p) = &state.settings_problem {
        problem(ui, "Settings", p);
    }
    let Some(discovery) = &state.discovery else {
        ui.label("Looking for Steam and its games…");
        return false;
    };
    if discovery.installations.is_empty() {
        problem(
            ui,
            "No Steam found",
            "Install Steam and run a game once, or set STEAM_DIR to your Steam folder \
             (the one that holds steamapps/), then press Refresh.",
        );
        return false;
    }
    if discovery.games.is_empty() {
        problem(
            ui,
            "No games installed",
            "Steam has no installed games. Install a supported game, then press Refresh.",
        );
        return false;
    }
    let catalog = state.catalog.read();
    if !discovery
        .games
        .iter()
        .any(|g| catalog.by_appid(g.appid).is_some())
    {
        let names: Vec<&str> = catalog
            .entries()
            .iter()
            .map(|e| e.profile.name.as_str())
            .collect();
        problem(
            ui,
            "No supported game installed",
            &format!(
                "None of your games has a profile. Supported: {}. You can give a game a profile \
                 below (its mapping names and sizes).",
                names.join(", ")
            ),
        );
    }
    true
}

/// A framed problem: a title and what to do.
pub fn problem(ui: &mut egui::Ui, title: &str, what_to_do: &str) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.colored_label(ui.visuals().warn_fg_color, title);
        ui.label(what_to_do);
    });
}
