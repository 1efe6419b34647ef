//! Searching a page for bytes, text or a number.

/// What the search text means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchKind {
    /// Hex bytes, spaces optional: `de ad be ef`.
    #[default]
    Hex,
    /// Text, looked for as ASCII/UTF-8 and as UTF-16LE.
    Text,
    /// A number, looked for as i32/u32, f32 and f64 little-endian.
    Number,
}

impl SearchKind {
    /// A short label for the window.
    pub fn label(self) -> &'static str {
        match self {
            SearchKind::Hex => "Hex bytes",
            SearchKind::Text => "Text",
            SearchKind::Number => "Number",
        }
    }
}

/// One byte pattern to look for, with what it encodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// How the input was encoded: `bytes`, `ascii`, `utf16`, `i32` …
    pub encoding: &'static str,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// A match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Where it starts.
    pub offset: usize,
    /// How long it is.
    pub len: usize,
    /// Which encoding matched.
    pub encoding: &'static str,
}

/// The patterns `input` stands for, or what is wrong with it.
pub fn patterns(kind: SearchKind, input: &str) -> Result<Vec<Pattern>, SearchError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(SearchError::Empty);
    }
    let p = |encoding, bytes| Pattern { encoding, bytes };
    match kind {
        SearchKind::Hex => parse_hex(input).map(|b| vec![p("bytes", b)]),
        SearchKind::Text => Ok(vec![
            p("ascii", input.as_bytes().to_vec()),
            p(
                "utf16",
                input.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            ),
        ]),
        SearchKind::Number => {
            let mut out = Vec::new();
            if let Ok(n) = input.parse::<i64>() {
                if let Ok(v) = i32::try_from(n) {
                    out.push(p("i32", v.to_le_bytes().to_vec()));
                } else if let Ok(v) = u32::try_from(n) {
                    out.push(p("u32", v.to_le_bytes().to_vec()));
                }
            }
            match input.parse::<f64>() {
                Ok(f) if f.is_finite() => {
                    out.push(p("f32", (f as f32).to_le_bytes().to_vec()));
                    out.push(p("f64", f.to_le_bytes().to_vec()));
                }
                _ => {}
            }
            if out.is_empty() {
                Err(SearchError::NotANumber(input.to_string()))
            } else {
                Ok(out)
            }
        }
    }
}

/// Why a search found nothing or could not run, in words that say what to
/// type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    /// Nothing to look for.
    #[error("type something to search for")]
    Empty,
    /// An odd number of hex digits.
    #[error("write whole bytes as hex pairs, e.g. `de ad be ef`")]
    OddHex,
    /// Not a hex digit pair.
    #[error("{0:?} is not a hex byte")]
    BadHexByte(String),
    /// Not an integer or a float.
    #[error("{0:?} is not a number; write e.g. 42, -7 or 3.5")]
    NotANumber(String),
    /// Searched, with no match in the page.
    #[error("{0:?} not found")]
    NotFound(String),
}

/// Parses hex bytes (`de ad`, `dead`, `0xde 0xad`).
pub fn parse_hex(input: &str) -> Result<Vec<u8>, SearchError> {
    let digits: String = input
        .split_whitespace()
        .map(|w| w.trim_start_matches("0x").trim_start_matches("0X"))
        .collect();
    if digits.is_empty() || !digits.len().is_multiple_of(2) {
        return Err(SearchError::OddHex);
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&digits[i..i + 2], 16)
                .map_err(|_| SearchError::BadHexByte(digits[i..i + 2].to_string()))
        })
        .collect()
}

/// The first match of any pattern at or after `from`, wrapping to the
/// start of the page when none follows.
pub fn find_next(data: &[u8], patterns: &[Pattern], from: usize) -> Option<Hit> {
    let after = first_from(data, patterns, from.min(data.len()));
    after.or_else(|| first_from(data, patterns, 0))
}

fn first_from(data: &[u8], patterns: &[Pattern], from: usize) -> Option<Hit> {
    patterns
        .iter()
        .filter(|p| !p.bytes.is_empty())
        .filter_map(|p| {
            data[from..]
                .windows(p.bytes.len())
                .position(|w| w == p.bytes.as_slice())
                .map(|i| Hit {
                    offset: from + i,
                    len: p.bytes.len(),
                    encoding: p.encoding,
                })
        })
        .min_by_key(|h| h.offset)
}

/// How many matches the patterns have in all, up to `limit`.
pub fn count(data: &[u8], patterns: &[Pattern], limit: usize) -> usize {
    let mut n = 0;
    for p in patterns.iter().filter(|p| !p.bytes.is_empty()) {
        n += data
            .windows(p.bytes.len())
            .filter(|w| *w == p.bytes.as_slice())
            .take(limit)
            .count();
        if n >= limit {
            return limit;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_text_and_numbers() {
        let mut page = vec![0u8; 64];
        page[10..14].copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        page[20..23].copy_from_slice(b"ACC");
        page[30..36].copy_from_slice(&[b'G', 0, b'T', 0, b'3', 0]);
        page[40..44].copy_from_slice(&1234i32.to_le_bytes());
        page[48..52].copy_from_slice(&2.5f32.to_le_bytes());

        let hex = patterns(SearchKind::Hex, "DE ad beef").unwrap();
        assert_eq!(find_next(&page, &hex, 0).unwrap().offset, 10);
        let text = patterns(SearchKind::Text, "ACC").unwrap();
        assert_eq!(find_next(&page, &text, 0).unwrap().encoding, "ascii");
        let wide = patterns(SearchKind::Text, "GT3").unwrap();
        let hit = find_next(&page, &wide, 0).unwrap();
        assert_eq!((hit.offset, hit.len, hit.encoding), (30, 6, "utf16"));
        let n = patterns(SearchKind::Number, "1234").unwrap();
        assert_eq!(find_next(&page, &n, 0).unwrap().offset, 40);
        let f = patterns(SearchKind::Number, "2.5").unwrap();
        let hit = find_next(&page, &f, 0).unwrap();
        assert_eq!((hit.offset, hit.encoding), (48, "f32"));
        // Wraps around.
        assert_eq!(find_next(&page, &hex, 11).unwrap().offset, 10);
        assert_eq!(count(&page, &hex, 10), 1);
    }

    #[test]
    fn bad_input_says_what_to_write() {
        assert!(
            patterns(SearchKind::Hex, "abc")
                .unwrap_err()
                .to_string()
                .contains("hex pairs")
        );
        assert!(
            patterns(SearchKind::Hex, "zz")
                .unwrap_err()
                .to_string()
                .contains("not a hex byte")
        );
        assert!(
            patterns(SearchKind::Number, "fast")
                .unwrap_err()
                .to_string()
                .contains("not a number")
        );
        assert!(patterns(SearchKind::Text, "  ").is_err());
        assert_eq!(
            patterns(SearchKind::Number, "4000000000").unwrap()[0].encoding,
            "u32"
        );
        assert_eq!(
            find_next(&[], &patterns(SearchKind::Hex, "00").unwrap(), 0),
            None
        );
    }
}
