//! The test game copied as `steam.exe` plays Proton's `steam.exe`: the
//! Windows program that Proton's `proton` script runs in the prefix as
//! `steam.exe GAME.EXE ARGS...`, and that starts the game
//! (ValveSoftware/Proton `steam_helper/steam.cpp`, `main` and
//! `run_process`; docs/steam-internals.md, "The launch chain").
//!
//! What it keeps of the real one, because Bridgekeeper meets it:
//!
//! - the game is started with `CreateProcessW` on the rest of this
//!   process's command line, byte for byte (argument 0 skipped), so the
//!   game's exe is an argument of `steam.exe`, never its own name;
//! - with `SteamGameId` set (a game launched by Steam), it turns itself into
//!   a Wine "system" process (`NtSetInformationProcess` class 1000,
//!   `ProcessWineMakeProcessSystem`) and waits for the event that returns:
//!   the wineserver signals it when no user process is left (after the
//!   server's linger time). So it outlives a launcher that exits early, and
//!   any other program running in the prefix (an attach-mode bridge);
//! - without `SteamGameId` it waits for the process it started only;
//! - it exits with the exit code of the process it started.
//!
//! It differs in one way: it hands the game its own standard handles
//! (`STARTF_USESTDHANDLES`) so that the tests read the game's output; the
//! real one does not, and its games have no console.

use std::ffi::c_void;
use std::ptr::{null, null_mut};

use windows_sys::Win32::Foundation::{CloseHandle, GetLastError, HANDLE};
use windows_sys::Win32::System::Console::{
    GetStdHandle, STD_ERROR_HANDLE, STD_INPUT_HANDLE, STD_OUTPUT_HANDLE,
};
use windows_sys::Win32::System::Environment::GetCommandLineW;
use windows_sys::Win32::System::Threading::{
    CREATE_UNICODE_ENVIRONMENT, CreateProcessW, GetCurrentProcess, GetExitCodeProcess, INFINITE,
    PROCESS_INFORMATION, STARTF_USESTDHANDLES, STARTUPINFOW, WaitForSingleObject,
};

use crate::command_line::after_program;
use crate::say;

/// Wine's own process information class that makes the caller a system
/// process and returns the server's shutdown event.
const PROCESS_WINE_MAKE_PROCESS_SYSTEM: u32 = 1000;

#[link(name = "ntdll")]
unsafe extern "system" {
    fn NtSetInformationProcess(process: HANDLE, class: u32, info: *mut c_void, len: u32) -> i32;
}

/// True when this program runs under the name `steam.exe`.
pub fn is_my_name() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.file_name()?.to_str()?.eq_ignore_ascii_case("steam.exe")))
        .unwrap_or(false)
}

fn own_command_line() -> Vec<u16> {
    // SAFETY: GetCommandLineW returns a NUL-terminated string owned by the process.
    unsafe {
        let ptr = GetCommandLineW();
        let len = (0..).take_while(|&i| *ptr.add(i) != 0).count();
        std::slice::from_raw_parts(ptr, len).to_vec()
    }
}

/// Makes this process a Wine system process; returns the event the
/// wineserver sets when no user process is left.
fn become_system_process() -> Option<HANDLE> {
    let mut event: HANDLE = null_mut();
    // SAFETY: a Wine-specific class whose buffer is one HANDLE, which the
    // call fills in.
    let status = unsafe {
        NtSetInformationProcess(
            GetCurrentProcess(),
            PROCESS_WINE_MAKE_PROCESS_SYSTEM,
            (&raw mut event).cast(),
            size_of::<HANDLE>() as u32,
        )
    };
    (status == 0 && !event.is_null()).then_some(event)
}

/// Runs as Proton's `steam.exe`; returns the started program's exit code.
pub fn main() -> i32 {
    let line = own_command_line();
    let mut command: Vec<u16> = after_program(&line).to_vec();
    if command.is_empty() {
        say("steam.exe: usage error: steam.exe PROGRAM ARGS...");
        return 2;
    }
    let shown = String::from_utf16_lossy(&command);
    command.push(0);
    let mut info = STARTUPINFOW {
        cb: size_of::<STARTUPINFOW>() as u32,
        dwFlags: STARTF_USESTDHANDLES,
        ..STARTUPINFOW::default()
    };
    let mut process = PROCESS_INFORMATION::default();
    // SAFETY: plain Win32 calls; `command` is a writable NUL-terminated
    // buffer, as CreateProcessW wants.
    let created = unsafe {
        info.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
        info.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
        info.hStdError = GetStdHandle(STD_ERROR_HANDLE);
        CreateProcessW(
            null(),
            command.as_mut_ptr(),
            null(),
            null(),
            1,
            CREATE_UNICODE_ENVIRONMENT,
            null(),
            null(),
            &info,
            &mut process,
        )
    };
    if created == 0 {
        // SAFETY: reads this thread's last error.
        let error = unsafe { GetLastError() };
        say(&format!("steam.exe: cannot start {shown}: error {error}"));
        return 1;
    }
    say(&format!(
        "steam.exe: started pid {} for {shown}",
        process.dwProcessId
    ));
    let wait_on = if std::env::var_os("SteamGameId").is_some() {
        become_system_process().unwrap_or_else(|| {
            say("steam.exe: cannot become a system process; waiting for the game only");
            process.hProcess
        })
    } else {
        process.hProcess
    };
    let mut code = 0u32;
    // SAFETY: both handles are open and ours.
    unsafe {
        WaitForSingleObject(wait_on, INFINITE);
        GetExitCodeProcess(process.hProcess, &mut code);
        CloseHandle(process.hThread);
        CloseHandle(process.hProcess);
    }
    say(&format!("steam.exe: exit {code}"));
    code as i32
}
