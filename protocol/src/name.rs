//! Win32 section names and the `/dev/shm` file names derived from them.

use std::fmt;

/// Longest file name a Linux file system accepts (`NAME_MAX`), in bytes.
const MAX_FILE_NAME_BYTES: usize = 255;

/// The subdirectory that holds the files of `Global\` sections.
const GLOBAL_DIR: &str = "Global";

/// Which Win32 object namespace a name lives in.
///
/// Under Wine, `X`, `Local\X` and `Session\N\X` open the same object, while
/// `Global\X` is a different one (checked under Wine by the bridge's
/// end-to-end tests, `global_names_get_a_file_of_their_own`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// The session namespace: a bare name, `Local\` or `Session\N\`.
    Local,
    /// The `Global\` namespace.
    Global,
}

/// A validated name of a named shared-memory section, exactly as the game
/// passes it to `CreateFileMappingW`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MappingName {
    win32: String,
    namespace: Namespace,
    /// The name without its namespace prefix.
    base: String,
}

/// Why a mapping name was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the mapping name is empty")]
    Empty,
    #[error("mapping name {0:?} contains a NUL byte")]
    Nul(String),
    #[error("mapping name {0:?} contains a control character")]
    Control(String),
    #[error("mapping name {0:?} contains '/', which cannot be part of a file name")]
    Slash(String),
    #[error(
        "mapping name {0:?} contains '\\' after its namespace; only a leading Local\\, Global\\ or Session\\N\\ is allowed"
    )]
    Backslash(String),
    #[error("mapping name {0:?} contains '..'")]
    DotDot(String),
    #[error("mapping name {0:?} is '.', which names a directory")]
    Dot(String),
    #[error("mapping name {name:?} is {len} bytes long; the limit is {MAX_FILE_NAME_BYTES}")]
    TooLong { name: String, len: usize },
}

impl MappingName {
    /// Validates a Win32 section name.
    pub fn parse(win32: &str) -> Result<Self, NameError> {
        if win32.is_empty() {
            return Err(NameError::Empty);
        }
        let owned = || win32.to_string();
        if win32.contains('\0') {
            return Err(NameError::Nul(owned()));
        }
        if win32.chars().any(char::is_control) {
            return Err(NameError::Control(owned()));
        }
        if win32.contains('/') {
            return Err(NameError::Slash(owned()));
        }
        let (namespace, base) = split_namespace(win32);
        if base.is_empty() {
            return Err(NameError::Empty);
        }
        if base.contains('\\') {
            return Err(NameError::Backslash(owned()));
        }
        if base.contains("..") {
            return Err(NameError::DotDot(owned()));
        }
        if base == "." {
            return Err(NameError::Dot(owned()));
        }
        let name = MappingName {
            win32: win32.to_string(),
            namespace,
            base: base.to_string(),
        };
        let len = name.base.len();
        if len > MAX_FILE_NAME_BYTES {
            return Err(NameError::TooLong { name: owned(), len });
        }
        Ok(name)
    }

    /// The name exactly as given, for `CreateFileMappingW`.
    pub fn win32(&self) -> &str {
        &self.win32
    }

    /// The namespace the name lives in.
    pub fn namespace(&self) -> Namespace {
        self.namespace
    }

    /// The path of the backing file relative to the shared-memory directory,
    /// with `/` as separator.
    ///
    /// Session names lose their prefix (`Local\acpmf_physics` becomes
    /// `acpmf_physics`, as Linux readers expect). `Global\X` becomes
    /// `Global/X`: a session name can never contain `/`, so the two
    /// namespaces can never share a file.
    pub fn file_name(&self) -> String {
        match self.namespace {
            Namespace::Local => self.base.clone(),
            Namespace::Global => format!("{GLOBAL_DIR}/{}", self.base),
        }
    }

    /// The subdirectory of the shared-memory directory that holds the file,
    /// if any (`Global` for `Global\` names).
    pub fn subdirectory(&self) -> Option<&'static str> {
        match self.namespace {
            Namespace::Local => None,
            Namespace::Global => Some(GLOBAL_DIR),
        }
    }

    /// Two names that open the same object under Wine have the same identity.
    pub fn identity(&self) -> (Namespace, &str) {
        (self.namespace, &self.base)
    }
}

impl fmt::Display for MappingName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.win32)
    }
}

/// Splits a leading `Local\`, `Global\` or `Session\<digits>\` off a name.
fn split_namespace(name: &str) -> (Namespace, &str) {
    if let Some(rest) = name.strip_prefix("Local\\") {
        return (Namespace::Local, rest);
    }
    if let Some(rest) = name.strip_prefix("Global\\") {
        return (Namespace::Global, rest);
    }
    if let Some(rest) = name.strip_prefix("Session\\")
        && let Some((digits, base)) = rest.split_once('\\')
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        return (Namespace::Local, base);
    }
    (Namespace::Local, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_prefixes_are_stripped() {
        for raw in [
            "acpmf_physics",
            "Local\\acpmf_physics",
            "Session\\1\\acpmf_physics",
        ] {
            let name = MappingName::parse(raw).unwrap();
            assert_eq!(name.file_name(), "acpmf_physics");
            assert_eq!(name.identity(), (Namespace::Local, "acpmf_physics"));
            assert_eq!(name.win32(), raw);
        }
    }

    #[test]
    fn global_names_get_their_own_file() {
        let global = MappingName::parse("Global\\X").unwrap();
        let local = MappingName::parse("X").unwrap();
        assert_ne!(global.file_name(), local.file_name());
        assert_ne!(global.identity(), local.identity());
        assert_eq!(global.file_name(), "Global/X");
        assert_eq!(global.subdirectory(), Some("Global"));
        assert_eq!(local.subdirectory(), None);
    }

    #[test]
    fn dollar_names_are_fine() {
        let name = MappingName::parse("$rFactor2SMMP_Telemetry$").unwrap();
        assert_eq!(name.file_name(), "$rFactor2SMMP_Telemetry$");
        assert_eq!(
            MappingName::parse("LMU Data").unwrap().file_name(),
            "LMU Data"
        );
    }

    #[test]
    fn bad_names_are_rejected() {
        assert_eq!(MappingName::parse(""), Err(NameError::Empty));
        assert_eq!(MappingName::parse("Local\\"), Err(NameError::Empty));
        assert!(matches!(
            MappingName::parse("a/b"),
            Err(NameError::Slash(_))
        ));
        assert!(matches!(MappingName::parse("a\0b"), Err(NameError::Nul(_))));
        assert!(matches!(
            MappingName::parse("a\nb"),
            Err(NameError::Control(_))
        ));
        assert!(matches!(
            MappingName::parse(".."),
            Err(NameError::DotDot(_))
        ));
        assert!(matches!(
            MappingName::parse("a..b"),
            Err(NameError::DotDot(_))
        ));
        assert!(matches!(MappingName::parse("."), Err(NameError::Dot(_))));
        assert!(matches!(
            MappingName::parse("a\\b"),
            Err(NameError::Backslash(_))
        ));
        assert!(matches!(
            MappingName::parse("Local\\a\\b"),
            Err(NameError::Backslash(_))
        ));
        assert!(matches!(
            MappingName::parse("Session\\x\\b"),
            Err(NameError::Backslash(_))
        ));
        let long = "n".repeat(256);
        assert!(matches!(
            MappingName::parse(&long),
            Err(NameError::TooLong { len: 256, .. })
        ));
        assert!(MappingName::parse(&"n".repeat(255)).is_ok());
    }
}
