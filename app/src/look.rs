//! The app's state in one look, shared by the tray icon and the window's
//! chips so both say the same thing in the same shape and colour.

/// The look of the app's state at a glance: one per tray icon, and the
/// same shapes and colours on the window's state chips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrayLook {
    /// Nothing bridged, auto-attach off.
    Idle,
    /// Waiting for a supported game to start.
    Watching,
    /// A game is bridged, every mapping zero copy.
    BridgedZeroCopy,
    /// A game is bridged, some mapping in copy mode.
    BridgedCopy,
    /// Something needs attention (a refusal, a crash, the bridge missing,
    /// a session's file shortened or deleted, a reader that fights the
    /// bridge).
    Problem,
}

impl TrayLook {
    /// The tooltip.
    pub fn tooltip(self) -> &'static str {
        match self {
            TrayLook::Idle => "Bridgekeeper: idle",
            TrayLook::Watching => "Bridgekeeper: watching for games",
            TrayLook::BridgedZeroCopy => "Bridgekeeper: bridged (zero copy)",
            TrayLook::BridgedCopy => "Bridgekeeper: bridged (copy mode)",
            TrayLook::Problem => "Bridgekeeper: a problem needs attention (open the window)",
        }
    }
}
