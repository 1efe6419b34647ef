//! The tray menu and icon look as plain data.

use crate::look::TrayLook;
use crate::state::{DesktopState, GameRow, GameState};

/// What a tray click or menu item asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayCommand {
    /// Show the window, or hide it when shown (left click on the icon).
    ToggleWindow,
    /// Show the window.
    ShowWindow,
    /// Attach a game.
    Attach(u32),
    /// Stop a game's bridge.
    Stop(u32),
    /// Turn auto-attach on or off.
    SetAutoAttach(bool),
    /// Quit the app.
    Quit,
}

impl TrayCommand {
    /// The menu item id that carries this command.
    pub fn id(self) -> String {
        match self {
            TrayCommand::ToggleWindow => "toggle".into(),
            TrayCommand::ShowWindow => "show".into(),
            TrayCommand::Attach(a) => format!("attach:{a}"),
            TrayCommand::Stop(a) => format!("stop:{a}"),
            TrayCommand::SetAutoAttach(on) => format!("auto:{on}"),
            TrayCommand::Quit => "quit".into(),
        }
    }

    /// The command a menu item id carries.
    pub fn from_id(id: &str) -> Option<TrayCommand> {
        let (verb, arg) = id.split_once(':').unwrap_or((id, ""));
        Some(match verb {
            "toggle" => TrayCommand::ToggleWindow,
            "show" => TrayCommand::ShowWindow,
            "attach" => TrayCommand::Attach(arg.parse().ok()?),
            "stop" => TrayCommand::Stop(arg.parse().ok()?),
            "auto" => TrayCommand::SetAutoAttach(arg.parse().ok()?),
            "quit" => TrayCommand::Quit,
            _ => return None,
        })
    }
}

/// One menu line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuEntry {
    /// A clickable item (or a disabled line when `command` is `None`).
    Item {
        /// Its text.
        label: String,
        /// What it does.
        command: Option<TrayCommand>,
    },
    /// A check item.
    Check {
        /// Its text.
        label: String,
        /// Whether it is ticked.
        checked: bool,
        /// What clicking it does.
        command: TrayCommand,
    },
    /// A separator.
    Separator,
}

/// The menu for `rows` (supported games only are listed).
pub fn menu(rows: &[GameRow], auto_attach: bool) -> Vec<MenuEntry> {
    let mut out = Vec::new();
    let supported: Vec<&GameRow> = rows.iter().filter(|r| r.profile.is_some()).collect();
    if supported.is_empty() {
        out.push(MenuEntry::Item {
            label: "No supported game installed".into(),
            command: None,
        });
    }
    for row in supported {
        let (verb, command) = match &row.state {
            GameState::Bridged { .. } => ("Stop", Some(TrayCommand::Stop(row.appid))),
            GameState::Busy(_) => ("", None),
            _ => ("Attach", Some(TrayCommand::Attach(row.appid))),
        };
        let label = if verb.is_empty() {
            format!("{} — {}", row.name, row.state.label())
        } else {
            format!("{} — {} ({verb})", row.name, row.state.label())
        };
        out.push(MenuEntry::Item { label, command });
    }
    out.push(MenuEntry::Separator);
    out.push(MenuEntry::Item {
        label: "Show window".into(),
        command: Some(TrayCommand::ShowWindow),
    });
    out.push(MenuEntry::Check {
        label: "Auto-attach".into(),
        checked: auto_attach,
        command: TrayCommand::SetAutoAttach(!auto_attach),
    });
    out.push(MenuEntry::Separator);
    out.push(MenuEntry::Item {
        label: "Quit".into(),
        command: Some(TrayCommand::Quit),
    });
    out
}

/// The look for `rows`: a problem wins, then copy mode, then zero copy,
/// then watching.
pub fn look(rows: &[GameRow], auto_attach: bool, problem: bool) -> TrayLook {
    if problem
        || rows
            .iter()
            .any(|r| matches!(r.state, GameState::Refused(_)))
    {
        TrayLook::Problem
    } else if rows
        .iter()
        .any(|r| r.state == GameState::Bridged { copy: true })
    {
        TrayLook::BridgedCopy
    } else if rows
        .iter()
        .any(|r| r.state == GameState::Bridged { copy: false })
    {
        TrayLook::BridgedZeroCopy
    } else if auto_attach {
        TrayLook::Watching
    } else {
        TrayLook::Idle
    }
}

