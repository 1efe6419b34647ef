//! A bridge process started from Linux, and its status lines.
//!
//! Failure modes this handles: the bridge (or Wine, or a launched game)
//! prints bytes that are not UTF-8, which must neither end the reading nor
//! make a waiter spin; inside a Flatpak sandbox the child is only
//! `flatpak-spawn`, so killing it would orphan the real bridge on the host,
//! which is therefore found by its nonce and killed there too; and a
//! bridge left to run on its own is still reaped when it ends, so a
//! long-running app collects no zombies.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ExitStatus};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use bridgekeeper_host::process_info::ProcessInfo;
use bridgekeeper_host::{HostCommand, pid_namespace, processes};
use bridgekeeper_protocol::{Event, MappingMode, StatusLine};

use super::BridgeCommand;

/// A process named so that it can be found again from any pid namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessIdentity {
    /// Its pid in `pid_namespace`.
    pub pid: u32,
    /// Its start time (clock ticks since boot), against pid reuse.
    pub start_time: u64,
    /// The pid namespace `pid` belongs to (see
    /// `bridgekeeper_host::pid_namespace`).
    pub pid_namespace: Option<u64>,
}

/// A mapping the bridge reported ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadyMapping {
    /// Win32 name.
    pub name: String,
    /// Backing file.
    pub file: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Shared or copy.
    pub mode: MappingMode,
    /// Why copy mode, when it is.
    pub note: Option<String>,
}

/// A mapping the bridge could not create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedMapping {
    /// Win32 name.
    pub name: String,
    /// Windows error code.
    pub error: u32,
    /// The bridge's sentence.
    pub message: String,
}

/// What the bridge reported once its setup finished.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Readiness {
    /// Mappings in place.
    pub ready: Vec<ReadyMapping>,
    /// Mappings that failed.
    pub failed: Vec<FailedMapping>,
}

/// Why a bridge did not get ready.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot run {wine}: {source}; check that this Wine or Proton build is installed")]
    Spawn {
        wine: PathBuf,
        source: std::io::Error,
    },
    #[error("the bridge exited ({status}) before it was ready{}", hint(.output))]
    Exited {
        status: ExitStatus,
        output: Vec<String>,
    },
    #[error("the bridge was not ready after {0:?}")]
    Timeout(Duration),
}

fn hint(output: &[String]) -> String {
    if output.is_empty() {
        String::new()
    } else {
        format!("; it said: {}", output.join(" | "))
    }
}

/// A running bridge.
#[derive(Debug)]
pub struct RunningBridge {
    /// `None` once handed to a reaper thread by [`RunningBridge::detach`].
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    lines: Receiver<Line>,
    events: Vec<Event>,
    output: Vec<String>,
    nonce: String,
}

#[derive(Debug)]
enum Line {
    Status(StatusLine),
    Other(String),
}

