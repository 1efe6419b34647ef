//! Warnings: a problem found in one file that did not stop discovery.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// A problem in one file or directory. Discovery records it and carries on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// The file or directory the problem is about.
    pub file: PathBuf,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

impl Warning {
    /// A warning about `file`.
    pub fn new(file: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Self {
            file: file.as_ref().to_path_buf(),
            message: message.into(),
        }
    }

    /// A warning for a failed read of `file`, naming the I/O error.
    pub fn io(file: impl AsRef<Path>, err: &std::io::Error) -> Self {
        let message = match err.kind() {
            std::io::ErrorKind::NotFound => "does not exist".to_owned(),
            std::io::ErrorKind::PermissionDenied => "cannot be read: permission denied".to_owned(),
            _ => format!("cannot be read: {err}"),
        };
        Self::new(file, message)
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}
