//! `echo-args`: reports the raw command line and the arguments as a game
//! would read them, as UTF-16 code units so that no conversion hides what
//! arrived. Two readings: Rust's standard library (the Microsoft C runtime's
//! rules, which games built with Visual C++ use) and Wine's own
//! `CommandLineToArgvW`. One line on stdout:
//!
//! ```text
//! testgame: echo-args {"cmdline":[u16...],"std":[[u16...]...],"shell32":[[u16...]...]}
//! ```
//!
//! Chosen by the first argument `echo-args`, or by the variable
//! [`ENV`] (so a caller can keep the arguments exactly its own).

use std::os::windows::ffi::OsStrExt;

use windows_sys::Win32::Foundation::LocalFree;
use windows_sys::Win32::System::Environment::GetCommandLineW;
use windows_sys::Win32::UI::Shell::CommandLineToArgvW;

/// Set (to anything) to make the test game echo its arguments.
pub(crate) const ENV: &str = "BRIDGEKEEPER_TESTGAME_ECHO_ARGS";

pub(crate) fn main() -> i32 {
    let line = command_line();
    let std_argv: Vec<Vec<u16>> = std::env::args_os()
        .map(|arg| arg.encode_wide().collect())
        .collect();
    let json = format!(
        "{{\"cmdline\":{},\"std\":{},\"shell32\":{}}}",
        units(&line),
        list(&std_argv),
        list(&shell32_argv(&line)),
    );
    crate::say(&format!("echo-args {json}"));
    0
}

/// The raw command line, without its terminating NUL.
fn command_line() -> Vec<u16> {
    // SAFETY: GetCommandLineW returns a NUL-terminated string owned by the
    // process, which lives as long as the process.
    unsafe {
        let ptr = GetCommandLineW();
        let len = (0..).take_while(|&i| *ptr.add(i) != 0).count();
        std::slice::from_raw_parts(ptr, len).to_vec()
    }
}

/// `line` split by `CommandLineToArgvW`.
fn shell32_argv(line: &[u16]) -> Vec<Vec<u16>> {
    let terminated: Vec<u16> = line.iter().copied().chain([0]).collect();
    let mut count = 0i32;
    // SAFETY: a NUL-terminated buffer and an out pointer; the result is one
    // LocalAlloc'ed block of `count` NUL-terminated strings, freed below.
    unsafe {
        let argv = CommandLineToArgvW(terminated.as_ptr(), &mut count);
        if argv.is_null() {
            return Vec::new();
        }
        let args = (0..count as usize)
            .map(|i| {
                let arg = *argv.add(i);
                let len = (0..).take_while(|&j| *arg.add(j) != 0).count();
                std::slice::from_raw_parts(arg, len).to_vec()
            })
            .collect();
        LocalFree(argv.cast());
        args
    }
}

fn units(text: &[u16]) -> String {
    let numbers: Vec<String> = text.iter().map(u16::to_string).collect();
    format!("[{}]", numbers.join(","))
}

fn list(args: &[Vec<u16>]) -> String {
    let items: Vec<String> = args.iter().map(|a| units(a)).collect();
    format!("[{}]", items.join(","))
}
