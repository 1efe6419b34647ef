//! The Windows side of the test game.

use std::ptr::null;
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{CloseHandle, GetLastError, INVALID_HANDLE_VALUE};
use windows_sys::Win32::System::Environment::GetCommandLineW;
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, FILE_MAP_ALL_ACCESS, MEMORY_MAPPED_VIEW_ADDRESS, MapViewOfFile,
    PAGE_READWRITE, UnmapViewOfFile,
};

pub(crate) use crate::say;
use crate::{MAGIC, age, clock, drive};

pub(crate) struct Options {
    pub(crate) maps: Vec<(String, usize)>,
    rate: u32,
    pub(crate) run: Duration,
    pub(crate) stop_file: Option<String>,
    exit_code: i32,
    delay: Duration,
    map_after: Option<Duration>,
    restart_file: Option<String>,
    crash_after: Option<Duration>,
    clock: bool,
    /// ACC's pages get driving data ([`drive`]).
    drive: bool,
    program: Vec<String>,
    /// Launcher mode: how long to wait before starting the program (a
    /// launcher's own start-up or menu).
    launch_after: Duration,
    /// Tool mode: create the section instead of opening it.
    pub(crate) create: bool,
    /// Tool mode: the value to write at offset 8.
    pub(crate) write: Option<u32>,
    /// Tool mode: exe names to look for in the process list.
    pub(crate) find_exe: Vec<String>,
    /// Tool mode: keep trying to open the section (and to find the exes)
    /// this long, like a tool started before the game.
    pub(crate) wait: Duration,
    /// Tool mode: measure how long the game's `--clock` stamps take to show
    /// in this prefix.
    pub(crate) lag: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        maps: Vec::new(),
        rate: 1000,
        run: Duration::from_secs(3),
        stop_file: None,
        exit_code: 0,
        delay: Duration::ZERO,
        map_after: None,
        restart_file: None,
        crash_after: None,
        clock: false,
        drive: false,
        program: Vec::new(),
        launch_after: Duration::ZERO,
        create: false,
        write: None,
        find_exe: Vec::new(),
        wait: Duration::ZERO,
        lag: false,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--map" => {
                let v = value()?;
                let (name, size) = v.rsplit_once('=').ok_or("--map NAME=SIZE")?;
                o.maps
                    .push((name.to_string(), size.parse().map_err(|_| "bad size")?));
            }
            "--rate" => o.rate = value()?.parse().map_err(|_| "bad rate")?,
            "--run-ms" => o.run = Duration::from_millis(value()?.parse().map_err(|_| "bad ms")?),
            "--delay-ms" => {
                o.delay = Duration::from_millis(value()?.parse().map_err(|_| "bad ms")?)
            }
            "--launch-after-ms" => {
                o.launch_after = Duration::from_millis(value()?.parse().map_err(|_| "bad ms")?)
            }
            "--map-after-ms" => {
                o.map_after = Some(Duration::from_millis(
                    value()?.parse().map_err(|_| "bad ms")?,
                ))
            }
            "--restart-file" => o.restart_file = Some(value()?),
            "--crash-after-ms" => {
                o.crash_after = Some(Duration::from_millis(
                    value()?.parse().map_err(|_| "bad ms")?,
                ))
            }
            "--exit-code" => o.exit_code = value()?.parse().map_err(|_| "bad code")?,
            "--stop-file" => o.stop_file = Some(value()?),
            "--clock" => o.clock = true,
            "--drive" => o.drive = true,
            "--create" => o.create = true,
            "--write" => o.write = Some(value()?.parse().map_err(|_| "bad value")?),
            "--find-exe" => o.find_exe.push(value()?),
            "--wait-ms" => o.wait = Duration::from_millis(value()?.parse().map_err(|_| "bad ms")?),
            "--lag" => o.lag = true,
            "--" => {
                o.program = it.by_ref().cloned().collect();
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if o.map_after.is_some() && !o.delay.is_zero() {
        return Err("--map-after-ms and --delay-ms exclude each other".into());
    }
    Ok(o)
}

