//! The TOML file format, as read by serde, before validation.
//!
//! Every table rejects unknown keys, so a misspelt key is an error with a
//! line number rather than a silently ignored setting. Values that are
//! checked later keep their byte span ([`Spanned`]) so that problems can
//! point at them.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::profile::{Direction, QuirkKind};

/// A whole profile file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProfile {
    pub id: Spanned<String>,
    pub name: Spanned<String>,
    #[serde(default)]
    pub appids: Vec<Spanned<i64>>,
    #[serde(default)]
    pub launcher_exes: Vec<Spanned<String>>,
    #[serde(default)]
    pub live_exes: Vec<Spanned<String>>,
    #[serde(default)]
    pub events: Vec<Spanned<String>>,
    #[serde(default, rename = "quirk")]
    pub quirks: Vec<RawQuirk>,
    #[serde(default, rename = "mapping")]
    pub mappings: Vec<Spanned<RawMapping>>,
    #[serde(default, rename = "layout")]
    pub layouts: Vec<Spanned<RawLayout>>,
    #[serde(default)]
    pub dashboard: Option<Spanned<RawDashboard>>,
}

/// `[[quirk]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawQuirk {
    pub kind: QuirkKind,
    pub text: Spanned<String>,
    #[serde(default)]
    pub with: Vec<Spanned<String>>,
}

/// `[[mapping]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMapping {
    pub name: Spanned<String>,
    pub size: Spanned<i64>,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub opt_in: bool,
    #[serde(default)]
    pub direction: Direction,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub layout: Option<Spanned<String>>,
    #[serde(default)]
    pub liveness: Option<Spanned<String>>,
    #[serde(default)]
    pub game_struct: Option<Spanned<i64>>,
    #[serde(default, rename = "reader")]
    pub readers: Vec<Spanned<RawReaderUse>>,
}

/// `[[mapping.reader]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReaderUse {
    /// A reader id, or an array of them.
    pub reader: Spanned<toml::Value>,
    pub maps: Spanned<i64>,
    #[serde(default)]
    pub truncates_to: Option<Spanned<i64>>,
    #[serde(default)]
    pub creates: bool,
    pub source: Spanned<String>,
}

/// `[[layout]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLayout {
    pub id: Spanned<String>,
    #[serde(default)]
    pub source: String,
    #[serde(default, rename = "field")]
    pub fields: Vec<Spanned<RawField>>,
}

/// `[[layout.field]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawField {
    pub name: Spanned<String>,
    pub offset: Spanned<i64>,
    #[serde(rename = "type")]
    pub ty: Spanned<String>,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub note: String,
}

/// `[dashboard]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDashboard {
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub records: Vec<Spanned<RawRecords>>,
    pub speed: Option<Spanned<RawGauge>>,
    pub rpm: Option<Spanned<RawGauge>>,
    pub max_rpm: Option<Spanned<RawLimit>>,
    pub gear: Option<Spanned<RawGear>>,
    pub throttle: Option<Spanned<RawGauge>>,
    pub brake: Option<Spanned<RawGauge>>,
    pub clutch: Option<Spanned<RawGauge>>,
    pub fuel: Option<Spanned<RawGauge>>,
    pub max_fuel: Option<Spanned<RawLimit>>,
    pub current_lap: Option<Spanned<RawLap>>,
    pub last_lap: Option<Spanned<RawLap>>,
    pub status: Option<Spanned<RawStatus>>,
    /// Gauges the game's data cannot feed, each with the reason.
    #[serde(default)]
    pub unavailable: BTreeMap<Spanned<String>, String>,
}

/// Where a gauge's value is: common to every gauge table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGauge {
    pub mapping: Spanned<String>,
    pub field: Spanned<String>,
    pub unit: Spanned<String>,
    #[serde(default)]
    pub records: Option<Spanned<String>>,
}

/// `[dashboard.max_rpm]`, `[dashboard.max_fuel]`: a field or a constant.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLimit {
    #[serde(default)]
    pub mapping: Option<Spanned<String>>,
    #[serde(default)]
    pub field: Option<Spanned<String>>,
    #[serde(default)]
    pub value: Option<Spanned<f64>>,
    pub unit: Spanned<String>,
    #[serde(default)]
    pub records: Option<Spanned<String>>,
}

/// `[dashboard.gear]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGear {
    pub mapping: Spanned<String>,
    pub field: Spanned<String>,
    pub reverse: Spanned<i64>,
    pub neutral: Spanned<i64>,
    #[serde(default)]
    pub reverse_descends: bool,
    #[serde(default)]
    pub records: Option<Spanned<String>>,
}

/// `[dashboard.current_lap]`, `[dashboard.last_lap]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLap {
    pub mapping: Spanned<String>,
    pub field: Spanned<String>,
    pub unit: Spanned<String>,
    #[serde(default)]
    pub minus: Option<Spanned<String>>,
    #[serde(default)]
    pub records: Option<Spanned<String>>,
}

/// `[dashboard.status]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStatus {
    pub mapping: Spanned<String>,
    pub field: Spanned<String>,
    pub labels: Spanned<BTreeMap<String, Spanned<String>>>,
    #[serde(default)]
    pub records: Option<Spanned<String>>,
}

/// `[[dashboard.records]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRecords {
    pub name: Spanned<String>,
    pub mapping: Spanned<String>,
    pub stride: Spanned<i64>,
    pub count: Spanned<i64>,
    #[serde(default)]
    pub limit: Option<Spanned<String>>,
    #[serde(default)]
    pub flag: Option<Spanned<String>>,
    #[serde(default)]
    pub id: Option<Spanned<String>>,
    #[serde(default)]
    pub same_id_as: Option<Spanned<String>>,
}
