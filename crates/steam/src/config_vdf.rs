//! `config/config.vdf`: the compatibility tool the user chose per game
//! (`CompatToolMapping/<appid>`) and as the global default (entry `"0"`).
//!
//! Real files hold invalid UTF-8 (`SDL_GamepadBind`), so the file is read
//! lossily.

use std::collections::HashMap;
use std::path::Path;

use super::vdf;
use super::warning::Warning;

/// The tool mappings of one installation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompatMapping {
    /// Per-app tool names (non-empty), by appid.
    pub per_app: HashMap<u32, String>,
    /// The global default tool name (entry `"0"`), if set.
    pub global: Option<String>,
}

/// Reads `<root>/config/config.vdf`. A missing file gives an empty mapping
/// without a warning (fresh installs have none yet).
pub fn read_mapping(root: &Path, warnings: &mut Vec<Warning>) -> CompatMapping {
    let file = root.join("config").join("config.vdf");
    match vdf::read(&file, warnings) {
        Some(doc) => mapping_of(&doc, &file, warnings),
        None => CompatMapping::default(),
    }
}

/// The tool mappings in the `config.vdf` document `doc` read from `file`.
pub fn mapping_of(doc: &vdf::Document, file: &Path, warnings: &mut Vec<Warning>) -> CompatMapping {
    let Some(store) = vdf::root_obj(doc, "InstallConfigStore") else {
        warnings.push(Warning::new(
            file,
            "has no InstallConfigStore section; tool mappings ignored",
        ));
        return CompatMapping::default();
    };
    let Some(table) = vdf::get_path(store, &["Software", "Valve", "Steam", "CompatToolMapping"])
    else {
        return CompatMapping::default();
    };
    let mut out = CompatMapping::default();
    for (key, values) in table.iter() {
        let Ok(appid) = key.trim().parse::<u32>() else {
            continue;
        };
        let name = values
            .first()
            .and_then(|v| v.get_obj())
            .and_then(|o| vdf::get_str(o, "name"))
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let Some(name) = name else { continue };
        if appid == 0 {
            out.global = Some(name.to_owned());
        } else {
            out.per_app.insert(appid, name.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_per_app_and_global_with_bad_utf8() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("config")).unwrap();
        std::fs::write(
            tmp.path().join("config/config.vdf"),
            b"\"InstallConfigStore\" { \"Software\" { \"valve\" { \"Steam\" {\n\
              \"SDL_GamepadBind\" \"\xff\xfe\"\n\
              \"CompatToolMapping\" { \"0\" { \"name\" \"proton_9\" \"priority\" \"75\" }\n\
              \"10\" { \"name\" \"GE-Proton9-4\" } \"11\" { \"name\" \"\" } } } } } }",
        )
        .unwrap();
        let mut w = Vec::new();
        let m = read_mapping(tmp.path(), &mut w);
        assert_eq!(m.global.as_deref(), Some("proton_9"));
        assert_eq!(m.per_app, HashMap::from([(10, "GE-Proton9-4".to_owned())]));
        assert_eq!(w.len(), 1);
    }
}
