//! Creating one file-backed named section.

use std::fs::{File, OpenOptions};
use std::os::windows::fs::{FileExt, OpenOptionsExt};

use bridgekeeper_protocol::{MappingMode, MappingSpec};
use windows_sys::Win32::Storage::FileSystem::{
    FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE,
};
use windows_sys::Win32::System::Memory::{FILE_MAP_ALL_ACCESS, FILE_MAP_READ};

use super::view::{Section, View, create_section};
use super::{WinError, wide};
use crate::paths;

/// Why copy mode, in the words the user sees.
pub const COPY_MODE_NOTE: &str = "the game created this section before the bridge, so its memory is \
not the file; the bridge copies it into the file (game to Linux only, about 1 ms behind). Start \
the game with `bridgekeeper run %command%` for zero copy.";

/// A live mapping.
#[derive(Debug)]
pub struct Mapping {
    /// The Linux path of the backing file.
    pub file_path: String,
    /// Shared or copy.
    pub mode: MappingMode,
    /// The named section's view: the file itself in shared mode, the game's
    /// memory in copy mode. Keeping it mapped keeps the section alive across
    /// game restarts (docs/wine-behaviour.md, How long a section lives).
    pub view: View,
    /// Copy mode: a view of the file, through a second, unnamed section.
    pub mirror: Option<View>,
    _section: Section,
    _mirror_section: Option<Section>,
    _file: File,
}

impl Mapping {
    /// Writes `token` at offset 0 of the file, from the Windows side.
    pub fn write_probe(&self, token: &[u8]) {
        let target = self.mirror.as_ref().unwrap_or(&self.view);
        let n = token.len().min(target.len());
        // SAFETY: `n` bytes fit in the view, which stays mapped meanwhile.
        unsafe { std::ptr::copy_nonoverlapping(token.as_ptr(), target.ptr(), n) };
    }
}

/// Creates the backing file and the named section for `spec` in `dir`.
pub fn create(spec: &MappingSpec, dir: &str) -> Result<Mapping, WinError> {
    let size = spec.size.bytes();
    if let Some(subdir) = spec.name.subdirectory() {
        let path = paths::to_wine(&paths::join(dir, subdir));
        if let Err(err) = std::fs::create_dir(&path)
            && err.kind() != std::io::ErrorKind::AlreadyExists
        {
            return Err(io_error(
                &err,
                &format!("cannot create the directory {dir}/{subdir}"),
            ));
        }
    }
    let file_path = paths::join(dir, &spec.name.file_name());
    let file = open_zeroed(&file_path, size)?;

    let section = create_section(&file, size, Some(&wide(spec.name.win32())))?;
    let len = usize::try_from(size).expect("sizes are at most 1 GiB");
    if !section.existed {
        let view = View::map(&section.handle, FILE_MAP_ALL_ACCESS, len)?;
        return Ok(Mapping {
            file_path,
            mode: MappingMode::Shared,
            view,
            mirror: None,
            _section: section,
            _mirror_section: None,
            _file: file,
        });
    }

    // The name existed, so `file` was ignored: mirror the game's section.
    let view = View::map(&section.handle, FILE_MAP_READ, 0).map_err(|err| WinError {
        code: err.code,
        message: format!(
            "the game created the section first and it cannot be read: {}",
            err.message
        ),
    })?;
    let mirror_section = create_section(&file, size, None)?;
    let mirror = View::map(&mirror_section.handle, FILE_MAP_ALL_ACCESS, len)?;
    Ok(Mapping {
        file_path,
        mode: MappingMode::Copy,
        view,
        mirror: Some(mirror),
        _section: section,
        _mirror_section: Some(mirror_section),
        _file: file,
    })
}

/// Opens or creates the file, makes it at least `size` bytes long, and writes
/// zeros over all of it: what an earlier session left is cleared
/// (docs/wine-behaviour.md, Backing files outlive everything), and every
/// page is allocated now.
///
/// tmpfs allocates pages lazily: a file only made longer would let the game
/// map pages that a full `/dev/shm` cannot back, and its first write to one
/// would be `SIGBUS`. Writing every byte makes a full `/dev/shm` fail here,
/// with a message, instead. The file never shrinks, and it is never
/// truncated first, so a Linux reader that still maps it never touches a
/// page past its end.
fn open_zeroed(path: &str, size: u64) -> Result<File, WinError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
        .open(paths::to_wine(path))
        .map_err(|err| io_error(&err, &format!("cannot open {path}")))?;
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

fn io_error(err: &std::io::Error, doing: &str) -> WinError {
    WinError {
        code: err.raw_os_error().map_or(0, |c| c as u32),
        message: format!("{doing}: {err}"),
    }
}
