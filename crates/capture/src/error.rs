//! [`CaptureError`]: what went wrong, always with the capture file it is
//! about, so a message shown to a user names the file and the fix.

use std::io;
use std::path::{Path, PathBuf};

use crate::format::FORMAT_VERSION;

/// An error about one capture file: the file, and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct CaptureError {
    /// The capture file (or the label given to an in-memory capture).
    pub path: PathBuf,
    /// What is wrong.
    pub problem: Problem,
}

impl CaptureError {
    pub(crate) fn new(path: &Path, problem: Problem) -> Self {
        CaptureError {
            path: path.to_path_buf(),
            problem,
        }
    }
}

/// What is wrong with a capture file, or with a request made of it.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// The operating system refused a read or a write.
    #[error("{action}: {source}")]
    Io {
        /// What was being done ("cannot open it", "cannot write a chunk"...).
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The file does not start with the capture magic.
    #[error(
        "not a Bridgekeeper capture: it starts with {found}, a capture starts with 89 42 4B 43 41 50 0D 0A (\"\\x89BKCAP\\r\\n\"); pass a file written by `bridgekeeper record`"
    )]
    Foreign {
        /// The first bytes of the file, in hex.
        found: String,
    },
    /// The file was written by a newer Bridgekeeper.
    #[error(
        "capture format version {found} is newer than this Bridgekeeper reads (up to version {FORMAT_VERSION}); update Bridgekeeper to read it"
    )]
    FutureVersion {
        /// The version in the file.
        found: u16,
    },
    /// Version 0 never existed.
    #[error("capture format version 0 does not exist; the file is damaged")]
    ZeroVersion,
    /// The file ends before its header does.
    #[error(
        "the file ends inside its header (it has {len} bytes, the header needs {needed}); it was cut while the recording started and holds no frames"
    )]
    TruncatedHeader {
        /// Length of the file.
        len: u64,
        /// Bytes needed for the preamble and header.
        needed: u64,
    },
    /// The header is damaged or does not describe a usable capture.
    #[error("bad header: {0}")]
    BadHeader(String),
    /// A chunk's bytes do not match its checksum, or its content is
    /// inconsistent.
    #[error("chunk {chunk} at byte {offset}: {what}; the file is damaged from there on")]
    BadChunk {
        /// Position of the chunk among the frame chunks (0-based).
        chunk: usize,
        /// Byte offset of the chunk header in the file.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// The index written at a clean close is damaged.
    #[error("the index at byte {offset} is damaged: {what}")]
    BadIndex {
        /// Byte offset of the index chunk.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// A header given to the writer is unusable.
    #[error("cannot record with this header: {0}")]
    InvalidHeader(String),
    /// A frame given to the writer is unusable.
    #[error("cannot record this frame: {0}")]
    InvalidFrame(String),
    /// A seek beyond the last frame.
    #[error("frame {requested} does not exist; the capture has {count} frames")]
    NoSuchFrame {
        /// The frame asked for.
        requested: u64,
        /// Frames in the capture.
        count: u64,
    },
}
