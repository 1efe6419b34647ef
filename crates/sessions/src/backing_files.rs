//! Backing files in `/dev/shm`, prepared on the Linux side before the bridge
//! opens them: never through a symlink, never someone else's, private to the
//! user (mode 0600), and with every byte of their size reserved.
//!
//! The bridge opens its files through Wine, which follows symbolic links,
//! and then zeroes what it opened. A link, a FIFO or another user's file at
//! a mapping's path, or a `Global` folder that is a link, belongs to someone
//! else or lets others write in it, would point the bridge (and the game's
//! telemetry) at something that is not ours, or leak it. So every path
//! component under the backing-file directory is checked here, on open file
//! descriptors (`openat` with `O_NOFOLLOW`, then `fstat`), never by looking
//! a path up twice: `Global` must be a real directory of ours that nobody
//! else may write (it is created 0700), each file a regular file of ours
//! (created 0600; an existing one is set to 0600 with `fchmod` on its
//! descriptor, after the owner check). Anything that fails a check is
//! refused with a message naming it and the fix, and left untouched. The
//! bridge is then started with `--existing-files`, so it opens only what was
//! prepared here and creates nothing itself.
//!
//! tmpfs allocates pages lazily: `ftruncate` succeeds on a full `/dev/shm`,
//! and whoever first touches an unbacked page of a mapping (the game!) gets
//! `SIGBUS`. So each file's space is reserved with `posix_fallocate` before
//! the bridge or the game can map it, and a full `/dev/shm` shows here, as
//! a clear error, instead. Files only ever grow: a Linux reader may still
//! map the old size, and touching a page past a shrunk end is `SIGBUS` too.

use std::ffi::OsStr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use bridgekeeper_host::owned_files::{FileId, my_uid, remove_if_same};
use bridgekeeper_protocol::{MappingName, MappingSpec};
use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

/// The mode of every backing file.
pub const FILE_MODE: u32 = 0o600;

/// The mode a `Global` directory is created with.
pub const DIR_MODE: u32 = 0o700;

/// A backing file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{0} is a symbolic link; remove it (nothing under the backing-file directory is \
         followed through a link)"
    )]
    Symlink(PathBuf),
    #[error("{0} is not a regular file; remove it or choose another directory")]
    NotAFile(PathBuf),
    #[error(
        "{0} is not a directory; remove it, and Bridgekeeper creates the directory (mode 0700)"
    )]
    NotADirectory(PathBuf),
    #[error("{path} belongs to user {owner}, not to you; remove it or ask its owner to")]
    Foreign { path: PathBuf, owner: u32 },
    #[error(
        "{path} may be written by other users (mode {mode:03o}); run `chmod go-w {path}`, or \
         remove it and Bridgekeeper creates it with mode 0700"
    )]
    WritableByOthers { path: PathBuf, mode: u32 },
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

