//! A child process's output and end, as the tests and benchmarks wait for
//! them.

use std::io::{BufRead, BufReader};
use std::process::{Child, ExitStatus};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use crate::procs::LONG;
use crate::wait_for;

/// Lines of a child's stdout, read on a thread.
pub fn lines_of(child: &mut Child) -> Receiver<String> {
    let stdout = child.stdout.take().expect("stdout is piped");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// Output lines collected while waiting for particular ones.
#[derive(Debug)]
pub struct Output {
    lines: Receiver<String>,
    /// Every line so far.
    pub seen: Vec<String>,
}

impl Output {
    /// Collects `child`'s stdout.
    pub fn of(child: &mut Child) -> Output {
        Output {
            lines: lines_of(child),
            seen: Vec::new(),
        }
    }

    /// Waits for a line containing `text`; panics with the output so far
    /// when none comes within [`LONG`].
    pub fn wait_for(&mut self, text: &str) -> String {
        self.wait_within(text, LONG)
            .unwrap_or_else(|| panic!("no line with {text:?} in:\n{}", self.seen.join("\n")))
    }

    /// Waits up to `timeout` for a line containing `text`.
    pub fn wait_within(&mut self, text: &str, timeout: Duration) -> Option<String> {
        wait_line_in(&self.lines, &mut self.seen, timeout, |l| l.contains(text))
    }

    /// Everything so far (after collecting what is waiting) as one text.
    pub fn text(&mut self) -> String {
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
            self.seen.push(line);
        }
        self.seen.join("\n")
    }

    /// How many lines so far contain `text`.
    pub fn count(&mut self, text: &str) -> usize {
        self.text();
        self.seen.iter().filter(|l| l.contains(text)).count()
    }
}

/// The first line that `matches`: among `seen`, else the next ones from
/// `lines` (each kept in `seen`) within `timeout`.
pub fn wait_line_in(
    lines: &Receiver<String>,
    seen: &mut Vec<String>,
    timeout: Duration,
    matches: impl Fn(&str) -> bool,
) -> Option<String> {
    if let Some(line) = seen.iter().find(|l| matches(l)) {
        return Some(line.clone());
    }
    let deadline = Instant::now() + timeout;
    while let Ok(line) = lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        seen.push(line.clone());
        if matches(&line) {
            return Some(line);
        }
    }
    None
}

/// Waits for a child to exit.
pub fn wait_child(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    wait_for(timeout, || child.try_wait().ok().flatten())
}

/// Waits up to `timeout` for `child` to exit; kills it if it does not
/// (saying so on stderr).
pub fn reap(child: &mut Child, timeout: Duration) {
    if wait_child(child, timeout).is_some() {
        return;
    }
    eprintln!("process {} did not exit in time; killing it", child.id());
    let _ = child.kill();
    let _ = child.wait();
}

/// Drains a child's stdout on a thread; returns when a line containing
/// `marker` was seen, or panics after [`LONG`].
pub fn wait_stdout_line(child: &mut Child, marker: &str) {
    let mut output = Output::of(child);
    output.wait_for(marker);
    // Keep draining, so the child never blocks on a full pipe.
    std::thread::spawn(move || while output.lines.recv().is_ok() {});
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    fn sh(script: &str) -> Child {
        Command::new("sh")
            .args(["-c", script])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap()
    }

    #[test]
    fn output_waits_for_a_line_and_counts_lines() {
        let mut child = sh("echo one; echo two; echo two");
        let mut out = Output::of(&mut child);
        assert_eq!(out.wait_for("tw"), "two");
        assert_eq!(out.count("two"), 2);
        assert_eq!(out.wait_within("three", Duration::from_millis(50)), None);
        assert!(wait_child(&mut child, LONG).is_some_and(|s| s.success()));
    }

    #[test]
    fn reap_kills_a_child_that_outlives_its_time() {
        let mut child = sh("exec sleep 30");
        reap(&mut child, Duration::from_millis(100));
        assert!(child.try_wait().unwrap().is_some(), "killed and reaped");
    }

    #[test]
    fn wait_stdout_line_returns_at_the_marker() {
        let mut child = sh("echo starting; echo ready; sleep 0.2; echo more");
        wait_stdout_line(&mut child, "ready");
        assert!(wait_child(&mut child, LONG).is_some());
    }
}
