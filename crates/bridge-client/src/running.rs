//! A bridge process started from Linux, and its status lines.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ExitStatus};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use bridgekeeper_protocol::{Event, MappingMode, StatusLine};

use super::BridgeCommand;

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
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Line>,
    events: Vec<Event>,
    output: Vec<String>,
    detached: bool,
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
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let parsed = match StatusLine::from_json(&line) {
                    Some(status) if status.nonce == nonce => Line::Status(status),
                    Some(_) => continue,
                    None => Line::Other(line),
                };
                if sender.send(parsed).is_err() {
                    break;
                }
            }
        });
        Ok(RunningBridge {
            child,
            stdin,
            lines,
            events: Vec::new(),
            output: Vec::new(),
            detached: false,
        })
    }

    /// The Unix process id of the bridge.
    pub fn pid(&self) -> u32 {
        self.child.id()
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
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
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
                    if let Ok(Some(status)) = self.child.try_wait() {
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
        while self.next_event(Duration::from_millis(50)).is_some() {}
    }

    /// Waits up to `timeout` for the bridge to exit, reading its remaining
    /// status lines.
    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
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
    /// kills it if it is still running then.
    pub fn stop(&mut self, timeout: Duration) -> Option<ExitStatus> {
        self.close_stdin();
        let status = self.wait(timeout);
        if status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        status
    }
}

impl RunningBridge {
    /// Lets the bridge run on after this handle is dropped (its stop
    /// conditions must not depend on this process: see
    /// [`super::StopWhen::FileAppears`]).
    pub fn detach(mut self) {
        self.detached = true;
    }
}

impl Drop for RunningBridge {
    fn drop(&mut self) {
        if self.detached {
            return;
        }
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
