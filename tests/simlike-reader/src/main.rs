//! `bridgekeeper-simlike-reader`: a Linux telemetry reader that treats the
//! bridged files the way simd (Spacefreak18/simapi's daemon, which monocoque
//! and other dashboards read through) does, so tests can prove that no such
//! reader can crash a game running through Bridgekeeper.
//!
//! ```text
//! bridgekeeper-simlike-reader [--mode memmap|nomemmap] [--dir DIR]
//!     [--compat NAME=SIZE]... [--read NAME=SIZE]... [--file-mode OCTAL]
//!     [--physics NAME] [--interval-ms MS] [--session-end-after-ms MS]
//!     [--run-ms MS] [--pid-file PATH] [--no-touch]
//! ```
//!
//! In memmap mode (simd's default) it truncates the compat files to simd's
//! sizes at start, zeroes them on SIGUSR1 (a session ended) and deletes them
//! at exit. In both modes it opens the read files with `O_RDWR | O_CREAT`,
//! maps simapi's struct sizes read-only and reads every page: a missing page
//! file (created empty) or a short one kills it with SIGBUS, as it kills simd.
//! Every step is a JSON line on stdout (see `report.rs`); errors go to stderr
//! with exit code 1, bad command lines exit with 2. SIGTERM or SIGINT exits
//! with 0.

mod args;
mod physics;
mod report;

#[cfg(unix)]
mod maps;
#[cfg(unix)]
mod run;
#[cfg(unix)]
mod signals;

#[cfg(unix)]
fn main() {
    use clap::Parser;

    let config = match args::Args::parse().into_config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("bridgekeeper-simlike-reader: {e}");
            std::process::exit(2);
        }
    };
    match run::run(&config) {
        Ok(_) => {}
        Err(e) => {
            eprintln!("bridgekeeper-simlike-reader: {e}");
            std::process::exit(1);
        }
    }
}

#[cfg(not(unix))]
fn main() {
    eprintln!("bridgekeeper-simlike-reader is a Linux program");
    std::process::exit(2);
}
