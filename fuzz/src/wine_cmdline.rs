//! What happens to a Linux argv on its way to a Windows program under Wine,
//! written from Wine's and Microsoft's documented rules, independently of
//! the bridge's own command-line code (`bridge/src/cmdline.rs`), so that the
//! fuzz targets can check that code against it. The end-to-end test
//! `tests/launch_args.rs` runs the same cases through real Wine and checks
//! this model against what a Windows program really receives.
//!
//! The steps:
//!
//! 1. [`wide_argv`]: Wine converts each Linux argument from the Unix code
//!    page (UTF-8) to UTF-16 (`build_wargv` and `ntdll_umbstowcs` in
//!    `dlls/ntdll/unix/env.c`). An invalid sequence becomes U+FFFD, one per
//!    invalid lead byte together with the continuation bytes that were
//!    accepted before the error (so `E0 80 80` gives two, not three as in
//!    the Unicode recommendation). A lead byte whose sequence would reach
//!    past the argument's terminating NUL swallows that NUL, and the
//!    argument then runs on into the next one (a quirk of Wine's decoder,
//!    seen in Wine 8.0).
//! 2. [`command_line`]: Wine joins the arguments into one command line
//!    (`build_command_line`): an argument is quoted when it is the first,
//!    is empty, or holds a space or a tab; a `"` is escaped with a
//!    backslash, and the backslashes before it are doubled; inside quotes,
//!    the backslashes before the closing quote are doubled; nothing else
//!    changes. (An argument with a `"` but no blank is not quoted.)
//! 3. [`split`]: the program reads its command line with the Microsoft C
//!    runtime's rules ("Parsing C++ command-line arguments"; Rust's
//!    standard library and `CommandLineToArgvW` agree on every line step 2
//!    can produce): the first argument is the program name, which ends at
//!    the next blank, or at the closing quote if it starts with one, with
//!    no escapes; the others are separated by blanks outside quotes,
//!    `2n` backslashes and a `"` give `n` backslashes and toggle quoting,
//!    `2n+1` backslashes and a `"` give `n` backslashes and a `"`, other
//!    backslashes are literal, and `""` inside quotes is a `"`.
//!
//! This file has no dependencies, so the end-to-end test can include it
//! with `#[path]`.

/// UTF-16 code units.
pub type Wide = Vec<u16>;

const SPACE: u16 = b' ' as u16;
const TAB: u16 = b'\t' as u16;
const QUOTE: u16 = b'"' as u16;
const BACKSLASH: u16 = b'\\' as u16;
const REPLACEMENT: u16 = 0xFFFD;

/// The arguments as Wine hands them to the Windows side (step 1).
pub fn wide_argv<A: AsRef<[u8]>>(args: &[A]) -> Vec<Wide> {
    // Wine converts every argument, NUL included, into one buffer, and
    // each argument is read from its start to the next NUL.
    let mut buffer: Wide = Vec::new();
    let mut starts = Vec::new();
    for arg in args {
        starts.push(buffer.len());
        let mut bytes = arg.as_ref().to_vec();
        bytes.push(0);
        buffer.extend(decode(&bytes));
    }
    starts
        .iter()
        .map(|&start| {
            buffer[start..]
                .iter()
                .copied()
                .take_while(|&unit| unit != 0)
                .collect()
        })
        .collect()
}

/// Whether [`wide_argv`] gives each of `args` alone (no argument runs on
/// into the next, and the last one ends where Wine's buffer does: past it,
/// Wine would read memory no one wrote).
pub fn argv_is_well_formed<A: AsRef<[u8]>>(args: &[A]) -> bool {
    args.iter().all(|arg| {
        let mut bytes = arg.as_ref().to_vec();
        bytes.push(0);
        decode(&bytes).last() == Some(&0)
    })
}

