//! The Windows bridge seen from Linux: where its files are, how it is started
//! under a given Wine, and what its status lines say.
//!
//! The bridge (`bridgekeeper-bridge.exe`, built from the `bridge/` crate)
//! must run inside the game's Wine prefix and wineserver. This module only
//! builds and runs the command; choosing the Wine build, prefix and sync
//! settings is the job of the session code.

mod command;
mod files;
pub mod host_copy;
pub mod placement;
mod running;

pub use command::{BridgeCommand, StopWhen, new_nonce};
pub use files::{BRIDGE_EXE, BridgeFiles, FilesError};
pub use running::{ProcessIdentity, Readiness, ReadyMapping, RunningBridge, StartError};
