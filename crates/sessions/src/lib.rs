//! Sessions: a game with its bridge, from start to end.
//!
//! A session starts in one of two ways:
//!
//! - **launcher**: `bridgekeeper run %command%` in a game's Steam launch
//!   options puts the bridge between Proton and the game ([`launch`]), so
//!   the mappings exist before the game's first instruction;
//! - **attach**: the [`watcher`] (auto-attach, used by `bridgekeeper watch`
//!   and the desktop app) or `bridgekeeper attach` sees the game running and
//!   starts the bridge in its wineserver ([`attach`]).
//!
//! Either way the bridge follows the game's processes and ends with them,
//! and the session is written to the [`registry`] for other tools to read.
//! The user's [`settings`] (auto-attach per game, user profile folders)
//! live here too, because the watcher applies them.
//!
//! Layers: this crate uses `bridgekeeper-steam`, `-profiles`, `-host` and
//! `-bridge-client`; the command line and the desktop app use it.

pub mod adopt;
pub mod attach;
pub mod backing_files;
pub mod clash;
pub mod config;
pub mod ending;
pub mod events;
pub mod file_users;
pub mod guard;
pub mod launch;
pub mod prestart;
pub mod process_scan;
pub mod reader_check;
pub mod recording;
pub mod registry;
pub mod replay;
pub mod run_log;
pub mod settings;
pub mod share;
pub mod status;
pub mod steam_command;
pub mod stop;
pub mod verify;
pub mod watcher;
pub mod wine_env;

pub use config::SessionConfig;
pub use registry::{Registry, SessionKind, SessionMapping, SessionRecord};
pub use status::{SessionState, SessionStatus};

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
