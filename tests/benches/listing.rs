//! Listing the games of a Steam tree: `bridgekeeper games` against
//! `protontricks -l`, on the same 500-app tree
//! (crates/testkit/src/library_tree.rs: five libraries, 500 games, 250 of
//! them with a Proton prefix), in one run, alternating, each command run
//! `BRIDGEKEEPER_BENCH_RUNS` times (default 11).
//!
//! The clock runs from spawning the command to its exit, output read to
//! the end: process start-up (Python's and protontricks' imports on one
//! side, a Rust binary's start on the other) and the listing itself. Both
//! are pointed at the tree with `STEAM_DIR`, and get the same fresh `HOME`
//! and cache folders; protontricks also gets `STEAM_RUNTIME=0` (the tree
//! has no runtime container to enter).
//!
//! `protontricks` comes from `$PROTONTRICKS` or
//! `target/protontricks-venv/bin/` (scripts/bench installs the pinned
//! version there).
//!
//! `cargo bench -p bridgekeeper-e2e --bench listing`

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use bridgekeeper_bench_report::{Figure, ms, record, runs};
use bridgekeeper_testkit::library_tree::{APPS, FIRST_APPID, five_hundred_apps};
use bridgekeeper_testkit::scratch::ScratchDir;
use bridgekeeper_testkit::wine::workspace;

const COMMAND: &str = "cargo bench -p bridgekeeper-e2e --bench listing";

/// The protontricks program, or a sentence on how to get it.
fn protontricks() -> Result<PathBuf, String> {
    let path = std::env::var_os("PROTONTRICKS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/protontricks-venv/bin/protontricks"));
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "protontricks not found at {}: run scripts/bench (it installs the pinned \
             protontricks into target/protontricks-venv), or set PROTONTRICKS",
            path.display()
        ))
    }
}

/// Runs `command` to its end; returns the milliseconds and its stdout.
fn timed(command: &mut Command, what: &str) -> (f64, String) {
    let started = Instant::now();
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("running {what}: {err}"));
    let took = ms(started.elapsed());
    assert!(
        output.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (took, String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The environment both commands get.
fn isolated(command: &mut Command, home: &Path, steam: &Path) {
    command
        .env("STEAM_DIR", steam)
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", home.join("runtime"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY");
}

fn main() {
    let protontricks = match protontricks() {
        Ok(path) => path,
        Err(message) => {
            eprintln!("bench listing: {message}");
            std::process::exit(2);
        }
    };
    let runs = runs(11).unwrap_or_else(|err| {
        eprintln!("bench listing: {err}");
        std::process::exit(2);
    });
    let scratch = ScratchDir::new("bench-listing");
    let tree = five_hundred_apps(scratch.path());
    let home = scratch.path().join("home");
    std::fs::create_dir_all(home.join("runtime")).expect("home folders");
    let ours = bridgekeeper_testkit::app::binary();

    let (mut bridgekeeper, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let mut games = Command::new(ours);
        games.arg("games");
        isolated(&mut games, &home, tree.root());
        let (took, listed) = timed(&mut games, "bridgekeeper games");
        let last = format!("Game {}", APPS - 1);
        assert!(listed.contains(&last), "bridgekeeper games: {listed}");
        bridgekeeper.push(took);

        let mut list = Command::new(&protontricks);
        list.arg("-l").env("STEAM_RUNTIME", "0");
        isolated(&mut list, &home, tree.root());
        let (took, listed) = timed(&mut list, "protontricks -l");
        let first = format!("({FIRST_APPID})");
        assert!(listed.contains(&first), "protontricks -l: {listed}");
        theirs.push(took);
    }
    eprintln!("runs (ms): bridgekeeper games {bridgekeeper:.0?}; protontricks -l {theirs:.0?}");
    record(
        COMMAND,
        &[Figure::of_samples(
            "list the games of a 500-app Steam tree: `bridgekeeper games` (vs `protontricks -l`)",
            &bridgekeeper,
            "ms",
        )
        .against(&theirs)],
    )
    .expect("recording the figures");
}
