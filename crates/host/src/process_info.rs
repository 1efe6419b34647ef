//! Processes in `/proc` seen as (possible) game processes.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// Environment variables that decide how Wine synchronises, and that a
/// second Wine process must share with the wineserver it joins
/// (docs/wine-behaviour.md, Joining a running wineserver).
pub const SYNC_VARS: &[&str] = &[
    "WINEFSYNC",
    "WINEESYNC",
    "PROTON_USE_NTSYNC",
    "WINE_DISABLE_FAST_SYNC",
];

/// What Bridgekeeper knows about one process.
#[derive(Debug, Clone)]
pub struct ProcessInfo {
    /// Linux pid.
    pub pid: i32,
    /// Start time in clock ticks since boot; with the pid, names the process.
    pub start_time: u64,
    /// The command line.
    pub cmdline: Vec<OsString>,
    /// The exe name the process goes by: the last component of `argv[0]`
    /// (a Windows or Unix path), or of `argv[1]` while a Wine loader is
    /// still starting it.
    pub exe_name: String,
    /// The environment, when readable (same user).
    pub environ: HashMap<OsString, OsString>,
}

impl ProcessInfo {
    /// Reads a process; `None` if it is gone or not readable.
    pub fn read(pid: i32) -> Option<ProcessInfo> {
        let process = procfs::process::Process::new(pid).ok()?;
        let start_time = process.stat().ok()?.starttime;
        let cmdline = read_cmdline(pid)?;
        let environ = process.environ().unwrap_or_default();
        Some(ProcessInfo {
            pid,
            start_time,
            exe_name: exe_name(&cmdline),
            cmdline,
            environ,
        })
    }

    /// An environment variable.
    pub fn var(&self, name: &str) -> Option<&OsStr> {
        self.environ.get(OsStr::new(name)).map(OsString::as_os_str)
    }

    /// The Steam appid from `SteamAppId`, `SteamGameId` or
    /// `STEAM_COMPAT_APP_ID` (0 means none).
    pub fn appid(&self) -> Option<u32> {
        ["SteamAppId", "SteamGameId", "STEAM_COMPAT_APP_ID"]
            .iter()
            .filter_map(|name| self.var(name)?.to_str()?.parse::<u32>().ok())
            .find(|&id| id != 0)
    }

    /// The Wine prefix: `WINEPREFIX`, else `STEAM_COMPAT_DATA_PATH/pfx`.
    pub fn prefix(&self) -> Option<PathBuf> {
        if let Some(prefix) = self.var("WINEPREFIX").filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(prefix));
        }
        self.var("STEAM_COMPAT_DATA_PATH")
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(p).join("pfx"))
    }

    /// The Proton directory of this run: the first entry of
    /// `STEAM_COMPAT_TOOL_PATHS`.
    pub fn proton_dir(&self) -> Option<PathBuf> {
        let paths = self.var("STEAM_COMPAT_TOOL_PATHS")?.as_bytes();
        let first = paths
            .split(|&b| b == b':')
            .next()
            .filter(|p| !p.is_empty())?;
        Some(PathBuf::from(OsStr::from_bytes(first)))
    }

    /// The sync settings in this process's environment.
    pub fn sync_vars(&self) -> Vec<(OsString, OsString)> {
        SYNC_VARS
            .iter()
            .filter_map(|name| Some((OsString::from(name), self.var(name)?.to_os_string())))
            .collect()
    }

    /// True while the same process (pid and start time) runs; asks the
    /// host when sandboxed.
    pub fn is_alive(&self) -> bool {
        crate::processes::is_alive(self.pid, self.start_time)
    }
}

/// True while the process with this pid and start time runs (and is not a
/// zombie).
pub fn is_alive(pid: i32, start_time: u64) -> bool {
    procfs::process::Process::new(pid)
        .and_then(|p| p.stat())
        .is_ok_and(|stat| stat.starttime == start_time && stat.state != 'Z')
}

