//! Dashboards: which layout fields feed which gauge, and reading them.
//!
//! Failure mode: a game's page holds raw numbers in the game's own units and
//! encodings (m/s or km/h, rad/s or rpm, Kunos' gear 0 for reverse, rFactor's
//! -1), placeholders for "not available" (-1, `INT_MAX`, 0 before the first
//! lap), and, in rFactor 2 and Le Mans Ultimate, one record per car in no
//! fixed order. A gauge that shows those numbers as they are shows nonsense.
//! So a profile's `[dashboard]` names, per gauge, the field and its unit or
//! encoding, validated against the layouts when the profile loads, and
//! [`Dashboard::read`] turns a set of page images into typed values in fixed
//! units: km/h, rpm, 0..1, litres, [`Duration`]. Values that are missing,
//! out of range or placeholders read as `None`, never as a number.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Serialize, Serializer};

use super::layout::{Field, FieldType, Value};

/// A field of a mapping's layout that feeds a gauge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldRef {
    /// The mapping's Win32 name, as the profile spells it.
    pub mapping: String,
    /// The field (record 0's offset when `records` is set).
    pub field: Field,
    /// The field belongs to one record per car: the player's record is read,
    /// found by the [`PlayerRecords`] of this name.
    pub records: Option<String>,
}

/// Unit of a speed field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SpeedUnit {
    /// Kilometres per hour.
    #[serde(rename = "km/h")]
    Kmh,
    /// Metres per second.
    #[serde(rename = "m/s")]
    MetresPerSecond,
    /// Miles per hour.
    #[serde(rename = "mph")]
    Mph,
}

/// Unit of an engine speed field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RpmUnit {
    /// Revolutions per minute.
    #[serde(rename = "rpm")]
    Rpm,
    /// Radians per second.
    #[serde(rename = "rad/s")]
    RadiansPerSecond,
}

/// Scale of a pedal field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PedalUnit {
    /// 0 released to 1 fully pressed.
    #[serde(rename = "0..1")]
    Fraction,
    /// 0 to 100.
    #[serde(rename = "0..100")]
    Percent,
}

/// Unit of a fuel field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FuelUnit {
    /// Litres.
    #[serde(rename = "l")]
    Litres,
    /// 0..1 of the tank (needs `max_fuel`).
    #[serde(rename = "0..1")]
    Fraction,
}

/// Unit of a lap time field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LapUnit {
    /// Integer milliseconds.
    #[serde(rename = "ms")]
    Milliseconds,
    /// Seconds.
    #[serde(rename = "s")]
    Seconds,
    /// Text such as `1:02.345`.
    #[serde(rename = "text")]
    Text,
}

/// A gauge fed by one field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gauge<U> {
    /// Where the value is.
    #[serde(flatten)]
    pub at: FieldRef,
    /// Its unit.
    pub unit: U,
}

/// Where a limit (max rpm, tank size) comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Limit {
    /// A field of a page.
    Field(FieldRef),
    /// A constant.
    Value(f64),
}

/// A limit gauge: a field or a constant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitGauge<U> {
    /// Where it comes from.
    pub from: Limit,
    /// Its unit (of the field or the constant).
    pub unit: U,
}

/// How a game encodes gears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GearEncoding {
    /// The raw value of (the first) reverse gear.
    pub reverse: i64,
    /// The raw value of neutral; `neutral + n` is forward gear n.
    pub neutral: i64,
    /// Values below `reverse` are further reverse gears (`reverse - 1` is
    /// the second), as in the SCS games.
    pub reverse_descends: bool,
}

impl GearEncoding {
    /// The gear a raw value stands for.
    pub fn decode(&self, raw: i64) -> Gear {
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        if raw == self.neutral {
            Gear::Neutral
        } else if raw > self.neutral {
            Gear::Forward(count(raw - self.neutral))
        } else if raw == self.reverse {
            Gear::Reverse(1)
        } else if raw < self.reverse && self.reverse_descends {
            Gear::Reverse(count(self.reverse - raw).saturating_add(1))
        } else {
            Gear::Unknown(raw)
        }
    }
}

/// The gear gauge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GearGauge {
    /// Where the raw gear is.
    #[serde(flatten)]
    pub at: FieldRef,
    /// How the game encodes it.
    pub encoding: GearEncoding,
}

