//! Problems found in a profile file, reported ripgrep style.

use std::fmt;

use serde::Serialize;

/// One thing wrong with a profile file: where it is, what it is, how to fix it.
///
/// Displayed as `FILE:LINE:COLUMN: MESSAGE — FIX`, the form editors and
/// terminals turn into links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file, as shown to the user (`profiles/foo.toml` for built-ins).
    pub file: String,
    /// 1-based line, when the problem has a place in the file.
    pub line: Option<usize>,
    /// 1-based column (in characters), when `line` is set.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

impl Problem {
    /// A problem at byte offset `at` of `text` (or of no place, for `None`).
    pub fn new(
        file: &str,
        text: &str,
        at: Option<usize>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        let (line, column) = match at.map(|offset| line_column(text, offset)) {
            Some((line, column)) => (Some(line), Some(column)),
            None => (None, None),
        };
        Problem {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
            fix: fix.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.file)?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, "{line}:{column}:")?;
        }
        write!(f, " {} — {}", self.message, self.fix)
    }
}

impl Problem {
    /// Displays the problem as a warning: `FILE:LINE:COLUMN: warning:
    /// MESSAGE — FIX`.
    pub fn as_warning(&self) -> impl fmt::Display + '_ {
        struct Warning<'a>(&'a Problem);
        impl fmt::Display for Warning<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let p = self.0;
                write!(f, "{}:", p.file)?;
                if let (Some(line), Some(column)) = (p.line, p.column) {
                    write!(f, "{line}:{column}:")?;
                }
                write!(f, " warning: {} — {}", p.message, p.fix)
            }
        }
        Warning(self)
    }
}

/// Converts a byte offset into a 1-based line and character column.
///
/// Offsets past the end, or inside a multi-byte character, are clamped to
/// the nearest earlier character boundary.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 4), (1, 5));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 9), (2, 3));
        assert_eq!(line_column(text, 8), (2, 2));
        assert_eq!(line_column(text, 1000), (3, 1));
    }

    #[test]
    fn display_is_ripgrep_style() {
        let p = Problem::new("profiles/x.toml", "a\nb", Some(2), "bad", "fix it");
        assert_eq!(p.to_string(), "profiles/x.toml:2:1: bad — fix it");
        let p = Problem::new("x.toml", "", None, "unreadable", "check permissions");
        assert_eq!(p.to_string(), "x.toml: unreadable — check permissions");
        let p = Problem::new("x.toml", "a\nb", Some(2), "too big", "shrink it");
        assert_eq!(
            p.as_warning().to_string(),
            "x.toml:2:1: warning: too big — shrink it"
        );
    }
}
