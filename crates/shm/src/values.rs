//! The bytes at an offset read as every integer and float type,
//! little-endian (Windows games' byte order).

/// One reading of the bytes at an offset.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The type, as in profiles: `i8` … `f64`.
    pub ty: &'static str,
    /// The value, or `None` when the page ends before the type does.
    pub value: Option<String>,
}

/// Every reading of `data` at `offset`, in a fixed order.
pub fn readings(data: &[u8], offset: usize) -> Vec<Reading> {
    fn take<const N: usize>(data: &[u8], offset: usize) -> Option<[u8; N]> {
        data.get(offset..offset.checked_add(N)?)?.try_into().ok()
    }
    let r = |ty, value| Reading { ty, value };
    vec![
        r(
            "i8",
            take::<1>(data, offset).map(|b| i8::from_le_bytes(b).to_string()),
        ),
        r(
            "u8",
            take::<1>(data, offset).map(|b| u8::from_le_bytes(b).to_string()),
        ),
        r(
            "i16",
            take::<2>(data, offset).map(|b| i16::from_le_bytes(b).to_string()),
        ),
        r(
            "u16",
            take::<2>(data, offset).map(|b| u16::from_le_bytes(b).to_string()),
        ),
        r(
            "i32",
            take::<4>(data, offset).map(|b| i32::from_le_bytes(b).to_string()),
        ),
        r(
            "u32",
            take::<4>(data, offset).map(|b| u32::from_le_bytes(b).to_string()),
        ),
        r(
            "i64",
            take::<8>(data, offset).map(|b| i64::from_le_bytes(b).to_string()),
        ),
        r(
            "u64",
            take::<8>(data, offset).map(|b| u64::from_le_bytes(b).to_string()),
        ),
        r(
            "f32",
            take::<4>(data, offset).map(|b| f32::from_le_bytes(b).to_string()),
        ),
        r(
            "f64",
            take::<8>(data, offset).map(|b| f64::from_le_bytes(b).to_string()),
        ),
    ]
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
    }
}
