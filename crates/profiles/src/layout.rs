//! Field layouts: where a value sits in a mapping and how to decode it.
//!
//! All data is little-endian. Text is decoded up to its first NUL: `ascii[N]`
//! as N bytes (invalid UTF-8 is replaced, never rejected), `utf16[N]` as N
//! UTF-16LE code units, which is how Windows `wchar_t` text is laid out.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// A fixed-size number (or a C `bool`, one byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// One byte, 0 is false.
    Bool,
    /// Signed 8-bit.
    I8,
    /// Unsigned 8-bit.
    U8,
    /// Signed 16-bit.
    I16,
    /// Unsigned 16-bit.
    U16,
    /// Signed 32-bit.
    I32,
    /// Unsigned 32-bit.
    U32,
    /// Signed 64-bit.
    I64,
    /// Unsigned 64-bit.
    U64,
    /// IEEE 754 single.
    F32,
    /// IEEE 754 double.
    F64,
}

impl Scalar {
    const ALL: [(&'static str, Scalar); 11] = [
        ("bool", Scalar::Bool),
        ("i8", Scalar::I8),
        ("u8", Scalar::U8),
        ("i16", Scalar::I16),
        ("u16", Scalar::U16),
        ("i32", Scalar::I32),
        ("u32", Scalar::U32),
        ("i64", Scalar::I64),
        ("u64", Scalar::U64),
        ("f32", Scalar::F32),
        ("f64", Scalar::F64),
    ];

    /// Size in bytes.
    pub fn size(self) -> usize {
        match self {
            Scalar::Bool | Scalar::I8 | Scalar::U8 => 1,
            Scalar::I16 | Scalar::U16 => 2,
            Scalar::I32 | Scalar::U32 | Scalar::F32 => 4,
            Scalar::I64 | Scalar::U64 | Scalar::F64 => 8,
        }
    }

    /// The spelling used in profiles.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("?", |(name, _)| name)
    }

    /// Integers (not floats, not bool): usable as a moving counter.
    pub fn is_integer(self) -> bool {
        !matches!(self, Scalar::Bool | Scalar::F32 | Scalar::F64)
    }

    /// The numeric types, smallest first (every type but `bool`).
    pub const NUMBERS: [Scalar; 10] = [
        Scalar::I8,
        Scalar::U8,
        Scalar::I16,
        Scalar::U16,
        Scalar::I32,
        Scalar::U32,
        Scalar::I64,
        Scalar::U64,
        Scalar::F32,
        Scalar::F64,
    ];

    fn from_name(name: &str) -> Option<Scalar> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }

    /// Decodes from the start of `bytes` (little-endian); `None` when it is
    /// too short. An `f32` is widened to the `f64` nearest its shortest
    /// decimal form, so `0.1f32` shows as `0.1`, not `0.10000000149011612`.
    pub fn decode(self, bytes: &[u8]) -> Option<Value> {
        fn take<const N: usize>(bytes: &[u8]) -> Option<[u8; N]> {
            bytes.get(..N)?.try_into().ok()
        }
        Some(match self {
            Scalar::Bool => Value::Bool(*bytes.first()? != 0),
            Scalar::I8 => Value::Int(i8::from_le_bytes(take(bytes)?).into()),
            Scalar::U8 => Value::UInt(u8::from_le_bytes(take(bytes)?).into()),
            Scalar::I16 => Value::Int(i16::from_le_bytes(take(bytes)?).into()),
            Scalar::U16 => Value::UInt(u16::from_le_bytes(take(bytes)?).into()),
            Scalar::I32 => Value::Int(i32::from_le_bytes(take(bytes)?).into()),
            Scalar::U32 => Value::UInt(u32::from_le_bytes(take(bytes)?).into()),
            Scalar::I64 => Value::Int(i64::from_le_bytes(take(bytes)?)),
            Scalar::U64 => Value::UInt(u64::from_le_bytes(take(bytes)?)),
            Scalar::F32 => Value::Float(widen(f32::from_le_bytes(take(bytes)?))),
            Scalar::F64 => Value::Float(f64::from_le_bytes(take(bytes)?)),
        })
    }
}

/// `value` as the `f64` nearest its shortest decimal form.
fn widen(value: f32) -> f64 {
    if value.is_finite() {
        value.to_string().parse().unwrap_or(f64::from(value))
    } else {
        f64::from(value)
    }
}

/// The type of a field, spelt in profiles as `i32`, `f32[4]`, `ascii[64]` or
/// `utf16[15]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// One number.
    Scalar(Scalar),
    /// `count` numbers in a row.
    Array(Scalar, usize),
    /// Text of `n` bytes, NUL-terminated unless full.
    Ascii(usize),
    /// Text of `n` UTF-16LE code units, NUL-terminated unless full.
    Utf16(usize),
}

