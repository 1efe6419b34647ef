//! The TOML file format, as read by serde, before validation.
//!
//! Every table rejects unknown keys, so a misspelt key is an error with a
//! line number rather than a silently ignored setting. Values that are
//! checked later keep their byte span ([`Spanned`]) so that problems can
//! point at them.

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
