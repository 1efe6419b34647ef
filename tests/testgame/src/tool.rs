//! `tool` mode: a telemetry tool in its own prefix, for the serve-mode
//! tests. It looks for the game's process by exe name, opens (or first
//! creates) the game's section by name, watches the game's counter and
//! writes a value the game echoes. With `--wait-ms` it keeps looking for
//! the process and the section that long (a tool started before the game);
//! with `--lag` it measures how long the game's `--clock` stamps take to
//! show here and prints `lag n=N median_us=.. p99_us=.. max_us=..` at exit.

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
    let deadline = Instant::now() + options.wait;
    for exe in &options.find_exe {
        while !report_processes(exe, Instant::now() >= deadline) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let Some((name, size)) = options.maps.first() else {
        say("usage error: tool needs --map NAME=SIZE");
        return 2;
    };
    let view = loop {
        match open(name, *size, options.create, Instant::now() >= deadline) {
            Ok(view) => break view,
            Err(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(Some(code)) => return code,
        }
    };
    if options.lag {
        return measure_lag(view, options.run);
    }
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

/// Polls the game's `--clock` stamp for `run` and prints the lags.
fn measure_lag(view: *mut u8, run: Duration) -> i32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    let started = Instant::now();
    let mut last = 0u64;
    let mut lags_us: Vec<f64> = Vec::new();
    while started.elapsed() < run {
        // SAFETY: the stamp's offsets lie inside the view (--map size is
        // at least clock::MIN_SIZE); both are 8-byte aligned.
        let (sequence, stamp) = unsafe {
            let time = view
                .add(crate::clock::TIME_OFFSET)
                .cast::<u64>()
                .read_volatile();
            let sequence = view
                .add(crate::clock::SEQUENCE_OFFSET)
                .cast::<u64>()
                .read_volatile();
            (sequence, time)
        };
        if sequence != last && stamp != 0 {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            if last != 0 {
                lags_us.push(now.saturating_sub(stamp) as f64 / 1000.0);
            }
            last = sequence;
        }
        std::thread::yield_now();
    }
    lags_us.sort_by(f64::total_cmp);
    let at = |q: f64| {
        lags_us
            .get(((lags_us.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    say(&format!(
        "lag n={} median_us={:.1} p99_us={:.1} max_us={:.1}",
        lags_us.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    ));
    0
}

/// Opens the section `name` (or creates it, with `create`) and maps `size`
/// bytes of it. `Err(None)`: not there yet, try again (only while `last`
/// is false).
fn open(name: &str, size: usize, create: bool, last: bool) -> Result<*mut u8, Option<i32>> {
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
            if !last && error == 2 {
                return Err(None);
            }
            say(&format!("tool open {name} failed error {error}"));
            return Err(Some(4));
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
            return Err(Some(5));
        }
        Ok(view.Value.cast())
    }
}

/// Says `process EXE pid N` for every process named `exe` (any case), or
/// `process EXE missing` when `last`; returns whether one was found or
/// `last`.
fn report_processes(exe: &str, last: bool) -> bool {
    let mut found = false;
    // SAFETY: plain Win32 calls; the entry is plain data with its size set.
    unsafe {
        let snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
        if snapshot == INVALID_HANDLE_VALUE {
            say(&format!("process list failed error {}", GetLastError()));
            return true;
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
    if !found && last {
        say(&format!("process {exe} missing"));
    }
    found || last
}
