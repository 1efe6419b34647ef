//! [`MappingReader`]: a mapping file copied into a reused buffer.
//!
//! Never `mmap`: a mapped file that another process truncates raises
//! `SIGBUS` when the lost pages are touched. Each refresh re-reads the
//! file's length and copies it with `read_exact_at`; a shrink between the
//! two is retried once and otherwise reported, never a crash.
//!
//! The path is a name in a shared folder that anyone may replace, so the
//! file is opened with [`open_regular`] (no waiting on a FIFO, no following
//! a link, regular files only), and each refresh copies at most the reader's
//! limit: what the view needs (the page's declared size, or only the bytes
//! up to a packet counter), never an unbounded file 20 times a second.

use std::fs::File;
use std::io::ErrorKind;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::safe_open::{Links, OpenError, open_regular};

/// Largest file read, in bytes; bigger files are cut to it.
pub const MAX_READ: u64 = 64 << 20;

/// What the last refresh found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ReadState {
    /// Not read yet.
    #[default]
    Unread,
    /// The whole file (up to the reader's limit) is in the buffer.
    Live {
        /// Bytes read.
        len: usize,
    },
    /// The file exists but is empty.
    Empty,
    /// The file is gone; the buffer keeps the last bytes read.
    Vanished,
    /// Something other than a regular file is at the path (a FIFO, a
    /// symbolic link, a device …); it is never opened for reading.
    NotRegular {
        /// What is there, in words: "a FIFO", "a symbolic link" …
        kind: &'static str,
    },
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
            ReadState::NotRegular { kind } => format!(
                "not a regular file ({kind}): the bridge only makes regular files, so something \
                 else is at this path; remove it and start the game again"
            ),
            ReadState::Failed(e) => format!("cannot read the file: {e}"),
        }
    }
}

/// Reads one mapping file into a buffer it keeps between reads.
#[derive(Debug)]
pub struct MappingReader {
    path: PathBuf,
    limit: u64,
    file: Option<(File, (u64, u64))>,
    buf: Vec<u8>,
    state: ReadState,
}

impl MappingReader {
    /// A reader of `path` that copies up to [`MAX_READ`] bytes; nothing is
    /// read until [`MappingReader::refresh`].
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self::with_limit(path, MAX_READ)
    }

    /// A reader of `path` that copies at most `limit` bytes (at most
    /// [`MAX_READ`]) of the file each refresh.
    pub fn with_limit(path: impl Into<PathBuf>, limit: u64) -> Self {
        MappingReader {
            path: path.into(),
            limit: limit.min(MAX_READ),
            file: None,
            buf: Vec::new(),
            state: ReadState::Unread,
        }
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The most bytes a refresh copies.
    pub fn limit(&self) -> u64 {
        self.limit
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
        // lstat: a link is refused without being opened, and a new inode
        // under the same name means the file was replaced.
        let meta = match std::fs::symlink_metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.file = None;
                return ReadState::Vanished;
            }
            Err(e) => return ReadState::Failed(e.to_string()),
        };
        if meta.file_type().is_symlink() {
            self.file = None;
            return ReadState::NotRegular {
                kind: "a symbolic link",
            };
        }
        let identity = (meta.dev(), meta.ino());
        if self.file.as_ref().is_none_or(|(_, id)| *id != identity) {
            self.file = None;
            match open_regular(&self.path, Links::Refuse) {
                Ok(f) => self.file = Some((f, identity)),
                Err(OpenError::NotFound(_)) => return ReadState::Vanished,
                Err(OpenError::NotRegular { kind, .. }) => return ReadState::NotRegular { kind },
                Err(OpenError::Io { source, .. }) => return ReadState::Failed(source.to_string()),
            }
        }
        let Some((file, _)) = &self.file else {
            return ReadState::Vanished;
        };
        for _ in 0..2 {
            let len = match file.metadata() {
                Ok(m) => m.len().min(self.limit) as usize,
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
    fn a_directory_is_not_a_regular_file_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = MappingReader::new(dir.path());
        assert_eq!(
            r.refresh(),
            &ReadState::NotRegular {
                kind: "a directory"
            }
        );
    }

    #[test]
    fn a_fifo_or_a_link_at_the_path_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("acpmf_physics");
        crate::safe_open::tests::mkfifo(&fifo);
        let mut r = MappingReader::new(&fifo);
        // A blocking open would hang here: the FIFO has no writer.
        assert_eq!(r.refresh(), &ReadState::NotRegular { kind: "a FIFO" });
        assert!(
            r.state()
                .describe()
                .starts_with("not a regular file (a FIFO)")
        );

        let target = dir.path().join("elsewhere");
        std::fs::write(&target, [7u8; 16]).unwrap();
        let link = dir.path().join("acpmf_graphics");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let mut r = MappingReader::new(&link);
        assert_eq!(
            r.refresh(),
            &ReadState::NotRegular {
                kind: "a symbolic link"
            }
        );
        assert!(r.data().is_empty(), "the link's target was not read");

        // A regular file replaced by a link: the open file is dropped.
        let page = dir.path().join("acpmf_static");
        std::fs::write(&page, [1u8; 8]).unwrap();
        let mut r = MappingReader::new(&page);
        assert_eq!(r.refresh(), &ReadState::Live { len: 8 });
        std::fs::remove_file(&page).unwrap();
        std::os::unix::fs::symlink(&target, &page).unwrap();
        assert!(matches!(r.refresh(), ReadState::NotRegular { .. }));
    }

    #[test]
    fn a_refresh_copies_at_most_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page");
        std::fs::write(&path, vec![5u8; 10_000]).unwrap();
        let mut r = MappingReader::with_limit(&path, 4);
        assert_eq!(r.refresh(), &ReadState::Live { len: 4 });
        assert_eq!(r.data(), &[5, 5, 5, 5]);
        assert_eq!(MappingReader::with_limit(&path, u64::MAX).limit(), MAX_READ);
    }
}