/// A lap time gauge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LapGauge {
    /// Where the time (or the clock it is read from) is.
    #[serde(flatten)]
    pub at: FieldRef,
    /// A field of the same mapping (and record) subtracted from `at`: the
    /// lap's start on the same clock.
    pub minus: Option<Field>,
    /// Its unit.
    pub unit: LapUnit,
}

/// The session status gauge: a field and what its values mean.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusGauge {
    /// Where the raw status is.
    #[serde(flatten)]
    pub at: FieldRef,
    /// Raw value to label.
    pub labels: BTreeMap<i64, String>,
}

/// An array of one record per car, and how to find the player's record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlayerRecords {
    /// Referred to by gauges' `records`.
    pub name: String,
    /// The mapping's Win32 name.
    pub mapping: String,
    /// Bytes from one record to the next.
    pub stride: usize,
    /// Records in the mapping.
    pub count: usize,
    /// A field (not per record) giving how many records are in use.
    pub limit: Option<Field>,
    /// How the player's record is recognised.
    pub find: PlayerFind,
}

/// How the player's record is recognised.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlayerFind {
    /// The first record whose `flag` is not zero; `id` is its car id, for
    /// other mappings to match.
    Flag {
        /// A per-record flag such as `mIsPlayer`.
        flag: Field,
        /// The per-record car id.
        id: Option<Field>,
    },
    /// The record whose `id` equals the `id` of the player's record in
    /// other records.
    SameIdAs {
        /// The per-record car id.
        id: Field,
        /// The other [`PlayerRecords`]' name (a [`PlayerFind::Flag`] with
        /// `id`).
        records: String,
    },
}

/// Which layout fields feed which gauge.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Dashboard {
    /// Where the units and encodings come from.
    pub source: String,
    /// Arrays of one record per car, and how to find the player's record.
    pub records: Vec<PlayerRecords>,
    /// Speed.
    pub speed: Option<Gauge<SpeedUnit>>,
    /// Engine speed.
    pub rpm: Option<Gauge<RpmUnit>>,
    /// Top of the rev bar.
    pub max_rpm: Option<LimitGauge<RpmUnit>>,
    /// Gear.
    pub gear: Option<GearGauge>,
    /// Throttle pedal.
    pub throttle: Option<Gauge<PedalUnit>>,
    /// Brake pedal.
    pub brake: Option<Gauge<PedalUnit>>,
    /// Clutch pedal.
    pub clutch: Option<Gauge<PedalUnit>>,
    /// Fuel in the tank.
    pub fuel: Option<Gauge<FuelUnit>>,
    /// Tank size, in litres.
    pub max_fuel: Option<LimitGauge<FuelUnit>>,
    /// Time into the current lap.
    pub current_lap: Option<LapGauge>,
    /// Last lap's time.
    pub last_lap: Option<LapGauge>,
    /// Session status.
    pub status: Option<StatusGauge>,
    /// Gauges the game's data cannot feed, by name (as in
    /// [`GAUGES`]), each with the reason a person reads.
    pub unavailable: BTreeMap<String, String>,
}

/// Every gauge's name, in display order.
pub const GAUGES: [&str; 12] = [
    "speed",
    "rpm",
    "max_rpm",
    "gear",
    "throttle",
    "brake",
    "clutch",
    "fuel",
    "max_fuel",
    "current_lap",
    "last_lap",
    "status",
];

/// A gear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gear {
    /// Reverse; 1 for the first (or only) reverse gear.
    Reverse(u32),
    /// Neutral.
    Neutral,
    /// Forward gear n, from 1.
    Forward(u32),
    /// A raw value the encoding does not cover (such as RaceRoom's -2,
    /// "not available").
    Unknown(i64),
}

impl fmt::Display for Gear {
    /// `R`, `R2`, `N`, `1`, `2`... and `?` for an unknown value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gear::Reverse(1) => f.write_str("R"),
            Gear::Reverse(n) => write!(f, "R{n}"),
            Gear::Neutral => f.write_str("N"),
            Gear::Forward(n) => write!(f, "{n}"),
            Gear::Unknown(_) => f.write_str("?"),
        }
    }
}

impl Serialize for Gear {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A session status: the raw value and its label, when the profile has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// The raw value.
    pub raw: i64,
    /// Its label, e.g. `live`.
    pub label: Option<String>,
}