/// Creates the backing file of `spec` in `dir` if needed (mode 0600, in a
/// `Global` directory of mode 0700 for `Global\` names), checks an existing
/// one and every directory on the way (see the module docs), sets it to
/// mode 0600, and reserves `spec`'s size (never shrinking a larger file).
/// The bridge zeroes what an earlier session left in it.
pub fn prepare(dir: &Path, spec: &MappingSpec) -> Result<PathBuf, FileError> {
    prepare_one(dir, spec).map(|file| file.path)
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

fn prepare_one(dir: &Path, spec: &MappingSpec) -> Result<PreparedFile, FileError> {
    let path = path_of(dir, &spec.name);
    let base = rustix::fs::openat(
        CWD,
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(io_error(dir))?;
    let parent = match spec.name.subdirectory() {
        Some(sub) => private_dir(&base, sub, &dir.join(sub))?,
        None => base,
    };
    let leaf = path.file_name().unwrap_or(OsStr::new(""));
    let (file, id, created) = private_file(&parent, leaf, &path)?;
    if let Err(err) = reserve(&file, dir, &path, spec.size.bytes()) {
        if created {
            let _ = rustix::fs::unlinkat(&parent, leaf, AtFlags::empty());
        }
        return Err(err);
    }
    Ok(PreparedFile { path, id, created })
}

fn io_error(path: &Path) -> impl Fn(Errno) -> FileError + '_ {
    move |errno| FileError::Io {
        path: path.to_path_buf(),
        source: errno.into(),
    }
}

/// Opens the directory `name` in `base` (creating it with mode 0700),
/// never through a link, and checks it is ours and closed to others.
fn private_dir(base: &OwnedFd, name: &str, path: &Path) -> Result<OwnedFd, FileError> {
    match rustix::fs::mkdirat(base, name, Mode::from_raw_mode(DIR_MODE)) {
        Ok(()) | Err(Errno::EXIST) => {}
        Err(errno) => return Err(io_error(path)(errno)),
    }
    // A look first, so that a FIFO or a device is refused without being
    // opened; the open descriptor is checked again below.
    let seen = rustix::fs::statat(base, name, AtFlags::SYMLINK_NOFOLLOW).map_err(io_error(path))?;
    check_dir(&seen, path)?;
    let dir = rustix::fs::openat(
        base,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|errno| match errno {
        Errno::LOOP => FileError::Symlink(path.to_path_buf()),
        Errno::NOTDIR => FileError::NotADirectory(path.to_path_buf()),
        other => io_error(path)(other),
    })?;
    check_dir(&rustix::fs::fstat(&dir).map_err(io_error(path))?, path)?;
    Ok(dir)
}

fn check_dir(stat: &Stat, path: &Path) -> Result<(), FileError> {
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::Symlink => return Err(FileError::Symlink(path.to_path_buf())),
        FileType::Directory => {}
        _ => return Err(FileError::NotADirectory(path.to_path_buf())),
    }
    if stat.st_uid != my_uid() {
        return Err(FileError::Foreign {
            path: path.to_path_buf(),
            owner: stat.st_uid,
        });
    }
    let mode = stat.st_mode & 0o7777;
    if mode & 0o022 != 0 {
        return Err(FileError::WritableByOthers {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// Opens the file `name` in `parent` for writing, creating it with mode
/// 0600 when it does not exist; an existing one must be a regular file of
/// ours, reached without a link, and is set to mode 0600. Returns the open
/// file, which file it is, and whether it was created.
fn private_file(
    parent: &OwnedFd,
    name: &OsStr,
    path: &Path,
) -> Result<(OwnedFd, FileId, bool), FileError> {
    let existed = match rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(seen) => {
            check_file(&seen, path)?;
            true
        }
        Err(Errno::NOENT) => false,
        Err(errno) => return Err(io_error(path)(errno)),
    };
    // NONBLOCK: should a FIFO take the file's place between the look and the
    // open, opening it must not hang; the check on the descriptor refuses it.
    let flags = OFlags::RDWR | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let opened = if existed {
        rustix::fs::openat(parent, name, flags, Mode::empty())
    } else {
        // EXCL: never an existing file (or a link's target) in a race.
        rustix::fs::openat(
            parent,
            name,
            flags | OFlags::CREATE | OFlags::EXCL,
            Mode::from_raw_mode(FILE_MODE),
        )
    };
    let file = opened.map_err(|errno| match errno {
        Errno::LOOP => FileError::Symlink(path.to_path_buf()),
        Errno::ISDIR => FileError::NotAFile(path.to_path_buf()),
        other => io_error(path)(other),
    })?;
    let stat = rustix::fs::fstat(&file).map_err(io_error(path))?;
    check_file(&stat, path)?;
    if stat.st_mode & 0o7777 != FILE_MODE {
        rustix::fs::fchmod(&file, Mode::from_raw_mode(FILE_MODE)).map_err(io_error(path))?;
    }
    let id = FileId {
        dev: stat.st_dev,
        ino: stat.st_ino,
    };
    Ok((file, id, !existed))
}

fn check_file(stat: &Stat, path: &Path) -> Result<(), FileError> {
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::Symlink => return Err(FileError::Symlink(path.to_path_buf())),
        FileType::RegularFile => {}
        _ => return Err(FileError::NotAFile(path.to_path_buf())),
    }
    if stat.st_uid != my_uid() {
        return Err(FileError::Foreign {
            path: path.to_path_buf(),
            owner: stat.st_uid,
        });
    }
    Ok(())
}

/// Allocates every byte of the first `size` bytes of `file` (growing it if
/// shorter, never shrinking it), so no later write or page fault can run
/// out of space.
fn reserve(file: &OwnedFd, dir: &Path, path: &Path, size: u64) -> Result<(), FileError> {
    let io = |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = libc::off_t::try_from(size).map_err(|_| io(std::io::Error::other("too large")))?;
    // posix_fallocate, not fallocate(2): it also reserves on file systems
    // without fallocate (a BRIDGEKEEPER_SHM_DIR elsewhere than tmpfs).
    // SAFETY: plain system call on an open descriptor.
    let code = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) };
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

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

    /// An existing file keeps its content but not its mode: group and
    /// world lose read access too (it was 0644 before), on the descriptor
    /// that was checked.
    #[test]
    fn existing_files_become_private_and_keep_their_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        for mode in [0o666, 0o644, 0o400] {
            fs::write(&path, b"data").unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            prepare(dir.path(), &spec("x", 4)).unwrap();
            assert_eq!(mode_of(&path), 0o600, "from {mode:o}");
            assert_eq!(fs::read(&path).unwrap(), b"data");
        }
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
        fs::write(dir.path().join("d/inside"), b"kept").unwrap();
        let err = prepare(dir.path(), &spec("d", 4096)).unwrap_err();
        assert!(matches!(err, FileError::NotAFile(_)), "{err}");
        assert_eq!(fs::read(dir.path().join("d/inside")).unwrap(), b"kept");
    }

    fn mode_of(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
    }

    /// Whether this test may chown files to another user (root may). Off
    /// CI a developer without root skips those checks; on CI they must run.
    fn can_chown() -> bool {
        let root = my_uid() == 0;
        assert!(
            root || std::env::var("CI").as_deref() != Ok("true"),
            "the other-owner checks need root on CI"
        );
        root
    }

    const OTHER_UID: u32 = 4242;

    fn chown(path: &Path, uid: u32) {
        std::os::unix::fs::lchown(path, Some(uid), Some(uid)).unwrap();
    }

    #[test]
    fn creates_global_private_and_accepts_its_own_closed_global() {
        let dir = tempfile::tempdir().unwrap();
        prepare(dir.path(), &spec("Global\\a", 4096)).unwrap();
        assert_eq!(mode_of(&dir.path().join("Global")), 0o700);
        assert_eq!(mode_of(&dir.path().join("Global/a")), 0o600);
        // A Global of ours that others cannot write is fine as it is.
        fs::set_permissions(dir.path().join("Global"), fs::Permissions::from_mode(0o755)).unwrap();
        prepare(dir.path(), &spec("Global\\b", 4096)).unwrap();
        assert_eq!(mode_of(&dir.path().join("Global")), 0o755);
    }

    /// A `Global` that is a link would send the bridge, through Wine, to
    /// zero whatever folder it names.
    #[test]
    fn refuses_a_global_link_and_leaves_its_target_alone() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        fs::write(elsewhere.join("a"), b"precious").unwrap();
        let shm = dir.path().join("shm");
        fs::create_dir(&shm).unwrap();
        std::os::unix::fs::symlink(&elsewhere, shm.join("Global")).unwrap();
        let err = prepare(&shm, &spec("Global\\a", 4096)).unwrap_err();
        assert!(
            matches!(&err, FileError::Symlink(p) if p == &shm.join("Global")),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("Global is a symbolic link; remove it"),
            "{err}"
        );
        assert_eq!(fs::read(elsewhere.join("a")).unwrap(), b"precious");
        assert!(!elsewhere.join("b").exists());
        assert!(prepare(&shm, &spec("Global\\b", 4096)).is_err());
        assert!(
            !elsewhere.join("b").exists(),
            "nothing created through the link"
        );
    }

    #[test]
    fn refuses_a_global_others_may_write_or_that_is_not_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let global = dir.path().join("Global");
        fs::create_dir(&global).unwrap();
        for mode in [0o777, 0o770, 0o1777] {
            fs::set_permissions(&global, fs::Permissions::from_mode(mode)).unwrap();
            let err = prepare(dir.path(), &spec("Global\\a", 4096)).unwrap_err();
            assert!(matches!(err, FileError::WritableByOthers { .. }), "{err}");
            let text = err.to_string();
            assert!(
                text.contains(&format!("mode {mode:03o}"))
                    && text.contains(&format!("chmod go-w {}", global.display())),
                "{text}"
            );
            assert_eq!(mode_of(&global), mode, "left as it was");
            assert!(!global.join("a").exists());
        }
        fs::remove_dir(&global).unwrap();
        fs::write(&global, b"a file").unwrap();
        let err = prepare(dir.path(), &spec("Global\\a", 4096)).unwrap_err();
        assert!(matches!(err, FileError::NotADirectory(_)), "{err}");
        assert_eq!(fs::read(&global).unwrap(), b"a file");
    }

    #[test]
    fn refuses_a_global_of_another_user() {
        if !can_chown() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let global = dir.path().join("Global");
        fs::create_dir(&global).unwrap();
        fs::set_permissions(&global, fs::Permissions::from_mode(0o700)).unwrap();
        chown(&global, OTHER_UID);
        let err = prepare(dir.path(), &spec("Global\\a", 4096)).unwrap_err();
        assert!(
            matches!(
                err,
                FileError::Foreign {
                    owner: OTHER_UID,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("belongs to user 4242"), "{err}");
        assert!(!global.join("a").exists());
    }

    /// Another user's file at a mapping's path is refused before it is
    /// opened: its owner, mode, size and bytes stay as they were.
    #[test]
    fn refuses_another_users_file_untouched() {
        if !can_chown() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("Global")).unwrap();
        fs::set_permissions(dir.path().join("Global"), fs::Permissions::from_mode(0o700)).unwrap();
        for name in ["theirs", "Global\\theirs"] {
            let path = path_of(dir.path(), &spec(name, 1).name);
            fs::write(&path, b"their data").unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
            chown(&path, OTHER_UID);
            let before = fs::metadata(&path).unwrap();
            let err = prepare(dir.path(), &spec(name, 4096)).unwrap_err();
            assert!(
                matches!(
                    err,
                    FileError::Foreign {
                        owner: OTHER_UID,
                        ..
                    }
                ),
                "{err}"
            );
            let after = fs::metadata(&path).unwrap();
            assert_eq!(
                (after.uid(), after.mode(), after.len(), after.mtime_nsec()),
                (
                    before.uid(),
                    before.mode(),
                    before.len(),
                    before.mtime_nsec()
                )
            );
            assert_eq!(fs::read(&path).unwrap(), b"their data");
        }
    }

    /// A FIFO is refused without being opened (opening one for reading
    /// alone would hang), and stays a FIFO.
    #[test]
    fn refuses_a_fifo_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mknodat(CWD, &fifo, FileType::Fifo, Mode::from_raw_mode(0o644), 0).unwrap();
        let err = prepare(dir.path(), &spec("fifo", 4096)).unwrap_err();
        assert!(matches!(err, FileError::NotAFile(_)), "{err}");
        assert!(err.to_string().contains("is not a regular file"), "{err}");
        let meta = fs::symlink_metadata(&fifo).unwrap();
        assert!(std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type()));
        assert_eq!(mode_of(&fifo), 0o644, "its mode untouched");
    }
}
