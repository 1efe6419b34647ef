//! A small, defensive reader for Valve's binary KeyValues, used by
//! `shortcuts.vdf` and the entries of `appinfo.vdf`.
//!
//! Every read is bounds-checked and nesting is limited, so any input gives
//! either a value or an error with the byte offset; nothing panics.

use std::fmt;

/// Deepest nesting accepted; real files nest fewer than 10 levels.
const MAX_DEPTH: usize = 64;

/// Type bytes of the binary KeyValues format.
mod kind {
    pub const OBJECT: u8 = 0x00;
    pub const STRING: u8 = 0x01;
    pub const INT32: u8 = 0x02;
    pub const FLOAT32: u8 = 0x03;
    pub const POINTER: u8 = 0x04;
    pub const WIDE_STRING: u8 = 0x05;
    pub const COLOR: u8 = 0x06;
    pub const UINT64: u8 = 0x07;
    pub const END: u8 = 0x08;
    pub const INT64: u8 = 0x0A;
    pub const END_ALT: u8 = 0x0B;
}

/// A binary KeyValues value.
#[derive(Debug, Clone, PartialEq)]
pub enum BinValue {
    /// A nested object, in file order.
    Obj(Vec<(String, BinValue)>),
    /// A string (invalid UTF-8 replaced).
    Str(String),
    /// Any of the integer kinds.
    Int(i64),
    /// A 32-bit float.
    Float(f32),
}

impl BinValue {
    /// The child under `key` (case-insensitive), if this is an object.
    pub fn get(&self, key: &str) -> Option<&BinValue> {
        match self {
            BinValue::Obj(children) => children
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Follows a path of keys.
    pub fn get_path(&self, keys: &[&str]) -> Option<&BinValue> {
        keys.iter().try_fold(self, |v, k| v.get(k))
    }

    /// The children, if this is an object.
    pub fn children(&self) -> &[(String, BinValue)] {
        match self {
            BinValue::Obj(children) => children,
            _ => &[],
        }
    }

    /// The value as text, if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            BinValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The low 32 bits of an integer (shortcut appids are stored as signed
    /// 32-bit values with the high bit set), or a string holding a `u32`.
    pub fn as_u32_bits(&self) -> Option<u32> {
        match self {
            BinValue::Int(i) => Some(*i as u32),
            other => other.as_u32(),
        }
    }

    /// The value as a `u32`: an integer in range, or a string holding one.
    pub fn as_u32(&self) -> Option<u32> {
        match self {
            BinValue::Int(i) => u32::try_from(*i).ok(),
            BinValue::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// Why binary KeyValues could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinError {
    /// Byte offset where reading stopped.
    pub offset: usize,
    /// What was wrong there.
    pub message: String,
}

impl fmt::Display for BinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.message, self.offset)
    }
}

/// A bounds-checked cursor over bytes.
#[derive(Debug)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// An error at the current offset.
    pub fn error(&self, message: impl Into<String>) -> BinError {
        BinError {
            offset: self.pos,
            message: message.into(),
        }
    }

    /// Takes `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], BinError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.data.len())
            .ok_or_else(|| self.error("unexpected end of data"))?;
        let out = self.data.get(self.pos..end).unwrap_or_default();
        self.pos = end;
        Ok(out)
    }

    /// Takes exactly `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], BinError> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// A little-endian `u8`.
    pub fn u8(&mut self) -> Result<u8, BinError> {
        Ok(self.array::<1>()?[0])
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, BinError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// A little-endian `i32`.
    pub fn i32(&mut self) -> Result<i32, BinError> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, BinError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A little-endian `i64`.
    pub fn i64(&mut self) -> Result<i64, BinError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A NUL-terminated string, lossily decoded.
    pub fn cstr(&mut self) -> Result<String, BinError> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let len = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| self.error("string without terminating NUL"))?;
        let bytes = self.take(len)?;
        self.pos += 1;
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }

    /// A NUL-terminated UTF-16LE string, lossily decoded.
    fn wide_str(&mut self) -> Result<String, BinError> {
        let mut units = Vec::new();
        loop {
            let unit = u16::from_le_bytes(self.array()?);
            if unit == 0 {
                break;
            }
            units.push(unit);
        }
        Ok(String::from_utf16_lossy(&units))
    }
}

/// How keys are stored: inline strings, or indices into a string table
/// (appinfo v29).
#[derive(Debug, Clone, Copy)]
pub enum Keys<'k> {
    /// Each key is a NUL-terminated string.
    Inline,
    /// Each key is a `u32` index into this table.
    Table(&'k [String]),
}