/// The gauges' values, in fixed units. `None`: the profile has no such
/// gauge, a page is missing or too short, or the game says "not available".
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DashboardValues {
    /// Speed in km/h, never negative.
    pub speed_kmh: Option<f64>,
    /// Engine speed in rpm.
    pub rpm: Option<f64>,
    /// Top of the rev bar in rpm.
    pub max_rpm: Option<f64>,
    /// Gear.
    pub gear: Option<Gear>,
    /// Throttle, 0..1.
    pub throttle: Option<f64>,
    /// Brake, 0..1.
    pub brake: Option<f64>,
    /// Clutch, 0..1 as the game reports it.
    pub clutch: Option<f64>,
    /// Fuel in litres.
    pub fuel_litres: Option<f64>,
    /// Tank size in litres.
    pub max_fuel_litres: Option<f64>,
    /// Time into the current lap.
    pub current_lap: Option<Duration>,
    /// Last lap's time.
    pub last_lap: Option<Duration>,
    /// Session status.
    pub status: Option<Status>,
}

/// The longest lap time taken as real; larger values are placeholders.
const MAX_LAP: Duration = Duration::from_secs(24 * 60 * 60);

/// Page images by mapping name, with the player's record per mapping.
struct Pages<'a, F> {
    pages: F,
    players: &'a [PlayerRecords],
}

impl<'a, 'p, F: Fn(&str) -> Option<&'p [u8]>> Pages<'a, F> {
    /// Decodes `field` of `mapping`, at the player's record of `records`
    /// when given.
    fn value(&self, mapping: &str, field: &Field, records: Option<&str>) -> Option<Value> {
        let page = (self.pages)(mapping)?;
        let offset = match records {
            Some(name) => {
                let records = self.players.iter().find(|p| p.name == name)?;
                let index = self.player_index(records)?;
                field
                    .offset
                    .checked_add(index.checked_mul(records.stride)?)?
            }
            None => field.offset,
        };
        field.ty.decode(page.get(offset..)?)
    }

    fn at(&self, at: &FieldRef) -> Option<Value> {
        self.value(&at.mapping, &at.field, at.records.as_deref())
    }

    /// The player's record index in `records`' mapping.
    fn player_index(&self, records: &PlayerRecords) -> Option<usize> {
        let page = (self.pages)(&records.mapping)?;
        let in_use = match &records.limit {
            Some(limit) => usize::try_from(integer(&limit.read(page)?)?).ok()?,
            None => records.count,
        }
        .min(records.count);
        let per_record = |field: &Field, i: usize| {
            let offset = field.offset.checked_add(i.checked_mul(records.stride)?)?;
            field.ty.decode(page.get(offset..)?)
        };
        match &records.find {
            PlayerFind::Flag { flag, .. } => (0..in_use).find(|&i| {
                per_record(flag, i).is_some_and(|v| {
                    matches!(v, Value::Bool(true)) || integer(&v).is_some_and(|n| n != 0)
                })
            }),
            PlayerFind::SameIdAs { id, records } => {
                let other = self.players.iter().find(|p| &p.name == records)?;
                let PlayerFind::Flag {
                    id: Some(other_id), ..
                } = &other.find
                else {
                    return None;
                };
                let other_page = (self.pages)(&other.mapping)?;
                let index = self.player_index(other)?;
                let offset = other_id
                    .offset
                    .checked_add(index.checked_mul(other.stride)?)?;
                let wanted = integer(&other_id.ty.decode(other_page.get(offset..)?)?)?;
                (0..in_use).find(|&i| per_record(id, i).and_then(|v| integer(&v)) == Some(wanted))
            }
        }
    }
}

/// An integer value (bools as 0 and 1).
fn integer(value: &Value) -> Option<i64> {
    match *value {
        Value::Int(v) => Some(v),
        Value::UInt(v) => i64::try_from(v).ok(),
        Value::Bool(v) => Some(i64::from(v)),
        _ => None,
    }
}

/// A finite number; a vector of numbers gives its length.
fn number(value: &Value) -> Option<f64> {
    let n = match value {
        Value::Int(v) => *v as f64,
        Value::UInt(v) => *v as f64,
        Value::Float(v) => *v,
        Value::Array(items) => items
            .iter()
            .map(|v| number(v).map(|n| n * n))
            .sum::<Option<f64>>()?
            .sqrt(),
        Value::Bool(_) | Value::Text(_) => return None,
    };
    n.is_finite().then_some(n)
}

/// `n` when it is at least zero.
fn non_negative(n: f64) -> Option<f64> {
    (n >= 0.0).then_some(n)
}

