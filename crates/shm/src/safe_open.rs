//! [`open_regular`]: opening a file that someone else controls without
//! letting it stall or redirect the reader.
//!
//! A path in `/dev/shm` (or in Steam's cache) is a name anyone with write
//! access to the folder can replace. A plain `open` of a FIFO blocks until a
//! writer appears, which froze the window that called it; a symbolic link
//! can point at `/dev/zero` or a huge file elsewhere. So the file is opened
//! with `O_NONBLOCK` (opening a FIFO returns at once), `O_NOFOLLOW` (a link
//! in the last component is refused with `ELOOP`) and `O_CLOEXEC`, then
//! checked with `fstat` on the open descriptor, so the check and the read
//! are about the same file: only a regular file is accepted.

use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Whether a path's last component may be a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// A link is refused (mapping files: the bridge never makes links).
    Refuse,
    /// A link is followed (Steam's cache, which a user may have moved and
    /// linked back); the target must still be a regular file.
    Follow,
}

/// Why a file was not opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Nothing at the path.
    #[error("{} does not exist", .0.display())]
    NotFound(PathBuf),
    /// Something other than a regular file is there.
    #[error("{} is not a regular file ({kind})", .path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is instead, in words: "a FIFO", "a symbolic link" …
        kind: &'static str,
    },
    /// The open or the `fstat` failed.
    #[error("cannot open {}: {source}", .path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl OpenError {
    /// What is at the path instead of a regular file, when that is the
    /// problem.
    pub fn not_regular(&self) -> Option<&'static str> {
        match self {
            OpenError::NotRegular { kind, .. } => Some(kind),
            _ => None,
        }
    }
}

/// Opens `path` for reading without blocking and returns it only if it is
/// a regular file. Never waits for a FIFO's writer.
pub fn open_regular(path: &Path, links: Links) -> Result<File, OpenError> {
    let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
    if links == Links::Refuse {
        flags |= libc::O_NOFOLLOW;
    }
    let file = match OpenOptions::new().read(true).custom_flags(flags).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(OpenError::NotFound(path.to_path_buf()));
        }
        // O_NOFOLLOW on a link fails with ELOOP.
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) && links == Links::Refuse => {
            return Err(OpenError::NotRegular {
                path: path.to_path_buf(),
                kind: "a symbolic link",
            });
        }
        // A socket cannot be opened at all (ENXIO).
        Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
            return Err(OpenError::NotRegular {
                path: path.to_path_buf(),
                kind: "a socket",
            });
        }
        Err(source) => {
            return Err(OpenError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let kind = file
        .metadata()
        .map_err(|source| OpenError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .file_type();
    if kind.is_file() {
        return Ok(file);
    }
    let kind = if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a file"
    };
    Err(OpenError::NotRegular {
        path: path.to_path_buf(),
        kind,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;

    /// Makes a FIFO at `path`.
    pub(crate) fn mkfifo(path: &Path) {
        let c = CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: `c` is a valid NUL-terminated path for the call's duration.
        let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
        assert_eq!(rc, 0, "mkfifo {}", path.display());
    }

    #[test]
    fn a_regular_file_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page");
        std::fs::write(&path, b"abc").unwrap();
        assert!(open_regular(&path, Links::Refuse).is_ok());
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        mkfifo(&path);
        // Without O_NONBLOCK this open would never return: no writer.
        let err = open_regular(&path, Links::Follow).unwrap_err();
        assert_eq!(err.not_regular(), Some("a FIFO"), "{err}");
        assert!(err.to_string().contains("is not a regular file (a FIFO)"));
    }

    #[test]
    fn a_link_is_refused_or_followed_as_asked() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, b"abc").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = open_regular(&link, Links::Refuse).unwrap_err();
        assert_eq!(err.not_regular(), Some("a symbolic link"), "{err}");
        assert!(open_regular(&link, Links::Follow).is_ok());

        let to_dev = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &to_dev).unwrap();
        let err = open_regular(&to_dev, Links::Follow).unwrap_err();
        assert_eq!(err.not_regular(), Some("a character device"), "{err}");
    }

    #[test]
    fn missing_and_directories_say_so() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            open_regular(&dir.path().join("nope"), Links::Refuse),
            Err(OpenError::NotFound(_))
        ));
        let err = open_regular(dir.path(), Links::Refuse).unwrap_err();
        assert_eq!(err.not_regular(), Some("a directory"), "{err}");
    }
}
