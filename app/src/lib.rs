//! Bridgekeeper's program: the command line and the desktop app, on top of
//! the library crates (`bridgekeeper-steam` for discovery,
//! `bridgekeeper-profiles`, `bridgekeeper-sessions` for starting, watching
//! and stopping bridges, `bridgekeeper-shm` for reading mapping files,
//! `bridgekeeper-bus` for D-Bus). The command line and the desktop app call
//! the same library code.
//!
//! Inside this crate the modules run one way, each using only those below
//! it:
//!
//! - [`cli`]: the subcommands; the default one starts [`desktop`];
//! - [`desktop`]: the main loop that owns the window, the tray, the
//!   auto-attach loop and the D-Bus service;
//! - [`ui`] (the window's panels) and [`tray`] (the icon and its menu);
//! - `auto_attach`, [`session_watch`] and [`bus`]: background work that
//!   feeds the state;
//! - [`actions`]: what a click does, run off the window's thread;
//! - [`state`]: the games, sessions and settings that the window and the
//!   tray show;
//! - [`look`] and `profile_wake`: leaves that know nothing above them.

#[cfg(feature = "gui")]
pub mod actions;
#[cfg(feature = "gui")]
mod auto_attach;
pub mod bus;
pub mod cli;
pub mod demo_sim;
#[cfg(feature = "gui")]
pub mod desktop;
#[cfg(feature = "gui")]
pub mod look;
#[cfg(feature = "gui")]
mod profile_wake;
#[cfg(feature = "gui")]
pub mod session_watch;
#[cfg(feature = "gui")]
pub mod state;
#[cfg(feature = "gui")]
pub mod tray;
#[cfg(feature = "gui")]
pub mod ui;
