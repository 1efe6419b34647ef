//! Reading text VDF (KeyValues) files: lossy UTF-8, a guard against deep
//! nesting, recovery of truncated files, and case-insensitive key lookup.
//!
//! Parsing itself is done by the maintained `keyvalues-parser` crate; this
//! module only prepares its input and walks its output.

use std::path::Path;

use keyvalues_parser::{Obj, Value, Vdf};

use super::warning::Warning;

/// Deepest `{` nesting accepted. Real Steam files nest fewer than 10 levels;
/// the limit keeps the recursive parser far from the stack limit.
const MAX_DEPTH: usize = 64;

/// A parsed text VDF document that owns its text.
pub type Document = Vdf<'static>;

/// Reads and parses the text VDF file at `path`. Problems become warnings
/// tied to `path`; `None` means nothing usable was read. A missing file gives
/// `None` and no warning: callers decide whether absence matters.
pub fn read(path: &Path, warnings: &mut Vec<Warning>) -> Option<Document> {
    match std::fs::read(path) {
        Ok(bytes) => parse(&bytes, path, warnings),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => {
            warnings.push(Warning::io(path, &err));
            None
        }
    }
}

/// Parses text VDF bytes that came from `path` (used only to tie warnings to
/// the file). Never panics, whatever the bytes.
pub fn parse(bytes: &[u8], path: &Path, warnings: &mut Vec<Warning>) -> Option<Document> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => {
            warnings.push(Warning::new(
                path,
                "contains invalid UTF-8; the bad bytes were replaced and the rest was read",
            ));
            String::from_utf8_lossy(bytes)
        }
    };
    if text.trim().is_empty() {
        warnings.push(Warning::new(path, "is empty"));
        return None;
    }
    let shape = scan(&text);
    if shape.max_depth > MAX_DEPTH {
        warnings.push(Warning::new(
            path,
            format!("nests deeper than {MAX_DEPTH} levels; not read"),
        ));
        return None;
    }
    if let Some(doc) = parse_either(&text) {
        return Some(doc);
    }
    // A truncated file: close what was left open and try again, first as
    // it is, then without its last (partial) line.
    if shape.open_braces > 0 || shape.in_quote {
        let cut = text.rfind('\n').map(|i| &text[..i]);
        for candidate in std::iter::once(&*text).chain(cut) {
            if let Some(doc) = parse_either(&close_open(candidate)) {
                warnings.push(Warning::new(
                    path,
                    "is truncated; read the part that was there",
                ));
                return Some(doc);
            }
        }
    }
    warnings.push(Warning::new(path, "is not valid VDF text; not read"));
    None
}

/// `text` with an open string and open objects closed.
fn close_open(text: &str) -> String {
    let shape = scan(text);
    let mut out = text.to_owned();
    if shape.in_quote {
        out.push('"');
    }
    for _ in 0..shape.open_braces {
        out.push_str("\n}");
    }
    out
}

/// Parses with backslash escapes first (what Steam writes), then with
/// literal backslashes (hand-edited files with Windows paths).
fn parse_either(text: &str) -> Option<Document> {
    let escaped = keyvalues_parser::Parser::new().parse(text);
    let parsed = match escaped {
        Ok(vdf) => Ok(vdf),
        Err(_) => keyvalues_parser::Parser::new()
            .literal_special_chars(true)
            .parse(text),
    };
    parsed.ok().map(|partial| partial.into_vdf().into_owned())
}

/// What a quick pass over the text found.
struct Shape {
    max_depth: usize,
    open_braces: usize,
    in_quote: bool,
}

/// Measures nesting depth outside quoted strings and `//` comments.
fn scan(text: &str) -> Shape {
    let mut depth = 0usize;
    let mut max_depth = 0usize;
    let mut in_quote = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quote {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_quote = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_quote = true,
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '{' => {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
            '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Shape {
        max_depth,
        open_braces: depth,
        in_quote,
    }
}

/// The first value under `key`, compared case-insensitively (Steam's own
/// files mix `appid`, `appID` and `AppID`).
pub fn get<'a, 't>(obj: &'a Obj<'t>, key: &str) -> Option<&'a Value<'t>> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .and_then(|(_, values)| values.first())
}

