//! Text VDF (KeyValues) and the readers built on it: `libraryfolders.vdf`,
//! `config.vdf` (`CompatToolMapping`), `compatibilitytool.vdf`, plus the
//! line-based `config_info` and Proton `version` files.
//!
//! Asserts, besides "never panics": every warning names the file it was
//! given; an accepted document nests no deeper than the reader's limit;
//! library entries have a path; tool mappings have a non-empty, trimmed
//! name and appid 0 only as the global default; declared tools point at
//! existing directories; `config_info` yields an absolute Proton directory.

#![no_main]

use std::path::Path;

use bridgekeeper_steam::formats;
use bridgekeeper_steam::{Warning, first_tool_path, parse_version};
use keyvalues_parser::Value;
use libfuzzer_sys::fuzz_target;

/// The reader's nesting limit (`vdf::MAX_DEPTH`).
const MAX_DEPTH: usize = 64;

fn depth(value: &Value<'_>) -> usize {
    match value {
        Value::Str(_) => 0,
        Value::Obj(obj) => 1 + obj.values().flatten().map(depth).max().unwrap_or(0),
    }
}

fn all_about(warnings: &[Warning], file: &Path) {
    for w in warnings {
        assert_eq!(w.file, file, "warning tied to the wrong file: {w}");
        assert!(
            !w.message.is_empty(),
            "empty warning for {}",
            w.file.display()
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let file = Path::new("/fuzz/steamapps/libraryfolders.vdf");
    let mut warnings = Vec::new();
    if let Some(doc) = formats::parse_text_vdf(data, file, &mut warnings) {
        assert!(
            depth(&doc.value) <= MAX_DEPTH + 1,
            "accepted a document nested {} levels deep",
            depth(&doc.value)
        );
    }
    all_about(&warnings, file);

    let mut warnings = Vec::new();
    for entry in formats::library_folders(data, file, &mut warnings) {
        assert!(
            !entry.path.as_os_str().is_empty(),
            "library entry without a path"
        );
    }
    all_about(&warnings, file);

    let file = Path::new("/fuzz/config/config.vdf");
    let mut warnings = Vec::new();
    let mapping = formats::compat_tool_mapping(data, file, &mut warnings);
    all_about(&warnings, file);
    assert!(
        !mapping.per_app.contains_key(&0),
        "appid 0 is the global default"
    );
    for name in mapping.per_app.values().chain(&mapping.global) {
        assert!(
            !name.is_empty() && name.trim() == name,
            "tool name {name:?}"
        );
    }

    let file = Path::new("/fuzz/compatibilitytools.d/tool/compatibilitytool.vdf");
    let base = Path::new("/nonexistent/bridgekeeper-fuzz/tool");
    let mut warnings = Vec::new();
    for tool in formats::compat_tool_declaration(data, file, base, &mut warnings) {
        assert!(
            tool.path.is_dir(),
            "tool {} at missing {}",
            tool.name,
            tool.path.display()
        );
    }
    all_about(&warnings, file);

    let text = String::from_utf8_lossy(data);
    let file = Path::new("/fuzz/compatdata/10/config_info");
    if let Some(info) = formats::parse_config_info(&text, file) {
        assert!(info.proton_dir.is_absolute(), "{info:?}");
        assert_eq!(info.file, file);
        assert_eq!(info.prefix_version.trim(), info.prefix_version);
    }
    if let Some(version) = parse_version(&text) {
        assert!(
            !version.is_empty() && !version.contains(char::is_whitespace),
            "{version:?}"
        );
    }
    if let Some(path) = first_tool_path(&text) {
        assert!(!path.as_os_str().is_empty());
        assert!(!path.to_string_lossy().contains(':'));
    }
});
