//! Compatibility tools: custom ones declared by `compatibilitytool.vdf`
//! (GE-Proton and the like) and Valve's, installed as apps; and turning a
//! tool name into its install directory.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::fsutil;
use super::vdf;
use super::warning::Warning;

/// Valve tool names Steam stores in `CompatToolMapping`, with their appids
/// (docs/steam-internals.md, Compatibility tools). `appinfo.vdf` adds to
/// these when readable.
pub const VALVE_TOOL_APPIDS: [(&str, u32); 7] = [
    ("proton_experimental", 1_493_710),
    ("proton_hotfix", 2_180_100),
    ("proton_7", 1_887_720),
    ("proton_8", 2_348_590),
    ("proton_9", 2_805_730),
    ("proton_10", 3_658_110),
    ("proton_11", 4_628_710),
];

/// Steam Linux Runtime appids (not games, not Protons).
pub const RUNTIME_APPIDS: [u32; 4] = [1_070_560, 1_391_110, 1_628_350, 4_183_110];

/// A tool declared by a `compatibilitytool.vdf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomTool {
    /// The internal name (the key `CompatToolMapping` stores).
    pub name: String,
    /// The name shown in Steam.
    pub display_name: Option<String>,
    /// The install directory.
    pub path: PathBuf,
}

/// A tool name resolved to a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedTool {
    /// The name as resolved.
    pub name: String,
    /// The install directory, if found.
    pub path: Option<PathBuf>,
}

/// All tools known for one installation.
#[derive(Debug, Clone, Default)]
pub struct ToolIndex {
    /// Custom tools by lower-case internal name; later directories have
    /// already overridden earlier ones.
    pub custom: HashMap<String, CustomTool>,
    /// Installed Valve apps that are tools, by appid, with their directory.
    pub valve_dirs: HashMap<u32, PathBuf>,
    /// Valve tool names (lower-case) to appids.
    pub valve_names: HashMap<String, u32>,
    /// Every library's `steamapps/common`, for name-based fallbacks.
    pub common_dirs: Vec<PathBuf>,
    /// Directories with their symlinks resolved, each resolved once per
    /// discovery: resolving every tool's directory again for each game
    /// whose `config_info` names its Proton by another path was a thousand
    /// `readlink`s on a 500-app library.
    canonical: RefCell<HashMap<PathBuf, PathBuf>>,
}

impl ToolIndex {
    /// An index with the built-in Valve names.
    pub fn new() -> Self {
        Self {
            valve_names: VALVE_TOOL_APPIDS
                .iter()
                .map(|(n, id)| ((*n).to_owned(), *id))
                .collect(),
            ..Self::default()
        }
    }

    /// Resolves a tool name from `CompatToolMapping` or appinfo to its
    /// directory: custom tools first, then Valve's by appid, then Valve's
    /// usual directory names.
    pub fn resolve(&self, name: &str) -> ResolvedTool {
        let key = name.to_ascii_lowercase();
        if let Some(tool) = self.custom.get(&key) {
            return ResolvedTool {
                name: tool.name.clone(),
                path: Some(tool.path.clone()),
            };
        }
        let by_appid = self
            .valve_names
            .get(&key)
            .and_then(|id| self.valve_dirs.get(id))
            .cloned();
        let path = by_appid.or_else(|| {
            valve_dir_names(&key).into_iter().find_map(|dir| {
                self.common_dirs
                    .iter()
                    .map(|c| c.join(&dir))
                    .find(|p| p.join("proton").is_file())
            })
        });
        ResolvedTool {
            name: name.to_owned(),
            path,
        }
    }

    /// The best name for a tool directory (from `config_info` or a running
    /// game): the custom tool's internal name, the Valve tool name, or the
    /// directory name.
    pub fn name_for_dir(&self, dir: &Path) -> String {
        // Exact path matches first (the usual case, and free); only then
        // compare with symlinks resolved.
        if let Some(name) = self.name_matching(|p| p == dir) {
            return name;
        }
        let canonical = self.canonical(dir);
        if let Some(name) = self.name_matching(|p| self.canonical(p) == canonical) {
            return name;
        }
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| dir.display().to_string())
    }

    /// `dir` with symlinks resolved (or itself when that fails), resolved
    /// once per index.
    pub(crate) fn canonical(&self, dir: &Path) -> PathBuf {
        if let Some(known) = self.canonical.borrow().get(dir) {
            return known.clone();
        }
        let resolved = fsutil::canonical_or_same(dir);
        self.canonical
            .borrow_mut()
            .insert(dir.to_path_buf(), resolved.clone());
        resolved
    }

    fn name_matching(&self, same: impl Fn(&Path) -> bool) -> Option<String> {
        if let Some(tool) = self.custom.values().find(|t| same(&t.path)) {
            return Some(tool.name.clone());
        }
        let (appid, _) = self.valve_dirs.iter().find(|(_, p)| same(p))?;
        self.valve_names
            .iter()
            .filter(|(_, id)| *id == appid)
            .map(|(n, _)| n)
            .min_by_key(|n| (n.len(), (*n).clone()))
            .cloned()
    }

    /// Adds the custom tools found in `dirs` (in priority order: later
    /// entries override earlier ones with the same internal name).
    pub fn scan_custom(&mut self, dirs: &[PathBuf], warnings: &mut Vec<Warning>) {
        for dir in dirs {
            for tool in scan_dir(dir, warnings) {
                self.custom.insert(tool.name.to_ascii_lowercase(), tool);
            }
        }
    }
}

