//! [`CaptureHeader`]: the JSON that makes a capture self-describing (what
//! was recorded, from which game, with which tools), and its validation.
//!
//! The header is read from files other programs may have written or
//! damaged, and its mapping names later become file names on replay. So
//! every name goes through the protocol's [`MappingName`] rules and every
//! size through [`MappingSize`] before a capture is accepted. Unknown keys
//! are kept (in [`CaptureHeader::extra`]), not refused: newer writers may
//! add keys without a new format version.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use bridgekeeper_protocol::{MappingName, MappingSize};
use serde::{Deserialize, Serialize};

use crate::format::MAX_TOTAL_MAPPING_BYTES;

/// The page size captures compare and store mappings by.
pub const DEFAULT_PAGE_SIZE: u32 = 4096;

/// One recorded mapping: its section name and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingInfo {
    /// The Win32 section name, as the profile gives it (e.g. `acpmf_physics`
    /// or `Local\acpmf_physics`).
    pub name: String,
    /// Size of the mapping in bytes.
    pub size: u64,
}

/// What a capture describes itself with. Written as JSON after the
/// preamble; see docs/capture-format.md for the keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureHeader {
    /// The game's name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub game: Option<String>,
    /// The game's Steam appid, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<u32>,
    /// The Bridgekeeper profile id used, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The Proton build the game ran under, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proton: Option<String>,
    /// Version of the program that wrote the capture.
    pub bridgekeeper_version: String,
    /// Wall-clock start of the recording: ms since the Unix epoch (UTC).
    /// Frame times count from this instant.
    pub started_at_unix_ms: u64,
    /// Bytes per page: mappings are compared and stored page by page.
    pub page_size: u32,
    /// The mappings, in the order frames refer to them by number.
    pub mappings: Vec<MappingInfo>,
    /// Keys this version does not know, kept as they were.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl CaptureHeader {
    /// A header for `mappings` (name, size), started now, written by this
    /// version, with 4 KiB pages; set the optional fields afterwards.
    pub fn new(mappings: impl IntoIterator<Item = (String, u64)>) -> CaptureHeader {
        let started_at_unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        CaptureHeader {
            game: None,
            appid: None,
            profile: None,
            proton: None,
            bridgekeeper_version: env!("CARGO_PKG_VERSION").to_string(),
            started_at_unix_ms,
            page_size: DEFAULT_PAGE_SIZE,
            mappings: mappings
                .into_iter()
                .map(|(name, size)| MappingInfo { name, size })
                .collect(),
            extra: BTreeMap::new(),
        }
    }

    /// Checks what a capture needs of its header: at least one mapping,
    /// valid and distinct names, sizes of 1 byte to 1 GiB (64 MiB in all),
    /// and a power-of-two page size from 256 bytes to 1 MiB.
    pub fn validate(&self) -> Result<(), String> {
        let page = self.page_size;
        if !page.is_power_of_two() || !(256..=1 << 20).contains(&page) {
            return Err(format!(
                "page_size {page} is not a power of two from 256 to 1048576"
            ));
        }
        if self.mappings.is_empty() {
            return Err("it lists no mappings; a capture records at least one".into());
        }
        if self.mappings.len() > u16::MAX as usize {
            return Err(format!(
                "it lists {} mappings; the limit is {}",
                self.mappings.len(),
                u16::MAX
            ));
        }
        let mut total = 0u64;
        let mut seen = Vec::with_capacity(self.mappings.len());
        for (i, m) in self.mappings.iter().enumerate() {
            let name = MappingName::parse(&m.name).map_err(|e| format!("mapping {i}: {e}"))?;
            MappingSize::new(m.size).map_err(|e| format!("mapping {i} ({:?}): {e}", m.name))?;
            let identity = (name.namespace(), name.identity().1.to_string());
            if seen.contains(&identity) {
                return Err(format!(
                    "mapping {i} ({:?}) opens the same section as an earlier one",
                    m.name
                ));
            }
            seen.push(identity);
            total += m.size;
        }
        if total > MAX_TOTAL_MAPPING_BYTES {
            return Err(format!(
                "its mappings add up to {total} bytes; the limit is {MAX_TOTAL_MAPPING_BYTES}"
            ));
        }
        Ok(())
    }

    /// Number of pages of mapping `mapping`.
    pub fn page_count(&self, mapping: usize) -> usize {
        (self.mappings[mapping].size as usize).div_ceil(self.page_size as usize)
    }

    /// Bytes of page `page` of mapping `mapping` (the last page may be short).
    pub fn page_len(&self, mapping: usize, page: usize) -> usize {
        let size = self.mappings[mapping].size as usize;
        let start = page * self.page_size as usize;
        (size - start).min(self.page_size as usize)
    }

    /// The start time as RFC 3339 UTC (`2026-05-01T18:03:07.250Z`).
    pub fn started_at_rfc3339(&self) -> String {
        rfc3339_utc(self.started_at_unix_ms)
    }
}

/// Formats ms since the Unix epoch as RFC 3339 UTC with milliseconds.
pub fn rfc3339_utc(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian calendar).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        unix_ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_format_as_rfc3339() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_utc(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339_utc(1_767_225_599_999), "2025-12-31T23:59:59.999Z");
    }

    #[test]
    fn validation_quotes_the_bad_value() {
        let ok = CaptureHeader::new([("acpmf_physics".to_string(), 4096)]);
        ok.validate().unwrap();
        let bad = CaptureHeader::new([("../etc/passwd".to_string(), 4096)]);
        assert!(bad.validate().unwrap_err().contains("../etc/passwd"));
        let twice = CaptureHeader::new([("a".to_string(), 1), ("Local\\a".to_string(), 1)]);
        assert!(twice.validate().unwrap_err().contains("same section"));
        let zero = CaptureHeader::new([("a".to_string(), 0)]);
        assert!(zero.validate().is_err());
        let mut page = ok.clone();
        page.page_size = 1000;
        assert!(page.validate().unwrap_err().contains("1000"));
    }

    #[test]
    fn unknown_keys_are_kept() {
        let mut header = CaptureHeader::new([("a".to_string(), 10)]);
        let mut json = serde_json::to_value(&header).unwrap();
        json["from_the_future"] = serde_json::json!({"x": 1});
        let back: CaptureHeader = serde_json::from_value(json).unwrap();
        header
            .extra
            .insert("from_the_future".into(), serde_json::json!({"x": 1}));
        assert_eq!(back, header);
    }
}