/// The menu and look for the app's state.
pub fn of_state(state: &DesktopState) -> (Vec<MenuEntry>, TrayLook) {
    let rows = state.game_rows();
    let problem = state.env.sessions.is_err()
        || !state.reader_warnings.is_empty()
        || state
            .sessions
            .iter()
            .any(|s| s.is_active() && !s.problems.is_empty())
        || state.sessions.iter().any(|s| {
            matches!(
                s.state,
                bridgekeeper_sessions::SessionState::Crashed
                    | bridgekeeper_sessions::SessionState::Failed { .. }
            )
        });
    let auto = state.settings.auto_attach;
    (menu(&rows, auto), look(&rows, auto, problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(appid: u32, name: &str, profile: bool, state: GameState) -> GameRow {
        GameRow {
            appid,
            name: name.into(),
            profile: profile.then(|| "p".into()),
            proton: None,
            prefix: None,
            header_image: None,
            state,
            auto_attach: false,
        }
    }

    #[test]
    fn ids_round_trip() {
        for c in [
            TrayCommand::ToggleWindow,
            TrayCommand::ShowWindow,
            TrayCommand::Attach(805_550),
            TrayCommand::Stop(1),
            TrayCommand::SetAutoAttach(false),
            TrayCommand::Quit,
        ] {
            assert_eq!(TrayCommand::from_id(&c.id()), Some(c));
        }
        assert_eq!(TrayCommand::from_id("attach:x"), None);
        assert_eq!(TrayCommand::from_id("nope"), None);
    }

    #[test]
    fn menu_lists_supported_games_with_one_click_actions() {
        let rows = vec![
            row(1, "ACC", true, GameState::Bridged { copy: false }),
            row(2, "AC", true, GameState::Ready),
            row(3, "Solitaire", false, GameState::Unsupported),
            row(4, "rF2", true, GameState::Busy("attaching…".into())),
        ];
        let m = menu(&rows, true);
        assert_eq!(
            m[0],
            MenuEntry::Item {
                label: "ACC — bridged (zero copy) (Stop)".into(),
                command: Some(TrayCommand::Stop(1))
            }
        );
        assert_eq!(
            m[1],
            MenuEntry::Item {
                label: "AC — ready (Attach)".into(),
                command: Some(TrayCommand::Attach(2))
            }
        );
        assert_eq!(
            m[2],
            MenuEntry::Item {
                label: "rF2 — attaching…".into(),
                command: None
            }
        );
        assert!(
            !m.iter()
                .any(|e| matches!(e, MenuEntry::Item { label, .. } if label.contains("Solitaire")))
        );
        assert!(m.contains(&MenuEntry::Item {
            label: "Show window".into(),
            command: Some(TrayCommand::ShowWindow)
        }));
        assert!(m.contains(&MenuEntry::Check {
            label: "Auto-attach".into(),
            checked: true,
            command: TrayCommand::SetAutoAttach(false)
        }));
        assert_eq!(
            m.last(),
            Some(&MenuEntry::Item {
                label: "Quit".into(),
                command: Some(TrayCommand::Quit)
            })
        );
        let empty = menu(&[], false);
        assert_eq!(
            empty[0],
            MenuEntry::Item {
                label: "No supported game installed".into(),
                command: None
            }
        );
    }

    #[test]
    fn look_follows_state() {
        let ready = row(2, "AC", true, GameState::Ready);
        assert_eq!(
            look(std::slice::from_ref(&ready), false, false),
            TrayLook::Idle
        );
        assert_eq!(
            look(std::slice::from_ref(&ready), true, false),
            TrayLook::Watching
        );
        let zero = row(1, "ACC", true, GameState::Bridged { copy: false });
        assert_eq!(
            look(std::slice::from_ref(&zero), true, false),
            TrayLook::BridgedZeroCopy
        );
        let copy = row(3, "X", true, GameState::Bridged { copy: true });
        assert_eq!(
            look(&[zero.clone(), copy], true, false),
            TrayLook::BridgedCopy
        );
        let refused = row(4, "Y", true, GameState::Refused("r".into()));
        assert_eq!(
            look(&[zero.clone(), refused], true, false),
            TrayLook::Problem
        );
        assert_eq!(look(&[zero], true, true), TrayLook::Problem);
    }
}
