//! Host processes: read from `/proc` directly, or, inside a sandbox (whose
//! `/proc` shows only its own processes), through the host.
//!
//! Through the host, one `flatpak-spawn --host find …` call lists the pids,
//! and one more reads `stat`, `cmdline`, `environ` and `exe` of the pids
//! asked for, with `grep -azH` printing each NUL-separated entry after its
//! file name. Both run GNU `find` and `grep` on the host, without a shell.

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::Stdio;

use super::command::HostCommand;
use super::sandbox::sandbox;
use crate::process_info::{ProcessInfo, exe_name};

/// What one host call reported about a process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostProcess {
    /// Contents of `/proc/<pid>/stat`.
    pub stat: Option<String>,
    /// Command line entries.
    pub cmdline: Vec<OsString>,
    /// Environment entries (`NAME=value`).
    pub environ: Vec<OsString>,
    /// Target of `/proc/<pid>/exe`, when readable.
    pub exe: Option<PathBuf>,
}

impl HostProcess {
    /// The start time (field 22 of `stat`) and state (field 3).
    pub fn start_and_state(&self) -> Option<(u64, char)> {
        let stat = self.stat.as_deref()?;
        let after_comm = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = after_comm.split_whitespace().collect();
        let state = fields.first()?.chars().next()?;
        Some((fields.get(19)?.parse().ok()?, state))
    }

    /// As a [`ProcessInfo`]; `None` without a readable `stat` or command
    /// line (gone, or a kernel thread).
    pub fn into_info(self, pid: i32) -> Option<ProcessInfo> {
        let (start_time, _) = self.start_and_state()?;
        if self.cmdline.is_empty() {
            return None;
        }
        let environ = self
            .environ
            .iter()
            .filter_map(|entry| {
                let bytes = entry.as_bytes();
                let eq = bytes.iter().position(|&b| b == b'=')?;
                Some((
                    OsStr::from_bytes(&bytes[..eq]).to_os_string(),
                    OsStr::from_bytes(&bytes[eq + 1..]).to_os_string(),
                ))
            })
            .collect();
        Some(ProcessInfo {
            pid,
            start_time,
            exe_name: exe_name(&self.cmdline),
            cmdline: self.cmdline,
            environ,
        })
    }
}

/// True when host processes must be read through the host.
pub fn through_host() -> bool {
    sandbox().is_some()
}

/// The pids of the host's processes.
pub fn pids() -> HashSet<i32> {
    if !through_host() {
        return local_pids();
    }
    let command = HostCommand::new("find").args([
        "/proc",
        "-mindepth",
        "1",
        "-maxdepth",
        "1",
        "-name",
        "[0-9]*",
        "-printf",
        "%f\\0",
    ]);
    run(&command)
        .split(|&b| b == 0)
        .filter_map(|pid| std::str::from_utf8(pid).ok()?.parse().ok())
        .collect()
}

