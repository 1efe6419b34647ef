//! The `tray-icon` glue (ksni backend: a StatusNotifierItem on the D-Bus
//! session bus, no GTK). The icon is `!Send`: it lives on the main thread;
//! its events are forwarded into a channel and wake the window.

use std::sync::mpsc::Sender;

use tray_icon::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};

use super::icons;
use super::menu_model::{MenuEntry, TrayCommand, TrayLook};
use crate::state::{SharedState, lock};

/// The tray icon and what it shows.
pub struct Tray {
    icon: TrayIcon,
    shown: (Vec<MenuEntry>, TrayLook),
}

impl Tray {
    /// Registers the icon; its clicks and menu items send commands on
    /// `commands` and wake the window of `shared`.
    pub fn start(
        shared: &SharedState,
        commands: Sender<TrayCommand>,
        entries: Vec<MenuEntry>,
        look: TrayLook,
    ) -> Result<Tray, TrayError> {
        let (tx, state) = (commands.clone(), shared.clone());
        MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
            if let Some(c) = TrayCommand::from_id(event.id().as_ref()) {
                let _ = tx.send(c);
                lock(&state).repaint();
            }
        }));
        let state = shared.clone();
        TrayIconEvent::set_event_handler(Some(move |event: TrayIconEvent| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                let _ = commands.send(TrayCommand::ToggleWindow);
                lock(&state).repaint();
            }
        }));
        let icon = TrayIconBuilder::new()
            .with_id("bridgekeeper")
            .with_title("Bridgekeeper")
            .with_tooltip(look.tooltip())
            .with_icon(icon(look)?)
            .with_menu(Box::new(build_menu(&entries)?))
            .with_menu_on_left_click(false)
            .build()?;
        Ok(Tray {
            icon,
            shown: (entries, look),
        })
    }

    /// Shows `entries` and `look` if they differ from what is shown.
    pub fn update(&mut self, entries: Vec<MenuEntry>, look: TrayLook) {
        if self.shown.1 != look {
            if let Ok(i) = icon(look) {
                let _ = self.icon.set_icon(Some(i));
            }
            let _ = self.icon.set_tooltip(Some(look.tooltip()));
        }
        if self.shown.0 != entries
            && let Ok(menu) = build_menu(&entries)
        {
            self.icon.set_menu(Some(Box::new(menu)));
        }
        self.shown = (entries, look);
    }
}

impl std::fmt::Debug for Tray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tray").field("shown", &self.shown).finish()
    }
}

/// Why the tray icon could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum TrayError {
    /// No StatusNotifierItem host, no session bus, or another refusal.
    #[error("cannot create the tray icon: {0}")]
    Create(#[from] tray_icon::Error),
    /// An embedded icon is broken.
    #[error(transparent)]
    Icon(#[from] icons::IconError),
    /// The icon's pixels were refused.
    #[error("cannot use the tray icon's pixels: {0}")]
    Pixels(#[from] tray_icon::BadIcon),
    /// A menu entry was refused.
    #[error("cannot build the tray menu: {0}")]
    Menu(#[from] tray_icon::menu::Error),
}

fn icon(look: TrayLook) -> Result<Icon, TrayError> {
    Ok(Icon::from_rgba(
        icons::rgba(look)?,
        icons::SIZE,
        icons::SIZE,
    )?)
}

fn build_menu(entries: &[MenuEntry]) -> Result<Menu, TrayError> {
    let menu = Menu::new();
    for entry in entries {
        match entry {
            MenuEntry::Item { label, command } => {
                let id = command.map_or_else(|| "none".to_string(), |c| c.id());
                menu.append(&MenuItem::with_id(id, label, command.is_some(), None))?;
            }
            MenuEntry::Check {
                label,
                checked,
                command,
            } => menu.append(&CheckMenuItem::with_id(
                command.id(),
                label,
                true,
                *checked,
                None,
            ))?,
            MenuEntry::Separator => menu.append(&PredefinedMenuItem::separator())?,
        }
    }
    Ok(menu)
}