pub fn main() -> i32 {
    if std::env::args_os()
        .nth(1)
        .is_some_and(|mode| mode == "echo-args")
        || std::env::var_os(crate::echo::ENV).is_some()
    {
        return crate::echo::main();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, rest) = match args.split_first() {
        Some((mode, rest)) => (mode.as_str(), rest),
        None => ("", &[][..]),
    };
    let options = match parse(rest) {
        Ok(o) => o,
        Err(e) => {
            say(&format!("usage error: {e}"));
            return 2;
        }
    };
    say(&format!("cmdline {}", command_line()));
    say(&format!(
        "cwd {}",
        std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default()
    ));
    say(&format!(
        "env BK_TEST_ENV={}",
        std::env::var("BK_TEST_ENV").unwrap_or_default()
    ));
    match mode {
        "game" => game(&options),
        "launcher" => launcher(&options),
        "tool" => crate::tool::main(&options),
        _ => {
            say("usage error: the first argument is `game`, `launcher` or `tool`");
            2
        }
    }
}

fn command_line() -> String {
    // SAFETY: GetCommandLineW returns a NUL-terminated string owned by the process.
    unsafe {
        let ptr = GetCommandLineW();
        let len = (0..).take_while(|&i| *ptr.add(i) != 0).count();
        String::from_utf16_lossy(std::slice::from_raw_parts(ptr, len))
    }
}

fn launcher(options: &Options) -> i32 {
    let Some((program, args)) = options.program.split_first() else {
        say("usage error: launcher needs -- PROGRAM");
        return 2;
    };
    std::thread::sleep(options.launch_after);
    match std::process::Command::new(program).args(args).spawn() {
        Ok(child) => say(&format!("launched {} pid {}", program, child.id())),
        Err(e) => {
            say(&format!("cannot launch {program}: {e}"));
            return 3;
        }
    }
    std::thread::sleep(options.delay);
    say(&format!("exit {}", options.exit_code));
    options.exit_code
}

struct Section {
    handle: *mut core::ffi::c_void,
    view: *mut u8,
    size: usize,
    /// `--drive`: the ACC page this section is.
    drive: Option<String>,
}

/// Creates and fills every section, the way a game starts its session.
fn open_sections(options: &Options) -> Result<Vec<Section>, i32> {
    let mut sections = Vec::new();
    for (name, size) in &options.maps {
        let wide: Vec<u16> = name.encode_utf16().chain(Some(0)).collect();
        // SAFETY: plain Win32 calls with valid arguments.
        unsafe {
            let handle = CreateFileMappingW(
                INVALID_HANDLE_VALUE,
                null(),
                PAGE_READWRITE,
                (*size as u64 >> 32) as u32,
                *size as u32,
                wide.as_ptr(),
            );
            let error = GetLastError();
            if handle.is_null() {
                say(&format!("mapping {name} failed error {error}"));
                return Err(4);
            }
            say(&format!(
                "mapping {name} {}",
                if error == 183 { "existed" } else { "created" }
            ));
            let view = MapViewOfFile(handle, FILE_MAP_ALL_ACCESS, 0, 0, *size);
            if view.Value.is_null() {
                say(&format!("view {name} failed error {}", GetLastError()));
                return Err(5);
            }
            let view = view.Value.cast::<u8>();
            if options.drive && drive::drives(name) && *size >= 4096 {
                drive::write(name, view, 0.0, 0);
                sections.push(Section {
                    handle,
                    view,
                    size: *size,
                    drive: Some(name.clone()),
                });
                continue;
            }
            for i in 20..*size {
                view.add(i)
                    .write_volatile((i as u32).wrapping_mul(31).wrapping_add(7) as u8);
            }
            write_u32(view, 16, std::process::id());
            write_u32(view, 0, MAGIC);
            sections.push(Section {
                handle,
                view,
                size: *size,
                drive: None,
            });
        }
    }
    Ok(sections)
}

