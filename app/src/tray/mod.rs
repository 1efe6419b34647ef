//! The tray icon: its look tells the state, its menu bridges a game with one
//! click.
//!
//! - [`menu_model`]: the menu and the look as plain data, from the games,
//!   sessions and settings; tested without a tray host;
//! - [`icons`]: the look as pixels, embedded from `assets/icons/tray/`;
//! - `glue`: the `tray-icon` (ksni, StatusNotifierItem over D-Bus) glue;
//!   events go into a channel and wake the window.

mod glue;
pub mod icons;
pub mod menu_model;

pub use crate::look::TrayLook;
pub use glue::Tray;
pub use menu_model::{MenuEntry, TrayCommand};
