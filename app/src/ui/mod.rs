//! The window (eframe/egui 0.37).
//!
//! Panels are small structs with a `ui` method (egui demo style), drawn by
//! [`BridgekeeperApp`]. All state that must outlive a window lives in
//! [`crate::state::DesktopState`], shared with the tray and the workers, so
//! closing the window (the Wayland-safe way to hide it) loses nothing. Every
//! action goes through [`crate::actions`], which calls the same library code
//! as the command line.

pub mod empty_states;
pub mod games_panel;
pub mod inspector;
pub mod profile_editor;
pub mod sessions_panel;
pub mod settings_panel;

use std::path::PathBuf;
use std::sync::Arc;

use crate::actions::{self, Action};
use crate::state::{SharedState, lock};
use games_panel::GamesPanel;
use inspector::Inspector;
use sessions_panel::SessionsPanel;
use settings_panel::SettingsPanel;

/// What a panel asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// An action of [`actions`].
    Action(Action),
    /// Check and save a profile (TOML) in the user profile folder.
    SaveProfile(String),
    /// Open a mapping file in the inspector.
    Inspect {
        /// The mapping's name.
        title: String,
        /// Its file.
        path: PathBuf,
        /// The profile id, for the mapping's layout.
        profile: String,
    },
}

/// The window's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Installed games.
    Games,
    /// Sessions and their mappings.
    Sessions,
    /// One mapping, byte by byte.
    Inspector,
    /// Settings.
    Settings,
}

/// The window's content: tabs and their panels.
#[derive(Debug)]
pub struct BridgekeeperApp {
    /// The shared state.
    pub shared: SharedState,
    /// The tab shown.
    pub tab: Tab,
    /// Games.
    pub games: GamesPanel,
    /// Sessions.
    pub sessions: SessionsPanel,
    /// Settings.
    pub settings: SettingsPanel,
    /// The inspector, once a mapping was opened.
    pub inspector: Option<Inspector>,
}

impl BridgekeeperApp {
    /// A window over `shared`.
    pub fn new(shared: SharedState) -> Self {
        BridgekeeperApp {
            shared,
            tab: Tab::Games,
            games: GamesPanel::default(),
            sessions: SessionsPanel::default(),
            settings: SettingsPanel::default(),
            inspector: None,
        }
    }

    /// Opens `path` in the inspector, with the layout `profile` gives the
    /// mapping `title`.
    pub fn inspect(&mut self, title: &str, path: PathBuf, profile: &str) {
        let layout = {
            let s = lock(&self.shared);
            let catalog = s.catalog.read();
            catalog.get(profile).and_then(|e| {
                let p = &e.profile;
                p.mapping(title).and_then(|m| p.layout_of(m)).cloned()
            })
        };
        self.inspector = Some(Inspector::new(title, path, layout));
        self.tab = Tab::Inspector;
    }

    /// Does what the panels asked.
    pub fn handle(&mut self, requests: Vec<Request>) {
        for request in requests {
            match request {
                Request::Action(action) => actions::run(&self.shared, action),
                Request::SaveProfile(text) => {
                    let outcome = actions::save_profile(&self.shared, &text).map_err(Arc::new);
                    if let Some(editor) = &mut self.games.editor {
                        editor.outcome = Some(outcome);
                    }
                }
                Request::Inspect {
                    title,
                    path,
                    profile,
                } => self.inspect(&title, path, &profile),
            }
        }
    }

    /// Draws the whole window into `ui`.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let mut requests = Vec::new();
        egui::Panel::top("tabs").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.selectable_value(&mut self.tab, Tab::Games, "Games");
                ui.selectable_value(&mut self.tab, Tab::Sessions, "Sessions");
                if self.inspector.is_some() {
                    ui.selectable_value(&mut self.tab, Tab::Inspector, "Inspector");
                }
                ui.selectable_value(&mut self.tab, Tab::Settings, "Settings");
            });
        });
        {
            let state = lock(&self.shared);
            if !state.log.is_empty() {
                egui::Panel::bottom("log").show(ui, |ui| {
                    for line in state.log.iter().rev().take(3) {
                        ui.label(line);
                    }
                });
            }
        }
        egui::CentralPanel::default().show(ui, |ui| match self.tab {
            Tab::Inspector => match &mut self.inspector {
                Some(inspector) => inspector.ui(ui),
                None => {
                    ui.label("Open a mapping from the Sessions tab.");
                }
            },
            tab => {
                egui::ScrollArea::vertical()
                    .id_salt("tab")
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        let mut state = lock(&self.shared);
                        requests = match tab {
                            Tab::Games => self.games.ui(ui, &state),
                            Tab::Sessions => self.sessions.ui(ui, &state),
                            _ => self.settings.ui(ui, &mut state),
                        };
                    });
            }
        });
        self.handle(requests);
    }
}
