//! What the reader did, one JSON object per line on stdout, flushed at once.
//!
//! A test that kills or signals the reader must still find every step that
//! happened before: each line is written and flushed before the step it
//! announces could crash the process (`touching` comes before the touch).

use std::io::Write;

use serde::Serialize;

/// One step of the reader's life.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event<'a> {
    /// The reader started with this mode and directory.
    Started {
        mode: &'a str,
        dir: String,
        pid: u32,
    },
    /// The pid file exists: like simd, the reader refuses to start.
    AlreadyRunning { pid_file: String },
    /// A compat file (memmap mode) was opened and truncated to `size`.
    Compat {
        file: String,
        created: bool,
        size_before: u64,
        size: u64,
    },
    /// A read file was opened and `map_len` bytes of it mapped read-only.
    Opened {
        file: String,
        created: bool,
        file_size: u64,
        map_len: u64,
    },
    /// Every page of `map_len` bytes is about to be read; SIGBUS follows if
    /// one lies past the end of the file.
    Touching {
        file: String,
        file_size: u64,
        map_len: u64,
    },
    /// The bytes at the start of a read file changed (or were read first).
    Sample(Sample),
    /// A session ended: memmap mode zeroed these compat files.
    SessionEnded { zeroed: Vec<String> },
    /// A compat file was deleted at exit (memmap mode).
    Deleted { file: String },
    /// A compat file could not be deleted at exit.
    DeleteFailed { file: String, error: String },
    /// The reader exits with code 0.
    Exit { reason: &'a str },
}

/// The start of one read file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    /// File name.
    pub file: String,
    /// The first (up to) eight little-endian u32 words.
    pub words: Vec<u32>,
    /// Kunos physics page `packetId` (offset 0), for the physics file only.
    #[serde(rename = "packetId", skip_serializing_if = "Option::is_none")]
    pub packet_id: Option<i32>,
    /// `gear` (offset 16).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gear: Option<i32>,
    /// `rpms` (offset 20).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpms: Option<i32>,
    /// `speedKmh` (offset 28).
    #[serde(rename = "speedKmh", skip_serializing_if = "Option::is_none")]
    pub speed_kmh: Option<f32>,
}

/// Writes one event as a JSON line and flushes it.
pub fn emit(event: &Event<'_>) {
    let line = serde_json::to_string(event).expect("events serialize");
    let mut out = std::io::stdout().lock();
    // A closed stdout must not stop the reader from behaving like simd.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
