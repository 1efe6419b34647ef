//! The Linux host Bridgekeeper runs on: its processes, the programs it
//! runs, and how its desktop starts this program.
//!
//! Bridgekeeper may run inside a Flatpak sandbox, which has its own process
//! namespace and its own view of the file system: host processes are
//! invisible in its `/proc`, host programs (such as Proton's `wine`) cannot
//! run in it, and `/app` does not exist on the host. Everything that must
//! happen on the host goes through here, and outside a sandbox every
//! function does the plain local thing:
//!
//! - [`sandbox`] tells whether Bridgekeeper runs in a sandbox (from
//!   `/.flatpak-info`) and which host paths it shares;
//! - [`command`] turns a command into `flatpak-spawn --host …`, without a
//!   shell;
//! - [`process_info`] reads one process from `/proc`: command line,
//!   environment, the exe name it goes by;
//! - [`processes`] lists and reads host processes, through the host when
//!   sandboxed, and says whether one is alive ([`processes::is_alive`]);
//! - [`pid_namespace`] names the pid namespace a pid belongs to, so a
//!   process is looked for where it lives;
//! - [`owned_files`] opens, creates and removes files only when they are
//!   this user's own regular files (no links, no FIFOs);
//! - [`steam_shm`] finds Flatpak Steam's private `/dev/shm` folder;
//! - [`files`] replaces files atomically;
//! - [`program`] is this program as the desktop and Steam start it: its app
//!   ID and the path to name in an autostart entry or a launch option.
//!
//! This crate is the bottom of the Linux side: it uses no other Bridgekeeper
//! crate.

pub mod command;
pub mod files;
pub mod owned_files;
pub mod pid_namespace;
pub mod process_info;
pub mod processes;
pub mod program;
pub mod sandbox;
pub mod steam_shm;

pub use command::HostCommand;
pub use process_info::ProcessInfo;
pub use sandbox::{Sandbox, sandbox};