impl RunningBridge {
    /// Starts the bridge. Status lines carrying another run's nonce are
    /// ignored.
    pub fn start(command: &BridgeCommand) -> Result<RunningBridge, StartError> {
        let mut child = command
            .command()
            .spawn()
            .map_err(|source| StartError::Spawn {
                wine: command.wine.clone(),
                source,
            })?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let stdin = child.stdin.take();
        let (sender, lines) = mpsc::channel();
        let nonce = command.nonce.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut bytes = Vec::new();
            loop {
                bytes.clear();
                match reader.read_until(b'\n', &mut bytes) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                // Wine and games print in any encoding: keep the line,
                // lossily, and read on.
                let text = String::from_utf8_lossy(&bytes);
                let line = text.trim_end_matches(['\n', '\r']);
                let parsed = match StatusLine::from_json(line) {
                    Some(status) if status.nonce == nonce => Line::Status(status),
                    Some(_) => continue,
                    None => Line::Other(line.to_string()),
                };
                if sender.send(parsed).is_err() {
                    break;
                }
            }
        });
        Ok(RunningBridge {
            child: Some(child),
            stdin,
            lines,
            events: Vec::new(),
            output: Vec::new(),
            nonce: command.nonce.clone(),
        })
    }

    /// The child's exit status, once it has ended.
    fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.as_mut()?.try_wait().ok().flatten()
    }

    /// The Unix process id of the bridge's child here: the bridge itself,
    /// or `flatpak-spawn` inside a sandbox.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// The child as this process sees it, with this process's pid
    /// namespace.
    pub fn local_identity(&self) -> ProcessIdentity {
        let pid = self.pid();
        ProcessIdentity {
            pid,
            start_time: bridgekeeper_host::process_info::start_time(pid as i32).unwrap_or(0),
            pid_namespace: pid_namespace::own(),
        }
    }

    /// The bridge's Wine process as the host sees it: the child itself
    /// outside a sandbox; inside one, the host process carrying this run's
    /// nonce, looked for up to `timeout` (it appears once `flatpak-spawn`
    /// had the host start it). `None` if it did not show up.
    pub fn host_identity(&self, timeout: Duration) -> Option<ProcessIdentity> {
        if !processes::through_host() {
            return Some(self.local_identity());
        }
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(process) = self.host_processes().into_iter().min_by_key(|p| p.pid) {
                return Some(ProcessIdentity {
                    pid: process.pid as u32,
                    start_time: process.start_time,
                    pid_namespace: pid_namespace::host(),
                });
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Host processes of this bridge: those whose command line carries
    /// `--nonce <nonce>`, except `flatpak-spawn` itself (whose command line
    /// carries it too, with `--host`).
    fn host_processes(&self) -> Vec<ProcessInfo> {
        processes::carrying(&[OsStr::new("--nonce"), OsStr::new(&self.nonce)])
            .into_iter()
            .filter(|p| !p.cmdline.iter().any(|arg| arg == "--host"))
            .collect()
    }

    /// Kills the bridge and waits for the child. Inside a sandbox the
    /// bridge's host process is killed on the host first: killing
    /// `flatpak-spawn` alone would orphan it.
    pub fn kill(&mut self) {
        if processes::through_host() {
            for process in self.host_processes() {
                let kill = HostCommand::new("kill").args(["-KILL", &process.pid.to_string()]);
                let _ = kill
                    .command()
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status();
            }
        }
        if let Some(child) = self.child.as_mut()
            && let Ok(None) = child.try_wait()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Every status event received so far.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Lines on the bridge's stdout that were not status lines (the game's
    /// output, in launcher mode).
    pub fn other_output(&self) -> &[String] {
        &self.output
    }

    /// Waits up to `timeout` for the next status event.
    pub fn next_event(&mut self, timeout: Duration) -> Option<Event> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(Line::Status(status)) => {
                    self.events.push(status.event.clone());
                    return Some(status.event);
                }
                Ok(Line::Other(text)) => self.output.push(text),
                Err(RecvTimeoutError::Timeout) => return None,
                Err(RecvTimeoutError::Disconnected) => {
                    // The output is closed (the bridge ended or closed it):
                    // nothing more comes, but the caller asked to wait.
                    std::thread::sleep(left);
                    return None;
                }
            }
        }
    }

    /// Waits until the bridge has set up every mapping.
    pub fn wait_ready(&mut self, timeout: Duration) -> Result<Readiness, StartError> {
        let deadline = Instant::now() + timeout;
        let mut readiness = Readiness::default();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_event(left) {
                Some(Event::Ready {
                    name,
                    file,
                    size,
                    mode,
                    note,
                }) => {
                    readiness.ready.push(ReadyMapping {
                        name,
                        file: file.into(),
                        size,
                        mode,
                        note,
                    });
                }
                Some(Event::Failed {
                    name,
                    error,
                    message,
                }) => {
                    readiness.failed.push(FailedMapping {
                        name,
                        error,
                        message,
                    });
                }
                Some(Event::AllReady { .. } | Event::SetupIncomplete { .. }) => {
                    return Ok(readiness);
                }
                Some(_) => {}
                None => {
                    if let Some(status) = self.try_wait() {
                        self.drain_output();
                        return Err(StartError::Exited {
                            status,
                            output: self.output.clone(),
                        });
                    }
                    if Instant::now() >= deadline {
                        return Err(StartError::Timeout(timeout));
                    }
                }
            }
        }
    }

    fn drain_output(&mut self) {
        loop {
            match self.lines.recv_timeout(Duration::from_millis(50)) {
                Ok(Line::Status(status)) => self.events.push(status.event),
                Ok(Line::Other(text)) => self.output.push(text),
                Err(_) => return,
            }
        }
    }

    /// Waits up to `timeout` for the bridge to exit, reading its remaining
    /// status lines.
    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_wait() {
                self.drain_output();
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            self.next_event(Duration::from_millis(20));
        }
    }

    /// Closes the bridge's standard input, which stops a bridge started with
    /// [`super::StopWhen::StdinCloses`].
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Asks the bridge to stop (closes stdin) and waits up to `timeout`;
    /// kills it if it is still running then (see [`RunningBridge::kill`]).
    pub fn stop(&mut self, timeout: Duration) -> Option<ExitStatus> {
        self.close_stdin();
        let status = self.wait(timeout);
        if status.is_none() {
            self.kill();
        }
        status
    }
}

impl RunningBridge {
    /// Lets the bridge run on after this handle is dropped (its stop
    /// conditions must not depend on this process: see
    /// [`super::StopWhen::FileAppears`]). A thread waits for the child, so
    /// it is reaped when it ends instead of staying a zombie.
    pub fn detach(mut self) {
        if let Some(mut child) = self.child.take() {
            std::thread::spawn(move || {
                let _ = child.wait();
            });
        }
    }
}

impl Drop for RunningBridge {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.kill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// CPU time this thread has used.
    fn thread_cpu() -> Duration {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `now` is a valid timespec to fill.
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
        Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
    }

    /// Issue #16: a line that is not UTF-8 (Wine or a game may print one)
    /// ended the reader, and `wait` then spun on the closed channel at
    /// full speed; the status lines after it were lost.
    #[test]
    fn output_that_is_not_utf8_neither_spins_nor_hides_later_lines() {
        let dir = tempfile::tempdir().unwrap();
        let wine = dir.path().join("wine");
        std::fs::write(
            &wine,
            "#!/bin/sh\nprintf 'caf\\351 \\377\\n'\n\
             printf '{\"nonce\":\"n1\",\"event\":\"all-ready\",\"shared\":0,\"copy\":0}\\n'\n\
             exec sleep 3\n",
        )
        .unwrap();
        std::fs::set_permissions(&wine, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut command = BridgeCommand::new(&wine, "bridge.exe", dir.path());
        command.nonce = "n1".into();
        let mut bridge = RunningBridge::start(&command).unwrap();
        let before = thread_cpu();
        let exited = bridge.wait(Duration::from_secs(2));
        let used = thread_cpu() - before;
        assert!(exited.is_none(), "the fake bridge runs 3 s");
        assert!(
            used < Duration::from_millis(300),
            "waiting 2 s used {used:?} of CPU"
        );
        assert!(
            bridge
                .events()
                .iter()
                .any(|e| matches!(e, Event::AllReady { .. })),
            "the status line after the bad one is read: {:?}",
            bridge.events()
        );
        assert!(
            bridge.other_output().iter().any(|l| l.starts_with("caf")),
            "the bad line is kept, lossily: {:?}",
            bridge.other_output()
        );
    }
}
