//! The `launch_command` corpus format: a launch as text, one argument per
//! line (seeds are readable and the fuzzer mutates real command lines).
//! Lines starting with `#` set the environment instead: `#SteamAppId=N`,
//! `#STEAM_COMPAT_APP_ID=N`, `#library=N` (`STEAM_COMPAT_DATA_PATH` in
//! [`LIBRARY_NAMES`]`[N]`), and `#bridge-arg=X` adds X to the bridge
//! arguments given to `with_bridge`.
//!
//! This file has no dependencies, so the end-to-end test
//! `tests/launch_args.rs` can include it with `#[path]` and run the same
//! corpus under real Wine.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

/// Library folder names the game's compatdata may be in: the usual, blanks
/// and quotes, and what a bridge command line cannot carry as it is (a
/// backslash, `..`, invalid UTF-8).
pub const LIBRARY_NAMES: [&[u8]; 6] = [
    b"SteamLibrary",
    b"Steam Library \"2\"",
    b"games\\steam",
    b"..",
    b"caf\xe9",
    b"\xc3\xbc ber",
];

/// A decoded corpus entry.
#[derive(Debug, Default, Clone)]
pub struct LaunchInput {
    /// Steam's expanded `%command%`.
    pub args: Vec<OsString>,
    /// Extra bridge arguments for `with_bridge`.
    pub bridge_args: Vec<OsString>,
    /// `SteamAppId`.
    pub steam_app_id: Option<OsString>,
    /// `STEAM_COMPAT_APP_ID`.
    pub compat_app_id: Option<OsString>,
    /// Index into [`LIBRARY_NAMES`] of the compatdata's library.
    pub library: Option<usize>,
}

impl LaunchInput {
    /// Reads an entry; never fails (any bytes are an entry).
    pub fn decode(data: &[u8]) -> LaunchInput {
        let data = data.strip_suffix(b"\n").unwrap_or(data);
        let mut input = LaunchInput::default();
        if data.is_empty() {
            return input;
        }
        for line in data.split(|&b| b == b'\n') {
            if let Some(v) = line.strip_prefix(b"#SteamAppId=") {
                input.steam_app_id = Some(os(v));
            } else if let Some(v) = line.strip_prefix(b"#STEAM_COMPAT_APP_ID=") {
                input.compat_app_id = Some(os(v));
            } else if let Some(v) = line.strip_prefix(b"#library=") {
                let n = std::str::from_utf8(v)
                    .ok()
                    .and_then(|v| v.parse::<usize>().ok());
                input.library = Some(n.unwrap_or(0) % LIBRARY_NAMES.len());
            } else if let Some(v) = line.strip_prefix(b"#bridge-arg=") {
                input.bridge_args.push(os(v));
            } else {
                input.args.push(os(line));
            }
        }
        input
    }
}

fn os(bytes: &[u8]) -> OsString {
    // A real argv never holds NUL.
    OsString::from_vec(bytes.iter().copied().filter(|&b| b != 0).collect())
}