/// Valve's usual directory names for a tool name, tried when no app
/// manifest maps it (`proton_9` → `Proton 9.0`, `proton_63` → `Proton 6.3`).
fn valve_dir_names(name: &str) -> Vec<String> {
    match name {
        "proton_experimental" => vec!["Proton - Experimental".to_owned()],
        "proton_hotfix" => vec!["Proton Hotfix".to_owned()],
        _ => {
            let Some(digits) = name
                .strip_prefix("proton_")
                .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            else {
                return Vec::new();
            };
            let mut out = vec![format!("Proton {digits}.0")];
            if digits.len() >= 2 {
                let (major, minor) = digits.split_at(1);
                out.push(format!("Proton {major}.{minor}"));
            }
            out
        }
    }
}

/// The custom tools declared in one `compatibilitytools.d` directory: in
/// `<dir>/<tool>/compatibilitytool.vdf` or in a `*.vdf` directly in `dir`.
/// A missing directory is silently empty.
pub fn scan_dir(dir: &Path, warnings: &mut Vec<Warning>) -> Vec<CustomTool> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(err) => {
            warnings.push(Warning::io(dir, &err));
            return Vec::new();
        }
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let (file, base) = if path.is_dir() {
            let file = path.join("compatibilitytool.vdf");
            if !file.is_file() {
                continue;
            }
            (file, path)
        } else if path.extension().is_some_and(|e| e == "vdf") {
            (path, dir.to_path_buf())
        } else {
            continue;
        };
        out.extend(parse_declaration(&file, &base, warnings));
    }
    out
}

/// Reads one `compatibilitytool.vdf`; `base` is where a relative
/// `install_path` starts. Only Windows-to-Linux tools (Protons) are kept.
fn parse_declaration(file: &Path, base: &Path, warnings: &mut Vec<Warning>) -> Vec<CustomTool> {
    match vdf::read(file, warnings) {
        Some(doc) => declared_tools(&doc, file, base, warnings),
        None => Vec::new(),
    }
}

/// The Protons declared by the `compatibilitytool.vdf` document `doc` read
/// from `file`; `base` is where a relative `install_path` starts. Tools
/// whose directory does not exist are left out with a warning.
pub fn declared_tools(
    doc: &vdf::Document,
    file: &Path,
    base: &Path,
    warnings: &mut Vec<Warning>,
) -> Vec<CustomTool> {
    let Some(tools) =
        vdf::root_obj(doc, "compatibilitytools").and_then(|o| vdf::get_obj(o, "compat_tools"))
    else {
        warnings.push(Warning::new(
            file,
            "has no compatibilitytools/compat_tools section; ignored",
        ));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, values) in tools.iter() {
        let Some(obj) = values.first().and_then(|v| v.get_obj()) else {
            continue;
        };
        let from = vdf::get_str(obj, "from_oslist").unwrap_or("windows");
        let to = vdf::get_str(obj, "to_oslist").unwrap_or("linux");
        if !from.eq_ignore_ascii_case("windows") || !to.eq_ignore_ascii_case("linux") {
            continue;
        }
        let install = vdf::get_str(obj, "install_path").unwrap_or(".");
        let path = if install == "." || install.is_empty() {
            base.to_path_buf()
        } else {
            base.join(install)
        };
        if !path.is_dir() {
            warnings.push(Warning::new(
                file,
                format!(
                    "declares tool {name} at {}, which does not exist; ignored",
                    path.display()
                ),
            ));
            continue;
        }
        out.push(CustomTool {
            name: name.to_string(),
            display_name: vdf::get_str(obj, "display_name").map(str::to_owned),
            path,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_tools_later_dirs_override_and_only_protons_count() {
        let tmp = tempfile::tempdir().unwrap();
        let sys = tmp.path().join("sys");
        let user = tmp.path().join("user");
        for (dir, tool) in [(&sys, "GE-Proton9-4"), (&user, "GE-Proton9-4")] {
            let d = dir.join(format!("{tool}-dir"));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(
                d.join("compatibilitytool.vdf"),
                format!(
                    r#""compatibilitytools" {{ "compat_tools" {{ "{tool}" {{ "install_path" "." "display_name" "GE" "from_oslist" "windows" "to_oslist" "linux" }}
                    "native" {{ "install_path" "." "from_oslist" "linux" "to_oslist" "linux" }} }} }}"#
                ),
            )
            .unwrap();
        }
        let mut w = Vec::new();
        let mut index = ToolIndex::new();
        index.scan_custom(&[sys, user.clone()], &mut w);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(index.custom.len(), 1);
        let r = index.resolve("ge-proton9-4");
        assert_eq!(r.path, Some(user.join("GE-Proton9-4-dir")));
        assert_eq!(
            index.name_for_dir(&user.join("GE-Proton9-4-dir")),
            "GE-Proton9-4"
        );
    }

    #[test]
    fn valve_directory_names() {
        assert_eq!(valve_dir_names("proton_9"), vec!["Proton 9.0"]);
        assert_eq!(
            valve_dir_names("proton_63"),
            vec!["Proton 63.0", "Proton 6.3"]
        );
        assert!(valve_dir_names("proton_").is_empty());
        assert!(valve_dir_names("GE-Proton").is_empty());
    }
}
