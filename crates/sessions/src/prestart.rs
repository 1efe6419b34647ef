//! Pre-start attach: noticing a supported game's Proton launch before the
//! game's exe runs, and waiting for the moment its prefix's wineserver
//! accepts clients, so that the bridge creates the game's sections first.
//!
//! Failure mode: a watcher that waits for the game's own exe loses the race
//! against every game that creates its sections at start-up: by the time a
//! scan sees the exe, Wine has started it, and a bridge started then finds
//! the sections made (copy mode). Under Proton the wineserver starts well
//! before the game (Steam's reaper, the `proton` script, `steam.exe`, then
//! the game; docs/steam-internals.md, "The launch chain"), so the bridge can
//! join it in that gap.
//!
//! Design: a launch is noticed from a new process that is not a Windows
//! program and carries a supported appid with a compatdata folder and a
//! Proton build in its environment (as Steam's reaper and Proton's script
//! do), or whose command line is Proton's `waitforexitandrun` (each process
//! is read once, by [`crate::process_scan`]). Then only the wineserver's
//! socket is watched, a `stat` every [`SOCKET_POLL`], until it is there
//! and a wineserver process of the prefix that started after the launch
//! runs (a wineserver lingering from the last run is not joined: Proton's
//! `waitforexitandrun` waits for it to end, and a bridge joining it would
//! keep it alive; a socket file can outlive its server). Nothing is created
//! before that moment, so a launch that ends first, or a wineserver that
//! never comes within [`WINESERVER_BOUND`], leaves nothing behind. The
//! bridge is then started by [`crate::attach::attach_before_game`] with the
//! wineserver's environment (the Proton build and the sync settings Proton
//! chose), and is asked to stop if Proton's script ends before it does.

use std::ffi::OsStr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bridgekeeper_host::process_info::{ProcessInfo, file_name};
use bridgekeeper_host::processes;

use crate::wine_env::running_wineservers;

/// How long a noticed launch may take to start its wineserver.
pub const WINESERVER_BOUND: Duration = Duration::from_secs(60);

/// How often the wineserver's socket is looked for while a launch is
/// starting (one `stat`).
pub const SOCKET_POLL: Duration = Duration::from_millis(5);

/// How often the launch's process, the socket's path and (once the socket
/// is there) the wineserver processes are looked at.
const LOOK_INTERVAL: Duration = Duration::from_millis(50);

/// Proton's verb for a game launch.
pub const PROTON_VERB: &str = "waitforexitandrun";

/// A supported game's Proton launch, noticed before its wineserver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchStart {
    /// The game's appid.
    pub appid: u32,
    /// Its Wine prefix (`compatdata/<appid>/pfx`).
    pub prefix: PathBuf,
    /// The process the launch was noticed by.
    pub pid: i32,
    /// Its start time, in clock ticks since boot.
    pub start_time: u64,
}

/// How a launch ended before a bridge could join it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoWineserver {
    #[error("the launch (pid {pid}) ended before its wineserver started")]
    LaunchEnded { pid: i32 },
    #[error("no wineserver started for {} within {} s", prefix.display(), bound.as_secs())]
    TimedOut { prefix: PathBuf, bound: Duration },
    #[error("the game's exe started first; it is attached to instead")]
    GameFirst,
}

/// The launch that `process` begins, if it looks like one: not a Windows
/// program nor Wine itself, with an appid, a prefix and a Proton build in
/// its environment, or Proton's [`PROTON_VERB`] on its command line.
pub fn launch_start(process: &ProcessInfo) -> Option<LaunchStart> {
    let name = process.exe_name.to_ascii_lowercase();
    if name.ends_with(".exe") || name.starts_with("wine") {
        return None;
    }
    let prefix = process.prefix()?;
    let is_proton_verb = process.cmdline.iter().any(|a| a == OsStr::new(PROTON_VERB));
    if !is_proton_verb && process.proton_dir().is_none() {
        return None;
    }
    let appid = process.appid().or_else(|| compatdata_appid(&prefix))?;
    Some(LaunchStart {
        appid,
        prefix,
        pid: process.pid,
        start_time: process.start_time,
    })
}