/// `n` when it is above zero.
fn positive(n: f64) -> Option<f64> {
    (n > 0.0).then_some(n)
}

const RPM_PER_RAD_PER_S: f64 = 60.0 / std::f64::consts::TAU;

fn rpm(n: f64, unit: RpmUnit) -> f64 {
    match unit {
        RpmUnit::Rpm => n,
        RpmUnit::RadiansPerSecond => n * RPM_PER_RAD_PER_S,
    }
}

/// A pedal value as 0..1: below zero ("not available") is `None`, a hair
/// above full is full, anything further is `None`.
fn pedal(n: f64, unit: PedalUnit) -> Option<f64> {
    let n = match unit {
        PedalUnit::Fraction => n,
        PedalUnit::Percent => n / 100.0,
    };
    if !(0.0..=1.001).contains(&n) {
        return None;
    }
    Some(n.min(1.0))
}

/// Parses `1:02.345`, `1:02:03.4`, `62.345`; anything else (`-:--:---`) is
/// `None`.
fn parse_lap_text(text: &str) -> Option<Duration> {
    let text = text.trim();
    let mut seconds = 0.0;
    for part in text.split(':') {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return None;
        }
        seconds = seconds * 60.0 + part.parse::<f64>().ok()?;
    }
    lap(seconds)
}

fn lap(seconds: f64) -> Option<Duration> {
    let d = Duration::try_from_secs_f64(seconds).ok()?;
    (d <= MAX_LAP).then_some(d)
}

