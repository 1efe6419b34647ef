//! Status events: one JSON object per line, written by the bridge.
//!
//! Every line carries the nonce the bridge was started with, so a reader can
//! tell this run's events from an earlier run's (a status file, or a pipe
//! Wine hands on, may still hold them).

use serde::{Deserialize, Serialize};

/// How a mapping reaches its `/dev/shm` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MappingMode {
    /// The section is backed by the file: zero copy, both directions.
    Shared,
    /// Someone else created the section first, so it is not backed by the
    /// file; the bridge copies changed pages one way, about every
    /// millisecond. The direction follows from the bridge's mode (the
    /// `started` line): in launcher and attach mode the game created it and
    /// its memory is copied into the file (game to Linux); in serve mode a
    /// tool created it and the file is copied into the tool's section (game
    /// to tool; what the tool writes does not reach the game). The `note`
    /// says so in words.
    Copy,
}

impl MappingMode {
    /// The word the JSON lines and `status` use: `shared` or `copy`.
    pub fn as_str(self) -> &'static str {
        match self {
            MappingMode::Shared => "shared",
            MappingMode::Copy => "copy",
        }
    }

    /// The words for people, in the desktop app and notifications:
    /// `zero copy` or `copy`.
    pub fn label(self) -> &'static str {
        match self {
            MappingMode::Shared => "zero copy",
            MappingMode::Copy => "copy",
        }
    }
}

impl std::fmt::Display for MappingMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the bridge is stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    /// Every game process it followed has exited.
    GameExited,
    /// The game never appeared within the allowed time.
    GameNotFound,
    /// The game could not be started.
    GameFailedToStart,
    /// Its standard input was closed (`--stop-on-stdin-close`).
    StdinClosed,
    /// The stop file appeared (`--stop-file`).
    StopRequested,
    /// No mapping could be created, so there is nothing to keep alive.
    NothingToServe,
}

/// One thing that happened in the bridge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// The bridge is running and about to create its mappings.
    Started {
        /// The bridge's version.
        version: String,
        /// [`crate::PROTOCOL_VERSION`].
        protocol: u32,
        /// The bridge's Windows process id.
        pid: u32,
        /// `launcher`, `attach` or `serve` (protocol 2 and later).
        mode: String,
        /// The Linux directory holding the backing files.
        dir: String,
    },
    /// A mapping exists and its file receives the data.
    Ready {
        /// The Win32 name.
        name: String,
        /// The Linux path of the backing file.
        file: String,
        /// The size of the section in bytes: the requested size, or in serve
        /// mode the backing file's size (never less than requested).
        size: u64,
        /// Shared (zero copy) or copy mode.
        mode: MappingMode,
        /// Why copy mode, when it is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A mapping could not be created.
    Failed {
        /// The Win32 name.
        name: String,
        /// The Windows error code, or 0 when the bridge refused on a check of
        /// its own (serve mode: a backing file shorter than the mapping).
        error: u32,
        /// What went wrong, in a sentence.
        message: String,
    },
    /// Every mapping is ready.
    AllReady {
        /// Mappings in shared mode.
        shared: usize,
        /// Mappings in copy mode.
        copy: usize,
    },
    /// Setup finished, but some mappings failed.
    SetupIncomplete {
        /// Mappings in shared mode.
        shared: usize,
        /// Mappings in copy mode.
        copy: usize,
        /// Mappings that failed.
        failed: usize,
    },
    /// Launcher mode: the game command was started.
    GameStarted {
        /// Its Windows process id.
        pid: u32,
        /// The command line it was given.
        command: String,
    },
    /// Launcher mode: the game command could not be started.
    GameFailedToStart {
        /// The Windows error code.
        error: u32,
        /// What went wrong.
        message: String,
    },
    /// A live game process was found and is followed.
    Following {
        /// Its executable name.
        exe: String,
        /// Its Windows process id.
        pid: u32,
    },
    /// A followed process exited.
    ProcessExited {
        /// Its executable name.
        exe: String,
        /// Its Windows process id.
        pid: u32,
        /// Its exit code.
        code: u32,
    },
    /// The bridge is stopping; it exits right after this line.
    Stopping {
        /// Why.
        reason: StopReason,
        /// The exit code the bridge is about to return.
        exit_code: u32,
    },
}

/// A status line: the run's nonce plus one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusLine {
    /// The nonce given to the bridge with `--nonce` (empty when none was).
    pub nonce: String,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}

impl StatusLine {
    /// The line as written: compact JSON without a newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("status lines always serialize")
    }

    /// Parses one line; `None` for anything that is not a status line
    /// (Wine and games may write to the same stream).
    pub fn from_json(line: &str) -> Option<Self> {
        let line = line.trim();
        if !line.starts_with('{') {
            return None;
        }
        serde_json::from_str(line).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let line = StatusLine {
            nonce: "n1".into(),
            event: Event::Ready {
                name: "Local\\acpmf_physics".into(),
                file: "/dev/shm/acpmf_physics".into(),
                size: 4096,
                mode: MappingMode::Shared,
                note: None,
            },
        };
        let json = line.to_json();
        assert_eq!(
            json,
            r#"{"nonce":"n1","event":"ready","name":"Local\\acpmf_physics","file":"/dev/shm/acpmf_physics","size":4096,"mode":"shared"}"#
        );
        assert_eq!(StatusLine::from_json(&json), Some(line));
    }

    #[test]
    fn other_output_is_ignored() {
        assert_eq!(StatusLine::from_json("wine: fixme something"), None);
        assert_eq!(StatusLine::from_json("{not json"), None);
        let stop = StatusLine::from_json(
            r#"{"nonce":"x","event":"stopping","reason":"game-exited","exit_code":3}"#,
        )
        .unwrap();
        assert_eq!(
            stop.event,
            Event::Stopping {
                reason: StopReason::GameExited,
                exit_code: 3
            }
        );
    }
}
