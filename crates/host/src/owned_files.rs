//! Files and folders that must be this user's own: opened without following
//! a symbolic link and without blocking, and checked (through the open
//! descriptor, so nothing can be swapped in between) to be what they claim.
//!
//! The failure mode: a path read from a record, from Steam or from the
//! environment names something else than what it should. A link makes a
//! write land elsewhere, a FIFO makes a read hang forever, a folder of
//! another user lets that user plant files. So every such path is opened
//! with `O_NOFOLLOW | O_NONBLOCK`, then `fstat` decides; a file is removed
//! only when it is the very file (device and inode) recorded when it was
//! made.

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The user this process runs as.
pub fn my_uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

/// Which file a path named when it was checked: its device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    /// `st_dev`.
    pub dev: u64,
    /// `st_ino`.
    pub ino: u64,
}

impl FileId {
    /// The identity of an open file or its metadata.
    pub fn of(meta: &fs::Metadata) -> FileId {
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

/// Why a path was not used.
#[derive(Debug, thiserror::Error)]
pub enum OwnedError {
    /// It could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// It is a symbolic link.
    #[error("{0} is a symbolic link, which is never followed")]
    Link(PathBuf),
    /// It is not a regular file (a FIFO, a device, a folder …).
    #[error("{0} is not a regular file")]
    NotAFile(PathBuf),
    /// It belongs to someone else.
    #[error("{path} belongs to user {owner}, not to you")]
    Foreign {
        /// The path.
        path: PathBuf,
        /// Its owner.
        owner: u32,
    },
    /// It is larger than anything it may hold.
    #[error("{path} is larger than {limit} bytes")]
    TooLarge {
        /// The path.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> OwnedError + '_ {
    move |source| {
        if source.raw_os_error() == Some(libc::ELOOP) {
            OwnedError::Link(path.to_path_buf())
        } else {
            OwnedError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// Opens `path` for reading if it is a regular file of ours: never through
/// a link, never blocking on a FIFO.
pub fn open_regular(path: &Path) -> Result<File, OwnedError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(io_error(path))?;
    let meta = file.metadata().map_err(io_error(path))?;
    if !meta.is_file() {
        return Err(OwnedError::NotAFile(path.to_path_buf()));
    }
    if meta.uid() != my_uid() {
        return Err(OwnedError::Foreign {
            path: path.to_path_buf(),
            owner: meta.uid(),
        });
    }
    // Reads of a regular file never block; the flag only guarded the open.
    // SAFETY: plain fcntl calls on a descriptor we own.
    unsafe {
        let fd = file.as_raw_fd();
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
    Ok(file)
}

/// Reads a regular file of ours of at most `limit` bytes (see
/// [`open_regular`]).
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, OwnedError> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error(path))?;
    if bytes.len() as u64 > limit {
        return Err(OwnedError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(bytes)
}

/// Creates `path` as a new, empty file of mode 0600. If something is
/// already there it is left alone: a regular file of ours counts as made
/// (a second request for the same thing), anything else is an error. Never
/// follows a link.
pub fn create_new(path: &Path) -> Result<(), OwnedError> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
            let meta = fs::symlink_metadata(path).map_err(io_error(path))?;
            check_regular_of_mine(path, &meta)
        }
        Err(err) => Err(io_error(path)(err)),
    }
}

/// Opens `path` for appending, creating it with mode 0600; never through a
/// link, and only a regular file of ours.
pub fn open_append(path: &Path) -> Result<File, OwnedError> {
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(io_error(path))?;
    let meta = file.metadata().map_err(io_error(path))?;
    check_regular_of_mine(path, &meta)?;
    Ok(file)
}

fn check_regular_of_mine(path: &Path, meta: &fs::Metadata) -> Result<(), OwnedError> {
    if meta.file_type().is_symlink() {
        return Err(OwnedError::Link(path.to_path_buf()));
    }
    if !meta.is_file() {
        return Err(OwnedError::NotAFile(path.to_path_buf()));
    }
    if meta.uid() != my_uid() {
        return Err(OwnedError::Foreign {
            path: path.to_path_buf(),
            owner: meta.uid(),
        });
    }
    Ok(())
}

/// Removes `path` if it is still the regular file of ours that `id` names.
/// Returns whether it was removed; anything else there is left alone.
///
/// Between the check and the unlink nobody else can swap the entry when the
/// folder is ours or sticky (like `/dev/shm` and `/tmp`): only the owner of
/// a file may rename or remove it there.
pub fn remove_if_same(path: &Path, id: FileId) -> bool {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return false;
    };
    if check_regular_of_mine(path, &meta).is_err() || FileId::of(&meta) != id {
        return false;
    }
    fs::remove_file(path).is_ok()
}

/// Why a private folder was refused.
#[derive(Debug, thiserror::Error)]
#[error("{path} {problem}")]
pub struct FolderError {
    /// The folder.
    pub path: PathBuf,
    /// What is wrong with it, in words.
    pub problem: String,
}

/// How strict a folder check is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// A folder handed to us (such as `$XDG_RUNTIME_DIR`): it may be a
    /// link, but must be ours and writable by nobody else.
    Given,
    /// A folder we make: ours, not a link, and closed to everyone else
    /// (mode 0700; read or search permission for others is taken away).
    Private,
}

/// Opens the folder `path` (creating it with mode 0700 when `create` and it
/// is missing) and checks it as `strictness` says. Returns `Ok(false)` when
/// it is missing and `create` is false.
pub fn check_folder(
    path: &Path,
    strictness: Strictness,
    create: bool,
) -> Result<bool, FolderError> {
    let refuse = |problem: String| FolderError {
        path: path.to_path_buf(),
        problem,
    };
    let mut flags = libc::O_DIRECTORY;
    if strictness == Strictness::Private {
        flags |= libc::O_NOFOLLOW;
    }
    let open = || OpenOptions::new().read(true).custom_flags(flags).open(path);
    let folder = match open() {
        Ok(folder) => folder,
        Err(err) if err.kind() == io::ErrorKind::NotFound && create => {
            let mut builder = fs::DirBuilder::new();
            builder.mode(0o700);
            if strictness == Strictness::Given {
                builder.recursive(true);
            }
            match builder.create(path) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
                Err(err) => return Err(refuse(format!("cannot be created: {err}"))),
            }
            open().map_err(|err| refuse(describe_open_error(path, &err)))?
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(err) => return Err(refuse(describe_open_error(path, &err))),
    };
    let meta = folder
        .metadata()
        .map_err(|err| refuse(format!("cannot be read: {err}")))?;
    if meta.uid() != my_uid() {
        return Err(refuse(format!(
            "belongs to user {}, not to you (uid {})",
            meta.uid(),
            my_uid()
        )));
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(refuse(format!(
            "can be written by other users (mode {mode:04o})"
        )));
    }
    if strictness == Strictness::Private && mode & 0o077 != 0 {
        folder
            .set_permissions(fs::Permissions::from_mode(0o700))
            .map_err(|err| refuse(format!("cannot be made private (mode 0700): {err}")))?;
    }
    Ok(true)
}

fn describe_open_error(path: &Path, err: &io::Error) -> String {
    // `O_NOFOLLOW | O_DIRECTORY` on a link fails with ENOTDIR or ELOOP.
    let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    match err.raw_os_error() {
        _ if is_link => "is a symbolic link, which is never followed".into(),
        Some(libc::ELOOP) => "is a symbolic link, which is never followed".into(),
        Some(libc::ENOTDIR) => "is not a folder".into(),
        _ => format!("cannot be opened: {err}"),
    }
}

/// True when `name` can be a single file name made by Bridgekeeper (an id
/// such as `244210-1a2b-3c-0`): ASCII letters, digits, `-`, `_` and `.`,
/// not starting with `.`, at most 128 bytes.
pub fn is_plain_name(name: &OsStr) -> bool {
    let bytes = name.as_encoded_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && bytes[0] != b'.'
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_regular_files_of_ours() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, b"text").unwrap();
        assert_eq!(read_regular(&file, 10).unwrap(), b"text");
        assert!(matches!(
            read_regular(&file, 3),
            Err(OwnedError::TooLarge { .. })
        ));
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(matches!(read_regular(&link, 10), Err(OwnedError::Link(_))));
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read_regular(&fifo, 10),
            Err(OwnedError::NotAFile(_))
        ));
        std::os::unix::fs::lchown(&file, Some(65534), None).unwrap();
        assert!(matches!(
            read_regular(&file, 10),
            Err(OwnedError::Foreign { owner: 65534, .. })
        ));
    }

    #[test]
    fn creates_without_following_and_removes_only_the_same_file() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        let link = dir.path().join("stop");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(matches!(create_new(&link), Err(OwnedError::Link(_))));
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        let made = dir.path().join("made");
        create_new(&made).unwrap();
        create_new(&made).unwrap();
        assert_eq!(
            fs::metadata(&made).unwrap().permissions().mode() & 0o777,
            0o600
        );

        let id = FileId::of(&fs::metadata(&made).unwrap());
        fs::remove_file(&made).unwrap();
        fs::write(&made, b"another file at the same path").unwrap();
        let other = FileId::of(&fs::metadata(&made).unwrap());
        if other != id {
            assert!(!remove_if_same(&made, id), "another inode is left alone");
            assert!(made.exists());
        }
        assert!(!remove_if_same(
            &link,
            FileId::of(&fs::symlink_metadata(&link).unwrap())
        ));
        assert!(remove_if_same(&made, other));
        assert!(!made.exists());
    }

    #[test]
    fn folders_must_be_ours_and_closed() {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("private");
        assert!(!check_folder(&private, Strictness::Private, false).unwrap());
        assert!(check_folder(&private, Strictness::Private, true).unwrap());
        assert_eq!(
            fs::metadata(&private).unwrap().permissions().mode() & 0o777,
            0o700
        );
        fs::set_permissions(&private, fs::Permissions::from_mode(0o755)).unwrap();
        check_folder(&private, Strictness::Private, false).unwrap();
        assert_eq!(
            fs::metadata(&private).unwrap().permissions().mode() & 0o777,
            0o700,
            "read access for others is taken away"
        );
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&private, &link).unwrap();
        let err = check_folder(&link, Strictness::Private, true).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(check_folder(&link, Strictness::Given, false).unwrap());
        fs::set_permissions(&private, fs::Permissions::from_mode(0o777)).unwrap();
        let err = check_folder(&private, Strictness::Private, false).unwrap_err();
        assert!(err.to_string().contains("written by other users"), "{err}");
        fs::set_permissions(&private, fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::lchown(&private, Some(65534), None).unwrap();
        let err = check_folder(&private, Strictness::Given, false).unwrap_err();
        assert!(err.to_string().contains("belongs to user 65534"), "{err}");
    }

    #[test]
    fn plain_names() {
        assert!(is_plain_name(OsStr::new("244210-1a2b-3c-0")));
        for bad in ["", ".x", "a/b", "..", "a b", "é"] {
            assert!(!is_plain_name(OsStr::new(bad)), "{bad}");
        }
    }
}
