//! The window (eframe/egui 0.37).
//!
//! Panels are small structs with a `ui` method (egui demo style), drawn by
//! [`BridgekeeperApp`]. All state that must outlive a window lives in
//! [`crate::state::DesktopState`], shared with the tray and the workers, so
//! closing the window (the Wayland-safe way to hide it) loses nothing. Every
//! action goes through [`crate::actions`], which calls the same library code
//! as the command line, off this thread.
//!
//! Everything can be done from the keyboard: Tab and Shift+Tab move between
//! controls in reading order, Enter or Space presses the focused one,
//! Ctrl+1 … Ctrl+5 open the tabs ([`keys`]), Escape leaves a text field
//! and then closes the profile editor or the inspector. Buttons, images and
//! state chips carry labels a screen reader reads (AccessKit): "Attach
//! Assetto Corsa", "Assetto Corsa header image", "Assetto Corsa: bridged
//! (zero copy)".

pub mod a11y;
pub mod art;
pub mod chip;
pub mod counter_rate;
pub mod dashboard;
pub mod dashboard_source;
pub mod empty_states;
pub mod feed;
pub mod game_card;
pub mod games_panel;
pub mod inspector;
pub mod keys;
pub mod profile_editor;
pub mod recordings;
pub mod replays_panel;
pub mod screen_text;
pub mod serve_into;
pub mod sessions_panel;
pub mod settings_panel;
pub mod since;

use std::path::PathBuf;

use crate::actions::{self, Action};
use crate::state::{SharedState, lock};
use games_panel::GamesPanel;
use inspector::Inspector;
use replays_panel::{ReplaysPanel, Source, Target};
use sessions_panel::SessionsPanel;
use settings_panel::SettingsPanel;

