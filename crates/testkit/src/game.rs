//! The test game as a running Wine process: as a game, or as a telemetry
//! tool in another prefix.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use crate::output::wait_line_in;
use crate::wine::Wine;

/// A running `bridgekeeper-testgame.exe game ...` (or `tool ...`).
#[derive(Debug)]
pub struct TestGame {
    child: Child,
    lines: Receiver<String>,
    /// Every `testgame:` line seen so far, without the prefix.
    pub seen: Vec<String>,
}

impl TestGame {
    /// Starts the game in the shared prefix with `args` (after `game`).
    pub fn start<S: AsRef<OsStr>>(wine: &Wine, args: &[S]) -> TestGame {
        let mut command = wine.command(wine.game_exe());
        command.arg("game").args(args);
        Self::spawn(command)
    }

    /// Starts the test game as a telemetry tool in `prefix`, with `args`
    /// after `tool` (see tests/testgame).
    pub fn tool<S: AsRef<OsStr>>(wine: &Wine, prefix: &Path, args: &[S]) -> TestGame {
        let mut command = wine.command_in(prefix, wine.game_exe());
        command.arg("tool").args(args);
        Self::spawn(command)
    }

    fn spawn(mut command: Command) -> TestGame {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting the test game");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(text) = line.strip_prefix("testgame: ")
                    && sender.send(text.to_string()).is_err()
                {
                    break;
                }
            }
        });
        TestGame {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a line that `matches`; returns it.
    pub fn wait_line(
        &mut self,
        timeout: Duration,
        matches: impl Fn(&str) -> bool,
    ) -> Option<String> {
        wait_line_in(&self.lines, &mut self.seen, timeout, matches)
    }

    /// Waits for the game to exit.
    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(50)) {
                    self.seen.push(line);
                }
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for TestGame {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