/// Wine's UTF-8 to UTF-16 conversion of `bytes` (step 1).
pub fn decode(bytes: &[u8]) -> Wide {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let lead = bytes[i];
        i += 1;
        if lead < 0x80 {
            out.push(u16::from(lead));
            continue;
        }
        let (value, next) = decode_sequence(lead, bytes, i);
        i = next;
        match value {
            Some(ch) if ch < 0x1_0000 => out.push(ch as u16),
            Some(ch) => {
                let ch = ch - 0x1_0000;
                out.push(0xD800 | (ch >> 10) as u16);
                out.push(0xDC00 | (ch & 0x3FF) as u16);
            }
            None => out.push(REPLACEMENT),
        }
    }
    out
}

/// Decodes the sequence whose lead byte came just before `at`; returns the
/// character (or `None` for an invalid sequence) and where the next one
/// starts. The lead byte says how many continuation bytes follow: none for
/// 0x80–0xC1 and 0xF5–0xFF (invalid alone), one for 0xC2–0xDF, two for
/// 0xE0–0xEF, three for 0xF0–0xF4. Continuation bytes are taken one by one
/// while they are 0x80–0xBF and the value so far is allowed (not overlong,
/// not a surrogate, not past U+10FFFF); the first that is not stays for the
/// next character. A sequence that would run past the end takes the rest.
fn decode_sequence(lead: u8, bytes: &[u8], at: usize) -> (Option<u32>, usize) {
    let (len, mask) = match lead {
        0xC2..=0xDF => (1, 0x1F),
        0xE0..=0xEF => (2, 0x0F),
        0xF0..=0xF4 => (3, 0x07),
        _ => return (None, at),
    };
    if at + len > bytes.len() {
        return (None, at + len);
    }
    let mut value = u32::from(lead & mask);
    let mut next = at;
    for step in (1..=len).rev() {
        let byte = bytes[next] ^ 0x80;
        if byte >= 0x40 {
            return (None, next);
        }
        value = (value << 6) | u32::from(byte);
        // The checks Wine makes after each byte: the value so far must
        // not make the whole character overlong, a surrogate or too big.
        let too_big = step == 2 && value >= 0x11_0000 >> 6;
        if too_big {
            return (None, next);
        }
        next += 1;
        let overlong = match (len, step) {
            (3, 3) => value < 0x10,
            (2, 2) | (3, 2) => value < 0x20,
            (_, 1) => value < 0x80,
            _ => false,
        };
        let surrogate = step == 2 && (0xD800 >> 6..=0xDFFF >> 6).contains(&value);
        if overlong || surrogate {
            return (None, next);
        }
    }
    (Some(value), next)
}

/// The command line Wine builds from `argv` (step 2).
pub fn command_line(argv: &[Wide]) -> Wide {
    let mut line = Wide::new();
    for (i, arg) in argv.iter().enumerate() {
        if i > 0 {
            line.push(SPACE);
        }
        line.extend(quote(arg, i == 0));
    }
    line
}

/// One argument as Wine writes it into a command line; `first` for the
/// program, which is always quoted.
pub fn quote(arg: &[u16], first: bool) -> Wide {
    let has_blank = first || arg.is_empty() || arg.contains(&SPACE) || arg.contains(&TAB);
    let has_quote = arg.contains(&QUOTE);
    if !has_blank && !has_quote {
        return arg.to_vec();
    }
    let mut out = Wide::new();
    if has_blank {
        out.push(QUOTE);
    }
    let mut backslashes = 0;
    for &unit in arg {
        if unit == BACKSLASH {
            backslashes += 1;
        } else {
            if unit == QUOTE {
                out.extend(std::iter::repeat_n(BACKSLASH, backslashes + 1));
            }
            backslashes = 0;
        }
        out.push(unit);
    }
    if has_blank {
        out.extend(std::iter::repeat_n(BACKSLASH, backslashes));
        out.push(QUOTE);
    }
    out
}

/// The part of a command line that holds `args`, none of them first:
/// what follows the bridge's `--` is handed to the game as its command line.
pub fn tail(args: &[Wide]) -> Wide {
    let mut line = Wide::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            line.push(SPACE);
        }
        line.extend(quote(arg, false));
    }
    line
}

