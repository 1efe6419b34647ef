//! Creating one file-backed named section for a game's session (launcher
//! and attach mode).

use std::fs::File;

use bridgekeeper_protocol::{MappingMode, MappingSpec};
use windows_sys::Win32::System::Memory::{FILE_MAP_ALL_ACCESS, FILE_MAP_READ};

use super::files::{self, Missing};
use super::view::{Section, View, create_section};
use super::{WinError, wide};
use crate::paths;

/// Why copy mode, in the words the user sees.
pub const COPY_MODE_NOTE: &str = "the game created this section before the bridge, so its memory is \
not the file; the bridge copies it into the file (game to Linux only, about 1 ms behind). Start \
the game with `bridgekeeper run %command%` for zero copy.";

/// Which way a copy-mode mapping copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The named section (the game's memory) into the file.
    SectionToFile,
    /// The file (a game's session) into the named section (a tool's memory).
    FileToSection,
}

/// Copy mode: the file seen through a second, unnamed section.
#[derive(Debug)]
pub struct Mirror {
    /// A view of the whole file.
    pub file_view: View,
    /// Which way the bytes go.
    pub direction: Direction,
    _section: Section,
}

impl Mirror {
    /// Maps `file` through an unnamed section of `size` bytes.
    pub fn new(file: &File, size: u64, direction: Direction) -> Result<Mirror, WinError> {
        let section = create_section(file, size, None)?;
        let len = usize::try_from(size).expect("sizes are at most 1 GiB");
        let access = match direction {
            Direction::SectionToFile => FILE_MAP_ALL_ACCESS,
            Direction::FileToSection => FILE_MAP_READ,
        };
        Ok(Mirror {
            file_view: View::map(&section.handle, access, len)?,
            direction,
            _section: section,
        })
    }
}

/// A live mapping.
#[derive(Debug)]
pub struct Mapping {
    /// The Linux path of the backing file.
    pub file_path: String,
    /// The section's size in bytes.
    pub size: u64,
    /// Shared or copy.
    pub mode: MappingMode,
    /// Why copy mode, when it is.
    pub note: Option<&'static str>,
    /// The named section's view: the file itself in shared mode, someone
    /// else's memory in copy mode. Keeping it mapped keeps the section alive
    /// across game restarts: a section lives while any handle or view of
    /// it does, and a game that restarts while the bridge holds it gets the
    /// file-backed section again instead of a new anonymous one.
    pub view: View,
    /// Copy mode: the file, and which way to copy.
    pub mirror: Option<Mirror>,
    _section: Section,
    _file: File,
}

impl Mapping {
    /// A shared-mode mapping: `section` is backed by `file`.
    pub fn shared(
        file_path: String,
        file: File,
        section: Section,
        size: u64,
    ) -> Result<Self, WinError> {
        let len = usize::try_from(size).expect("sizes are at most 1 GiB");
        let view = View::map(&section.handle, FILE_MAP_ALL_ACCESS, len)?;
        Ok(Mapping {
            file_path,
            size,
            mode: MappingMode::Shared,
            note: None,
            view,
            mirror: None,
            _section: section,
            _file: file,
        })
    }

    /// A copy-mode mapping of `size` bytes: `section` is someone else's
    /// memory, seen through `view`, and `mirror` is the file.
    pub fn copied(
        (file_path, file, size): (String, File, u64),
        (section, view): (Section, View),
        mirror: Mirror,
        note: &'static str,
    ) -> Self {
        Mapping {
            file_path,
            size,
            mode: MappingMode::Copy,
            note: Some(note),
            view,
            mirror: Some(mirror),
            _section: section,
            _file: file,
        }
    }

    /// Writes `token` at offset 0 of the file, from the Windows side.
    pub fn write_probe(&self, token: &[u8]) {
        let target = self.mirror.as_ref().map_or(&self.view, |m| &m.file_view);
        for (i, &byte) in token.iter().take(target.len()).enumerate() {
            // SAFETY: `i` is inside the view, which stays mapped meanwhile;
            // other processes may write it too, so the write is volatile.
            unsafe { target.ptr().add(i).write_volatile(byte) };
        }
    }
}

/// Creates the backing file and the named section for `spec` in `dir`.
pub fn create(spec: &MappingSpec, dir: &str, missing: Missing) -> Result<Mapping, WinError> {
    let size = spec.size.bytes();
    if let Some(subdir) = spec.name.subdirectory() {
        files::ensure_subdirectory(dir, subdir, missing)?;
    }
    let file_path = paths::join(dir, &spec.name.file_name());
    let file = files::open_for_session(&file_path, size, missing)?;

    let section = create_section(&file, size, Some(&wide(spec.name.win32())))?;
    if !section.existed {
        return Mapping::shared(file_path, file, section, size);
    }

    // The name existed, so `file` was ignored: mirror the game's section.
    let view = View::map(&section.handle, FILE_MAP_READ, 0).map_err(|err| WinError {
        code: err.code,
        message: format!(
            "the game created the section first and it cannot be read: {}",
            err.message
        ),
    })?;
    let mirror = Mirror::new(&file, size, Direction::SectionToFile)?;
    Ok(Mapping::copied(
        (file_path, file, size),
        (section, view),
        mirror,
        COPY_MODE_NOTE,
    ))
}
