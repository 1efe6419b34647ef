//! A profile for a game Bridgekeeper does not know: its mapping names and
//! sizes, written as TOML, checked by `profiles::parse_profile` and saved in
//! the user profile folder.

use std::path::PathBuf;
use std::sync::Arc;

use super::Request;
use crate::actions::Action;
use crate::state::SaveProfileError;

/// One mapping being entered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MappingDraft {
    /// The name the game passes to `CreateFileMapping`.
    pub name: String,
    /// Its size in bytes.
    pub size: String,
}

/// The editor's state.
#[derive(Debug, Clone, Default)]
pub struct ProfileEditor {
    /// The game's appid.
    pub appid: u32,
    /// Profile id (file name).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The game's exe names, comma-separated.
    pub exes: String,
    /// The mappings.
    pub mappings: Vec<MappingDraft>,
    /// The last save's outcome: the file written, or what to fix.
    pub outcome: Option<Result<PathBuf, Arc<SaveProfileError>>>,
    /// Set when the person closed the editor.
    pub closed: bool,
}

impl ProfileEditor {
    /// An editor for `appid`, with an id derived from `name`.
    pub fn for_game(appid: u32, name: &str) -> Self {
        let id: String = name
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        ProfileEditor {
            appid,
            id,
            name: name.to_string(),
            mappings: vec![MappingDraft::default()],
            ..Default::default()
        }
    }

    /// The profile as TOML.
    pub fn toml(&self) -> String {
        let q = |s: &str| toml::Value::String(s.trim().to_string()).to_string();
        let exes: Vec<String> = self
            .exes
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(q)
            .collect();
        let mut out = format!(
            "id = {}\nname = {}\nappids = [{}]\nlive_exes = [{}]\n",
            q(&self.id),
            q(&self.name),
            self.appid,
            exes.join(", ")
        );
        for m in &self.mappings {
            out.push_str(&format!(
                "\n[[mapping]]\nname = {}\nsize = {}\n",
                q(&m.name),
                m.size.trim().replace('_', "")
            ));
        }
        out
    }

    /// Draws the editor; returns a save request when asked.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<Request> {
        let mut request = None;
        ui.strong(format!("New profile for appid {}", self.appid));
        egui::Grid::new("profile editor")
            .num_columns(2)
            .show(ui, |ui| {
                for (label, value) in [
                    ("Profile id", &mut self.id),
                    ("Game name", &mut self.name),
                    ("Exe names (comma-separated)", &mut self.exes),
                ] {
                    let l = ui.label(label);
                    ui.text_edit_singleline(value).labelled_by(l.id);
                    ui.end_row();
                }
            });
        ui.label("Mappings: the exact names the game passes to CreateFileMapping, sizes in bytes.");
        let mut remove = None;
        for (i, m) in self.mappings.iter_mut().enumerate() {
            ui.horizontal(|ui| {
                let l = ui.label(format!("Mapping {} name", i + 1));
                ui.add(egui::TextEdit::singleline(&mut m.name).desired_width(220.0))
                    .labelled_by(l.id);
                let l = ui.label("size");
                ui.add(egui::TextEdit::singleline(&mut m.size).desired_width(90.0))
                    .labelled_by(l.id);
                if ui.button(format!("Remove mapping {}", i + 1)).clicked() {
                    remove = Some(i);
                }
            });
        }
        if let Some(i) = remove {
            self.mappings.remove(i);
        }
        ui.horizontal(|ui| {
            if ui.button("Add mapping").clicked() {
                self.mappings.push(MappingDraft::default());
            }
            if ui.button("Save profile").clicked() {
                request = Some(Request::Action(Action::SaveProfile(self.toml())));
            }
            if ui
                .button("Close editor")
                .on_hover_text("Escape, when no text field has the focus")
                .clicked()
            {
                self.closed = true;
            }
        });
        match &self.outcome {
            Some(Ok(file)) => {
                ui.label(format!(
                    "Saved as {}; the game is now supported.",
                    file.display()
                ));
            }
            Some(Err(problems)) => {
                ui.colored_label(ui.visuals().error_fg_color, problems.to_string());
            }
            None => {}
        }
        request
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_valid_profile() {
        let mut e = ProfileEditor::for_game(123, "My Sim: 2 (Beta)");
        assert_eq!(e.id, "my-sim-2-beta");
        e.exes = "MySim.exe, MySimLauncher.exe".into();
        e.mappings[0] = MappingDraft {
            name: "MySimTelemetry".into(),
            size: "4_096".into(),
        };
        let profile = bridgekeeper_profiles::parse_profile("t", &e.toml()).unwrap();
        assert_eq!(profile.appids, vec![123]);
        assert_eq!(profile.mappings.len(), 1);
        assert_eq!(profile.mappings[0].size.bytes(), 4096);
        e.mappings[0].size = "lots".into();
        assert!(bridgekeeper_profiles::parse_profile("t", &e.toml()).is_err());
    }
}
