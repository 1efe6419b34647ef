//! Hex formatting of byte ranges and parsing of offsets.

use std::fmt::Write;

/// Bytes per hexdump row.
pub const ROW: usize = 16;

/// `data[start..end]` (clamped to the page) as space-separated hex pairs.
pub fn format_range(data: &[u8], start: usize, end: usize) -> String {
    let end = end.min(data.len());
    let start = start.min(end);
    let mut out = String::with_capacity((end - start) * 3);
    for (i, b) in data[start..end].iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// An offset typed by a person: `0x1f0`, `1f0h` or decimal `496`.
pub fn parse_offset(input: &str) -> Option<usize> {
    let s = input.trim().replace('_', "");
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return usize::from_str_radix(h, 16).ok();
    }
    if let Some(h) = s.strip_suffix('h').or_else(|| s.strip_suffix('H')) {
        return usize::from_str_radix(h, 16).ok();
    }
    s.parse().ok()
}

/// The printable ASCII form of a byte, `.` for the rest.
pub fn ascii(b: u8) -> char {
    if b.is_ascii_graphic() || b == b' ' {
        b as char
    } else {
        '.'
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_offsets_ascii() {
        assert_eq!(format_range(&[0, 0xab, 0x10], 1, 3), "ab 10");
        assert_eq!(format_range(&[1, 2], 1, 99), "02");
        assert_eq!(format_range(&[1, 2], 5, 9), "");
        assert_eq!(parse_offset("0x1F0"), Some(0x1f0));
        assert_eq!(parse_offset("1f0h"), Some(0x1f0));
        assert_eq!(parse_offset(" 496 "), Some(496));
        assert_eq!(parse_offset("1_000"), Some(1000));
        assert_eq!(parse_offset("x"), None);
        assert_eq!(ascii(b'A'), 'A');
        assert_eq!(ascii(0), '.');
    }
}