/// The arguments a program reads from its command line (step 3).
pub fn split(line: &[u16]) -> Vec<Wide> {
    let mut args = Vec::new();
    let mut i = 0;
    // The program name.
    let mut name = Wide::new();
    if line.first() == Some(&QUOTE) {
        i = 1;
        while i < line.len() && line[i] != QUOTE {
            name.push(line[i]);
            i += 1;
        }
        i += 1;
    } else {
        while i < line.len() && line[i] != SPACE && line[i] != TAB {
            name.push(line[i]);
            i += 1;
        }
    }
    args.push(name);
    loop {
        while i < line.len() && (line[i] == SPACE || line[i] == TAB) {
            i += 1;
        }
        if i >= line.len() {
            return args;
        }
        let mut arg = Wide::new();
        let mut quoted = false;
        while i < line.len() {
            let unit = line[i];
            if !quoted && (unit == SPACE || unit == TAB) {
                break;
            }
            if unit == BACKSLASH {
                let run = line[i..].iter().take_while(|&&u| u == BACKSLASH).count();
                if line.get(i + run) == Some(&QUOTE) {
                    arg.extend(std::iter::repeat_n(BACKSLASH, run / 2));
                    if run % 2 == 1 {
                        arg.push(QUOTE);
                        i += run + 1;
                    } else {
                        i += run;
                    }
                } else {
                    arg.extend(std::iter::repeat_n(BACKSLASH, run));
                    i += run;
                }
            } else if unit == QUOTE {
                if quoted && line.get(i + 1) == Some(&QUOTE) {
                    arg.push(QUOTE);
                    i += 2;
                } else {
                    quoted = !quoted;
                    i += 1;
                }
            } else {
                arg.push(unit);
                i += 1;
            }
        }
        args.push(arg);
    }
}

/// UTF-16 of a Rust string.
pub fn wide(text: &str) -> Wide {
    text.encode_utf16().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(units: &[u16]) -> String {
        String::from_utf16_lossy(units)
    }

    #[test]
    fn decoding_follows_wine_not_the_unicode_recommendation() {
        assert_eq!(text(&decode(b"caf\xc3\xa9")), "café");
        assert_eq!(text(&decode(b"caf\xe9")), "caf\u{FFFD}");
        assert_eq!(decode(b"\xe0\x80\x80"), [REPLACEMENT, REPLACEMENT]);
        assert_eq!(decode(b"\xed\xa0\x80"), [REPLACEMENT, REPLACEMENT]);
        assert_eq!(decode(b"\xc0\x80"), [REPLACEMENT, REPLACEMENT]);
        assert_eq!(
            decode(b"\xf4\x90\x80\x80"),
            [REPLACEMENT, REPLACEMENT, REPLACEMENT]
        );
        assert_eq!(decode("😀".as_bytes()), wide("😀"));
    }

    #[test]
    fn a_cut_sequence_at_the_end_of_an_argument_runs_into_the_next() {
        let argv = wide_argv(&[&b"a\xe2"[..], b"b"]);
        assert_eq!(argv, [vec![0x61, REPLACEMENT, 0x62], wide("b")]);
        assert!(!argv_is_well_formed(&[&b"a\xe2"[..], b"b"]));
        assert_eq!(
            wide_argv(&[&b"a\xc3"[..], b"b"]),
            [vec![0x61, REPLACEMENT], wide("b")]
        );
    }

    #[test]
    fn command_lines_as_wine_writes_them() {
        let argv: Vec<Wide> = ["C:\\b.exe", "a b", "", "x\\\"y", "d\\", "e f\\", "q\"r"]
            .iter()
            .map(|a| wide(a))
            .collect();
        assert_eq!(
            text(&command_line(&argv)),
            r#""C:\b.exe" "a b" "" x\\\"y d\ "e f\\" q\"r"#
        );
        assert_eq!(split(&command_line(&argv)), argv);
    }

    #[test]
    fn the_program_name_has_no_escapes() {
        assert_eq!(
            split(&wide(r#""C:\a b\x.exe" y"#)),
            [wide(r"C:\a b\x.exe"), wide("y")]
        );
        assert_eq!(split(&wide(r#"a\"b.exe c"#))[0], wide(r#"a\"b.exe"#));
        assert_eq!(split(&wide(r#"p "a""b" c"#))[1], wide(r#"a"b"#));
    }
}
