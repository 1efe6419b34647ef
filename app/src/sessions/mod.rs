//! Sessions: a game with its bridge, from start to end.
//!
//! A session starts in one of two ways:
//!
//! - **launcher**: `bridgekeeper run %command%` in a game's Steam launch
//!   options puts the bridge between Proton and the game ([`launch`]), so
//!   the mappings exist before the game's first instruction;
//! - **attach**: the watcher ([`supervisor`]) or `bridgekeeper attach` sees
//!   the game running and starts the bridge in its wineserver ([`attach`]).
//!
//! Either way the bridge follows the game's processes and ends with them,
//! and the session is written to the [`registry`] for other tools to read.

pub mod adopt;
pub mod attach;
pub mod backing_files;
pub mod clash;
pub mod config;
pub mod ending;
pub mod game_process;
pub mod launch;
pub mod placement;
pub mod process_watch;
pub mod registry;
pub mod status;
pub mod steam_command;
pub mod stop;
pub mod supervisor;
pub mod verify;
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
