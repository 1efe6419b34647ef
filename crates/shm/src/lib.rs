//! Reading mapping files safely and making sense of their bytes.
//!
//! Pure code with no UI, shared by the window and the benchmarks:
//!
//! - [`reader`]: [`MappingReader`] copies a file into a reused buffer with
//!   positional reads, so a file that shrinks or vanishes is a state, never a
//!   `SIGBUS`;
//! - [`safe_open`]: [`open_regular`] opens a file others control without
//!   waiting on a FIFO or following a link, regular files only;
//! - [`tracker`]: [`ChangeTracker`] diffs successive reads: which bytes
//!   changed when, updates per second, time since the last change;
//! - [`values`]: the bytes at an offset as every integer and float type;
//! - [`search`]: bytes, text (ASCII and UTF-16LE) or numbers in a page;
//! - [`hex`]: hex formatting of ranges and offset parsing.

pub mod hex;
pub mod reader;
pub mod safe_open;
pub mod search;
pub mod tracker;
pub mod values;

pub use reader::{MAX_READ, MappingReader, ReadState};
pub use safe_open::{Links, OpenError, open_regular};
pub use tracker::ChangeTracker;

/// Whether a file in the shm directory is Steam's own, not game data
/// (`u<uid>-ValveIPCSharedObj-Steam`, `u<uid>-Shm_*`).
pub fn is_steam_file(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('u') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let tail = &rest[digits..];
    tail.starts_with("-ValveIPCSharedObj") || tail.starts_with("-Shm_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steam_files_are_recognised() {
        assert!(is_steam_file("u1000-ValveIPCSharedObj-Steam"));
        assert!(is_steam_file("u1000-Shm_5e2a1b"));
        assert!(!is_steam_file("acpmf_physics"));
        assert!(!is_steam_file("u-Shm_x"));
        assert!(!is_steam_file("Local-IRSDKMemMapFileName"));
    }
}
