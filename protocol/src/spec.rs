//! `NAME=SIZE` mapping requests, as given to the bridge's `--map`.

use std::collections::HashMap;
use std::fmt;

use crate::{MappingName, MappingSize, NameError, SizeError};

/// One mapping to create: its Win32 name and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingSpec {
    /// The section name.
    pub name: MappingName,
    /// The section size.
    pub size: MappingSize,
}

/// Why a `NAME=SIZE` argument was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("{0:?} is not NAME=SIZE (for example acpmf_physics=4096)")]
    Shape(String),
    #[error(transparent)]
    Name(#[from] NameError),
    #[error("mapping {name:?}: {source}")]
    Size { name: String, source: SizeError },
    #[error("mapping {first:?} and {second:?} name the same section")]
    Duplicate { first: String, second: String },
}

impl MappingSpec {
    /// Parses `NAME=SIZE`. The size is everything after the last `=`.
    pub fn parse(arg: &str) -> Result<Self, SpecError> {
        let (name, size) = arg
            .rsplit_once('=')
            .ok_or_else(|| SpecError::Shape(arg.to_string()))?;
        let name = MappingName::parse(name)?;
        let size = MappingSize::parse(size).map_err(|source| SpecError::Size {
            name: name.win32().to_string(),
            source,
        })?;
        Ok(MappingSpec { name, size })
    }
}

impl fmt::Display for MappingSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.size)
    }
}

/// Finds two names that open the same section or share a backing file.
pub fn find_duplicate<'a>(names: impl IntoIterator<Item = &'a MappingName>) -> Option<SpecError> {
    let mut seen: HashMap<String, &MappingName> = HashMap::new();
    for name in names {
        if let Some(first) = seen.insert(name.file_name(), name) {
            return Some(SpecError::Duplicate {
                first: first.win32().to_string(),
                second: name.win32().to_string(),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_name_and_size() {
        let spec = MappingSpec::parse("Local\\acpmf_physics=4096").unwrap();
        assert_eq!(spec.name.file_name(), "acpmf_physics");
        assert_eq!(spec.size.bytes(), 4096);
        assert_eq!(spec.to_string(), "Local\\acpmf_physics=4096");
    }

    #[test]
    fn rejects_bad_shapes() {
        assert!(matches!(
            MappingSpec::parse("acpmf_physics"),
            Err(SpecError::Shape(_))
        ));
        assert!(matches!(
            MappingSpec::parse("=4096"),
            Err(SpecError::Name(NameError::Empty))
        ));
        assert!(matches!(
            MappingSpec::parse("x=0"),
            Err(SpecError::Size {
                source: SizeError::Zero,
                ..
            })
        ));
    }

    #[test]
    fn duplicates_by_identity() {
        let names: Vec<_> = ["a", "b", "Local\\a"]
            .iter()
            .map(|n| MappingName::parse(n).unwrap())
            .collect();
        assert_eq!(
            find_duplicate(&names),
            Some(SpecError::Duplicate {
                first: "a".into(),
                second: "Local\\a".into()
            })
        );
        let distinct: Vec<_> = ["a", "Global\\a"]
            .iter()
            .map(|n| MappingName::parse(n).unwrap())
            .collect();
        assert_eq!(find_duplicate(&distinct), None);
    }
}
