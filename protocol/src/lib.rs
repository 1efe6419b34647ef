//! The contract between the Windows bridge (`bridgekeeper-bridge.exe`) and
//! the Linux side of Bridgekeeper.
//!
//! Both sides validate mapping names and sizes with the same rules
//! ([`MappingName`], [`MappingSize`], [`MappingSpec`]) and exchange status as
//! one JSON object per line ([`Event`], [`StatusLine`]). Nothing here touches
//! the operating system, so it builds for both targets and is tested on Linux.

mod event;
mod name;
mod path;
mod size;
mod spec;

pub use event::{Event, MappingMode, StatusLine, StopReason};
pub use name::{MappingName, NameError, Namespace};
pub use path::{BridgePathError, PathProblem, check_bridge_os_path, check_bridge_path};
pub use size::{MappingSize, SizeError};
pub use spec::{MappingSpec, SpecError, find_duplicate};

/// Version of the status protocol, carried by the `started` event.
///
/// - 1: launcher and attach mode.
/// - 2: adds serve mode (`started` says `"mode":"serve"`). Its copy-mode
///   mappings copy the other way, from the file into a section (see
///   [`MappingMode::Copy`]), which a protocol 1 reader would take for the
///   game-to-file copy.
pub const PROTOCOL_VERSION: u32 = 2;
