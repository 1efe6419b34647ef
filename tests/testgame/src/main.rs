//! `bridgekeeper-testgame.exe`: stands in for a sim racing game in the
//! end-to-end tests. It creates named sections the way games do
//! (`CreateFileMappingW` on `INVALID_HANDLE_VALUE` with a name and a size),
//! writes a known layout and reads back what Linux writes:
//!
//! | offset | type | content                                         |
//! |--------|------|-------------------------------------------------|
//! | 0      | u32  | [`MAGIC`]                                       |
//! | 4      | u32  | packet counter, advancing at `--rate` Hz        |
//! | 8      | u32  | written by Linux                                |
//! | 12     | u32  | the game's copy of offset 8, on every tick      |
//! | 16     | u32  | the game's Windows process id                   |
//! | 20..   | u8   | pattern: byte `i` is `(i * 31 + 7) mod 256`     |
//!
//! With `--drive`, sections named `acpmf_physics`, `acpmf_graphics` and
//! `acpmf_static` instead get plausible driving data in ACC's layout
//! (`drive.rs`).
//!
//! With `--clock`, every tick also overwrites the pattern at 24..40 with a
//! u64 sequence number (24) and the u64 wall-clock time of the write in
//! nanoseconds since the Unix epoch (32), for the copy-lag benchmark.
//!
//! ```text
//! bridgekeeper-testgame.exe game --map NAME=SIZE... [--rate HZ] [--run-ms MS]
//!                                [--stop-file LINUX_PATH] [--exit-code N] [--delay-ms MS]
//!                                [--restart-file LINUX_PATH] [--crash-after-ms MS]
//!                                [--clock] [--map-after-ms MS] [--drive]
//! bridgekeeper-testgame.exe launcher [--launch-after-ms MS] [--delay-ms MS] [--exit-code N]
//!                                    -- PROGRAM ARGS...
//! bridgekeeper-testgame.exe tool --map NAME=SIZE [--create] [--write U32] [--find-exe EXE]...
//!                                [--run-ms MS] [--stop-file LINUX_PATH] [--wait-ms MS] [--lag]
//! bridgekeeper-testgame.exe echo-args [ANY...]
//! BRIDGEKEEPER_TESTGAME_ECHO_ARGS=1 bridgekeeper-testgame.exe [ANY...]
//! ```
//!
//! When the `--restart-file` appears, the game closes every section and
//! creates it again with the counter back at 0 (once), like a game ending a
//! race session and starting the next; `--crash-after-ms` dies of an access violation.
//! `--delay-ms` waits that long after `main` starts before creating the
//! sections; `--map-after-ms` instead creates them that long after the
//! process was created (0: at once), which is what a bridge racing the game
//! from outside has to beat (the two exclude each other).
//!
//! `launcher` starts PROGRAM (after `--launch-after-ms`, a launcher's own
//! start-up) and exits `--delay-ms` later, early, like the launchers of AMS2
//! and Le Mans Ultimate.
//!
//! `tool` plays a telemetry tool (SimHub, CrewChief) in its own prefix: it
//! reports the processes named by `--find-exe` (as tools find the game),
//! opens the section by name (or, with `--create`, creates it first, as
//! tools that start before the game do), reports the game's counter moving,
//! keeps writing `--write`'s value at offset 8 and reports when the game's
//! echo at offset 12 shows it. Every step is reported on stdout as
//! `testgame: ...`.
//!
//! `echo-args` reports the command line and the arguments as the program
//! received them (see `echo.rs`), for the tests of what Wine and the bridge
//! do to a game's command line.
//!
//! Copied under the name `steam.exe`, the program plays Proton's
//! `steam.exe` instead (see [`steam_exe`]): `steam.exe PROGRAM ARGS...`
//! starts the rest of its command line as it is and waits.

#[cfg(windows)]
mod age;
#[cfg(windows)]
mod clock;
mod command_line;
#[cfg(windows)]
mod drive;
#[cfg(windows)]
mod echo;
#[cfg(windows)]
mod game;
#[cfg(windows)]
mod steam_exe;
#[cfg(windows)]
mod tool;

/// The magic number at offset 0.
pub const MAGIC: u32 = 0x4B42_5447;

#[cfg(windows)]
fn main() {
    let code = if steam_exe::is_my_name() {
        steam_exe::main()
    } else {
        game::main()
    };
    std::process::exit(code);
}

/// Prints one `testgame: TEXT` line and flushes it.
#[cfg(windows)]
fn say(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "testgame: {text}");
    let _ = out.flush();
}

#[cfg(not(windows))]
fn main() {
    eprintln!("bridgekeeper-testgame is a Windows program; build it for x86_64-pc-windows-gnu");
    std::process::exit(2);
}
