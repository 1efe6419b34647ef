//! The Steam file readers one level below [`super::discover`]: each takes a
//! file's bytes (and the path it came from, for warnings) instead of a
//! directory tree. Fuzz targets (`fuzz/`) and tests drive them directly;
//! discovery uses the same functions on the files it finds.
//!
//! Like discovery, none of them panics on any input: problems become
//! [`Warning`]s tied to the given path.

use std::path::Path;

use super::warning::Warning;
use super::{compat_tools, config_vdf, library, vdf};

pub use super::appinfo::{SteamPlayManifests, parse as parse_appinfo};
pub use super::binary_vdf::{BinError, BinValue, Cursor, Keys, read_object, read_object_partial};
pub use super::compat_tools::CustomTool;
pub use super::compatdata::{ConfigInfo, parse_config_info};
pub use super::config_vdf::CompatMapping;
pub use super::library::Entry as LibraryEntry;
pub use super::manifest::{Manifest, appid_from_file_name, parse as parse_manifest};
pub use super::shortcuts::{Shortcut, legacy_appid, parse as parse_shortcuts};
pub use super::vdf::{Document, parse as parse_text_vdf};

/// The library entries of a `libraryfolders.vdf`.
pub fn library_folders(
    bytes: &[u8],
    file: &Path,
    warnings: &mut Vec<Warning>,
) -> Vec<LibraryEntry> {
    vdf::parse(bytes, file, warnings)
        .map(|doc| library::entries_of(&doc, file, warnings))
        .unwrap_or_default()
}

/// The `CompatToolMapping` of a `config.vdf`.
pub fn compat_tool_mapping(
    bytes: &[u8],
    file: &Path,
    warnings: &mut Vec<Warning>,
) -> CompatMapping {
    vdf::parse(bytes, file, warnings)
        .map(|doc| config_vdf::mapping_of(&doc, file, warnings))
        .unwrap_or_default()
}

/// The Protons a `compatibilitytool.vdf` declares; `base` is where a
/// relative `install_path` starts (declared directories must exist).
pub fn compat_tool_declaration(
    bytes: &[u8],
    file: &Path,
    base: &Path,
    warnings: &mut Vec<Warning>,
) -> Vec<CustomTool> {
    vdf::parse(bytes, file, warnings)
        .map(|doc| compat_tools::declared_tools(&doc, file, base, warnings))
        .unwrap_or_default()
}
