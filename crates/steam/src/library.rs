//! Steam libraries from `libraryfolders.vdf`.
//!
//! The file lives in two places (`steamapps/` and `config/`); both are read
//! and merged. Both formats are accepted: the new one, where each numbered
//! entry is an object with `path`, `label` and an `apps` map, and the old
//! one, where each numbered entry is the path itself.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use keyvalues_parser::Value;

use super::fsutil;
use super::model::{InstallKind, Library};
use super::vdf;
use super::warning::Warning;

/// A library with what discovery needs beyond the public [`Library`].
#[derive(Debug, Clone)]
pub struct LibraryInfo {
    /// The public description.
    pub library: Library,
    /// Its `steamapps` directory, when reachable.
    pub steamapps: Option<PathBuf>,
    /// Appids the library list says it holds (new format only).
    pub listed_apps: HashSet<u32>,
    /// Identity for de-duplication (symlinks resolved).
    canonical: PathBuf,
}

/// One entry read from a `libraryfolders.vdf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The library folder as written (never empty).
    pub path: PathBuf,
    /// Its label, new format only.
    pub label: Option<String>,
    /// Appids its `apps` map lists, new format only.
    pub apps: HashSet<u32>,
}

/// Reads the libraries of the Steam root `root`, the root's own library
/// first. Libraries listed but not reachable are kept with
/// `available: false` and a warning.
pub fn read_libraries(
    root: &Path,
    kind: InstallKind,
    home: Option<&Path>,
    warnings: &mut Vec<Warning>,
) -> Vec<LibraryInfo> {
    let mut sources = Vec::new();
    for dir in ["steamapps", "config"] {
        let Some(dir) = fsutil::child_ci(root, dir) else {
            continue;
        };
        let file = dir.join("libraryfolders.vdf");
        if let Some(doc) = vdf::read(&file, warnings) {
            for entry in entries_of(&doc, &file, warnings) {
                sources.push((file.clone(), entry));
            }
        }
    }

    let mut out: Vec<LibraryInfo> = Vec::new();
    let root_entry = Entry {
        path: root.to_path_buf(),
        label: None,
        apps: HashSet::new(),
    };
    add(&mut out, root_entry, root, None, warnings);
    for (file, mut entry) in sources {
        // Inside Flatpak Steam, the home-relative default path means the
        // Flatpak root itself (protontricks `resolve_library_folder`).
        if kind == InstallKind::Flatpak
            && home.is_some_and(|h| entry.path == h.join(".local/share/Steam"))
        {
            entry.path = root.to_path_buf();
        }
        add(&mut out, entry, root, Some(&file), warnings);
    }
    out
}

fn add(
    out: &mut Vec<LibraryInfo>,
    entry: Entry,
    root: &Path,
    file: Option<&Path>,
    warnings: &mut Vec<Warning>,
) {
    let resolved = fsutil::resolve_ci(&entry.path);
    let canonical = resolved
        .as_deref()
        .map(fsutil::canonical_or_same)
        .unwrap_or_else(|| entry.path.clone());
    if let Some(existing) = out.iter_mut().find(|l| l.canonical == canonical) {
        existing.listed_apps.extend(entry.apps);
        if existing.library.label.is_none() {
            existing.library.label = entry.label.filter(|l| !l.is_empty());
        }
        return;
    }
    let path = resolved.unwrap_or_else(|| entry.path.clone());
    let steamapps = fsutil::child_ci(&path, "steamapps").filter(|p| p.is_dir());
    if steamapps.is_none() {
        let what = if path.exists() {
            "has no steamapps/ directory"
        } else {
            "is not reachable (unmounted drive or removed folder?)"
        };
        warnings.push(Warning::new(
            file.unwrap_or(root),
            format!(
                "library {} {what}; its games are skipped",
                entry.path.display()
            ),
        ));
    }
    out.push(LibraryInfo {
        library: Library {
            path,
            label: entry.label.filter(|l| !l.is_empty()),
            available: steamapps.is_some(),
        },
        steamapps,
        listed_apps: entry.apps,
        canonical,
    });
}

/// The numbered entries of the `libraryfolders.vdf` document `doc` read
/// from `file`, either format; a document of another kind gives a warning
/// and no entries.
pub fn entries_of(doc: &vdf::Document, file: &Path, warnings: &mut Vec<Warning>) -> Vec<Entry> {
    let found = parse_entries(doc);
    if found.is_none() {
        warnings.push(Warning::new(file, "has no libraryfolders section; ignored"));
    }
    found.unwrap_or_default()
}

/// The numbered entries of a `libraryfolders` document, either format.
/// `None` if the top-level key is not `libraryfolders`.
fn parse_entries(doc: &vdf::Document) -> Option<Vec<Entry>> {
    let top = vdf::root_obj(doc, "libraryfolders")?;
    let mut out = Vec::new();
    for (key, values) in top.iter() {
        if key.parse::<u32>().is_err() {
            continue;
        }
        for value in values {
            match value {
                Value::Str(path) if !path.is_empty() => out.push(Entry {
                    path: PathBuf::from(path.as_ref()),
                    label: None,
                    apps: HashSet::new(),
                }),
                Value::Obj(obj) => {
                    let Some(path) = vdf::get_str(obj, "path").filter(|p| !p.is_empty()) else {
                        continue;
                    };
                    let apps = vdf::get_obj(obj, "apps")
                        .map(|apps| apps.keys().filter_map(|k| k.parse().ok()).collect())
                        .unwrap_or_default();
                    out.push(Entry {
                        path: PathBuf::from(path),
                        label: vdf::get_str(obj, "label").map(str::to_owned),
                        apps,
                    });
                }
                Value::Str(_) => {}
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Vec<Entry> {
        let mut w = Vec::new();
        let doc = vdf::parse(text.as_bytes(), Path::new("/l.vdf"), &mut w).unwrap();
        parse_entries(&doc).unwrap()
    }

    #[test]
    fn new_format() {
        let e = entries(
            r#""libraryfolders" { "contentstatsid" "1"
               "0" { "path" "/a" "label" "" "apps" { "10" "1" "20" "2" } }
               "1" { "path" "/b c" "label" "Games" "apps" { } } }"#,
        );
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].apps, HashSet::from([10, 20]));
        assert_eq!(e[1].path, PathBuf::from("/b c"));
        assert_eq!(e[1].label.as_deref(), Some("Games"));
    }

    #[test]
    fn old_format() {
        let e = entries(r#""LibraryFolders" { "TimeNextStatsReport" "1" "1" "/mnt/x" }"#);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].path, PathBuf::from("/mnt/x"));
    }
}