/// The process that lasts as long as `launch`: Steam's reaper for its
/// appid (`reaper SteamLaunch AppId=N`, the newest that started before the
/// process the launch was noticed by), or else Proton's script for its
/// prefix; the noticed process itself when neither runs.
///
/// A launch is noticed by whichever of its processes a scan sees first,
/// and every helper of Proton's script carries the launch's environment:
/// its `sleep`, `flock`, `cp` or `wineserver -w` lives for a moment. Waiting
/// on such a process ended the wait before the wineserver came, and the
/// bridge was started only once the game ran (copy mode, for a game that
/// makes its sections at once: 3 launches in 8, measured).
pub fn lasting(launch: LaunchStart) -> LaunchStart {
    let app = format!("AppId={}", launch.appid);
    let reaper = processes::carrying(&[OsStr::new("SteamLaunch"), OsStr::new(&app)])
        .into_iter()
        .filter(|p| p.start_time <= launch.start_time)
        .max_by_key(|p| p.start_time);
    match reaper.or_else(|| proton_script(&launch.prefix)) {
        Some(process) => LaunchStart {
            pid: process.pid,
            start_time: process.start_time,
            ..launch
        },
        None => launch,
    }
}

/// The appid a prefix `.../compatdata/<appid>/pfx` belongs to.
fn compatdata_appid(prefix: &Path) -> Option<u32> {
    prefix
        .parent()?
        .file_name()?
        .to_str()?
        .parse()
        .ok()
        .filter(|&id| id != 0)
}

/// The socket a wineserver serving `prefix` listens on:
/// `/tmp/.wine-<uid>/server-<dev>-<inode>/socket`, with the prefix
/// folder's device and inode in hexadecimal (Wine's
/// `dlls/ntdll/unix/server.c`, `init_server_dir`). Debian's Wine puts the
/// `server-…` folder in a `mkdtemp` folder under `/tmp` instead, and names
/// that folder in the prefix's `wineserver` file (docs/wine-behaviour.md,
/// "Joining a running wineserver").
pub fn wineserver_socket(prefix: &Path) -> Option<PathBuf> {
    let folder = std::fs::metadata(prefix).ok()?;
    let server = format!("server-{:x}-{:x}", folder.dev(), folder.ino());
    let base = match debian_server_folder(prefix) {
        Some(name) => Path::new("/tmp").join(name),
        None => {
            let uid = std::fs::metadata("/proc/self").ok()?.uid();
            PathBuf::from(format!("/tmp/.wine-{uid}"))
        }
    };
    Some(base.join(server).join("socket"))
}

/// The folder under `/tmp` that Debian's Wine names in the prefix's
/// `wineserver` file: one plain name (`wine-XXXXXX`), nothing else.
fn debian_server_folder(prefix: &Path) -> Option<String> {
    let text = std::fs::read_to_string(prefix.join("wineserver")).ok()?;
    let name = text.trim();
    let plain = !name.is_empty()
        && name.starts_with("wine-")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plain.then(|| name.to_owned())
}

