//! The `tray-icon` glue (ksni backend: a StatusNotifierItem on the D-Bus
//! session bus, no GTK).
//!
//! The icon is `!Send`, and every change to it waits on the ksni service
//! (a D-Bus round): on the window's thread that would stall frames whenever
//! the bus is slow. So the icon lives on its own thread, built there and
//! changed there from a channel of new looks and menus; [`Tray::update`]
//! only sends. Clicks and menu items call the `on_command` given to
//! [`Tray::start`].

use std::sync::Arc;
use std::sync::mpsc::{self, Sender};

use tray_icon::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};

use super::icons;
use super::menu_model::{MenuEntry, TrayCommand};
use crate::look::TrayLook;

/// The tray icon (on its own thread) and what it shows.
pub struct Tray {
    changes: Sender<(Vec<MenuEntry>, TrayLook)>,
    shown: (Vec<MenuEntry>, TrayLook),
}

impl Tray {
    /// Registers the icon on a thread of its own and waits for the outcome;
    /// its clicks and menu items call `on_command` (on the tray's threads).
    pub fn start(
        on_command: impl Fn(TrayCommand) + Send + Sync + 'static,
        entries: Vec<MenuEntry>,
        look: TrayLook,
    ) -> Result<Tray, TrayError> {
        let on_command = Arc::new(on_command);
        let (changes, rx) = mpsc::channel::<(Vec<MenuEntry>, TrayLook)>();
        let (started_tx, started) = mpsc::sync_channel(1);
        let first = (entries.clone(), look);
        std::thread::Builder::new()
            .name("tray".into())
            .spawn(move || {
                let icon = match build(on_command, &first.0, first.1) {
                    Ok(icon) => {
                        let _ = started_tx.send(Ok(()));
                        icon
                    }
                    Err(e) => {
                        let _ = started_tx.send(Err(e));
                        return;
                    }
                };
                let mut shown = first;
                for (entries, look) in rx {
                    show(&icon, &shown, &entries, look);
                    shown = (entries, look);
                }
                MenuEvent::set_event_handler(None::<fn(MenuEvent)>);
                TrayIconEvent::set_event_handler(None::<fn(TrayIconEvent)>);
            })
            .map_err(TrayError::Thread)?;
        match started.recv() {
            Ok(Ok(())) => Ok(Tray {
                changes,
                shown: (entries, look),
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(TrayError::Gone),
        }
    }

    /// Shows `entries` and `look` if they differ from what is shown; never
    /// waits for the tray.
    pub fn update(&mut self, entries: Vec<MenuEntry>, look: TrayLook) {
        if self.shown.0 == entries && self.shown.1 == look {
            return;
        }
        self.shown = (entries.clone(), look);
        let _ = self.changes.send((entries, look));
    }
}

fn build(
    on_command: Arc<dyn Fn(TrayCommand) + Send + Sync>,
    entries: &[MenuEntry],
    look: TrayLook,
) -> Result<TrayIcon, TrayError> {
    let on_menu = on_command.clone();
    MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
        if let Some(c) = TrayCommand::from_id(event.id().as_ref()) {
            on_menu(c);
        }
    }));
    TrayIconEvent::set_event_handler(Some(move |event: TrayIconEvent| {
        if let TrayIconEvent::Click {
            button: MouseButton::Left,
            button_state: MouseButtonState::Up,
            ..
        } = event
        {
            on_command(TrayCommand::ToggleWindow);
        }
    }));
    Ok(TrayIconBuilder::new()
        .with_id("bridgekeeper")
        .with_title("Bridgekeeper")
        .with_tooltip(look.tooltip())
        .with_icon(icon(look)?)
        .with_menu(Box::new(build_menu(entries)?))
        .with_menu_on_left_click(false)
        .build()?)
}

fn show(
    icon: &TrayIcon,
    shown: &(Vec<MenuEntry>, TrayLook),
    entries: &[MenuEntry],
    look: TrayLook,
) {
    if shown.1 != look {
        if let Ok(i) = self::icon(look) {
            let _ = icon.set_icon(Some(i));
        }
        let _ = icon.set_tooltip(Some(look.tooltip()));
    }
    if shown.0 != entries
        && let Ok(menu) = build_menu(entries)
    {
        icon.set_menu(Some(Box::new(menu)));
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
    /// The tray's thread could not start.
    #[error("cannot start the tray's thread: {0}")]
    Thread(std::io::Error),
    /// The tray's thread ended before saying whether the icon works.
    #[error("the tray's thread ended while registering the icon")]
    Gone,
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
