//! Machinery shared by the end-to-end tests under real Wine.
//!
//! - [`wine`]: builds the Windows programs once, prepares one fresh Wine
//!   prefix per test binary, and serialises the tests that use it;
//! - [`shm`]: a private directory under `/dev/shm` per test, and reads and
//!   writes of the files in it;
//! - [`game`]: the test game (`tests/testgame`) as a running process;
//! - [`raw_bridge`]: a bridge with any arguments, prefix and exe name;
//! - [`steam_fixture`]: realistic Steam trees (libraries, manifests,
//!   Protons, prefixes, header images from [`art`]) for discovery tests,
//!   the window's tests and benchmarks;
//! - [`steam`]: a Steam tree built with it whose Proton runs a game the way
//!   Proton does, on Debian's Wine ([`fake_proton`]);
//! - [`world`]: Wine, that Steam tree and an isolated app, for session
//!   tests and benchmarks; [`tmpfs`]: a small tmpfs to stand for a full
//!   `/dev/shm`;
//! - [`procs`], [`output`], [`scratch`]: processes in `/proc`, a child's
//!   output, a scratch directory kept when a test fails;
//! - [`desktop`]: tools, a private D-Bus session bus, Xvfb.
//! - [`world`]: Wine, a fake Steam tree and an isolated app, for session
//!   tests; [`tmpfs`]: a small tmpfs to stand for a full `/dev/shm`;
//! - [`dbus`]: a private session bus, a stand-in notification server and a
//!   signal recorder.
//!
//! Without Wine (or another tool a test needs) the tests skip, except when
//! `CI=true`, where they fail ([`skip`]).

pub mod app;
pub mod art;
pub mod dbus;
pub mod desktop;
pub mod fake_proton;
pub mod game;
pub mod library_tree;
pub mod output;
pub mod procs;
pub mod raw_bridge;
pub mod scratch;
pub mod shm;
pub mod steam;
pub mod steam_fixture;
pub mod tmpfs;
pub mod wine;
pub mod world;

use std::path::Path;
use std::time::{Duration, Instant};

/// The test game's magic number at offset 0 (see `tests/testgame`).
pub const GAME_MAGIC: u32 = 0x4B42_5447;

/// The test game's pattern byte at `offset` (offsets 20 and up).
pub fn pattern_byte(offset: usize) -> u8 {
    (offset as u32).wrapping_mul(31).wrapping_add(7) as u8
}

/// Skips the calling test because of `why` (printing it), or, under
/// `CI=true`, fails it: CI must run every test. The caller returns after.
pub fn skip(why: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{why}; CI=true forbids skipping");
    }
    eprintln!("SKIPPED: {why}");
}

/// Polls `check` every 10 ms until it returns `Some` or `timeout` passes.
pub fn wait_for<T>(timeout: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A name no other test (or earlier run) uses: `bke2e_<pid>_<n>_<label>`.
pub fn unique_name(label: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "bke2e_{}_{}_{label}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Sorted names of the entries in `dir` (none when it cannot be read).
pub fn entry_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