/// Reads the children of one object until its end marker (or, at the top
/// level, until the data ends).
pub fn read_object(cur: &mut Cursor<'_>, keys: Keys<'_>) -> Result<BinValue, BinError> {
    match read_object_partial(cur, keys) {
        (value, None) => Ok(value),
        (_, Some(err)) => Err(err),
    }
}

/// Like [`read_object`], but also returns what was read before an error,
/// so a damaged file still yields its intact leading entries.
pub fn read_object_partial(cur: &mut Cursor<'_>, keys: Keys<'_>) -> (BinValue, Option<BinError>) {
    let (children, err) = read_children(cur, keys, 0);
    (BinValue::Obj(children), err)
}

fn read_key(cur: &mut Cursor<'_>, keys: Keys<'_>) -> Result<String, BinError> {
    match keys {
        Keys::Inline => cur.cstr(),
        Keys::Table(table) => {
            let index = cur.u32()?;
            usize::try_from(index)
                .ok()
                .and_then(|i| table.get(i))
                .cloned()
                .ok_or_else(|| cur.error(format!("key index {index} outside the key table")))
        }
    }
}

type Children = Vec<(String, BinValue)>;

fn read_children(
    cur: &mut Cursor<'_>,
    keys: Keys<'_>,
    depth: usize,
) -> (Children, Option<BinError>) {
    let mut children = Vec::new();
    if depth > MAX_DEPTH {
        return (
            children,
            Some(cur.error(format!("nested deeper than {MAX_DEPTH} levels"))),
        );
    }
    loop {
        if cur.remaining() == 0 && depth == 0 {
            return (children, None);
        }
        let ty = match cur.u8() {
            Ok(ty) => ty,
            Err(err) => return (children, Some(err)),
        };
        if ty == kind::END || ty == kind::END_ALT {
            return (children, None);
        }
        let key = match read_key(cur, keys) {
            Ok(key) => key,
            Err(err) => return (children, Some(err)),
        };
        if ty == kind::OBJECT {
            let (nested, err) = read_children(cur, keys, depth + 1);
            children.push((key, BinValue::Obj(nested)));
            if err.is_some() {
                return (children, err);
            }
            continue;
        }
        match read_scalar(cur, ty) {
            Ok(value) => children.push((key, value)),
            Err(err) => return (children, Some(err)),
        }
    }
}

fn read_scalar(cur: &mut Cursor<'_>, ty: u8) -> Result<BinValue, BinError> {
    Ok(match ty {
        kind::STRING => BinValue::Str(cur.cstr()?),
        kind::INT32 => BinValue::Int(i64::from(cur.i32()?)),
        kind::FLOAT32 => BinValue::Float(f32::from_le_bytes(cur.array()?)),
        kind::POINTER | kind::COLOR => BinValue::Int(i64::from(cur.u32()?)),
        kind::WIDE_STRING => BinValue::Str(cur.wide_str()?),
        kind::UINT64 => BinValue::Int(i64::try_from(cur.u64()?).unwrap_or(i64::MAX)),
        kind::INT64 => BinValue::Int(cur.i64()?),
        other => return Err(cur.error(format!("unknown value type 0x{other:02x}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_nested_values() {
        let mut data = Vec::new();
        data.extend_from_slice(b"\x00root\x00");
        data.extend_from_slice(b"\x01name\x00hello\x00");
        data.extend_from_slice(b"\x02num\x00");
        data.extend_from_slice(&7i32.to_le_bytes());
        data.extend_from_slice(b"\x08\x08");
        let v = read_object(&mut Cursor::new(&data), Keys::Inline).unwrap();
        assert_eq!(
            v.get_path(&["ROOT", "name"]).and_then(BinValue::as_str),
            Some("hello")
        );
        assert_eq!(
            v.get_path(&["root", "num"]).and_then(BinValue::as_u32),
            Some(7)
        );
    }

    #[test]
    fn truncated_and_unknown_types_are_errors() {
        assert!(read_object(&mut Cursor::new(b"\x00root\x00\x01k\x00v"), Keys::Inline).is_err());
        assert!(read_object(&mut Cursor::new(b"\x09k\x00"), Keys::Inline).is_err());
        assert!(read_object(&mut Cursor::new(&[0u8; 4]), Keys::Table(&[])).is_err());
        let deep: Vec<u8> = std::iter::repeat_n([0u8, b'a', 0u8], 1000)
            .flatten()
            .collect();
        assert!(read_object(&mut Cursor::new(&deep), Keys::Inline).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = read_object(&mut Cursor::new(&bytes), Keys::Inline);
            let table = vec!["a".to_owned(), "b".to_owned()];
            let _ = read_object(&mut Cursor::new(&bytes), Keys::Table(&table));
        }
    }
}