/// The start time of a running process.
pub fn start_time(pid: i32) -> Option<u64> {
    procfs::process::Process::new(pid)
        .and_then(|p| p.stat())
        .ok()
        .map(|s| s.starttime)
}

fn read_cmdline(pid: i32) -> Option<Vec<OsString>> {
    let bytes = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(
        bytes
            .split(|&b| b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| OsStr::from_bytes(a).to_os_string())
            .collect(),
    )
}

/// The last component of a Windows or Unix path.
pub fn file_name(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/' || b == b'\\')
        .next()
        .unwrap_or(path)
}

/// The exe name a command line goes by (see [`ProcessInfo::exe_name`]).
pub fn exe_name(cmdline: &[OsString]) -> String {
    let name = |arg: &OsString| String::from_utf8_lossy(file_name(arg.as_bytes())).into_owned();
    // The wineserver is a program of its own, whatever its arguments
    // (Debian's Wine starts it as `wineserver64 -p0`).
    let is_loader = |name: &str| {
        name.starts_with("wine")
            && !name.starts_with("wineserver")
            && !name.to_ascii_lowercase().ends_with(".exe")
    };
    // While a Wine loader (wine, wine64, wine64-preloader …) starts a
    // program, the program is the first argument that is not a loader.
    cmdline
        .iter()
        .map(name)
        .find(|n| !is_loader(n))
        .or_else(|| cmdline.first().map(name))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn exe_names() {
        assert_eq!(
            exe_name(&line(&["Z:\\games\\AC\\acs.exe", "-x"])),
            "acs.exe"
        );
        assert_eq!(
            exe_name(&line(&[
                "C:\\windows\\system32\\steam.exe",
                "Z:\\g\\acs.exe"
            ])),
            "steam.exe"
        );
        assert_eq!(
            exe_name(&line(&["/usr/bin/wine", "/g/Le Mans Ultimate.exe"])),
            "Le Mans Ultimate.exe"
        );
        assert_eq!(
            exe_name(&line(&["/opt/proton/files/bin/wine64-preloader", "x.exe"])),
            "x.exe"
        );
        assert_eq!(
            exe_name(&line(&[
                "/usr/lib/wine/wine64-preloader",
                "/usr/lib/wine/wine64",
                "/g/acs.exe"
            ])),
            "acs.exe"
        );
        assert_eq!(exe_name(&line(&["/usr/bin/python3", "proton"])), "python3");
        assert_eq!(
            exe_name(&line(&["/usr/lib/wine/wineserver64", "-p0"])),
            "wineserver64"
        );
        assert_eq!(exe_name(&[]), "");
    }

    #[test]
    fn reads_this_process() {
        let me = ProcessInfo::read(std::process::id() as i32).unwrap();
        assert!(me.is_alive());
        assert!(!me.cmdline.is_empty());
        assert!(!is_alive(me.pid, me.start_time + 1));
    }

    #[test]
    fn steam_environment() {
        let mut info = ProcessInfo::read(std::process::id() as i32).unwrap();
        info.environ.clear();
        for (k, v) in [
            ("SteamAppId", "0"),
            ("STEAM_COMPAT_APP_ID", "244210"),
            ("STEAM_COMPAT_DATA_PATH", "/lib/compatdata/244210"),
            (
                "STEAM_COMPAT_TOOL_PATHS",
                "/s/common/Proton 9.0:/s/common/SteamLinuxRuntime_sniper",
            ),
            ("WINEFSYNC", "1"),
        ] {
            info.environ.insert(k.into(), v.into());
        }
        assert_eq!(info.appid(), Some(244_210));
        assert_eq!(
            info.prefix(),
            Some(PathBuf::from("/lib/compatdata/244210/pfx"))
        );
        assert_eq!(
            info.proton_dir(),
            Some(PathBuf::from("/s/common/Proton 9.0"))
        );
        assert_eq!(
            info.sync_vars(),
            vec![(OsString::from("WINEFSYNC"), OsString::from("1"))]
        );
    }
}
