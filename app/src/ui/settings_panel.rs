//! Settings: start at login, auto-attach (all games and per game), "also
//! serve into" per game, the user profile folder, keeping files after a
//! session.

use std::path::PathBuf;

use super::Request;
use crate::actions::Action;
use crate::state::DesktopState;
use bridgekeeper_sessions::settings::autostart;

/// The settings panel's state.
#[derive(Debug, Default)]
pub struct SettingsPanel {
    /// The profile folder being typed.
    pub profiles_dir: Option<String>,
    /// The extra profile folders being edited, one per line.
    pub extra_profile_dirs: Option<String>,
}

impl SettingsPanel {
    /// Draws the settings; any change asks for a save.
    pub fn ui(&mut self, ui: &mut egui::Ui, state: &mut DesktopState) -> Vec<Request> {
        let mut changed = false;
        ui.heading("Settings");
        let s = &mut state.settings;
        changed |= ui
            .checkbox(&mut s.start_at_login, "Start in the tray at login")
            .on_hover_text(format!(
                "writes {}",
                autostart::entry_file(&state.env.autostart_dir).display()
            ))
            .changed();
        changed |= ui
            .checkbox(
                &mut s.auto_attach,
                "Attach to supported games when they start",
            )
            .changed();
        changed |= ui
            .checkbox(&mut s.keep_files, "Keep the /dev/shm files after a session")
            .changed();
        changed |= ui
            .checkbox(&mut s.notifications, "Show desktop notifications")
            .on_hover_text("a game bridged (zero copy or copy, and why), not bridged (why), a problem with a mapping's file")
            .changed();
        ui.add_enabled_ui(s.auto_attach, |ui| {
            ui.label("Auto-attach per game:");
            let games: Vec<(u32, String)> = state
                .discovery
                .iter()
                .flat_map(|d| &d.games)
                .filter(|g| state.catalog.read().by_appid(g.appid).is_some())
                .map(|g| (g.appid, g.name.clone()))
                .collect();
            if games.is_empty() {
                ui.label("(no supported game installed)");
            }
            for (appid, name) in games {
                let mut on = s.auto_attach_games.get(&appid).copied().unwrap_or(true);
                if ui
                    .checkbox(&mut on, format!("Auto-attach {name}"))
                    .changed()
                {
                    s.auto_attach_games.insert(appid, on);
                    changed = true;
                }
            }
        });
        ui.label(
            "Share a game's sessions into tools in prefixes of their own (SimHub, CrewChief):",
        );
        let supported: Vec<(u32, String)> = state
            .discovery
            .iter()
            .flat_map(|d| &d.games)
            .filter(|g| state.catalog.read().by_appid(g.appid).is_some())
            .map(|g| (g.appid, g.name.clone()))
            .collect();
        for (appid, name) in supported {
            let current = state.settings.serve_into.get(&appid);
            if let Some(wanted) = super::serve_into::editor(ui, appid, &name, current) {
                if wanted.targets.is_empty() {
                    state.settings.serve_into.remove(&appid);
                } else {
                    state.settings.serve_into.insert(appid, wanted);
                }
                changed = true;
            }
        }
        let current = state
            .profiles_dir()
            .map_or(String::new(), |d| d.display().to_string());
        let text = self.profiles_dir.get_or_insert(current);
        ui.horizontal(|ui| {
            let l = ui.label("User profile folder:");
            ui.add(egui::TextEdit::singleline(text).desired_width(360.0))
                .labelled_by(l.id);
            if ui.button("Use this folder").clicked() {
                let t = text.trim();
                state.settings.profiles_dir = (!t.is_empty()).then(|| PathBuf::from(t));
                changed = true;
            }
        });
        ui.label(
            "Profiles you create are saved there as <id>.toml; files there add profiles or \
             replace a built-in one with the same id.",
        );
        let extra = self.extra_profile_dirs.get_or_insert_with(|| {
            let dirs: Vec<String> = state
                .settings
                .extra_profile_dirs
                .iter()
                .map(|d| d.display().to_string())
                .collect();
            dirs.join("\n")
        });
        ui.horizontal(|ui| {
            let l = ui.label("More profile folders, one per line:");
            ui.add(
                egui::TextEdit::multiline(extra)
                    .desired_rows(2)
                    .desired_width(360.0),
            )
            .labelled_by(l.id);
            if ui.button("Use these folders").clicked() {
                state.settings.extra_profile_dirs = extra
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(PathBuf::from)
                    .collect();
                changed = true;
            }
        });
        ui.label(format!(
            "Settings file: {}",
            state.env.settings_file.display()
        ));
        if let Some(p) = &state.settings_problem {
            ui.colored_label(ui.visuals().error_fg_color, p);
        }
        if changed {
            vec![Request::Action(Action::SaveSettings)]
        } else {
            Vec::new()
        }
    }
}
