//! Serve mode: a running session's sections once more, in another prefix.
//!
//! A telemetry tool (SimHub, CrewChief...) that runs in its own Wine prefix
//! opens the game's sections by name, but section names live in one
//! wineserver: the tool's prefix has none. The serve bridge creates the same
//! names there, on the backing files the game's session already uses, so
//! the tool maps the very pages the game writes: zero copy, both ways.
//!
//! Those files are a running game's memory. So serve mode opens only files
//! that exist and never writes, zeroes, resizes or removes one: a file
//! shorter than its mapping fails (the tool would map past its end) rather
//! than being extended under the game. The section gets the file's size, so
//! a tool that asks for the mapping's size can always map it.
//!
//! If the tool created a section first (it starts before the bridge, and
//! `CreateFileMappingW` reports error 183 and ignores the file), its memory
//! cannot become the file's. The bridge then copies the file into the
//! tool's section instead, changed pages every millisecond: the game's data
//! reaches the tool, but the tool's writes do not reach the game.

use bridgekeeper_protocol::MappingSpec;
use windows_sys::Win32::System::Memory::FILE_MAP_ALL_ACCESS;

use super::mapping::{Direction, Mapping, Mirror};
use super::view::{View, create_section};
use super::{WinError, files, wide};
use crate::paths;

/// Why copy mode in serve mode, in the words the user sees.
pub const SERVE_COPY_NOTE: &str = "a program in this prefix created this section before the \
bridge, so its memory is not the game's file; the bridge copies the file into it (game to tool \
only, about 1 ms behind: what the tool writes does not reach the game). Start the tool after the \
bridge for zero copy both ways.";

/// Creates the named section for `spec` on its existing file in `dir`.
pub fn create(spec: &MappingSpec, dir: &str) -> Result<Mapping, WinError> {
    let file_path = paths::join(dir, &spec.name.file_name());
    let (file, len) = files::open_for_serving(&file_path, spec.size.bytes())?;
    let section = create_section(&file, len, Some(&wide(spec.name.win32())))?;
    if !section.existed {
        return Mapping::shared(file_path, file, section, len);
    }

    // A tool made the name first, so `file` was ignored: copy into its section.
    let view = View::map(&section.handle, FILE_MAP_ALL_ACCESS, 0).map_err(|err| WinError {
        code: err.code,
        message: format!(
            "a program in this prefix created the section first and the bridge cannot write \
             it: {}",
            err.message
        ),
    })?;
    let mirror = Mirror::new(&file, len, Direction::FileToSection)?;
    Ok(Mapping::copied(
        (file_path, file, len),
        (section, view),
        mirror,
        SERVE_COPY_NOTE,
    ))
}
