//! Bridgekeeper: makes Windows games' named shared memory visible to Linux.
//!
//! The command line (`main.rs`, [`cli`]) and the desktop app ([`ui`],
//! [`tray`]) call the same library code:
//!
//! - [`steam`] finds Steam installations, libraries, games, their Wine
//!   prefixes and the Proton build that runs each one;
//! - [`profiles`] loads the per-game mapping profiles (TOML);
//! - [`bridge`] runs the Windows bridge under Wine and reads its status;
//! - [`sessions`] starts, watches, records and stops a game's bridge;
//! - [`shm`] reads the mapping files safely and decodes their bytes;
//! - [`settings`] keeps the app's settings and the autostart entry;
//! - [`desktop`] ties the program to its desktop file and launch option;
//! - [`host`] reaches host processes and programs from inside a Flatpak
//!   sandbox;
//! - [`bus`] serves the D-Bus interface and sends desktop notifications,
//!   for the desktop app and `watch`.

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
mod profile_wake;
#[cfg(feature = "gui")]
pub mod session_watch;
#[cfg(feature = "gui")]
pub mod state;
#[cfg(feature = "gui")]
pub mod tray;
#[cfg(feature = "gui")]
pub mod ui;
