//! Noticing new processes by scanning `/proc`, reading each new process
//! once, and the command line of young processes again until they settle
//! (a process's command line and environment change when it execs, which
//! Wine and Proton do right after fork).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use bridgekeeper_host::process_info::ProcessInfo;
use bridgekeeper_host::processes;

/// How often `/proc` is scanned while nothing is starting: often enough to
/// notice a game's launch (Steam's reaper, Proton's script) well before its
/// wineserver starts, rarely enough to cost nothing measurable.
pub const SCAN_INTERVAL: Duration = Duration::from_millis(200);

/// How often `/proc` is scanned while a supported game's launch is starting.
pub const FAST_SCAN_INTERVAL: Duration = Duration::from_millis(20);

/// How long a new process's command line is re-read for. By time, not by
/// scans: a Windows program started by another goes through a fork and two
/// execs before Wine gives it its own command line, which takes longer than
/// ten fast scans on a busy machine, and a game seen only as its parent's
/// fork would never be noticed.
const SETTLE_TIME: Duration = Duration::from_secs(2);

/// Finds processes that appeared since the last scan.
#[derive(Debug, Default)]
pub struct ProcessScanner {
    seen: HashSet<i32>,
    /// New processes whose command line may still change, with when they
    /// were first seen.
    settling: HashMap<i32, (ProcessInfo, Instant)>,
}

impl ProcessScanner {
    /// A watch that reports every running process on its first scan.
    pub fn new() -> Self {
        Self::default()
    }

    /// Processes that are new since the last scan, plus settling ones whose
    /// exe name changed. Processes are read through [`bridgekeeper_host::processes`],
    /// so this works from inside a sandbox too: there one host call lists
    /// the pids and one more reads the new and settling processes.
    pub fn scan(&mut self) -> Vec<ProcessInfo> {
        let current = processes::pids();
        self.seen.retain(|pid| current.contains(pid));
        self.settling.retain(|pid, _| current.contains(pid));
        let new: Vec<i32> = current
            .iter()
            .copied()
            .filter(|&pid| self.seen.insert(pid))
            .collect();
        // A settling process is read again only when its command line
        // changed (it exec'd): its environment is read once per exec, not
        // once per scan. Through a sandbox each read is a host call anyway.
        let local = !processes::through_host();
        let changed = self
            .settling
            .iter()
            .filter(|(pid, (info, _))| !local || cmdline_changed(**pid, &info.cmdline))
            .map(|(pid, _)| *pid);
        let wanted: Vec<i32> = new.iter().copied().chain(changed).collect();
        let mut read = processes::read(&wanted);
        let mut found = Vec::new();
        for (pid, (info, _)) in &mut self.settling {
            if let Some(fresh) = read.remove(pid)
                && fresh.cmdline != info.cmdline
            {
                let renamed = fresh.exe_name != info.exe_name;
                *info = fresh;
                if renamed {
                    found.push(info.clone());
                }
            }
        }
        self.settling
            .retain(|_, (_, seen)| seen.elapsed() < SETTLE_TIME);
        let now = Instant::now();
        for pid in new {
            if let Some(info) = read.remove(&pid) {
                self.settling.insert(pid, (info.clone(), now));
                found.push(info);
            }
        }
        found
    }

    /// How many processes are known (and how many are settling).
    pub fn known(&self) -> usize {
        self.seen.len()
    }
}

/// True when `/proc/<pid>/cmdline` differs from `known` (or is gone).
fn cmdline_changed(pid: i32, known: &[std::ffi::OsString]) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(bytes) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return true;
    };
    let now = bytes.split(|&b| b == 0).filter(|a| !a.is_empty());
    !now.eq(known.iter().map(|a| a.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_new_processes_once() {
        let mut watch = ProcessScanner::new();
        let first = watch.scan();
        assert!(first.iter().any(|p| p.pid == std::process::id() as i32));
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        let found = (0..50).find_map(|_| {
            let hit = watch
                .scan()
                .into_iter()
                .find(|p| p.pid == pid && p.exe_name == "sleep");
            if hit.is_none() {
                std::thread::sleep(Duration::from_millis(20));
            }
            hit
        });
        assert!(found.is_some(), "the new process is reported");
        assert!(watch.scan().iter().all(|p| p.pid != pid), "and only once");
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