/// Why a type spelling was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "type {0:?} is not known; use bool, i8, u8, i16, u16, i32, u32, i64, u64, f32 or f64, an array such as f32[4], ascii[N] or utf16[N] (N from 1 to 16777216)"
)]
pub struct FieldTypeError(pub String);

impl FieldType {
    /// Largest element count accepted in `[N]`.
    pub const MAX_COUNT: usize = 1 << 24;

    /// Size in bytes.
    pub fn size(self) -> usize {
        match self {
            FieldType::Scalar(s) => s.size(),
            FieldType::Array(s, n) => s.size() * n,
            FieldType::Ascii(n) => n,
            FieldType::Utf16(n) => 2 * n,
        }
    }

    /// Decodes a value from the start of `bytes`; `None` when `bytes` is
    /// shorter than [`FieldType::size`].
    pub fn decode(self, bytes: &[u8]) -> Option<Value> {
        let bytes = bytes.get(..self.size())?;
        match self {
            FieldType::Scalar(s) => s.decode(bytes),
            FieldType::Array(s, _) => bytes
                .chunks_exact(s.size())
                .map(|chunk| s.decode(chunk))
                .collect::<Option<Vec<_>>>()
                .map(Value::Array),
            FieldType::Ascii(_) => {
                let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
                Some(Value::Text(
                    String::from_utf8_lossy(&bytes[..end]).into_owned(),
                ))
            }
            FieldType::Utf16(_) => {
                let units: Vec<u16> = bytes
                    .chunks_exact(2)
                    .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
                    .take_while(|&unit| unit != 0)
                    .collect();
                Some(Value::Text(String::from_utf16_lossy(&units)))
            }
        }
    }
}

impl FromStr for FieldType {
    type Err = FieldTypeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = || FieldTypeError(text.to_string());
        let Some(open) = text.find('[') else {
            return Scalar::from_name(text)
                .map(FieldType::Scalar)
                .ok_or_else(err);
        };
        let (base, rest) = text.split_at(open);
        let digits = rest
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .ok_or_else(err)?;
        let strict = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if !strict {
            return Err(err());
        }
        let count: usize = digits.parse().map_err(|_| err())?;
        if count > Self::MAX_COUNT {
            return Err(err());
        }
        match base {
            "ascii" => Ok(FieldType::Ascii(count)),
            "utf16" => Ok(FieldType::Utf16(count)),
            _ => Scalar::from_name(base)
                .map(|s| FieldType::Array(s, count))
                .ok_or_else(err),
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldType::Scalar(s) => f.write_str(s.as_str()),
            FieldType::Array(s, n) => write!(f, "{}[{n}]", s.as_str()),
            FieldType::Ascii(n) => write!(f, "ascii[{n}]"),
            FieldType::Utf16(n) => write!(f, "utf16[{n}]"),
        }
    }
}

impl Serialize for FieldType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A decoded value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// `bool`.
    Bool(bool),
    /// Signed integers.
    Int(i64),
    /// Unsigned integers.
    UInt(u64),
    /// `f32` (widened) and `f64`.
    Float(f64),
    /// `ascii[N]` and `utf16[N]`, up to the first NUL.
    Text(String),
    /// Arrays, element by element.
    Array(Vec<Value>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(v) => write!(f, "{v}"),
            Value::Int(v) => write!(f, "{v}"),
            Value::UInt(v) => write!(f, "{v}"),
            Value::Float(v) => write!(f, "{v}"),
            Value::Text(v) => write!(f, "{v:?}"),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// A named value at a fixed offset in a mapping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    /// Name as in the game's header, e.g. `packetId`.
    pub name: String,
    /// Byte offset from the start of the mapping.
    pub offset: usize,
    /// How to decode it.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Unit, e.g. `km/h`; empty when it has none.
    pub unit: String,
    /// Meaning of values, caveats.
    pub note: String,
}

impl Field {
    /// First byte after the field.
    pub fn end(&self) -> usize {
        self.offset.saturating_add(self.ty.size())
    }

    /// Decodes the field from a whole mapping image; `None` when the image
    /// is too short to hold it.
    pub fn read(&self, page: &[u8]) -> Option<Value> {
        self.ty.decode(page.get(self.offset..)?)
    }
}

/// A named set of fields for one kind of mapping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Layout {
    /// Referred to by `layout = "..."` in a mapping of the same file.
    pub id: String,
    /// Where the offsets come from.
    pub source: String,
    /// Fields in ascending offset order; they never overlap.
    pub fields: Vec<Field>,
}