impl Dashboard {
    /// Reads every gauge from page images. `pages` returns the whole image
    /// of a mapping by its Win32 name as the profile spells it (e.g.
    /// `acpmf_physics`, `Local\acevo_pmf_physics`), or `None` when it has
    /// none; images may be shorter than the mapping (fields past the end
    /// read as `None`).
    pub fn read<'p>(&self, pages: impl Fn(&str) -> Option<&'p [u8]>) -> DashboardValues {
        let pages = Pages {
            pages,
            players: &self.records,
        };
        let num = |at: &FieldRef| pages.at(at).as_ref().and_then(number);
        let limit = |from: &Limit| match from {
            Limit::Field(at) => num(at),
            Limit::Value(v) => Some(*v),
        };
        let max_fuel_litres = self
            .max_fuel
            .as_ref()
            .and_then(|g| limit(&g.from))
            .and_then(positive);
        let lap_time = |g: &LapGauge, last: bool| -> Option<Duration> {
            let value = pages.at(&g.at)?;
            let d = match g.unit {
                LapUnit::Text => match value {
                    Value::Text(text) => parse_lap_text(&text)?,
                    _ => return None,
                },
                LapUnit::Milliseconds | LapUnit::Seconds => {
                    let mut n = number(&value)?;
                    if let Some(minus) = &g.minus {
                        n -=
                            number(&pages.value(&g.at.mapping, minus, g.at.records.as_deref())?)?;
                    }
                    if matches!(g.unit, LapUnit::Milliseconds) {
                        if n >= f64::from(i32::MAX) {
                            return None;
                        }
                        n /= 1000.0;
                    }
                    lap(n)?
                }
            };
            (!last || !d.is_zero()).then_some(d)
        };
        DashboardValues {
            speed_kmh: self.speed.as_ref().and_then(|g| {
                let n = num(&g.at)?.abs();
                Some(match g.unit {
                    SpeedUnit::Kmh => n,
                    SpeedUnit::MetresPerSecond => n * 3.6,
                    SpeedUnit::Mph => n * 1.609_344,
                })
            }),
            rpm: self
                .rpm
                .as_ref()
                .and_then(|g| non_negative(rpm(num(&g.at)?, g.unit))),
            max_rpm: self
                .max_rpm
                .as_ref()
                .and_then(|g| positive(rpm(limit(&g.from)?, g.unit))),
            gear: self
                .gear
                .as_ref()
                .and_then(|g| Some(g.encoding.decode(integer(&pages.at(&g.at)?)?))),
            throttle: self
                .throttle
                .as_ref()
                .and_then(|g| pedal(num(&g.at)?, g.unit)),
            brake: self.brake.as_ref().and_then(|g| pedal(num(&g.at)?, g.unit)),
            clutch: self
                .clutch
                .as_ref()
                .and_then(|g| pedal(num(&g.at)?, g.unit)),
            fuel_litres: self.fuel.as_ref().and_then(|g| {
                let n = non_negative(num(&g.at)?)?;
                match g.unit {
                    FuelUnit::Litres => Some(n),
                    FuelUnit::Fraction => Some(n.min(1.0) * max_fuel_litres?),
                }
            }),
            max_fuel_litres,
            current_lap: self.current_lap.as_ref().and_then(|g| lap_time(g, false)),
            last_lap: self.last_lap.as_ref().and_then(|g| lap_time(g, true)),
            status: self.status.as_ref().and_then(|g| {
                let raw = integer(&pages.at(&g.at)?)?;
                Some(Status {
                    raw,
                    label: g.labels.get(&raw).cloned(),
                })
            }),
        }
    }

    /// The Win32 names of the mappings the gauges read, each once.
    pub fn mappings(&self) -> Vec<&str> {
        let fields = [
            self.speed.as_ref().map(|g| &g.at),
            self.rpm.as_ref().map(|g| &g.at),
            self.max_rpm.as_ref().and_then(|g| match &g.from {
                Limit::Field(at) => Some(at),
                Limit::Value(_) => None,
            }),
            self.gear.as_ref().map(|g| &g.at),
            self.throttle.as_ref().map(|g| &g.at),
            self.brake.as_ref().map(|g| &g.at),
            self.clutch.as_ref().map(|g| &g.at),
            self.fuel.as_ref().map(|g| &g.at),
            self.max_fuel.as_ref().and_then(|g| match &g.from {
                Limit::Field(at) => Some(at),
                Limit::Value(_) => None,
            }),
            self.current_lap.as_ref().map(|g| &g.at),
            self.last_lap.as_ref().map(|g| &g.at),
            self.status.as_ref().map(|g| &g.at),
        ];
        let mut out: Vec<&str> = Vec::new();
        let records = |name: &str| self.records.iter().find(|r| r.name == name);
        for at in fields.into_iter().flatten() {
            let own = at.records.as_deref().and_then(records);
            let linked = own.and_then(|r| match &r.find {
                PlayerFind::SameIdAs { records: other, .. } => records(other),
                PlayerFind::Flag { .. } => None,
            });
            let needed =
                std::iter::once(at.mapping.as_str()).chain(linked.map(|r| r.mapping.as_str()));
            for name in needed {
                if !out.contains(&name) {
                    out.push(name);
                }
            }
        }
        out
    }

    /// How many bytes from the start of `mapping` the gauges read (per-car
    /// arrays up to their last record), so a reader copies no more than
    /// that. Zero when no gauge reads `mapping`.
    pub fn extent(&self, mapping: &str) -> usize {
        let spread = |records: Option<&str>| {
            records
                .and_then(|name| self.records.iter().find(|r| r.name == name))
                .map_or(0, |r| r.stride.saturating_mul(r.count.saturating_sub(1)))
        };
        let mut end = 0;
        for r in self.records.iter().filter(|r| r.mapping == mapping) {
            let last = spread(Some(&r.name));
            let per_record = match &r.find {
                PlayerFind::Flag { flag, id } => [Some(flag), id.as_ref()],
                PlayerFind::SameIdAs { id, .. } => [Some(id), None],
            };
            for field in per_record.into_iter().flatten() {
                end = end.max(field.end().saturating_add(last));
            }
            if let Some(limit) = &r.limit {
                end = end.max(limit.end());
            }
        }
        for (at, minus) in self.field_refs() {
            if at.mapping == mapping {
                let last = spread(at.records.as_deref());
                for field in std::iter::once(&at.field).chain(minus) {
                    end = end.max(field.end().saturating_add(last));
                }
            }
        }
        end
    }

    /// Every field a gauge reads, with a lap gauge's `minus`.
    fn field_refs(&self) -> Vec<(&FieldRef, Option<&Field>)> {
        fn limit<U>(g: &Option<LimitGauge<U>>) -> Option<&FieldRef> {
            match g.as_ref().map(|g| &g.from) {
                Some(Limit::Field(at)) => Some(at),
                _ => None,
            }
        }
        fn lap(g: &Option<LapGauge>) -> Option<(&FieldRef, Option<&Field>)> {
            g.as_ref().map(|g| (&g.at, g.minus.as_ref()))
        }
        fn plain(at: Option<&FieldRef>) -> Option<(&FieldRef, Option<&Field>)> {
            at.map(|at| (at, None))
        }
        [
            plain(self.speed.as_ref().map(|g| &g.at)),
            plain(self.rpm.as_ref().map(|g| &g.at)),
            plain(limit(&self.max_rpm)),
            plain(self.gear.as_ref().map(|g| &g.at)),
            plain(self.throttle.as_ref().map(|g| &g.at)),
            plain(self.brake.as_ref().map(|g| &g.at)),
            plain(self.clutch.as_ref().map(|g| &g.at)),
            plain(self.fuel.as_ref().map(|g| &g.at)),
            plain(limit(&self.max_fuel)),
            lap(&self.current_lap),
            lap(&self.last_lap),
            plain(self.status.as_ref().map(|g| &g.at)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The names of the gauges this dashboard has, in display order
    /// (`speed`, `rpm`, `max_rpm`, `gear`, `throttle`, `brake`, `clutch`,
    /// `fuel`, `max_fuel`, `current_lap`, `last_lap`, `status`).
    pub fn gauges(&self) -> Vec<&'static str> {
        [
            ("speed", self.speed.is_some()),
            ("rpm", self.rpm.is_some()),
            ("max_rpm", self.max_rpm.is_some()),
            ("gear", self.gear.is_some()),
            ("throttle", self.throttle.is_some()),
            ("brake", self.brake.is_some()),
            ("clutch", self.clutch.is_some()),
            ("fuel", self.fuel.is_some()),
            ("max_fuel", self.max_fuel.is_some()),
            ("current_lap", self.current_lap.is_some()),
            ("last_lap", self.last_lap.is_some()),
            ("status", self.status.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, present)| present.then_some(name))
        .collect()
    }
}

/// Whether a field type can feed a numeric gauge.
pub(crate) fn is_number(ty: FieldType) -> bool {
    matches!(ty, FieldType::Scalar(s) if s != super::layout::Scalar::Bool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gear_encodings_decode() {
        let kunos = GearEncoding {
            reverse: 0,
            neutral: 1,
            reverse_descends: false,
        };
        assert_eq!(kunos.decode(0), Gear::Reverse(1));
        assert_eq!(kunos.decode(1), Gear::Neutral);
        assert_eq!(kunos.decode(2), Gear::Forward(1));
        assert_eq!(kunos.decode(8), Gear::Forward(7));
        assert_eq!(kunos.decode(-1), Gear::Unknown(-1));
        let scs = GearEncoding {
            reverse: -1,
            neutral: 0,
            reverse_descends: true,
        };
        assert_eq!(scs.decode(-1), Gear::Reverse(1));
        assert_eq!(scs.decode(-3), Gear::Reverse(3));
        assert_eq!(scs.decode(12), Gear::Forward(12));
        let shown: Vec<String> = [
            Gear::Reverse(1),
            Gear::Reverse(2),
            Gear::Neutral,
            Gear::Forward(3),
            Gear::Unknown(-2),
        ]
        .iter()
        .map(Gear::to_string)
        .collect();
        assert_eq!(shown, ["R", "R2", "N", "3", "?"]);
    }

    #[test]
    fn lap_texts_parse() {
        assert_eq!(
            parse_lap_text("1:02.345"),
            Some(Duration::from_millis(62_345))
        );
        assert_eq!(
            parse_lap_text("1:00:00.5"),
            Some(Duration::from_millis(3_600_500))
        );
        assert_eq!(parse_lap_text("59.5"), Some(Duration::from_millis(59_500)));
        for bad in ["-:--:---", "", "1::2", "1:-2", "abc", "99999:00:00"] {
            assert_eq!(parse_lap_text(bad), None, "{bad}");
        }
    }

    #[test]
    fn numbers_and_pedals_are_checked() {
        assert_eq!(number(&Value::Float(f64::NAN)), None);
        assert_eq!(
            number(&Value::Array(vec![
                Value::Float(3.0),
                Value::Float(-4.0),
                Value::Float(0.0)
            ])),
            Some(5.0)
        );
        assert_eq!(pedal(-1.0, PedalUnit::Fraction), None);
        assert_eq!(pedal(1.0004, PedalUnit::Fraction), Some(1.0));
        assert_eq!(pedal(1.5, PedalUnit::Fraction), None);
        assert_eq!(pedal(50.0, PedalUnit::Percent), Some(0.5));
        assert!((rpm(100.0, RpmUnit::RadiansPerSecond) - 954.929_658_551_372).abs() < 1e-9);
    }
}
