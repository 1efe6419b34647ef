//! Labels for screen readers (AccessKit) where the visible text is short.
//!
//! A card shows "Attach" under the game's name; a screen reader that lists
//! the buttons must hear "Attach Assetto Corsa", or every card's button
//! sounds the same. egui takes a widget's AccessKit label from its text;
//! [`labelled`] replaces it after the widget is drawn.

use egui::{Response, Role, WidgetInfo};

/// Gives `response`'s widget the AccessKit `role` and `label`.
pub fn labelled(response: Response, role: Role, label: &str) -> Response {
    let enabled = response.enabled();
    response.widget_info(|| WidgetInfo::labeled(role, enabled, label));
    response
}

/// A button showing `text`, read as `label`, enabled when `enabled`.
pub fn button(ui: &mut egui::Ui, enabled: bool, text: &str, label: &str) -> Response {
    let response = ui.add_enabled(enabled, egui::Button::new(text));
    labelled(response, Role::Button, label)
}
