//! The size rule: which sizes of a mapping survive the game and every known
//! reader.
//!
//! Failure mode: a file shorter than what the game asks for makes the game's
//! `MapViewOfFile` fail; one shorter than what a reader maps kills the reader
//! with `SIGBUS` (C) or stops it with "mmap length is greater than file size"
//! (Python); one longer than what a truncating reader cuts it to loses the
//! game's pages past the cut, and the game faults when it touches them. A
//! page is never lost when the file is at most the reader's length rounded up
//! to a whole 4096-byte page. (A truncating reader sets the length it maps
//! itself, so its mapped length is no lower bound.) So a mapping's size must
//! lie in
//!
//! ```text
//! [ max(game struct, every other reader's mapped length),
//!   min over truncating readers of round_up_to_page(truncated length) ]
//! ```
//!
//! with no upper bound when no known reader truncates. Built-in profiles must
//! satisfy it; user profiles get warnings.

use serde::Serialize;

use super::profile::Mapping;

/// The page size the bounds are rounded to.
pub const PAGE: u64 = 4096;

/// `bytes` rounded up to a whole number of pages.
pub fn round_up_to_page(bytes: u64) -> u64 {
    bytes.div_ceil(PAGE).saturating_mul(PAGE)
}

/// What sets a bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "reader")]
pub enum BoundSetBy {
    /// The game's struct (`game_struct`).
    GameStruct,
    /// A reader, by id.
    Reader(String),
}

/// The sizes a mapping may have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SizeBounds {
    /// Smallest allowed size in bytes (1 when nothing is known).
    pub min: u64,
    /// What sets `min`, when anything does.
    pub min_set_by: Option<BoundSetBy>,
    /// Largest allowed size, when a known reader truncates the file.
    pub max: Option<u64>,
    /// The reader that sets `max`.
    pub max_set_by: Option<String>,
}

impl SizeBounds {
    /// Whether `size` lies within the bounds.
    pub fn allows(&self, size: u64) -> bool {
        size >= self.min && self.max.is_none_or(|max| size <= max)
    }
}

/// One way a mapping's size breaks the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SizeViolation {
    /// Smaller than the game's struct.
    BelowGameStruct {
        /// The struct's size.
        game_struct: u64,
    },
    /// Smaller than what a reader maps.
    BelowReaderMap {
        /// The reader's id.
        reader: String,
        /// Bytes it maps.
        maps: u64,
    },
    /// Larger than a truncating reader's length rounded up to a page.
    AboveTruncation {
        /// The reader's id.
        reader: String,
        /// The length it truncates to.
        truncates_to: u64,
        /// The largest size that loses no page.
        max: u64,
    },
}

impl Mapping {
    /// The sizes this mapping may have, from its `game_struct` and readers.
    pub fn size_bounds(&self) -> SizeBounds {
        let mut bounds = SizeBounds {
            min: 1,
            min_set_by: None,
            max: None,
            max_set_by: None,
        };
        if let Some(game) = self.game_struct {
            bounds.min = game;
            bounds.min_set_by = Some(BoundSetBy::GameStruct);
        }
        for reader in &self.readers {
            if reader.truncates_to.is_none() && reader.maps > bounds.min {
                bounds.min = reader.maps;
                bounds.min_set_by = Some(BoundSetBy::Reader(reader.reader.clone()));
            }
            if let Some(cut) = reader.truncates_to {
                let max = round_up_to_page(cut);
                if bounds.max.is_none_or(|m| max < m) {
                    bounds.max = Some(max);
                    bounds.max_set_by = Some(reader.reader.clone());
                }
            }
        }
        bounds
    }

    /// Every way this mapping's size breaks the size rule (empty when it
    /// keeps it).
    pub fn size_violations(&self) -> Vec<SizeViolation> {
        let size = self.size.bytes();
        let mut found = Vec::new();
        if let Some(game_struct) = self.game_struct.filter(|&g| size < g) {
            found.push(SizeViolation::BelowGameStruct { game_struct });
        }
        for reader in &self.readers {
            if reader.truncates_to.is_none() && size < reader.maps {
                found.push(SizeViolation::BelowReaderMap {
                    reader: reader.reader.clone(),
                    maps: reader.maps,
                });
            }
            if let Some(truncates_to) = reader.truncates_to {
                let max = round_up_to_page(truncates_to);
                if size > max {
                    found.push(SizeViolation::AboveTruncation {
                        reader: reader.reader.clone(),
                        truncates_to,
                        max,
                    });
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Direction;
    use crate::readers::ReaderUse;
    use bridgekeeper_protocol::{MappingName, MappingSize};

    fn mapping(
        size: u64,
        game_struct: Option<u64>,
        readers: &[(&str, u64, Option<u64>)],
    ) -> Mapping {
        Mapping {
            name: MappingName::parse("acpmf_physics").unwrap(),
            size: MappingSize::new(size).unwrap(),
            optional: false,
            opt_in: false,
            direction: Direction::GameToLinux,
            role: String::new(),
            source: String::new(),
            layout: None,
            liveness: None,
            game_struct,
            readers: readers
                .iter()
                .map(|(reader, maps, truncates_to)| ReaderUse {
                    reader: reader.to_string(),
                    maps: *maps,
                    truncates_to: *truncates_to,
                    creates: true,
                    source: String::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn pages_round_up() {
        assert_eq!(round_up_to_page(1), 4096);
        assert_eq!(round_up_to_page(2048), 4096);
        assert_eq!(round_up_to_page(4096), 4096);
        assert_eq!(round_up_to_page(16000), 16384);
        assert_eq!(round_up_to_page(102288), 102400);
        assert_eq!(round_up_to_page(64000), 65536);
        assert_eq!(round_up_to_page(0), 0);
    }

    #[test]
    fn bounds_come_from_the_struct_and_the_readers() {
        let m = mapping(
            4096,
            Some(700),
            &[("simd", 2048, Some(2048)), ("monocoque", 800, None)],
        );
        let b = m.size_bounds();
        assert_eq!(
            (b.min, b.max),
            (800, Some(4096)),
            "simd sets its own length"
        );
        assert_eq!(b.min_set_by, Some(BoundSetBy::Reader("monocoque".into())));
        assert_eq!(b.max_set_by.as_deref(), Some("simd"));
        assert!(b.allows(4096) && !b.allows(8192) && !b.allows(512));
        assert!(m.size_violations().is_empty());

        let none = mapping(262144, Some(241680), &[("tinypedal", 241680, None)]);
        assert_eq!(none.size_bounds().max, None);
        assert_eq!(none.size_bounds().min_set_by, Some(BoundSetBy::GameStruct));
        assert!(none.size_violations().is_empty());
        assert_eq!(mapping(4096, None, &[]).size_bounds().min, 1);
    }

    #[test]
    fn violations_name_the_reader() {
        let big = mapping(8192, None, &[("simd", 2048, Some(2048))]);
        assert_eq!(
            big.size_violations(),
            [SizeViolation::AboveTruncation {
                reader: "simd".into(),
                truncates_to: 2048,
                max: 4096
            }]
        );
        let small = mapping(4096, Some(15660), &[("monocoque", 15660, None)]);
        assert_eq!(
            small.size_violations(),
            [
                SizeViolation::BelowGameStruct { game_struct: 15660 },
                SizeViolation::BelowReaderMap {
                    reader: "monocoque".into(),
                    maps: 15660
                }
            ]
        );
    }
}
