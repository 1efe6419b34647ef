//! `bridgekeeper-bridge.exe`: runs inside a game's Wine or Proton prefix and
//! creates the game's named shared-memory sections before the game does,
//! each backed by a file in /dev/shm, so Linux programs can mmap the very
//! memory the game writes.
//!
//! The code lives in the crate's library (`lib.rs`): the command line,
//! paths and status lines are plain Rust and tested on Linux; everything
//! that calls Windows is in `win`.

use std::process::ExitCode;

use bridgekeeper_bridge::args::{self, Request};
#[cfg(windows)]
use bridgekeeper_bridge::{status, win};

fn main() -> ExitCode {
    #[cfg(windows)]
    let raw = win::command_line();
    #[cfg(not(windows))]
    let raw = std::env::args().collect::<Vec<_>>().join(" ");

    let options = match args::parse(&raw) {
        Ok(Request::Run(options)) => options,
        Ok(Request::Help) => {
            println!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Request::Version) => {
            println!("bridgekeeper-bridge {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("bridgekeeper-bridge: error: {err}\nRun with --help for usage.");
            return ExitCode::from(2);
        }
    };
    run(&options)
}

#[cfg(windows)]
fn run(options: &args::Options) -> ExitCode {
    let status = status::Status::new(&options.nonce, options.status_file.as_deref());
    let code = win::run(options, &status);
    // Windows exit codes are 32 bits; ExitCode keeps only 8 on this path.
    std::process::exit(code as i32)
}

#[cfg(not(windows))]
fn run(_options: &args::Options) -> ExitCode {
    eprintln!(
        "bridgekeeper-bridge: this is a Windows program; run it under Wine or Proton \
         (build it with --target x86_64-pc-windows-gnu)"
    );
    ExitCode::from(2)
}