/// What a panel asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// An action of [`actions`].
    Action(Action),
    /// Open a mapping file in the inspector.
    Inspect {
        /// The mapping's name.
        title: String,
        /// Its file.
        path: PathBuf,
        /// The profile id, for the mapping's layout.
        profile: String,
    },
    /// Start recording a session (by id).
    Record(String),
    /// Stop recording a session (by id).
    StopRecording(String),
    /// Play the built-in demo capture and show the sessions.
    TryDemo,
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
    /// Capture files played back, and recordings.
    Replays,
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
    /// Replays and recordings.
    pub replays: ReplaysPanel,
    /// The inspector, once a mapping was opened.
    pub inspector: Option<Inspector>,
    /// Whether a text field had the focus at the end of the last frame
    /// (egui takes it away on Escape before the app sees the key).
    typing: bool,
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
            replays: ReplaysPanel::default(),
            inspector: None,
            typing: false,
        }
    }

    /// Opens `path` in the inspector, with the layout `profile` gives the
    /// mapping `title`, reading at most the mapping's declared size.
    pub fn inspect(&mut self, title: &str, path: PathBuf, profile: &str) {
        let (layout, size) = {
            let s = lock(&self.shared);
            let catalog = s.catalog.read();
            let mapping = catalog
                .get(profile)
                .and_then(|e| e.profile.mapping(title).map(|m| (&e.profile, m)));
            (
                mapping.and_then(|(p, m)| p.layout_of(m).cloned()),
                mapping.map(|(_, m)| m.size.bytes()),
            )
        };
        let mut inspector = Inspector::new(title, path, layout);
        if let Some(size) = size {
            inspector = inspector.with_limit(size);
        }
        self.inspector = Some(inspector);
        self.tab = Tab::Inspector;
    }

    /// Stops every file reading (the window closed): nothing reads or wakes
    /// while the app is in the tray. Drawing a tab resumes its reading.
    pub fn pause(&self) {
        self.sessions.pause(true);
        if let Some(inspector) = &self.inspector {
            inspector.pause();
        }
    }

    /// Closes the inspector (its reading stops) and shows the sessions.
    pub fn close_inspector(&mut self) {
        self.inspector = None;
        if self.tab == Tab::Inspector {
            self.tab = Tab::Sessions;
        }
    }

    /// Does what the panels asked.
    pub fn handle(&mut self, requests: Vec<Request>) {
        for request in requests {
            match request {
                Request::Action(action) => actions::run(&self.shared, action),
                Request::Inspect {
                    title,
                    path,
                    profile,
                } => self.inspect(&title, path, &profile),
                Request::Record(id) => {
                    let line = match self.replays.recordings.start(&self.registry(), &id) {
                        Ok(file) => format!("recording session {id} into {}", file.display()),
                        Err(err) => format!("cannot record session {id}: {err}"),
                    };
                    lock(&self.shared).log.push_back(line);
                }
                Request::StopRecording(id) => self.replays.recordings.stop(&id),
                Request::TryDemo => {
                    self.replays.play(self.replay_target(), Source::Demo);
                    self.tab = Tab::Sessions;
                }
            }
        }
    }

    /// The session registry the app uses.
    pub fn registry(&self) -> bridgekeeper_sessions::Registry {
        self.replay_target().registry
    }

    /// Where replays go: the sessions' registry and backing-file folder
    /// (this user's, by the environment, when sessions cannot start).
    pub fn replay_target(&self) -> Target {
        match &lock(&self.shared).env.sessions {
            Ok(config) => Target {
                registry: config.registry.clone(),
                dir: config.shm_dir.clone(),
            },
            Err(_) => Target {
                registry: bridgekeeper_sessions::Registry::for_user(),
                dir: bridgekeeper_sessions::replay::default_dir(),
            },
        }
    }

    /// Draws the whole window into `ui`.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        self.keys(ui);
        if let Some(outcome) = lock(&self.shared).profile_saved.take()
            && let Some(editor) = &mut self.games.editor
        {
            editor.outcome = Some(outcome);
        }
        // Only the tab shown reads its files.
        if self.tab != Tab::Sessions {
            self.sessions.pause(true);
        }
        if self.tab != Tab::Inspector
            && let Some(inspector) = &self.inspector
        {
            inspector.pause();
        }
        let mut requests = Vec::new();
        egui::Panel::top("tabs").show(ui, |ui| {
            ui.horizontal(|ui| {
                for (tab, name, key) in keys::TABS {
                    if tab == Tab::Inspector && self.inspector.is_none() {
                        continue;
                    }
                    ui.selectable_value(&mut self.tab, tab, name)
                        .on_hover_text(format!("Ctrl+{key}"));
                }
                if self.inspector.is_some()
                    && ui
                        .button("Close inspector")
                        .on_hover_text("Escape, when no text field has the focus")
                        .clicked()
                {
                    self.close_inspector();
                }
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
                Some(inspector) => {
                    self.replays.inspector_strip(ui);
                    inspector.ui(ui);
                }
                None => {
                    ui.label("Open a mapping from the Sessions tab.");
                }
            },
            tab => {
                egui::ScrollArea::vertical()
                    .id_salt("tab")
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        if tab == Tab::Replays {
                            let target = self.replay_target();
                            self.replays.ui(ui, &target);
                            return;
                        }
                        self.sessions.recording = self.replays.recordings.recording_ids();
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
        self.typing = ui.ctx().text_edit_focused();
    }

    /// The window's keys: Ctrl+1 … Ctrl+5 for the tabs, Escape to close
    /// the profile editor or the inspector (a text field with the focus
    /// takes the first Escape, to give the focus up).
    fn keys(&mut self, ui: &mut egui::Ui) {
        let typing = self.typing || ui.ctx().text_edit_focused();
        let (tab, escape) = ui.input_mut(|i| {
            let tab = keys::TABS
                .iter()
                .find(|(_, _, key)| i.consume_shortcut(&keys::tab_shortcut(*key)))
                .map(|(tab, _, _)| *tab);
            let escape = !typing && i.consume_key(egui::Modifiers::NONE, egui::Key::Escape);
            (tab, escape)
        });
        match tab {
            Some(Tab::Inspector) if self.inspector.is_none() => {}
            Some(tab) => self.tab = tab,
            None => {}
        }
        if escape {
            if self.tab == Tab::Games && self.games.editor.is_some() {
                self.games.editor = None;
            } else if self.tab == Tab::Inspector {
                self.close_inspector();
            }
        }
    }
}
