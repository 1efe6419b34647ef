//! Sizes of shared-memory sections.

use std::fmt;

/// A validated section size in bytes: at least 1, at most [`MappingSize::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MappingSize(u64);

/// Why a size was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    #[error("size {0:?} is not a whole number of bytes")]
    NotANumber(String),
    #[error("size 0 is not allowed: a section needs at least one byte")]
    Zero,
    #[error("size {0} is above the limit of 1 GiB (1073741824 bytes)")]
    TooLarge(u64),
}

impl MappingSize {
    /// The largest size accepted: 1 GiB.
    pub const MAX: u64 = 1 << 30;

    /// Validates a size in bytes.
    pub fn new(bytes: u64) -> Result<Self, SizeError> {
        match bytes {
            0 => Err(SizeError::Zero),
            b if b > Self::MAX => Err(SizeError::TooLarge(b)),
            b => Ok(MappingSize(b)),
        }
    }

    /// Parses a decimal size, or a hexadecimal one with a `0x` prefix.
    /// `_` may separate digits, as in `262_144`.
    pub fn parse(text: &str) -> Result<Self, SizeError> {
        let digits: String = text.trim().chars().filter(|&c| c != '_').collect();
        let parsed = match digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
        {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => digits.parse::<u64>(),
        };
        Self::new(parsed.map_err(|_| SizeError::NotANumber(text.to_string()))?)
    }

    /// The size in bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }
}

impl fmt::Display for MappingSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(MappingSize::parse("4096").unwrap().bytes(), 4096);
        assert_eq!(MappingSize::parse("262_144").unwrap().bytes(), 262_144);
        assert_eq!(MappingSize::parse("0x1000").unwrap().bytes(), 4096);
        assert_eq!(MappingSize::parse("1073741824").unwrap().bytes(), 1 << 30);
        assert_eq!(MappingSize::parse("0"), Err(SizeError::Zero));
        assert_eq!(
            MappingSize::parse("1073741825"),
            Err(SizeError::TooLarge((1 << 30) + 1))
        );
        assert!(matches!(
            MappingSize::parse("-1"),
            Err(SizeError::NotANumber(_))
        ));
        assert!(matches!(
            MappingSize::parse("4k"),
            Err(SizeError::NotANumber(_))
        ));
        assert!(matches!(
            MappingSize::parse(""),
            Err(SizeError::NotANumber(_))
        ));
    }
}
