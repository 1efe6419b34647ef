//! Small file-system helpers shared by the discovery modules.

use std::path::{Component, Path, PathBuf};

/// `dir/name` if it exists; otherwise the entry of `dir` whose name matches
/// `name` case-insensitively (Steam itself ignores case, and old installs
/// have `SteamApps`).
pub fn child_ci(dir: &Path, name: &str) -> Option<PathBuf> {
    let exact = dir.join(name);
    if exact.exists() {
        return Some(exact);
    }
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(name))
        .map(|e| e.path())
}

/// Resolves `path` component by component, matching each missing component
/// case-insensitively. Returns `None` if some component cannot be found.
pub fn resolve_ci(path: &Path) -> Option<PathBuf> {
    if path.exists() {
        return Some(path.to_path_buf());
    }
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(name) => {
                let name = name.to_str()?;
                out = child_ci(&out, name)?;
            }
            other => out.push(other.as_os_str()),
        }
    }
    out.exists().then_some(out)
}

/// `path` with symlinks resolved, or `path` itself when that fails.
pub fn canonical_or_same(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Reads a small text file lossily; `None` if it cannot be read.
pub fn read_lossy(path: &Path) -> std::io::Result<String> {
    std::fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned())
}