/// The string under `key`, if there is one and it is a string.
pub fn get_str<'a>(obj: &'a Obj<'_>, key: &str) -> Option<&'a str> {
    get(obj, key).and_then(Value::get_str)
}

/// The object under `key`, if there is one and it is an object.
pub fn get_obj<'a, 't>(obj: &'a Obj<'t>, key: &str) -> Option<&'a Obj<'t>> {
    get(obj, key).and_then(|v| match v {
        Value::Obj(o) => Some(o),
        Value::Str(_) => None,
    })
}

/// Follows a path of object keys from `obj`, case-insensitively.
pub fn get_path<'a, 't>(obj: &'a Obj<'t>, keys: &[&str]) -> Option<&'a Obj<'t>> {
    keys.iter().try_fold(obj, |o, k| get_obj(o, k))
}

/// The top-level object of a document, if its key matches `key`
/// case-insensitively and its value is an object.
pub fn root_obj<'a>(doc: &'a Document, key: &str) -> Option<&'a Obj<'static>> {
    if !doc.key.eq_ignore_ascii_case(key) {
        return None;
    }
    match &doc.value {
        Value::Obj(o) => Some(o),
        Value::Str(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::PathBuf;

    fn p() -> PathBuf {
        PathBuf::from("/t.vdf")
    }

    #[test]
    fn reads_nested_and_case_insensitive() {
        let mut w = Vec::new();
        let doc = parse(b"\"A\" { \"B\" { \"AppID\" \"5\" } }", &p(), &mut w).unwrap();
        let a = root_obj(&doc, "a").unwrap();
        let b = get_path(a, &["b"]).unwrap();
        assert_eq!(get_str(b, "appid"), Some("5"));
        assert!(w.is_empty());
    }

    #[test]
    fn invalid_utf8_is_read_lossily_with_a_warning() {
        let mut w = Vec::new();
        let doc = parse(b"\"A\" { \"x\" \"\xff\xfe\" \"y\" \"2\" }", &p(), &mut w).unwrap();
        let a = root_obj(&doc, "A").unwrap();
        assert_eq!(get_str(a, "y"), Some("2"));
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn truncated_file_is_recovered_with_a_warning() {
        let mut w = Vec::new();
        let doc = parse(
            b"\"A\" { \"B\" { \"k\" \"v\" } \"C\" { \"k2\" \"v",
            &p(),
            &mut w,
        )
        .unwrap();
        let a = root_obj(&doc, "A").unwrap();
        assert_eq!(get_str(get_obj(a, "B").unwrap(), "k"), Some("v"));
        assert!(w[0].message.contains("truncated"));
    }

    #[test]
    fn garbage_and_deep_nesting_give_warnings() {
        let mut w = Vec::new();
        assert!(parse(b"}}}{{{", &p(), &mut w).is_none());
        let deep = "\"a\" ".to_owned() + &"{ \"a\" ".repeat(10_000);
        assert!(parse(deep.as_bytes(), &p(), &mut w).is_none());
        assert!(parse(b"", &p(), &mut w).is_none());
        assert_eq!(w.len(), 3);
    }

    #[test]
    fn windows_paths_with_single_backslashes_parse() {
        let mut w = Vec::new();
        let doc = parse(br#""A" { "path" "C:\Games\x" }"#, &p(), &mut w).unwrap();
        assert_eq!(
            get_str(root_obj(&doc, "A").unwrap(), "path"),
            Some(r"C:\Games\x")
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut w = Vec::new();
            let _ = parse(&bytes, &p(), &mut w);
        }

        #[test]
        fn vdf_like_text_never_panics(text in "[\"{}a-z0-9 \\\\\n/]{0,200}") {
            let mut w = Vec::new();
            let _ = parse(text.as_bytes(), &p(), &mut w);
        }
    }
}
