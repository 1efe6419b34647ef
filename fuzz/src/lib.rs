//! Helpers shared by the fuzz targets: a model of what Wine does to a Linux
//! argv on its way to a Windows program ([`wine_cmdline`], checked against
//! real Wine by `tests/launch_args.rs`), the `launch_command` corpus format
//! ([`launch_input`]), and a binary KeyValues writer for round trips.

use bridgekeeper_steam::formats::BinValue;

pub mod launch_input;
pub mod wine_cmdline;

/// The Windows command line Wine builds for `argv` (see
/// [`wine_cmdline::command_line`]): the program name is always quoted; an
/// argument is quoted when it is empty or holds a blank; a `"` is escaped
/// with a backslash and the backslashes before it (or before a closing
/// quote) are doubled.
pub fn windows_command_line<S: AsRef<str>>(argv: &[S]) -> String {
    let wide: Vec<wine_cmdline::Wide> = argv
        .iter()
        .map(|arg| wine_cmdline::wide(arg.as_ref()))
        .collect();
    String::from_utf16(&wine_cmdline::command_line(&wide)).expect("UTF-16 of strings")
}

/// Whether a program name survives the program-name rule of a command line
/// (ends at the closing quote, no backslash processing): it must not hold a
/// quote, and must not end with a backslash, which Wine doubles before the
/// closing quote. An exe's Windows path does neither.
pub fn quotable_program(program: &str) -> bool {
    !program.contains('"') && !program.ends_with('\\')
}

/// Writes the children of a top-level binary KeyValues object, in the form
/// `read_object` with inline keys reads: scalars as `STRING` or `INT64`,
/// floats as `FLOAT32`, objects closed by `END`. Keys and strings must not
/// contain NUL (values read back never do).
pub fn write_binary_vdf(value: &BinValue) -> Vec<u8> {
    let mut out = Vec::new();
    write_children(value.children(), &mut out);
    out
}

fn write_children(children: &[(String, BinValue)], out: &mut Vec<u8>) {
    for (key, value) in children {
        let kind = match value {
            BinValue::Obj(_) => 0x00,
            BinValue::Str(_) => 0x01,
            BinValue::Float(_) => 0x03,
            BinValue::Int(_) => 0x0A,
        };
        out.push(kind);
        out.extend_from_slice(key.as_bytes());
        out.push(0);
        match value {
            BinValue::Obj(nested) => {
                write_children(nested, out);
                out.push(0x08);
            }
            BinValue::Str(s) => {
                out.extend_from_slice(s.as_bytes());
                out.push(0);
            }
            BinValue::Float(f) => out.extend_from_slice(&f.to_le_bytes()),
            BinValue::Int(i) => out.extend_from_slice(&i.to_le_bytes()),
        }
    }
}

/// Equality that treats two floats as equal when their bits are (so NaN
/// equals itself).
pub fn same_bin_value(a: &BinValue, b: &BinValue) -> bool {
    match (a, b) {
        (BinValue::Float(x), BinValue::Float(y)) => x.to_bits() == y.to_bits(),
        (BinValue::Obj(x), BinValue::Obj(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && same_bin_value(va, vb))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `bridge_args` target once it quoted as Wine does: a
    /// program name ending with a backslash comes back with it doubled.
    #[test]
    fn a_program_ending_with_a_backslash_is_not_quotable() {
        assert_eq!(windows_command_line(&["\\\\", ""]), r#""\\\\" """#);
        assert!(!quotable_program("\\\\"));
        assert!(quotable_program(
            "C:\\bridgekeeper\\bridgekeeper-bridge.exe"
        ));
    }

    #[test]
    fn quoting_examples() {
        assert_eq!(
            windows_command_line(&["C:\\b.exe", "a b", "", "x\\\"y", "d\\", "e f\\"]),
            r#""C:\b.exe" "a b" "" x\\\"y d\ "e f\\""#
        );
    }
}
