//! Backing files in `/dev/shm`, prepared on the Linux side before the bridge
//! opens them: never through a symlink, never someone else's, never
//! world-writable, and with every byte of their size reserved.
//!
//! tmpfs allocates pages lazily: `ftruncate` succeeds on a full `/dev/shm`,
//! and whoever first touches an unbacked page of a mapping (the game!) gets
//! `SIGBUS`. So each file's space is reserved with `posix_fallocate` before
//! the bridge or the game can map it, and a full `/dev/shm` shows here, as
//! a clear error, instead. Files only ever grow: a Linux reader may still
//! map the old size, and touching a page past a shrunk end is `SIGBUS` too.

use std::fs::{self, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use bridgekeeper_host::owned_files::{FileId, remove_if_same};
use bridgekeeper_protocol::{MappingName, MappingSpec};

/// A backing file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} is a symbolic link; remove it (a backing file is never followed through a link)")]
    Symlink(PathBuf),
    #[error("{0} is not a regular file; remove it or choose another directory")]
    NotAFile(PathBuf),
    #[error("{path} belongs to user {owner}, not to you; remove it or ask its owner to")]
    Foreign { path: PathBuf, owner: u32 },
    #[error(
        "cannot reserve {size} bytes for {path}: {source}; {dir} is full. Free space there \
         (`df -h {dir}` shows it; stale files of ended sessions can go) or make it larger"
    )]
    NoSpace {
        path: PathBuf,
        dir: PathBuf,
        size: u64,
        source: std::io::Error,
    },
}

/// The path of `name`'s backing file in `dir`.
pub fn path_of(dir: &Path, name: &MappingName) -> PathBuf {
    dir.join(name.file_name())
}

/// A backing file made ready for a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedFile {
    /// Its path.
    pub path: PathBuf,
    /// Which file it is (recorded, so that only this file is ever removed
    /// for the session).
    pub id: FileId,
    /// True when this preparation created it (it did not exist before).
    pub created: bool,
}

/// The files of one session's preparation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prepared {
    /// One per spec, in order.
    pub files: Vec<PreparedFile>,
}

impl Prepared {
    /// The paths, in order.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.files.iter().map(|f| f.path.clone()).collect()
    }

    /// Removes the files this preparation created (only those, and only
    /// while they are still the same files of ours): an attempt that fails
    /// leaves `/dev/shm` as it found it.
    pub fn remove_created(&self) {
        for file in self.files.iter().filter(|f| f.created) {
            remove_if_same(&file.path, file.id);
        }
    }
}

/// Creates the backing file of `spec` in `dir` if needed, mode 0600, checks
/// an existing one (a regular file of ours, not a link), removes group and
/// world write permission, and reserves `spec`'s size (never shrinking a
/// larger file). The bridge zeroes what an earlier session left in it.
pub fn prepare(dir: &Path, spec: &MappingSpec) -> Result<PathBuf, FileError> {
    prepare_one(dir, spec).map(|file| file.path)
}

fn prepare_one(dir: &Path, spec: &MappingSpec) -> Result<PreparedFile, FileError> {
    let existed = fs::symlink_metadata(path_of(dir, &spec.name)).is_ok();
    let (path, id) = open_private(dir, &spec.name)?;
    if let Err(err) = reserve(dir, &path, spec.size.bytes()) {
        if !existed {
            remove_if_same(&path, id);
        }
        return Err(err);
    }
    Ok(PreparedFile {
        path,
        id,
        created: !existed,
    })
}

/// [`prepare`]s the file of every spec; when one fails, removes the files
/// this call created, so a failed session leaves no space taken.
pub fn prepare_all(dir: &Path, specs: &[MappingSpec]) -> Result<Prepared, FileError> {
    let mut prepared = Prepared::default();
    for spec in specs {
        match prepare_one(dir, spec) {
            Ok(file) => prepared.files.push(file),
            Err(err) => {
                prepared.remove_created();
                return Err(err);
            }
        }
    }
    Ok(prepared)
}

/// Allocates every byte of the first `size` bytes of `path` (growing it if
/// shorter, never shrinking it), so no later write or page fault can run
/// out of space.
pub fn reserve(dir: &Path, path: &Path, size: u64) -> Result<(), FileError> {
    let io = |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(io)?;
    let len = libc::off_t::try_from(size).map_err(|_| io(std::io::Error::other("too large")))?;
    // SAFETY: plain system call on an open descriptor.
    let code = unsafe { libc::posix_fallocate(std::os::fd::AsRawFd::as_raw_fd(&file), 0, len) };
    match code {
        0 => Ok(()),
        libc::ENOSPC | libc::EFBIG | libc::EDQUOT => Err(FileError::NoSpace {
            path: path.to_path_buf(),
            dir: dir.to_path_buf(),
            size,
            source: std::io::Error::from_raw_os_error(code),
        }),
        other => Err(io(std::io::Error::from_raw_os_error(other))),
    }
}