fn local_pids() -> HashSet<i32> {
    std::fs::read_dir("/proc")
        .map(|dir| {
            dir.flatten()
                .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Reads the given processes, each once; the missing ones are gone (or not
/// readable).
pub fn read(pids: &[i32]) -> HashMap<i32, ProcessInfo> {
    if pids.is_empty() {
        return HashMap::new();
    }
    if !through_host() {
        return pids
            .iter()
            .filter_map(|&pid| Some((pid, ProcessInfo::read(pid)?)))
            .collect();
    }
    read_through_host(pids)
        .into_iter()
        .filter_map(|(pid, process)| Some((pid, process.into_info(pid)?)))
        .collect()
}

/// The target of `/proc/<pid>/exe`.
pub fn exe(pid: i32) -> Option<PathBuf> {
    if !through_host() {
        return std::fs::read_link(format!("/proc/{pid}/exe")).ok();
    }
    read_through_host(&[pid]).remove(&pid)?.exe
}

/// Every process whose `/proc/<pid>/exe` is readable, with its target.
pub fn exes() -> Vec<(i32, PathBuf)> {
    if !through_host() {
        return local_pids()
            .into_iter()
            .filter_map(|pid| Some((pid, std::fs::read_link(format!("/proc/{pid}/exe")).ok()?)))
            .collect();
    }
    let command = HostCommand::new("find").args([
        "/proc",
        "-mindepth",
        "2",
        "-maxdepth",
        "2",
        "-path",
        "/proc/[0-9]*/exe",
        "-printf",
        "%p\\t%l\\0",
    ]);
    parse(&run(&command))
        .into_iter()
        .filter_map(|(pid, process)| Some((pid, process.exe?)))
        .collect()
}

/// True while the host process with this pid and start time runs (and is
/// not a zombie).
pub fn is_alive(pid: i32, start_time: u64) -> bool {
    if !through_host() {
        return crate::process_info::is_alive(pid, start_time);
    }
    read_through_host(&[pid])
        .remove(&pid)
        .and_then(|p| p.start_and_state())
        .is_some_and(|(start, state)| start == start_time && state != 'Z')
}

/// True while the process with this pid and start time runs, judged in the
/// pid namespace `namespace` (see [`crate::pid_namespace`]): locally when
/// it is this process's own, through the host when it is the host's.
/// `None` when that namespace cannot be seen from here (the process may
/// run or not). A missing namespace (old records) means this process's.
pub fn is_alive_in(namespace: Option<u64>, pid: i32, start_time: u64) -> Option<bool> {
    let own = crate::pid_namespace::own();
    match namespace {
        None => Some(crate::process_info::is_alive(pid, start_time)),
        Some(ns) if Some(ns) == own => Some(crate::process_info::is_alive(pid, start_time)),
        Some(ns) if through_host() && Some(ns) == crate::pid_namespace::host() => {
            Some(is_alive(pid, start_time))
        }
        Some(_) => None,
    }
}

/// The host processes of this user whose command line holds `args` as
/// consecutive entries (their environment is not read). Unlike a pid, a
/// command line looks the same from every pid namespace. Other users'
/// processes never count: anyone can read a command line and copy it.
pub fn carrying(args: &[&OsStr]) -> Vec<ProcessInfo> {
    let holds = |cmdline: &[OsString]| {
        !args.is_empty()
            && cmdline
                .windows(args.len())
                .any(|window| window.iter().zip(args).all(|(a, b)| a == b))
    };
    if !through_host() {
        return local_pids()
            .into_iter()
            .filter_map(|pid| {
                let owner = std::fs::metadata(format!("/proc/{pid}")).ok()?.uid();
                if owner != crate::owned_files::my_uid() {
                    return None;
                }
                let bytes = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
                let cmdline: Vec<OsString> = bytes
                    .split(|&b| b == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| OsStr::from_bytes(a).to_os_string())
                    .collect();
                if !holds(&cmdline) {
                    return None;
                }
                Some(ProcessInfo {
                    pid,
                    start_time: crate::process_info::start_time(pid)?,
                    exe_name: exe_name(&cmdline),
                    cmdline,
                    environ: HashMap::new(),
                })
            })
            .collect();
    }
    let command = HostCommand::new("find").args(carrying_args());
    parse(&run(&command))
        .into_iter()
        .filter(|(_, process)| holds(&process.cmdline))
        .filter_map(|(pid, process)| process.into_info(pid))
        .collect()
}

/// The `find` arguments that print `stat` and `cmdline` of every process
/// of this user.
pub fn carrying_args() -> Vec<OsString> {
    let uid = crate::owned_files::my_uid().to_string();
    [
        "/proc",
        "-mindepth",
        "2",
        "-maxdepth",
        "2",
        "-user",
        uid.as_str(),
        "(",
        "-path",
        "/proc/[0-9]*/stat",
        "-o",
        "-path",
        "/proc/[0-9]*/cmdline",
        ")",
        "-exec",
        "grep",
        "-azsH",
        "",
        "{}",
        "+",
    ]
    .map(OsString::from)
    .to_vec()
}

/// The `find` arguments that print `stat`, `cmdline`, `environ` and `exe`
/// of `pids`.
pub fn read_args(pids: &[i32]) -> Vec<OsString> {
    let mut args: Vec<OsString> = pids
        .iter()
        .map(|pid| format!("/proc/{pid}").into())
        .collect();
    args.extend(
        [
            "-mindepth",
            "1",
            "-maxdepth",
            "1",
            "(",
            "-name",
            "exe",
            "-printf",
            "%p\\t%l\\0",
            "-o",
            "(",
            "-name",
            "stat",
            "-o",
            "-name",
            "cmdline",
            "-o",
            "-name",
            "environ",
            ")",
            "-exec",
            "grep",
            "-azsH",
            "",
            "{}",
            "+",
            ")",
        ]
        .map(OsString::from),
    );
    args
}

fn read_through_host(pids: &[i32]) -> HashMap<i32, HostProcess> {
    parse(&run(&HostCommand::new("find").args(read_args(pids))))
}

/// Runs a host command and returns its standard output; errors (a process
/// that ended mid-read, an unreadable file) only shorten it.
fn run(command: &HostCommand) -> Vec<u8> {
    let failure = match command
        .command()
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
    {
        Ok(output) if output.status.success() || !output.stdout.is_empty() => {
            return output.stdout;
        }
        Ok(output) => String::from_utf8_lossy(&output.stderr).trim().to_string(),
        Err(err) => err.to_string(),
    };
    // Said once: the watcher asks several times a second.
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        tracing::warn!(
            "cannot read host processes through {}: {failure}; the app needs the permission \
             --talk-name=org.freedesktop.Flatpak",
            super::command::FLATPAK_SPAWN
        );
    });
    Vec::new()
}

/// Parses NUL-separated `/proc/<pid>/<file>:<entry>` and
/// `/proc/<pid>/exe<TAB><target>` records.
pub fn parse(output: &[u8]) -> HashMap<i32, HostProcess> {
    let mut processes: HashMap<i32, HostProcess> = HashMap::new();
    for record in output.split(|&b| b == 0) {
        let Some(rest) = record.strip_prefix(b"/proc/") else {
            continue;
        };
        let Some(slash) = rest.iter().position(|&b| b == b'/') else {
            continue;
        };
        let Some(pid) = std::str::from_utf8(&rest[..slash])
            .ok()
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        let rest = &rest[slash + 1..];
        let Some(split) = rest.iter().position(|&b| b == b':' || b == b'\t') else {
            continue;
        };
        let (file, value) = (&rest[..split], &rest[split + 1..]);
        let process = processes.entry(pid).or_default();
        match file {
            b"exe" if !value.is_empty() => {
                process.exe = Some(PathBuf::from(OsStr::from_bytes(value)));
            }
            b"stat" => process.stat = Some(String::from_utf8_lossy(value).into_owned()),
            b"cmdline" if !value.is_empty() => {
                process
                    .cmdline
                    .push(OsStr::from_bytes(value).to_os_string());
            }
            b"environ" if !value.is_empty() => {
                process
                    .environ
                    .push(OsStr::from_bytes(value).to_os_string());
            }
            _ => {}
        }
    }
    processes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_find_and_grep_output() {
        let output = b"/proc/42/exe\t/opt/proton/files/bin/wineserver\0\
            /proc/42/stat:42 (wine server) S 1 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 123456 0 0\n\0\
            /proc/42/cmdline:Z:\\games\\acs.exe\0/proc/42/cmdline:-a b\0\
            /proc/42/environ:WINEPREFIX=/s/pfx\0/proc/42/environ:X=a=b\0\
            /proc/7/exe\t\0\
            garbage\0/proc/x/stat:1\0";
        let processes = parse(output);
        assert_eq!(processes.len(), 2);
        let game = processes[&42].clone();
        assert_eq!(
            game.exe.as_deref(),
            Some(std::path::Path::new("/opt/proton/files/bin/wineserver"))
        );
        assert_eq!(game.start_and_state(), Some((123_456, 'S')));
        let info = game.into_info(42).unwrap();
        assert_eq!(info.exe_name, "acs.exe");
        assert_eq!(info.cmdline, ["Z:\\games\\acs.exe", "-a b"]);
        assert_eq!(info.var("WINEPREFIX"), Some(OsStr::new("/s/pfx")));
        assert_eq!(info.var("X"), Some(OsStr::new("a=b")));
        assert_eq!(processes[&7].exe, None);
        assert!(processes[&7].clone().into_info(7).is_none());
    }

    #[test]
    fn finds_processes_by_their_arguments_like_the_host_command_does() {
        let mut child = std::process::Command::new("sleep")
            .args(["30", "0.000271828"])
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        let needle = [OsStr::new("30"), OsStr::new("0.000271828")];
        // Right after the spawn the child may not have exec'd yet.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut found = carrying(&needle);
        while found.is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
            found = carrying(&needle);
        }
        assert_eq!(found.iter().map(|p| p.pid).collect::<Vec<_>>(), [pid]);
        // The same find/grep command, run here without flatpak-spawn.
        let output = std::process::Command::new("find")
            .args(carrying_args())
            .output()
            .unwrap();
        let host = parse(&output.stdout)
            .remove(&pid)
            .unwrap()
            .into_info(pid)
            .unwrap();
        assert_eq!(host.start_time, found[0].start_time);
        assert_eq!(host.cmdline, found[0].cmdline);
        let own = crate::pid_namespace::own();
        assert_eq!(is_alive_in(own, pid, host.start_time), Some(true));
        assert_eq!(
            is_alive_in(Some(1), pid, host.start_time),
            None,
            "unseen namespace"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(is_alive_in(own, pid, host.start_time), Some(false));
        assert!(carrying(&needle).is_empty());
    }

    #[test]
    fn the_read_command_reads_this_process_like_proc_does() {
        // The same find/grep command, run here without flatpak-spawn, must
        // give what procfs gives.
        let me = std::process::id() as i32;
        let output = std::process::Command::new("find")
            .args(read_args(&[me]))
            .output()
            .unwrap();
        let info = parse(&output.stdout).remove(&me).unwrap();
        let exe = info.exe.clone();
        let host = info.into_info(me).unwrap();
        let local = ProcessInfo::read(me).unwrap();
        assert_eq!(host.start_time, local.start_time);
        assert_eq!(host.cmdline, local.cmdline);
        assert_eq!(host.environ, local.environ);
        assert_eq!(exe, std::env::current_exe().ok());
    }
}
