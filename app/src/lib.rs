//! Bridgekeeper: makes Windows games' named shared memory visible to Linux.
//!
//! The command line (`main.rs`, [`cli`]) and, later, the desktop app call the
//! same library code:
//!
//! - [`steam`] finds Steam installations, libraries, games, their Wine
//!   prefixes and the Proton build that runs each one;
//! - [`profiles`] loads the per-game mapping profiles (TOML);
//! - [`bridge`] runs the Windows bridge under Wine and reads its status.

pub mod bridge;
pub mod cli;
pub mod profiles;
pub mod sessions;
pub mod settings;
pub mod shm;
pub mod steam;
#[cfg(feature = "gui")]
pub mod tray;
#[cfg(feature = "gui")]
pub mod ui;