fn open_private(dir: &Path, name: &MappingName) -> Result<(PathBuf, FileId), FileError> {
    if let Some(subdir) = name.subdirectory() {
        let sub = dir.join(subdir);
        if let Err(source) = fs::DirBuilder::new().mode(0o700).create(&sub)
            && source.kind() != std::io::ErrorKind::AlreadyExists
        {
            return Err(FileError::Io { path: sub, source });
        }
    }
    let path = path_of(dir, name);
    if let Ok(meta) = fs::symlink_metadata(&path)
        && meta.file_type().is_symlink()
    {
        return Err(FileError::Symlink(path));
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(|source| FileError::Io {
            path: path.clone(),
            source,
        })?;
    let meta = file.metadata().map_err(|source| FileError::Io {
        path: path.clone(),
        source,
    })?;
    if !meta.is_file() {
        return Err(FileError::NotAFile(path));
    }
    // SAFETY: getuid has no preconditions and cannot fail.
    let me = unsafe { libc::getuid() };
    if meta.uid() != me {
        return Err(FileError::Foreign {
            path,
            owner: meta.uid(),
        });
    }
    let mode = meta.permissions().mode();
    if mode & 0o022 != 0 {
        file.set_permissions(fs::Permissions::from_mode(mode & 0o755))
            .map_err(|source| FileError::Io {
                path: path.clone(),
                source,
            })?;
    }
    Ok((path, FileId::of(&meta)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(n: &str, size: u64) -> MappingSpec {
        MappingSpec::parse(&format!("{n}={size}")).unwrap()
    }

    #[test]
    fn a_failed_set_leaves_no_file_it_created() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("old"), b"kept").unwrap();
        std::os::unix::fs::symlink("/nonexistent", dir.path().join("link")).unwrap();
        let specs = [spec("new", 4096), spec("old", 4096), spec("link", 4096)];
        assert!(matches!(
            prepare_all(dir.path(), &specs),
            Err(FileError::Symlink(_))
        ));
        assert!(!dir.path().join("new").exists(), "the new file is removed");
        assert_eq!(fs::metadata(dir.path().join("old")).unwrap().len(), 4096);
        let prepared = prepare_all(dir.path(), &specs[..2]).unwrap();
        assert_eq!(
            prepared.paths(),
            [dir.path().join("new"), dir.path().join("old")]
        );
        assert_eq!(
            prepared.files.iter().map(|f| f.created).collect::<Vec<_>>(),
            [true, false]
        );
        prepared.remove_created();
        assert!(
            !dir.path().join("new").exists(),
            "made by the attempt: removed"
        );
        assert!(dir.path().join("old").exists(), "there before: kept");
    }

    #[test]
    fn reserves_the_whole_size_and_never_shrinks() {
        let dir = tempfile::tempdir().unwrap();
        let path = prepare(dir.path(), &spec("page", 40960)).unwrap();
        let meta = fs::metadata(&path).unwrap();
        assert_eq!(meta.len(), 40960);
        assert!(
            meta.blocks() * 512 >= 40960,
            "every page is allocated, not sparse: {} blocks",
            meta.blocks()
        );
        prepare(dir.path(), &spec("page", 4096)).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().len(), 40960, "not shrunk");
    }

    #[test]
    fn creates_private_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = prepare(dir.path(), &spec("Local\\acpmf_physics", 4096)).unwrap();
        assert_eq!(path, dir.path().join("acpmf_physics"));
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let global = prepare(dir.path(), &spec("Global\\x", 4096)).unwrap();
        assert_eq!(global, dir.path().join("Global/x"));
    }

    #[test]
    fn removes_world_write_and_keeps_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        fs::write(&path, b"data").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
        prepare(dir.path(), &spec("x", 4)).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o644
        );
        assert_eq!(fs::read(&path).unwrap(), b"data");
    }

    #[test]
    fn refuses_links_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        fs::write(&target, b"precious").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("link")).unwrap();
        assert!(matches!(
            prepare(dir.path(), &spec("link", 4096)),
            Err(FileError::Symlink(_))
        ));
        assert_eq!(fs::read(&target).unwrap(), b"precious");
        fs::create_dir(dir.path().join("d")).unwrap();
        assert!(prepare(dir.path(), &spec("d", 4096)).is_err());
    }
}