/// Unmaps and closes every section, the way a game ends its session.
fn close_sections(sections: Vec<Section>) {
    for s in sections {
        // SAFETY: the view and handle are ours and used no more.
        unsafe {
            UnmapViewOfFile(MEMORY_MAPPED_VIEW_ADDRESS {
                Value: s.view.cast(),
            });
            CloseHandle(s.handle);
        }
    }
}

fn game(options: &Options) -> i32 {
    match options.map_after {
        Some(after) => {
            std::thread::sleep(after.saturating_sub(age::since_creation()));
            say(&format!(
                "creating sections {} ms after the process started",
                age::since_creation().as_millis()
            ));
        }
        None => std::thread::sleep(options.delay),
    }
    let mut sections = match open_sections(options) {
        Ok(sections) => sections,
        Err(code) => return code,
    };
    say("running");
    let started = Instant::now();
    let tick = Duration::from_secs_f64(1.0 / f64::from(options.rate.max(1)));
    let stop_file = options.stop_file.as_deref().map(wine_path);
    let mut restart_file = options.restart_file.as_deref().map(wine_path);
    let mut counter: u32 = 0;
    let mut last_check = Instant::now();
    while started.elapsed() < options.run {
        let restart = last_check.elapsed() > Duration::from_millis(50)
            && restart_file
                .as_ref()
                .is_some_and(|path| std::fs::metadata(path).is_ok());
        if restart {
            restart_file = None;
            say(&format!("restarting the session after {counter} ticks"));
            close_sections(std::mem::take(&mut sections));
            counter = 0;
            sections = match open_sections(options) {
                Ok(sections) => sections,
                Err(code) => return code,
            };
            say("running again");
        }
        if options
            .crash_after
            .is_some_and(|after| started.elapsed() >= after)
        {
            crash(counter);
        }
        counter = counter.wrapping_add(1);
        for s in &sections {
            if let Some(name) = &s.drive {
                // SAFETY: driven views are at least 4096 bytes.
                unsafe { drive::write(name, s.view, started.elapsed().as_secs_f32(), counter) };
                continue;
            }
            if s.size >= 16 {
                // SAFETY: offsets 4..16 lie inside the view.
                unsafe {
                    write_u32(s.view, 4, counter);
                    let from_linux = read_u32(s.view, 8);
                    write_u32(s.view, 12, from_linux);
                }
            }
            if options.clock && s.size >= clock::MIN_SIZE {
                // SAFETY: views are page-aligned and at least MIN_SIZE long.
                unsafe { clock::stamp(s.view, u64::from(counter)) };
            }
        }
        if last_check.elapsed() > Duration::from_millis(50) {
            last_check = Instant::now();
            if let Some(path) = &stop_file
                && std::fs::metadata(path).is_ok()
            {
                say("stop file found");
                break;
            }
        }
        std::thread::sleep(tick);
    }
    close_sections(sections);
    say(&format!("exit {} after {counter} ticks", options.exit_code));
    options.exit_code
}

/// The Windows form of a Linux path.
pub(crate) fn wine_path(linux: &str) -> String {
    format!(r"\\?\unix{}", linux.replace('/', "\\"))
}

/// Dies of an access violation, like a game with a bug: Wine's debugger
/// prints a backtrace and the process ends with the exception code.
fn crash(counter: u32) -> ! {
    say(&format!("crashing after {counter} ticks"));
    // SAFETY: deliberately not safe: the write faults.
    unsafe {
        let null = std::hint::black_box(std::ptr::null_mut::<u32>());
        null.write_volatile(counter);
    }
    unreachable!("writing through a null pointer faults")
}

pub(crate) unsafe fn write_u32(view: *mut u8, offset: usize, value: u32) {
    // SAFETY: the caller keeps offset + 4 inside the view.
    unsafe { view.add(offset).cast::<u32>().write_volatile(value) }
}

pub(crate) unsafe fn read_u32(view: *mut u8, offset: usize) -> u32 {
    // SAFETY: the caller keeps offset + 4 inside the view.
    unsafe { view.add(offset).cast::<u32>().read_volatile() }
}