impl Layout {
    /// The field with this name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Decodes every field from a whole mapping image. Fields the image is
    /// too short for decode as `None`.
    pub fn decode<'a>(&'a self, page: &[u8]) -> Vec<(&'a Field, Option<Value>)> {
        self.fields.iter().map(|f| (f, f.read(page))).collect()
    }

    /// First byte after the last field (0 for an empty layout).
    pub fn end(&self) -> usize {
        self.fields.iter().map(Field::end).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> FieldType {
        text.parse().unwrap()
    }

    #[test]
    fn type_spellings_parse_strictly() {
        assert_eq!(ty("i32"), FieldType::Scalar(Scalar::I32));
        assert_eq!(ty("f32[4]"), FieldType::Array(Scalar::F32, 4));
        assert_eq!(ty("ascii[64]"), FieldType::Ascii(64));
        assert_eq!(ty("utf16[15]"), FieldType::Utf16(15));
        assert_eq!(ty("utf16[15]").size(), 30);
        assert_eq!(ty("f64[9]").size(), 72);
        for bad in [
            "",
            "I32",
            "i31",
            "f32[]",
            "f32[0]",
            "f32[04]",
            "f32[4",
            "f32 [4]",
            "f32[4] ",
            "f32[-1]",
            "f32[4][2]",
            "ascii",
            "utf16",
            "char[4]",
            "ascii[16777217]",
            "u8[99999999999999999999999]",
        ] {
            assert!(
                bad.parse::<FieldType>().is_err(),
                "{bad:?} should be rejected"
            );
        }
        for good in ["bool", "u64", "i8[3]", "ascii[1]", "utf16[33]"] {
            assert_eq!(ty(good).to_string(), good);
        }
    }

    #[test]
    fn scalars_decode_little_endian() {
        let mut page = vec![0u8; 64];
        page[0..4].copy_from_slice(&(-7i32).to_le_bytes());
        page[4..8].copy_from_slice(&0.25f32.to_le_bytes());
        page[8..16].copy_from_slice(&(-1.5f64).to_le_bytes());
        page[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
        page[24] = 0xff;
        page[25] = 2;
        page[26..28].copy_from_slice(&0xbeefu16.to_le_bytes());
        let read = |offset, t: &str| {
            Field {
                name: "x".into(),
                offset,
                ty: ty(t),
                unit: String::new(),
                note: String::new(),
            }
            .read(&page)
        };
        assert_eq!(read(0, "i32"), Some(Value::Int(-7)));
        assert_eq!(read(0, "u32"), Some(Value::UInt(u32::MAX as u64 - 6)));
        assert_eq!(read(4, "f32"), Some(Value::Float(0.25)));
        assert_eq!(read(8, "f64"), Some(Value::Float(-1.5)));
        assert_eq!(read(16, "u64"), Some(Value::UInt(u64::MAX)));
        assert_eq!(read(16, "i64"), Some(Value::Int(-1)));
        assert_eq!(read(24, "i8"), Some(Value::Int(-1)));
        assert_eq!(read(24, "u8"), Some(Value::UInt(255)));
        assert_eq!(read(25, "bool"), Some(Value::Bool(true)));
        assert_eq!(read(30, "bool"), Some(Value::Bool(false)));
        assert_eq!(read(26, "u16"), Some(Value::UInt(0xbeef)));
        assert_eq!(read(26, "i16"), Some(Value::Int(0xbeefu16 as i16 as i64)));
        assert_eq!(read(60, "u64"), None);
        assert_eq!(read(usize::MAX, "u8"), None);
    }

    #[test]
    fn arrays_and_text_decode() {
        let mut page = vec![0u8; 128];
        for (i, v) in [1.0f32, 2.0, 3.0].iter().enumerate() {
            page[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        page[16..21].copy_from_slice(b"Monza");
        page[21] = 0;
        page[22..24].copy_from_slice(b"xx");
        for (i, unit) in "1:23.4".encode_utf16().chain([0, 0x41]).enumerate() {
            page[40 + 2 * i..42 + 2 * i].copy_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(
            ty("f32[3]").decode(&page),
            Some(Value::Array(vec![
                Value::Float(1.0),
                Value::Float(2.0),
                Value::Float(3.0)
            ]))
        );
        assert_eq!(
            ty("ascii[8]").decode(&page[16..]),
            Some(Value::Text("Monza".into()))
        );
        assert_eq!(
            ty("ascii[5]").decode(&page[16..]),
            Some(Value::Text("Monza".into()))
        );
        assert_eq!(
            ty("utf16[15]").decode(&page[40..]),
            Some(Value::Text("1:23.4".into()))
        );
        assert_eq!(ty("utf16[15]").decode(&page[100..]), None);
        let shown = Value::Array(vec![Value::Int(1), Value::Text("a".into())]).to_string();
        assert_eq!(shown, "[1, \"a\"]");
    }
}
