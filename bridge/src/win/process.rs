//! Starting, finding and waiting for processes.

use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::ptr::null;
use std::time::Duration;

use windows_sys::Win32::Foundation::{INVALID_HANDLE_VALUE, STILL_ACTIVE, WAIT_TIMEOUT};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, PROCESSENTRY32W, Process32FirstW, Process32NextW, TH32CS_SNAPPROCESS,
};
use windows_sys::Win32::System::Threading::{
    CreateProcessW, GetCurrentProcessId, GetExitCodeProcess, OpenProcess, PROCESS_INFORMATION,
    PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_SYNCHRONIZE, STARTUPINFOW, WaitForMultipleObjects,
};

use super::{WinError, wide};

/// A process the bridge holds a handle to.
#[derive(Debug)]
pub struct Process {
    /// The process handle (synchronize + query).
    pub handle: OwnedHandle,
    /// Windows process id.
    pub pid: u32,
    /// Exe file name.
    pub exe: String,
}

impl Process {
    /// The exit code, or `None` while the process runs.
    pub fn exit_code(&self) -> Option<u32> {
        let mut code = 0u32;
        // SAFETY: valid process handle and out pointer.
        let ok = unsafe { GetExitCodeProcess(self.handle.as_raw_handle(), &mut code) };
        (ok != 0 && code != STILL_ACTIVE as u32).then_some(code)
    }
}

/// Starts `command_line` with the bridge's own working directory and
/// environment, and inheritable handles, as if the bridge were not there.
pub fn start(program: &str, command_line: &str) -> Result<Process, WinError> {
    let mut line = wide(command_line);
    // SAFETY: zeroed STARTUPINFOW/PROCESS_INFORMATION are valid inputs.
    let mut startup: STARTUPINFOW = unsafe { std::mem::zeroed() };
    startup.cb = size_of::<STARTUPINFOW>() as u32;
    let mut info: PROCESS_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: `line` is a mutable NUL-terminated buffer, as CreateProcessW needs.
    let ok = unsafe {
        CreateProcessW(
            null(),
            line.as_mut_ptr(),
            null(),
            null(),
            1,
            0,
            null(),
            null(),
            &startup,
            &mut info,
        )
    };
    if ok == 0 {
        return Err(WinError::last(&format!("cannot start {program}")));
    }
    // SAFETY: both handles are new and ours.
    let (process, thread) = unsafe {
        (
            OwnedHandle::from_raw_handle(info.hProcess),
            OwnedHandle::from_raw_handle(info.hThread),
        )
    };
    drop(thread);
    Ok(Process {
        handle: process,
        pid: info.dwProcessId,
        exe: file_name(program).to_string(),
    })
}

/// The last component of a Windows or Unix path.
pub fn file_name(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

/// Running processes whose exe name is in `names` (lower-case), except the
/// bridge itself: `(pid, exe)` pairs.
pub fn find(names: &[String]) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    if names.is_empty() {
        return found;
    }
    // SAFETY: plain Win32 calls; the entry is plain data with its size set.
    unsafe {
        let snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
        if snapshot == INVALID_HANDLE_VALUE {
            return found;
        }
        let snapshot = OwnedHandle::from_raw_handle(snapshot);
        let own = GetCurrentProcessId();
        let mut entry: PROCESSENTRY32W = std::mem::zeroed();
        entry.dwSize = size_of::<PROCESSENTRY32W>() as u32;
        let mut more = Process32FirstW(snapshot.as_raw_handle(), &mut entry) != 0;
        while more {
            let len = entry
                .szExeFile
                .iter()
                .position(|&c| c == 0)
                .unwrap_or(entry.szExeFile.len());
            let exe = String::from_utf16_lossy(&entry.szExeFile[..len]);
            if entry.th32ProcessID != own && names.contains(&file_name(&exe).to_lowercase()) {
                found.push((entry.th32ProcessID, file_name(&exe).to_string()));
            }
            more = Process32NextW(snapshot.as_raw_handle(), &mut entry) != 0;
        }
    }
    found
}

/// Opens a process to wait for it.
pub fn open(pid: u32, exe: String) -> Option<Process> {
    // SAFETY: plain Win32 call.
    let handle = unsafe {
        OpenProcess(
            PROCESS_SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION,
            0,
            pid,
        )
    };
    if handle.is_null() {
        return None;
    }
    // SAFETY: a new handle, owned by nobody else.
    let handle = unsafe { OwnedHandle::from_raw_handle(handle) };
    Some(Process { handle, pid, exe })
}

/// Waits until one of `processes` ends or `timeout` passes; returns the index
/// of one that ended.
pub fn wait_any(processes: &[Process], timeout: Duration) -> Option<usize> {
    let ms = timeout.as_millis().min(u32::MAX as u128) as u32;
    if processes.is_empty() {
        std::thread::sleep(timeout);
        return None;
    }
    let handles: Vec<_> = processes
        .iter()
        .take(64)
        .map(|p| p.handle.as_raw_handle())
        .collect();
    // SAFETY: every handle is a valid process handle.
    let result = unsafe { WaitForMultipleObjects(handles.len() as u32, handles.as_ptr(), 0, ms) };
    if result == WAIT_TIMEOUT {
        return None;
    }
    let index = result as usize;
    if index < handles.len() {
        return Some(index);
    }
    // WAIT_FAILED: poll instead, so the loop never spins.
    std::thread::sleep(timeout);
    processes.iter().position(|p| p.exit_code().is_some())
}
