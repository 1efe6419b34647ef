//! The window's keyboard shortcuts.
//!
//! Tab, Shift+Tab, Enter and Space are egui's own (focus moves in the order
//! controls are drawn; Enter or Space presses the focused button or
//! check box). On top of those: Ctrl+1 … Ctrl+5 open the tabs, and Escape
//! closes the profile editor or the inspector (see
//! [`super::BridgekeeperApp::show`]).

use egui::{Key, KeyboardShortcut, Modifiers};

use super::Tab;

/// The tabs in order, with their names and the digit of their shortcut.
pub const TABS: [(Tab, &str, u8); 5] = [
    (Tab::Games, "Games", 1),
    (Tab::Sessions, "Sessions", 2),
    (Tab::Inspector, "Inspector", 3),
    (Tab::Settings, "Settings", 4),
    (Tab::Replays, "Replays", 5),
];

/// Ctrl (Cmd on a Mac) + the digit `digit` (1 … 9).
pub fn tab_shortcut(digit: u8) -> KeyboardShortcut {
    let key = match digit {
        1 => Key::Num1,
        2 => Key::Num2,
        3 => Key::Num3,
        4 => Key::Num4,
        5 => Key::Num5,
        6 => Key::Num6,
        7 => Key::Num7,
        8 => Key::Num8,
        _ => Key::Num9,
    };
    KeyboardShortcut::new(Modifiers::COMMAND, key)
}