/// Waits until a wineserver for `launch`'s prefix that started with this
/// launch accepts clients; returns that wineserver's process (its
/// environment is what Proton gave Wine). Gives up when the process that
/// began the launch ends, after `bound`, or when `game_first` is set (the
/// watcher saw the game's exe run meanwhile).
pub fn wait_for_wineserver(
    launch: &LaunchStart,
    bound: Duration,
    game_first: &AtomicBool,
) -> Result<ProcessInfo, NoWineserver> {
    let deadline = Instant::now() + bound;
    // Through a sandbox, /tmp is not the host's: look for the process.
    let local = !processes::through_host();
    let mut socket = None;
    let mut next_look = Instant::now();
    loop {
        let now = Instant::now();
        if game_first.load(Ordering::Relaxed) {
            return Err(NoWineserver::GameFirst);
        }
        if now >= deadline {
            return Err(NoWineserver::TimedOut {
                prefix: launch.prefix.clone(),
                bound,
            });
        }
        let socket_there = socket.as_deref().is_some_and(|s: &Path| s.exists());
        if now >= next_look || socket_there {
            if !processes::is_alive(launch.pid, launch.start_time) {
                return Err(NoWineserver::LaunchEnded { pid: launch.pid });
            }
            // A socket may be left by a wineserver that ran before (one
            // that lingers, or one that was killed): only a wineserver
            // process that started with this launch counts, looked for
            // when the socket is there (and through a sandbox, each time).
            if (socket_there || !local)
                && let Some(server) = new_wineserver(launch)
            {
                return Ok(server);
            }
            // The prefix folder, and Debian's `wineserver` file, may be
            // made by the launch itself.
            if local {
                socket = wineserver_socket(&launch.prefix);
            }
            next_look = now + LOOK_INTERVAL;
            std::thread::sleep(if socket_there {
                LOOK_INTERVAL
            } else {
                SOCKET_POLL
            });
        } else {
            std::thread::sleep(SOCKET_POLL);
        }
    }
}

/// The wineserver of `launch`'s prefix that started after the launch.
fn new_wineserver(launch: &LaunchStart) -> Option<ProcessInfo> {
    running_wineservers().into_iter().find(|server| {
        server.start_time >= launch.start_time
            && server
                .prefix()
                .is_some_and(|p| crate::registry::same_prefix(&p, &launch.prefix))
    })
}

/// True for the command line of Proton's script itself: `proton VERB …`,
/// or `INTERPRETER proton VERB …` (a script's interpreter comes first). A
/// process that only passes that command on (Steam's reaper, the runtime's
/// entry point before it execs it) carries it further on.
fn runs_proton_script(cmdline: &[std::ffi::OsString]) -> bool {
    cmdline
        .windows(2)
        .take(2)
        .any(|w| file_name(w[0].as_encoded_bytes()) == b"proton" && w[1] == OsStr::new(PROTON_VERB))
}

