//! `tool` mode: a telemetry tool in its own prefix, for the serve-mode
//! tests. It looks for the game's process by exe name, opens (or first
//! creates) the game's section by name, watches the game's counter and
//! writes a value the game echoes.

use std::ptr::null;
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{GetLastError, INVALID_HANDLE_VALUE};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, PROCESSENTRY32W, Process32FirstW, Process32NextW, TH32CS_SNAPPROCESS,
};
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, FILE_MAP_ALL_ACCESS, MapViewOfFile, OpenFileMappingW, PAGE_READWRITE,
};

use crate::MAGIC;
use crate::game::{Options, read_u32, say, wine_path, write_u32};

/// Runs the tool; returns its exit code.
pub fn main(options: &Options) -> i32 {
    for exe in &options.find_exe {
        report_processes(exe);
    }
    let Some((name, size)) = options.maps.first() else {
        say("usage error: tool needs --map NAME=SIZE");
        return 2;
    };
    let view = match open(name, *size, options.create) {
        Ok(view) => view,
        Err(code) => return code,
    };
    let stop_file = options.stop_file.as_deref().map(wine_path);
    let started = Instant::now();
    let mut first_counter = None;
    let mut moved = false;
    let mut echoed = false;
    while started.elapsed() < options.run {
        // SAFETY: offsets 0..16 lie inside the view (sizes are at least 16).
        let (magic, counter, echo) = unsafe {
            if let Some(value) = options.write {
                write_u32(view, 8, value);
            }
            (read_u32(view, 0), read_u32(view, 4), read_u32(view, 12))
        };
        if magic == MAGIC && !moved {
            match first_counter {
                None => first_counter = Some(counter),
                Some(first) if first != counter => {
                    say(&format!("counter {first} -> {counter}"));
                    moved = true;
                }
                Some(_) => {}
            }
        }
        if let Some(value) = options.write
            && !echoed
            && echo == value
        {
            say(&format!("echo {value}"));
            echoed = true;
        }
        if let Some(path) = &stop_file
            && std::fs::metadata(path).is_ok()
        {
            say("stop file found");
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    say("exit");
    0
}

/// Opens the section `name` (or creates it, with `create`) and maps `size`
/// bytes of it.
fn open(name: &str, size: usize, create: bool) -> Result<*mut u8, i32> {
    let wide: Vec<u16> = name.encode_utf16().chain(Some(0)).collect();
    // SAFETY: plain Win32 calls with valid arguments; the handle and view
    // live until the process exits.
    unsafe {
        let handle = if create {
            CreateFileMappingW(
                INVALID_HANDLE_VALUE,
                null(),
                PAGE_READWRITE,
                (size as u64 >> 32) as u32,
                size as u32,
                wide.as_ptr(),
            )
        } else {
            OpenFileMappingW(FILE_MAP_ALL_ACCESS, 0, wide.as_ptr())
        };
        let error = GetLastError();
        if handle.is_null() {
            say(&format!("tool open {name} failed error {error}"));
            return Err(4);
        }
        let how = match (create, error) {
            (false, _) => "opened",
            (true, 183) => "existed",
            (true, _) => "created",
        };
        say(&format!("tool {how} {name}"));
        let view = MapViewOfFile(handle, FILE_MAP_ALL_ACCESS, 0, 0, size);
        if view.Value.is_null() {
            say(&format!("tool view {name} failed error {}", GetLastError()));
            return Err(5);
        }
        Ok(view.Value.cast())
    }
}

/// Says `process EXE pid N` for every process named `exe` (any case), or
/// `process EXE missing`.
fn report_processes(exe: &str) {
    let mut found = false;
    // SAFETY: plain Win32 calls; the entry is plain data with its size set.
    unsafe {
        let snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
        if snapshot == INVALID_HANDLE_VALUE {
            say(&format!("process list failed error {}", GetLastError()));
            return;
        }
        let mut entry: PROCESSENTRY32W = std::mem::zeroed();
        entry.dwSize = size_of::<PROCESSENTRY32W>() as u32;
        let mut more = Process32FirstW(snapshot, &mut entry) != 0;
        while more {
            let len = entry
                .szExeFile
                .iter()
                .position(|&c| c == 0)
                .unwrap_or(entry.szExeFile.len());
            let name = String::from_utf16_lossy(&entry.szExeFile[..len]);
            if name.eq_ignore_ascii_case(exe) {
                say(&format!("process {name} pid {}", entry.th32ProcessID));
                found = true;
            }
            more = Process32NextW(snapshot, &mut entry) != 0;
        }
        windows_sys::Win32::Foundation::CloseHandle(snapshot);
    }
    if !found {
        say(&format!("process {exe} missing"));
    }
}
