//! A bridge started with any arguments, in any prefix, under any exe name:
//! for the modes and flags that the app's `BridgeCommand` does not build
//! (serve mode, `--existing-files`, `--game-running`, a renamed stand-in).
//!
//! Its status lines are read as the app reads them: only lines carrying
//! this run's nonce count.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use bridgekeeper_bridge_client::new_nonce;
use bridgekeeper_protocol::{Event, MappingMode, StatusLine};

use crate::wine::Wine;

/// A `ready` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ready {
    /// Win32 name.
    pub name: String,
    /// Backing file.
    pub file: PathBuf,
    /// Section size.
    pub size: u64,
    /// Shared or copy.
    pub mode: MappingMode,
    /// Why copy mode.
    pub note: Option<String>,
}

/// A `failed` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    /// Win32 name.
    pub name: String,
    /// Windows error code (0: the bridge's own check).
    pub error: u32,
    /// The bridge's sentence.
    pub message: String,
}

/// What the bridge reported by the end of its setup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Setup {
    /// Mappings in place.
    pub ready: Vec<Ready>,
    /// Mappings that failed.
    pub failed: Vec<Failed>,
}

/// A running bridge and the status events it wrote.
#[derive(Debug)]
pub struct RawBridge {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Event>,
    /// Every event received so far.
    pub events: Vec<Event>,
    /// When the process was spawned.
    pub spawned: Instant,
}

impl RawBridge {
    /// Runs `exe` (a bridge, perhaps renamed) in `prefix` with `args` and a
    /// fresh `--nonce`; stdin and stdout are piped.
    pub fn start<S: AsRef<OsStr>>(wine: &Wine, prefix: &Path, exe: &Path, args: &[S]) -> RawBridge {
        let nonce = new_nonce();
        let spawned = Instant::now();
        let mut child = wine
            .command_in(prefix, exe)
            .args(args)
            .args(["--nonce", &nonce])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting the bridge");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(status) = StatusLine::from_json(&line)
                    && status.nonce == nonce
                    && sender.send(status.event).is_err()
                {
                    break;
                }
            }
        });
        RawBridge {
            stdin: child.stdin.take(),
            child,
            lines,
            events: Vec::new(),
            spawned,
        }
    }

    /// Waits up to `timeout` for an event that `matches`; returns it.
    pub fn wait_event(
        &mut self,
        timeout: Duration,
        matches: impl Fn(&Event) -> bool,
    ) -> Option<Event> {
        if let Some(event) = self.events.iter().find(|e| matches(e)) {
            return Some(event.clone());
        }
        let deadline = Instant::now() + timeout;
        while let Ok(event) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.events.push(event.clone());
            if matches(&event) {
                return Some(event);
            }
        }
        None
    }

    /// Waits for the end of setup and returns what was ready and what failed.
    pub fn wait_ready(&mut self, timeout: Duration) -> Setup {
        let done = |e: &Event| matches!(e, Event::AllReady { .. } | Event::SetupIncomplete { .. });
        assert!(
            self.wait_event(timeout, done).is_some(),
            "the bridge did not finish its setup in {timeout:?}: {:?}",
            self.events
        );
        let mut setup = Setup::default();
        for event in &self.events {
            match event.clone() {
                Event::Ready {
                    name,
                    file,
                    size,
                    mode,
                    note,
                } => setup.ready.push(Ready {
                    name,
                    file: file.into(),
                    size,
                    mode,
                    note,
                }),
                Event::Failed {
                    name,
                    error,
                    message,
                } => setup.failed.push(Failed {
                    name,
                    error,
                    message,
                }),
                _ => {}
            }
        }
        setup
    }

    /// The `mode` of the `started` line, once it came.
    pub fn started_mode(&mut self, timeout: Duration) -> Option<String> {
        match self.wait_event(timeout, |e| matches!(e, Event::Started { .. }))? {
            Event::Started { mode, .. } => Some(mode),
            _ => None,
        }
    }

    /// The Windows pid of the `started` line, once it came.
    pub fn windows_pid(&mut self, timeout: Duration) -> Option<u32> {
        match self.wait_event(timeout, |e| matches!(e, Event::Started { .. }))? {
            Event::Started { pid, .. } => Some(pid),
            _ => None,
        }
    }

    /// Waits up to `timeout` for the bridge to exit, reading its last lines.
    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                while let Ok(event) = self.lines.recv_timeout(Duration::from_millis(200)) {
                    self.events.push(event);
                }
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            if let Ok(event) = self.lines.recv_timeout(Duration::from_millis(10)) {
                self.events.push(event);
            }
        }
    }

    /// Closes stdin (a stop request with `--stop-on-stdin-close`) and waits.
    pub fn stop(&mut self, timeout: Duration) -> Option<ExitStatus> {
        self.stdin = None;
        self.wait(timeout)
    }
}

impl Drop for RawBridge {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
