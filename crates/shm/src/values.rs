//! The bytes at an offset read as every integer and float type,
//! little-endian (Windows games' byte order), with the profiles' own
//! decoder ([`Scalar::decode`]).

use bridgekeeper_profiles::Scalar;

/// One reading of the bytes at an offset.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The type, as in profiles: `i8` … `f64`.
    pub ty: &'static str,
    /// The value, or `None` when the page ends before the type does.
    pub value: Option<String>,
}

/// Every reading of `data` at `offset`, in the order of [`Scalar::NUMBERS`].
pub fn readings(data: &[u8], offset: usize) -> Vec<Reading> {
    let rest = data.get(offset..).unwrap_or_default();
    Scalar::NUMBERS
        .iter()
        .map(|scalar| Reading {
            ty: scalar.as_str(),
            value: scalar.decode(rest).map(|value| value.to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_little_endian() {
        let mut data = 1.5f32.to_le_bytes().to_vec();
        data.extend_from_slice(&[0, 0, 0, 0]);
        let r = readings(&data, 0);
        let get = |ty: &str| r.iter().find(|x| x.ty == ty).unwrap().value.clone();
        assert_eq!(get("f32").as_deref(), Some("1.5"));
        assert_eq!(get("u32").as_deref(), Some(&*0x3fc0_0000u32.to_string()));
        assert_eq!(get("u8").as_deref(), Some("0"));
        assert_eq!(get("i16").as_deref(), Some("0"));
        assert_eq!(get("u64").as_deref(), Some(&*0x3fc0_0000u64.to_string()));
        let short = readings(&[0xff, 0xff], 0);
        assert_eq!(short[0].value.as_deref(), Some("-1"));
        assert_eq!(short[3].value.as_deref(), Some("65535"));
        assert_eq!(short[4].value, None);
        assert!(readings(&[], 5).iter().all(|x| x.value.is_none()));
        let tenth = readings(&0.1f32.to_le_bytes(), 0);
        assert_eq!(tenth[8].value.as_deref(), Some("0.1"));
    }
}
