//! Processes as `/proc` shows them: alive or not, their environment, the
//! Wine programs of one test, their start times, parents and CPU time.
//!
//! Failure mode: a test that finds "the game" or "the bridge" by name alone
//! finds another test's, since several run on the machine at once. So
//! programs are matched by the Unix path Wine shows as their argument 0,
//! which lies under the test's own scratch directory.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::wait_for;

/// Generous wait for anything Wine does on a loaded machine.
pub const LONG: Duration = Duration::from_secs(40);

/// Fields of `/proc/<pid>/stat` after the command name, or `None` when the
/// process is gone.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    Some(after_name.split_whitespace().map(str::to_string).collect())
}

/// True while `pid` runs and is not a zombie.
pub fn pid_alive(pid: u32) -> bool {
    stat_fields(pid).is_some_and(|f| f.first().is_some_and(|state| state != "Z"))
}

/// The parent of `pid`, while it runs.
pub fn parent_pid(pid: u32) -> Option<u32> {
    stat_fields(pid)?.get(1)?.parse().ok()
}

/// When `pid` started, in clock ticks since boot (10 ms each), while it
/// runs: enough to order processes started a tick or more apart.
pub fn start_ticks(pid: u32) -> Option<u64> {
    stat_fields(pid)?.get(19)?.parse().ok()
}

/// The environment of `pid` as `NAME=value` strings (empty when it is gone).
pub fn environ(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/environ"))
        .map(|bytes| {
            bytes
                .split(|&b| b == 0)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The arguments of `pid` (empty when it is gone).
pub fn cmdline(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|bytes| {
            bytes
                .split(|&b| b == 0)
                .filter(|arg| !arg.is_empty())
                .map(|arg| String::from_utf8_lossy(arg).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn all_pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Live processes whose arguments satisfy `matches`.
pub fn pids_where(matches: impl Fn(&[String]) -> bool) -> Vec<u32> {
    all_pids()
        .into_iter()
        .filter(|&pid| {
            let args = cmdline(pid);
            !args.is_empty() && matches(&args)
        })
        .filter(|&pid| pid_alive(pid))
        .collect()
}

/// Live processes whose executable's file name is `name` (as
/// `/proc/<pid>/exe` resolves it; `wineserver64` for Debian's wineserver).
pub fn pids_of_program(name: &str) -> Vec<u32> {
    all_pids()
        .into_iter()
        .filter(|&pid| {
            std::fs::read_link(format!("/proc/{pid}/exe"))
                .is_ok_and(|exe| exe.file_name().is_some_and(|n| n == name))
        })
        .filter(|&pid| pid_alive(pid))
        .collect()
}

/// Linux pids of live processes running the exe named `exe` from under
/// `dir` (Wine shows a Windows program's Unix path as its first argument),
/// so that programs of other tests on the machine do not count.
pub fn pids_of(dir: &Path, exe: &str) -> Vec<u32> {
    let dir = dir.to_string_lossy().to_lowercase();
    let exe = exe.to_lowercase();
    pids_where(|args| {
        let first = args[0].to_lowercase();
        first.starts_with(&dir) && first.ends_with(&exe)
    })
}

/// Waits (up to [`LONG`]) for exactly one live process running `exe` from
/// under `dir`, and returns it; panics, listing what runs there, otherwise.
pub fn one_pid_of(dir: &Path, exe: &str) -> u32 {
    let pids =
        wait_for(LONG, || Some(pids_of(dir, exe)).filter(|p| !p.is_empty())).unwrap_or_else(|| {
            panic!(
                "no {exe} runs from under {} in {LONG:?}; processes there: {:#?}",
                dir.display(),
                processes_under(dir)
            )
        });
    assert_eq!(pids.len(), 1, "one {exe}: {pids:?}");
    pids[0]
}

/// Every process whose command line mentions `dir`, as `pid: cmdline`
/// (for failure messages).
pub fn processes_under(dir: &Path) -> Vec<String> {
    let dir = dir.to_string_lossy().into_owned();
    all_pids()
        .into_iter()
        .filter_map(|pid| {
            let line = cmdline(pid).join(" ");
            line.contains(&dir).then(|| format!("{pid}: {line}"))
        })
        .collect()
}

/// Sends `signal` (a name such as `KILL`) to `pid`.
pub fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("running kill");
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// Waits for `pid` to be gone; returns when it went, or panics after
/// [`LONG`].
pub fn gone(pid: u32) -> Instant {
    wait_for(LONG, || (!pid_alive(pid)).then(Instant::now))
        .unwrap_or_else(|| panic!("process {pid} is still running after {LONG:?}"))
}

/// utime + stime of `pid`, in clock ticks, or `None` once it is gone.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let fields = stat_fields(pid)?;
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// CPU use between two [`cpu_ticks`] readings `elapsed` apart, in percent
/// of one core. Linux reports these times in USER_HZ, which is 100 on every
/// architecture Wine runs on.
pub fn cpu_percent_between(before: u64, after: u64, elapsed: Duration) -> f64 {
    const USER_HZ: f64 = 100.0;
    after.saturating_sub(before) as f64 / USER_HZ / elapsed.as_secs_f64() * 100.0
}

/// Percent of one core used by `pid` over the next `window`.
pub fn cpu_percent(pid: u32, window: Duration) -> f64 {
    let started = Instant::now();
    let before = cpu_ticks(pid).unwrap_or(0);
    std::thread::sleep(window);
    let after = cpu_ticks(pid).unwrap_or(before);
    cpu_percent_between(before, after, started.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ended_process_is_not_alive_and_has_no_start_time() {
        let mut ended = std::process::Command::new("true").spawn().unwrap();
        let pid = ended.id();
        ended.wait().unwrap();
        assert!(!pid_alive(pid));
        assert_eq!(start_ticks(pid), None);
        assert!(cmdline(pid).is_empty());
    }

    #[test]
    fn this_process_is_alive_with_a_parent_and_a_start_time() {
        let me = std::process::id();
        assert!(pid_alive(me));
        assert_eq!(parent_pid(me), Some(std::os::unix::process::parent_id()));
        assert!(start_ticks(me).is_some_and(|t| t > 0));
        assert!(cpu_ticks(me).is_some());
    }

    #[test]
    fn pids_of_matches_argument_zero_under_a_directory_ignoring_case() {
        let dir = crate::scratch::ScratchDir::new("procs");
        let program = dir.path().join("Sleeper.EXE");
        std::os::unix::fs::symlink("/bin/sleep", &program).unwrap();
        let mut child = std::process::Command::new(&program)
            .arg("30")
            .spawn()
            .unwrap();
        let found = wait_for(LONG, || {
            Some(pids_of(dir.path(), "sleeper.exe")).filter(|p| !p.is_empty())
        });
        let elsewhere = pids_of(Path::new("/nonexistent"), "sleeper.exe");
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(found, Some(vec![child.id()]));
        assert!(elsewhere.is_empty());
    }

    #[test]
    fn cpu_percent_is_ticks_over_wall_time() {
        let percent = cpu_percent_between(100, 150, Duration::from_secs(1));
        assert!((percent - 50.0).abs() < 1e-9, "{percent}");
    }
}
