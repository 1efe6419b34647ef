//! [`MappingReader`]: a mapping file copied into a reused buffer.
//!
//! Never `mmap`: a mapped file that another process truncates raises
//! `SIGBUS` when the lost pages are touched. Each refresh re-reads the
//! file's length and copies it with `read_exact_at`; a shrink between the
//! two is retried once and otherwise reported, never a crash.

use std::fs::File;
use std::io::ErrorKind;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

/// Largest file read, in bytes; bigger files are cut to it.
pub const MAX_READ: u64 = 64 << 20;

/// What the last refresh found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadState {
    /// Not read yet.
    Unread,
    /// The whole file (up to [`MAX_READ`]) is in the buffer.
    Live {
        /// Bytes read.
        len: usize,
    },
    /// The file exists but is empty.
    Empty,
    /// The file is gone; the buffer keeps the last bytes read.
    Vanished,
    /// The file could not be read; the buffer keeps the last bytes read.
    Failed(String),
}

impl ReadState {
    /// A sentence for the window: what happened and what to do.
    pub fn describe(&self) -> String {
        match self {
            ReadState::Unread => "not read yet".into(),
            ReadState::Live { len } => format!("{len} bytes"),
            ReadState::Empty => {
                "the file is empty: the bridge has not sized it yet, or it was truncated".into()
            }
            ReadState::Vanished => {
                "the file is gone: the session ended or it was removed; start the game again".into()
            }
            ReadState::Failed(e) => format!("cannot read the file: {e}"),
        }
    }
}

/// Reads one mapping file into a buffer it keeps between reads.
#[derive(Debug)]
pub struct MappingReader {
    path: PathBuf,
    file: Option<(File, u64)>,
    buf: Vec<u8>,
    state: ReadState,
}

impl MappingReader {
    /// A reader of `path`; nothing is read until [`MappingReader::refresh`].
    pub fn new(path: impl Into<PathBuf>) -> Self {
        MappingReader {
            path: path.into(),
            file: None,
            buf: Vec::new(),
            state: ReadState::Unread,
        }
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The bytes of the last successful read.
    pub fn data(&self) -> &[u8] {
        &self.buf
    }

    /// What the last refresh found.
    pub fn state(&self) -> &ReadState {
        &self.state
    }

    /// Reads the file again. A file replaced under the same name (another
    /// inode) is reopened.
    pub fn refresh(&mut self) -> &ReadState {
        self.state = self.read();
        &self.state
    }

    fn read(&mut self) -> ReadState {
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.file = None;
                return ReadState::Vanished;
            }
            Err(e) => return ReadState::Failed(e.to_string()),
        };
        if self.file.as_ref().is_none_or(|(_, ino)| *ino != meta.ino()) {
            match File::open(&self.path) {
                Ok(f) => self.file = Some((f, meta.ino())),
                Err(e) if e.kind() == ErrorKind::NotFound => return ReadState::Vanished,
                Err(e) => return ReadState::Failed(e.to_string()),
            }
        }
        let Some((file, _)) = &self.file else {
            return ReadState::Vanished;
        };
        for _ in 0..2 {
            let len = match file.metadata() {
                Ok(m) => m.len().min(MAX_READ) as usize,
                Err(e) => return ReadState::Failed(e.to_string()),
            };
            if len == 0 {
                self.buf.clear();
                return ReadState::Empty;
            }
            self.buf.resize(len, 0);
            match file.read_exact_at(&mut self.buf, 0) {
                Ok(()) => return ReadState::Live { len },
                // Shrunk between the length check and the read: once more.
                Err(e) if e.kind() == ErrorKind::UnexpectedEof => continue,
                Err(e) => return ReadState::Failed(e.to_string()),
            }
        }
        ReadState::Failed("the file keeps changing size; it will be read again".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_shrinks_and_vanishes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page");
        std::fs::write(&path, [1u8, 2, 3, 4]).unwrap();
        let mut r = MappingReader::new(&path);
        assert_eq!(r.state(), &ReadState::Unread);
        assert_eq!(r.refresh(), &ReadState::Live { len: 4 });
        assert_eq!(r.data(), &[1, 2, 3, 4]);

        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(2).unwrap();
        assert_eq!(r.refresh(), &ReadState::Live { len: 2 });
        assert_eq!(r.data(), &[1, 2]);
        f.set_len(0).unwrap();
        assert_eq!(r.refresh(), &ReadState::Empty);

        std::fs::remove_file(&path).unwrap();
        assert_eq!(r.refresh(), &ReadState::Vanished);
        assert!(r.state().describe().contains("gone"));

        std::fs::write(&path, [9u8; 3]).unwrap();
        assert_eq!(r.refresh(), &ReadState::Live { len: 3 });
        assert_eq!(r.data(), &[9, 9, 9]);
    }

    #[test]
    fn a_directory_is_a_failure_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = MappingReader::new(dir.path());
        assert!(matches!(r.refresh(), ReadState::Failed(_)));
    }
}
