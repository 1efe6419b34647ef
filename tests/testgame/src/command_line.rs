//! Windows command lines, split the way Windows finds a program's name.

/// `line` without its argument 0 and the blanks after it: a quoted
/// argument 0 ends at the next quote, an unquoted one at the first blank
/// (the rule `CreateProcessW` and the C runtime use for argument 0). The
/// rest is returned untouched, quotes and all.
#[cfg_attr(not(windows), allow(dead_code))]
pub fn after_program(line: &[u16]) -> &[u16] {
    const QUOTE: u16 = b'"' as u16;
    let is_blank = |c: &u16| *c == u16::from(b' ') || *c == u16::from(b'\t');
    let end = match line.first() {
        Some(&QUOTE) => line[1..]
            .iter()
            .position(|&c| c == QUOTE)
            .map_or(line.len(), |i| i + 2),
        _ => line.iter().position(is_blank).unwrap_or(line.len()),
    };
    let rest = &line[end..];
    let start = rest.iter().position(|c| !is_blank(c)).unwrap_or(rest.len());
    &rest[start..]
}

#[cfg(test)]
mod tests {
    use super::after_program;

    fn rest(line: &str) -> String {
        let wide: Vec<u16> = line.encode_utf16().collect();
        String::from_utf16(after_program(&wide)).unwrap()
    }

    #[test]
    fn drops_argument_zero_and_keeps_the_rest_byte_for_byte() {
        assert_eq!(
            rest(r#""C:\a b\steam.exe"  "Z:\g h\Game.exe" -x  "y z""#),
            r#""Z:\g h\Game.exe" -x  "y z""#
        );
        assert_eq!(rest("steam.exe\tGame.exe"), "Game.exe");
        assert_eq!(rest(r#""C:\steam.exe"Game.exe"#), "Game.exe");
    }

    #[test]
    fn nothing_after_the_program_is_empty() {
        assert_eq!(rest("steam.exe"), "");
        assert_eq!(rest(r#""C:\a b\steam.exe"   "#), "");
        assert_eq!(rest(r#""unterminated quote"#), "");
        assert_eq!(rest(""), "");
    }
}
