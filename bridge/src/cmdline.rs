//! Windows command lines: splitting them into arguments the way the
//! Microsoft C runtime and Rust's standard library do, while remembering where
//! each argument starts and ends, so the game's part of the bridge's command
//! line can be handed on byte for byte.

/// One argument of a command line and its place in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The argument after quote and backslash processing.
    pub value: String,
    /// Byte offset of the argument's first character in the raw line.
    pub start: usize,
    /// Byte offset just past the argument's last character.
    pub end: usize,
}

/// Splits a raw command line (as `GetCommandLineW` returns it) into tokens.
///
/// The first token is the program name, which follows its own rule: it ends
/// at the next whitespace, or at the closing quote if it starts with one, and
/// backslashes are never special in it.
pub fn split(line: &str) -> Vec<Token> {
    let bytes = line.as_bytes();
    let mut tokens = Vec::new();
    let mut i = skip_blanks(bytes, 0);
    if i < bytes.len() {
        let start = i;
        let value = if bytes[i] == b'"' {
            let close = line[i + 1..].find('"').map_or(bytes.len(), |p| i + 1 + p);
            let value = line[i + 1..close].to_string();
            i = (close + 1).min(bytes.len());
            value
        } else {
            let stop = line[i..].find([' ', '\t']).map_or(bytes.len(), |p| i + p);
            let value = line[i..stop].to_string();
            i = stop;
            value
        };
        tokens.push(Token {
            value,
            start,
            end: i,
        });
    }
    loop {
        i = skip_blanks(bytes, i);
        if i >= bytes.len() {
            return tokens;
        }
        let (value, end) = argument(line, i);
        tokens.push(Token {
            value,
            start: i,
            end,
        });
        i = end;
    }
}

/// Reads one argument starting at `start`; returns it and the offset past it.
fn argument(line: &str, start: usize) -> (String, usize) {
    let bytes = line.as_bytes();
    let mut value = String::new();
    let mut in_quotes = false;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' if !in_quotes => break,
            b'\\' => {
                let run = bytes[i..].iter().take_while(|&&b| b == b'\\').count();
                if bytes.get(i + run) == Some(&b'"') {
                    value.extend(std::iter::repeat_n('\\', run / 2));
                    if run % 2 == 1 {
                        value.push('"');
                        i += run + 1;
                    } else {
                        i += run;
                    }
                } else {
                    value.extend(std::iter::repeat_n('\\', run));
                    i += run;
                }
            }
            b'"' => {
                if in_quotes && bytes.get(i + 1) == Some(&b'"') {
                    value.push('"');
                    i += 2;
                } else {
                    in_quotes = !in_quotes;
                    i += 1;
                }
            }
            _ => {
                let ch = line[i..].chars().next().expect("i is on a char boundary");
                value.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    (value, i)
}

fn skip_blanks(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(line: &str) -> Vec<String> {
        split(line).into_iter().map(|t| t.value).collect()
    }

    #[test]
    fn program_name_rules() {
        assert_eq!(
            values(r#""C:\Program Files\a.exe" x"#),
            [r"C:\Program Files\a.exe", "x"]
        );
        assert_eq!(values(r"C:\dir\a.exe x"), [r"C:\dir\a.exe", "x"]);
        assert_eq!(values(r#"a\"b c"#), [r#"a\"b"#, "c"]);
    }

    #[test]
    fn quoting_and_backslashes() {
        let line = r#"p "a b" c\\d e\"f "g\\" h\\\"i "" "x""y""#;
        assert_eq!(
            values(line),
            [
                "p", "a b", r"c\\d", r#"e"f"#, r"g\", r#"h\"i"#, "", r#"x"y"#
            ]
        );
    }

    #[test]
    fn offsets_cover_the_raw_text() {
        let line = "bridge.exe --map a=1 --  \"C:\\Games\\x y.exe\" -arg";
        let tokens = split(line);
        let sep = tokens.iter().find(|t| t.value == "--").unwrap();
        assert_eq!(&line[sep.start..sep.end], "--");
        let game = &tokens[tokens.iter().position(|t| t.value == "--").unwrap() + 1];
        assert_eq!(&line[game.start..], "\"C:\\Games\\x y.exe\" -arg");
        assert_eq!(game.value, "C:\\Games\\x y.exe");
    }

    #[test]
    fn unicode_survives() {
        assert_eq!(values("p \"Spiel ü\" ß"), ["p", "Spiel ü", "ß"]);
    }
}
