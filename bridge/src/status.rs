//! Writing status lines without ever failing.
//!
//! The reader of standard output may go away at any time (and `println!` on
//! a closed pipe panics under Wine), so every write is allowed to fail
//! silently.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::Mutex;

use bridgekeeper_protocol::{Event, StatusLine};

use crate::paths;

/// Sends status lines to standard output and, optionally, to a file.
#[derive(Debug)]
pub struct Status {
    nonce: String,
    file: Mutex<Option<File>>,
}

impl Status {
    /// A writer for this run's nonce; `file` is a Linux path.
    pub fn new(nonce: &str, file: Option<&str>) -> Self {
        let file = file.and_then(|path| {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(paths::to_wine(path))
                .map_err(|err| {
                    eprintln!("bridgekeeper-bridge: cannot write status to {path}: {err}")
                })
                .ok()
        });
        Status {
            nonce: nonce.to_string(),
            file: Mutex::new(file),
        }
    }

    /// Writes one event.
    pub fn emit(&self, event: Event) {
        let mut line = StatusLine {
            nonce: self.nonce.clone(),
            event,
        }
        .to_json();
        line.push('\n');
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(line.as_bytes());
        let _ = stdout.flush();
        if let Ok(mut file) = self.file.lock()
            && let Some(file) = file.as_mut()
        {
            let _ = file.write_all(line.as_bytes());
        }
    }
}
