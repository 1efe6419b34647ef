//! Linux paths handed to the bridge on its command line (`--dir`,
//! `--status-file`, `--stop-file`).
//!
//! The bridge turns such a path into Wine's `\\?\unix\...` form by making
//! every `/` a `\`, and Wine hands the command line over as UTF-16. So a
//! path must be absolute, valid UTF-8, and free of backslashes (which would
//! become separators), `..` components and NUL. The app checks its paths
//! with the same rule before it starts a bridge, so the bridge never
//! refuses a command line the app built.

use std::fmt;

/// Why a path cannot be given to the bridge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct BridgePathError {
    /// The path, lossily as text.
    pub path: String,
    /// What is wrong with it.
    pub problem: PathProblem,
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathProblem::NotUtf8 => "is not valid UTF-8",
            PathProblem::Relative => "is not absolute",
            PathProblem::DotDot => "has a '..' component",
            PathProblem::Backslash => "contains a backslash",
            PathProblem::Nul => "contains a NUL byte",
        })
    }
}

/// What is wrong with a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathProblem {
    /// Not UTF-8: Wine would replace the bad bytes.
    NotUtf8,
    /// Does not start with `/`.
    Relative,
    /// Has a `..` component.
    DotDot,
    /// Holds a `\`, which the bridge would read as a separator.
    Backslash,
    /// Holds a NUL byte.
    Nul,
}

impl fmt::Display for BridgePathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} {}; the bridge needs an absolute Linux path in UTF-8 without '..' or '\\'",
            self.path, self.problem
        )
    }
}

/// Checks that the bridge can take `path` as it is.
pub fn check_bridge_path(path: &str) -> Result<(), BridgePathError> {
    let problem = if !path.starts_with('/') {
        PathProblem::Relative
    } else if path.contains('\0') {
        PathProblem::Nul
    } else if path.contains('\\') {
        PathProblem::Backslash
    } else if path.split('/').any(|part| part == "..") {
        PathProblem::DotDot
    } else {
        return Ok(());
    };
    Err(BridgePathError {
        path: path.to_string(),
        problem,
    })
}

/// Like [`check_bridge_path`], for a path that may not be UTF-8.
pub fn check_bridge_os_path(path: &std::path::Path) -> Result<(), BridgePathError> {
    match path.to_str() {
        Some(text) => check_bridge_path(text),
        None => Err(BridgePathError {
            path: path.to_string_lossy().into_owned(),
            problem: PathProblem::NotUtf8,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn accepts_plain_absolute_paths() {
        for ok in [
            "/",
            "/dev/shm",
            "/home/u/Steam Library/x.events",
            "/a/b/",
            "/a/.../b",
        ] {
            assert_eq!(check_bridge_path(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn names_what_is_wrong() {
        let problem = |p: &str| check_bridge_path(p).unwrap_err().problem;
        assert_eq!(problem("relative/x"), PathProblem::Relative);
        assert_eq!(problem(""), PathProblem::Relative);
        assert_eq!(problem("/a/../b"), PathProblem::DotDot);
        assert_eq!(problem("/a/.."), PathProblem::DotDot);
        assert_eq!(problem("/games\\steam"), PathProblem::Backslash);
        assert_eq!(problem("/a\0b"), PathProblem::Nul);
        let err = check_bridge_path("/g\\s").unwrap_err().to_string();
        assert!(err.contains("contains a backslash"), "{err}");
        assert!(err.contains("absolute Linux path"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_is_refused() {
        use std::os::unix::ffi::OsStrExt;
        let path = Path::new(std::ffi::OsStr::from_bytes(b"/caf\xe9"));
        let err = check_bridge_os_path(path).unwrap_err();
        assert_eq!(err.problem, PathProblem::NotUtf8);
        assert_eq!(check_bridge_os_path(Path::new("/dev/shm")), Ok(()));
    }
}
