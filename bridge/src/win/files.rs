//! Opening backing files, the way each mode needs them.
//!
//! - A session's file (launcher and attach mode) is opened, or created
//!   owner-only (see [`super::owner_only`]), made at least the mapping's
//!   size, and zeroed: see [`open_for_session`].
//! - With `--existing-files` the program that started the bridge has
//!   created and checked every file (no symlink, its user's, mode 0600):
//!   a missing one is a failure, never a new file with Wine's mode, and the
//!   `Global` directory is never created.
//! - Serve mode shares the files of a session that runs in another prefix:
//!   see [`open_for_serving`]. Those bytes are a running game's memory, so
//!   the file is never created, written, resized or removed.

use std::fs::File;
use std::os::windows::fs::FileExt;
use std::os::windows::io::FromRawHandle;
use std::ptr::{null, null_mut};

use windows_sys::Win32::Foundation::{
    ERROR_ALREADY_EXISTS, GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateDirectoryW, CreateFileW, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_DELETE, FILE_SHARE_READ,
    FILE_SHARE_WRITE, OPEN_ALWAYS, OPEN_EXISTING,
};

use super::owner_only::{Kind, OwnerOnly};
use super::{WinError, wide};
use crate::paths;

/// Whether a missing backing file may be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Create it, owner-only (the bridge run by hand).
    Create,
    /// Fail (`--existing-files`, serve mode).
    Fail,
}

/// Makes sure `dir/subdir` exists (the `Global` directory); with
/// [`Missing::Fail`] it is never created: opening a file in it fails instead.
pub fn ensure_subdirectory(dir: &str, subdir: &str, missing: Missing) -> Result<(), WinError> {
    if missing == Missing::Fail {
        return Ok(());
    }
    let mut owner_only = OwnerOnly::new(Kind::Directory)?;
    let attributes = owner_only.attributes();
    let path = wide(&paths::to_wine(&paths::join(dir, subdir)));
    // SAFETY: `path` is NUL-terminated; `attributes` points into
    // `owner_only`, alive for the call.
    let ok = unsafe { CreateDirectoryW(path.as_ptr(), &attributes) };
    let error = unsafe { windows_sys::Win32::Foundation::GetLastError() };
    if ok == 0 && error != ERROR_ALREADY_EXISTS {
        return Err(WinError::new(
            error,
            &format!("cannot create the directory {dir}/{subdir}"),
        ));
    }
    Ok(())
}

/// Opens `path` for reading and writing, sharing it with everyone as games
/// and readers expect.
fn open(path: &str, missing: Missing) -> Result<File, WinError> {
    let mut owner_only = match missing {
        Missing::Create => Some(OwnerOnly::new(Kind::File)?),
        Missing::Fail => None,
    };
    let attributes = owner_only.as_mut().map(OwnerOnly::attributes);
    let disposition = match missing {
        Missing::Create => OPEN_ALWAYS,
        Missing::Fail => OPEN_EXISTING,
    };
    let name = wide(&paths::to_wine(path));
    // SAFETY: `name` is NUL-terminated; `attributes`, when given, points
    // into `owner_only`, alive for the call.
    let handle = unsafe {
        CreateFileW(
            name.as_ptr(),
            GENERIC_READ | GENERIC_WRITE,
            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
            attributes.as_ref().map_or(null(), |a| a as *const _),
            disposition,
            FILE_ATTRIBUTE_NORMAL,
            null_mut(),
        )
    };
    if handle == INVALID_HANDLE_VALUE {
        let err = WinError::last(&format!("cannot open {path}"));
        return Err(match (missing, err.code) {
            (Missing::Fail, 2 | 3) => WinError {
                code: err.code,
                message: format!(
                    "{path} does not exist, and the bridge creates no backing file with \
                     --existing-files or --serve ({})",
                    err.message
                ),
            },
            _ => err,
        });
    }
    // SAFETY: a new file handle that nobody else owns.
    Ok(unsafe { File::from_raw_handle(handle) })
}

/// Opens (or creates) a session's file, makes it at least `size` bytes
/// long, and writes zeros over all of it: what an earlier session left is
/// cleared (a tmpfs file keeps its bytes after every handle closes, and a
/// game would read them as its own), and every page is allocated now.
///
/// tmpfs allocates pages lazily: a file only made longer would let the game
/// map pages that a full `/dev/shm` cannot back, and its first write to one
/// would be `SIGBUS`. Writing every byte makes a full `/dev/shm` fail here,
/// with a message, instead. The file never shrinks, and it is never
/// truncated first, so a Linux reader that still maps it never touches a
/// page past its end.
pub fn open_for_session(path: &str, size: u64, missing: Missing) -> Result<File, WinError> {
    let file = open(path, missing)?;
    let old_len = file
        .metadata()
        .map_err(|err| io_error(&err, &format!("cannot read the size of {path}")))?
        .len();
    if old_len < size {
        file.set_len(size)
            .map_err(|err| io_error(&err, &format!("cannot make {path} {size} bytes long")))?;
    }
    let zeros = vec![0u8; 64 * 1024];
    let end = old_len.max(size);
    let mut offset = 0;
    while offset < end {
        let n = (end - offset).min(zeros.len() as u64) as usize;
        let written = match file.seek_write(&zeros[..n], offset) {
            Ok(0) => Err(std::io::Error::from(std::io::ErrorKind::WriteZero)),
            other => other,
        };
        match written {
            Ok(written) => offset += written as u64,
            Err(err) => {
                if old_len < size {
                    // Nobody maps the new tail yet: give the space back.
                    let _ = file.set_len(old_len);
                }
                return Err(io_error(
                    &err,
                    &format!("cannot reserve {size} bytes for {path} (is its directory full?)"),
                ));
            }
        }
    }
    Ok(file)
}

/// Serve mode: opens a running session's file as it is; returns it and its
/// length, which must be at least `size`. Nothing is written, and a short
/// file is refused rather than extended: the game maps it, and the session
/// that made it is the one to size it.
pub fn open_for_serving(path: &str, size: u64) -> Result<(File, u64), WinError> {
    let file = open(path, Missing::Fail)?;
    let len = file
        .metadata()
        .map_err(|err| io_error(&err, &format!("cannot read the size of {path}")))?
        .len();
    if len < size {
        return Err(WinError {
            code: 0,
            message: format!(
                "{path} is {len} bytes, shorter than the {size} bytes asked for; serve mode \
                 never extends a session's file: serve it while the game's session runs, \
                 with the same sizes"
            ),
        });
    }
    Ok((file, len))
}

/// A `WinError` from an I/O error, with what was being done.
pub fn io_error(err: &std::io::Error, doing: &str) -> WinError {
    WinError {
        code: err.raw_os_error().map_or(0, |c| c as u32),
        message: format!("{doing}: {err}"),
    }
}
