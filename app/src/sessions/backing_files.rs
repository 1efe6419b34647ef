//! Backing files in `/dev/shm`, prepared on the Linux side before the bridge
//! opens them: never through a symlink, never someone else's, never
//! world-writable.

use std::fs::{self, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use bridgekeeper_protocol::MappingName;

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
}

/// The path of `name`'s backing file in `dir`.
pub fn path_of(dir: &Path, name: &MappingName) -> PathBuf {
    dir.join(name.file_name())
}

/// Creates the backing file of `name` in `dir` if needed, mode 0600, and
/// checks an existing one: a regular file of ours, not a link. Group and
/// world write permission is removed. The bridge sizes and zeroes it.
pub fn prepare(dir: &Path, name: &MappingName) -> Result<PathBuf, FileError> {
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
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> MappingName {
        MappingName::parse(n).unwrap()
    }

    #[test]
    fn creates_private_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = prepare(dir.path(), &name("Local\\acpmf_physics")).unwrap();
        assert_eq!(path, dir.path().join("acpmf_physics"));
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let global = prepare(dir.path(), &name("Global\\x")).unwrap();
        assert_eq!(global, dir.path().join("Global/x"));
    }

    #[test]
    fn removes_world_write_and_keeps_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        fs::write(&path, b"data").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
        prepare(dir.path(), &name("x")).unwrap();
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
            prepare(dir.path(), &name("link")),
            Err(FileError::Symlink(_))
        ));
        assert_eq!(fs::read(&target).unwrap(), b"precious");
        fs::create_dir(dir.path().join("d")).unwrap();
        assert!(prepare(dir.path(), &name("d")).is_err());
    }
}
