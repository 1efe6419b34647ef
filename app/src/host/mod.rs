//! What the host can see and run when Bridgekeeper runs inside a Flatpak
//! sandbox.
//!
//! The sandbox has its own process namespace and its own view of the file
//! system: host processes are invisible in its `/proc`, host programs (such
//! as Proton's `wine`) cannot run in it, and `/app` does not exist on the
//! host. Everything that must happen on the host goes through here:
//!
//! - [`sandbox`] tells whether Bridgekeeper runs in a sandbox (from
//!   `/.flatpak-info`) and which host paths it shares;
//! - [`command`] turns a command into `flatpak-spawn --host …`, without a
//!   shell;
//! - [`procs`] lists host processes, through the host when sandboxed;
//! - [`files`] copies the bridge to a folder the host sees at the same path;
//! - [`steam_shm`] finds Flatpak Steam's private `/dev/shm` folder.
//!
//! Outside a sandbox every function here does the plain local thing.

pub mod command;
pub mod files;
pub mod procs;
pub mod sandbox;
pub mod steam_shm;

pub use command::HostCommand;
pub use sandbox::{Sandbox, sandbox};
