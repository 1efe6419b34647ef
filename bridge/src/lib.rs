//! The bridge's code as a library, so that its portable parts (the command
//! line, Windows command-line splitting, paths, status lines and copy
//! mode's inner loop) can be tested and fuzzed on Linux. `main.rs` is the `bridgekeeper-bridge.exe`
//! program built from it.
//!
//! Everything that calls Windows is in [`win`], compiled only for Windows.

// Off Windows only the parts under test are used.
#![cfg_attr(not(windows), allow(dead_code))]

pub mod args;
pub mod cmdline;
pub mod paths;
pub mod status;
pub mod volatile_copy;
#[cfg(windows)]
pub mod win;