/// Proton's script running `waitforexitandrun` for `prefix`: the process
/// that lives exactly as long as the launch (it waits for `steam.exe`,
/// which waits for the game), unlike Steam's reaper, which also waits for
/// the wineserver that a bridge keeps alive.
pub fn proton_script(prefix: &Path) -> Option<ProcessInfo> {
    let candidates = processes::carrying(&[OsStr::new(PROTON_VERB)]);
    let pids: Vec<i32> = candidates
        .iter()
        .filter(|p| runs_proton_script(&p.cmdline))
        .map(|p| p.pid)
        .collect();
    processes::read(&pids).into_values().find(|p| {
        p.prefix()
            .is_some_and(|own| crate::registry::same_prefix(&own, prefix))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::ffi::OsString;

    use super::*;

    fn process(exe: &str, args: &[&str], vars: &[(&str, &str)]) -> ProcessInfo {
        let cmdline: Vec<OsString> = std::iter::once(exe)
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        ProcessInfo {
            pid: 77,
            start_time: 5,
            exe_name: bridgekeeper_host::process_info::exe_name(&cmdline),
            cmdline,
            environ: vars
                .iter()
                .map(|(k, v)| (OsString::from(k), OsString::from(v)))
                .collect::<HashMap<_, _>>(),
        }
    }

    const STEAM_ENV: &[(&str, &str)] = &[
        ("SteamAppId", "805550"),
        ("STEAM_COMPAT_DATA_PATH", "/s/steamapps/compatdata/805550"),
        ("STEAM_COMPAT_TOOL_PATHS", "/s/steamapps/common/Proton 9.0"),
    ];

    #[test]
    fn steams_reaper_begins_a_launch() {
        let reaper = process("/s/ubuntu12_32/reaper", &["SteamLaunch"], STEAM_ENV);
        assert_eq!(
            launch_start(&reaper),
            Some(LaunchStart {
                appid: 805_550,
                prefix: "/s/steamapps/compatdata/805550/pfx".into(),
                pid: 77,
                start_time: 5,
            })
        );
    }

    #[test]
    fn protons_verb_begins_a_launch_even_without_the_appid() {
        let script = process(
            "python3",
            &["/p/proton", PROTON_VERB, "Z:\\g\\acs.exe"],
            &[("STEAM_COMPAT_DATA_PATH", "/s/compatdata/244210")],
        );
        let start = launch_start(&script).expect("a launch");
        assert_eq!(start.appid, 244_210);
    }

    #[test]
    fn windows_programs_wine_and_plain_processes_do_not() {
        for (exe, env) in [
            ("Z:\\g\\acs.exe", STEAM_ENV),
            ("/p/files/bin/wineserver", STEAM_ENV),
            ("/usr/bin/bash", &[("SteamAppId", "805550")][..]),
            (
                "/usr/bin/bash",
                &[("STEAM_COMPAT_DATA_PATH", "/s/compatdata/805550")][..],
            ),
        ] {
            let p = process(exe, &[], env);
            assert_eq!(launch_start(&p), None, "{exe} {env:?}");
        }
    }

    #[test]
    fn the_socket_is_named_after_the_prefix_folder() {
        let dir = tempfile::tempdir().unwrap();
        let meta = std::fs::metadata(dir.path()).unwrap();
        let server = format!("/server-{:x}-{:x}/socket", meta.dev(), meta.ino());
        let socket = wineserver_socket(dir.path()).unwrap();
        let text = socket.display().to_string();
        assert!(text.starts_with("/tmp/.wine-"), "{text}");
        assert!(text.ends_with(&server), "{text}");
        assert_eq!(wineserver_socket(&dir.path().join("missing")), None);

        // Debian's Wine: the folder named in the prefix's `wineserver` file.
        std::fs::write(dir.path().join("wineserver"), "wine-QdGpJZ").unwrap();
        let socket = wineserver_socket(dir.path()).unwrap();
        assert_eq!(socket, PathBuf::from(format!("/tmp/wine-QdGpJZ{server}")));
        std::fs::write(dir.path().join("wineserver"), "../etc").unwrap();
        let socket = wineserver_socket(dir.path()).unwrap();
        let text = socket.display().to_string();
        assert!(
            text.starts_with("/tmp/.wine-"),
            "a path is not a folder name: {text}"
        );
    }

    #[test]
    fn protons_script_is_told_from_the_processes_that_pass_its_command_on() {
        let args = |list: &[&str]| -> Vec<OsString> { list.iter().map(OsString::from).collect() };
        assert!(runs_proton_script(&args(&[
            "python3",
            "/p/proton",
            PROTON_VERB,
            "game.exe"
        ])));
        assert!(runs_proton_script(&args(&["/p/proton", PROTON_VERB])));
        assert!(!runs_proton_script(&args(&[
            "/s/reaper",
            "SteamLaunch",
            "AppId=1",
            "--",
            "/r/_v2-entry-point",
            "--verb=waitforexitandrun",
            "--",
            "/p/proton",
            PROTON_VERB,
        ])));
        assert!(!runs_proton_script(&args(&["python3", "/p/proton", "run"])));
    }

    #[test]
    fn a_launch_that_ends_first_is_given_up_at_once() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as i32;
        let start_time = bridgekeeper_host::process_info::start_time(pid).unwrap_or(0);
        child.wait().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let launch = LaunchStart {
            appid: 1,
            prefix: dir.path().to_path_buf(),
            pid,
            start_time,
        };
        let started = Instant::now();
        let err = wait_for_wineserver(&launch, Duration::from_secs(10), &AtomicBool::new(false))
            .unwrap_err();
        assert_eq!(err, NoWineserver::LaunchEnded { pid });
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
