//! Checks a `[dashboard]` against the profile's mappings and layouts.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use bridgekeeper_protocol::MappingName;
use toml::Spanned;

use super::{Checker, MappingSpans};
use crate::dashboard::{
    Dashboard, FieldRef, FuelUnit, GAUGES, Gauge, GearEncoding, GearGauge, LapGauge, LapUnit,
    Limit, LimitGauge, PedalUnit, PlayerFind, PlayerRecords, RpmUnit, SpeedUnit, StatusGauge,
    is_number,
};
use crate::layout::{Field, FieldType, Layout, Scalar};
use crate::model::{RawDashboard, RawGauge, RawGear, RawLap, RawLimit, RawRecords, RawStatus};
use crate::profile::Mapping;

type Layouts = [(Layout, HashMap<String, Range<usize>>)];

/// What a gauge accepts as its field's type.
#[derive(Clone, Copy)]
enum Kind {
    /// A number (not bool).
    Number,
    /// A number, or a vector of 2 or 3 numbers (its length is used).
    NumberOrVector,
    /// An integer.
    Integer,
    /// An integer or a bool.
    IntegerOrBool,
    /// `ascii[N]` or `utf16[N]`.
    Text,
}

impl Kind {
    fn accepts(self, ty: FieldType) -> bool {
        match self {
            Kind::Number => is_number(ty),
            Kind::NumberOrVector => {
                is_number(ty) || matches!(ty, FieldType::Array(s, 2 | 3) if s != Scalar::Bool)
            }
            Kind::Integer => matches!(ty, FieldType::Scalar(s) if s.is_integer()),
            Kind::IntegerOrBool => {
                matches!(ty, FieldType::Scalar(s) if s.is_integer() || s == Scalar::Bool)
            }
            Kind::Text => matches!(ty, FieldType::Ascii(_) | FieldType::Utf16(_)),
        }
    }

    fn wanted(self) -> &'static str {
        match self {
            Kind::Number => "a number (i8 to f64)",
            Kind::NumberOrVector => "a number or a vector of 2 or 3 numbers (its length is used)",
            Kind::Integer => "an integer (i8 to u64)",
            Kind::IntegerOrBool => "an integer or a bool",
            Kind::Text => "text (ascii[N] or utf16[N])",
        }
    }
}

/// A unit spelling and its value, per gauge.
fn unit<U: Copy>(
    check: &mut Checker<'_>,
    raw: &Spanned<String>,
    gauge: &str,
    allowed: &[(&str, U)],
) -> Option<U> {
    let found = allowed.iter().find(|(name, _)| name == raw.get_ref());
    if found.is_none() {
        let names: Vec<String> = allowed.iter().map(|(n, _)| format!("\"{n}\"")).collect();
        check.report(
            raw.span(),
            format!(
                "dashboard {gauge}: unit {:?} is not known here",
                raw.get_ref()
            ),
            format!("use one of {}", names.join(", ")),
        );
    }
    found.map(|(_, u)| *u)
}

const SPEED: &[(&str, SpeedUnit)] = &[
    ("km/h", SpeedUnit::Kmh),
    ("m/s", SpeedUnit::MetresPerSecond),
    ("mph", SpeedUnit::Mph),
];
const RPM: &[(&str, RpmUnit)] = &[("rpm", RpmUnit::Rpm), ("rad/s", RpmUnit::RadiansPerSecond)];
const PEDAL: &[(&str, PedalUnit)] = &[
    ("0..1", PedalUnit::Fraction),
    ("0..100", PedalUnit::Percent),
];
const FUEL: &[(&str, FuelUnit)] = &[("l", FuelUnit::Litres), ("0..1", FuelUnit::Fraction)];
const TANK: &[(&str, FuelUnit)] = &[("l", FuelUnit::Litres)];
const LAP: &[(&str, LapUnit)] = &[
    ("ms", LapUnit::Milliseconds),
    ("s", LapUnit::Seconds),
    ("text", LapUnit::Text),
];

impl Checker<'_> {
    pub(super) fn dashboard(
        &mut self,
        raw: Spanned<RawDashboard>,
        mappings: &[(Mapping, MappingSpans)],
        layouts: &Layouts,
    ) -> Dashboard {
        let span = raw.span();
        let raw = raw.into_inner();
        let mut ctx = Ctx {
            mappings,
            layouts,
            players: Vec::new(),
        };
        for records in raw.records {
            if let Some(r) = self.records(records, &ctx) {
                ctx.players.push(r);
            }
        }
        self.player_links(&mut ctx);
        let present: Vec<&'static str> = [
            raw.speed.is_some(),
            raw.rpm.is_some(),
            raw.max_rpm.is_some(),
            raw.gear.is_some(),
            raw.throttle.is_some(),
            raw.brake.is_some(),
            raw.clutch.is_some(),
            raw.fuel.is_some(),
            raw.max_fuel.is_some(),
            raw.current_lap.is_some(),
            raw.last_lap.is_some(),
            raw.status.is_some(),
        ]
        .into_iter()
        .zip(GAUGES)
        .filter_map(|(set, name)| set.then_some(name))
        .collect();
        let dashboard = Dashboard {
            source: raw.source,
            speed: raw
                .speed
                .and_then(|g| self.gauge(g, "speed", Kind::NumberOrVector, SPEED, &ctx)),
            rpm: raw
                .rpm
                .and_then(|g| self.gauge(g, "rpm", Kind::Number, RPM, &ctx)),
            max_rpm: raw
                .max_rpm
                .and_then(|g| self.limit(g, "max_rpm", RPM, &ctx)),
            gear: raw.gear.and_then(|g| self.gear(g, &ctx)),
            throttle: raw
                .throttle
                .and_then(|g| self.gauge(g, "throttle", Kind::Number, PEDAL, &ctx)),
            brake: raw
                .brake
                .and_then(|g| self.gauge(g, "brake", Kind::Number, PEDAL, &ctx)),
            clutch: raw
                .clutch
                .and_then(|g| self.gauge(g, "clutch", Kind::Number, PEDAL, &ctx)),
            fuel: raw
                .fuel
                .and_then(|g| self.gauge(g, "fuel", Kind::Number, FUEL, &ctx)),
            max_fuel: raw
                .max_fuel
                .and_then(|g| self.limit(g, "max_fuel", TANK, &ctx)),
            current_lap: raw
                .current_lap
                .and_then(|g| self.lap(g, "current_lap", &ctx)),
            last_lap: raw.last_lap.and_then(|g| self.lap(g, "last_lap", &ctx)),
            status: raw.status.and_then(|g| self.status(g, &ctx)),
            records: ctx.players.into_iter().map(|(p, _)| p).collect(),
            unavailable: BTreeMap::new(),
        };
        let mut dashboard = dashboard;
        dashboard.unavailable = self.unavailable(raw.unavailable, &present);
        if dashboard.gauges().is_empty() && dashboard.unavailable.is_empty() {
            self.report(
                span.clone(),
                "the [dashboard] has no gauge",
                "add at least one of speed, rpm, max_rpm, gear, throttle, brake, clutch, fuel, max_fuel, current_lap, last_lap, status, or say in `unavailable` why the game's data cannot feed them",
            );
        }
        if let Some(fuel) = &dashboard.fuel
            && fuel.unit == FuelUnit::Fraction
            && dashboard.max_fuel.is_none()
        {
            self.report(
                span,
                "dashboard fuel is a fraction of the tank, but there is no max_fuel",
                "add [dashboard.max_fuel] with the tank size in litres (a field or a value)",
            );
        }
        dashboard
    }

    /// `unavailable`: known gauge names, not also given, each with a reason.
    fn unavailable(
        &mut self,
        raw: BTreeMap<Spanned<String>, String>,
        present: &[&str],
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (name, reason) in raw {
            let span = name.span();
            let name = name.into_inner();
            if !GAUGES.contains(&name.as_str()) {
                self.report(
                    span,
                    format!("dashboard unavailable: {name:?} is not a gauge"),
                    format!("use one of {}", GAUGES.join(", ")),
                );
            } else if present.contains(&name.as_str()) {
                self.report(
                    span,
                    format!("dashboard unavailable: {name} is also given as a gauge"),
                    format!("remove {name} from `unavailable`, or remove the gauge"),
                );
            } else if reason.trim().is_empty() {
                self.report(
                    span,
                    format!("dashboard unavailable: {name} has no reason"),
                    "say why the game's data cannot feed it",
                );
            } else {
                out.insert(name, reason);
            }
        }
        out
    }

    /// The mapping of a gauge and its layout.
    fn gauge_mapping<'m>(
        &mut self,
        name: &Spanned<String>,
        gauge: &str,
        ctx: &Ctx<'m>,
    ) -> Option<(&'m Mapping, &'m Layout)> {
        let known = || {
            ctx.mappings
                .iter()
                .filter(|(m, _)| m.layout.is_some())
                .map(|(m, _)| format!("{:?}", m.name.win32()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let found = MappingName::parse(name.get_ref()).ok().and_then(|wanted| {
            ctx.mappings
                .iter()
                .find(|(m, _)| m.name.identity() == wanted.identity())
        });
        let Some((mapping, _)) = found else {
            self.report(
                name.span(),
                format!(
                    "dashboard {gauge}: mapping {:?} is not a [[mapping]] of this profile",
                    name.get_ref()
                ),
                format!("use a mapping with a layout: {}", known()),
            );
            return None;
        };
        let layout = mapping
            .layout
            .as_deref()
            .and_then(|id| ctx.layouts.iter().find(|(l, _)| l.id == id));
        let Some((layout, _)) = layout else {
            self.report(
                name.span(),
                format!(
                    "dashboard {gauge}: mapping {:?} has no layout to read a field from",
                    name.get_ref()
                ),
                format!(
                    "give the mapping a layout, or use one that has: {}",
                    known()
                ),
            );
            return None;
        };
        Some((mapping, layout))
    }

    /// A field of a layout, checked for its type.
    fn layout_field(
        &mut self,
        layout: &Layout,
        name: &Spanned<String>,
        gauge: &str,
        kind: Kind,
    ) -> Option<Field> {
        let Some(field) = layout.field(name.get_ref()) else {
            self.report(
                name.span(),
                format!(
                    "dashboard {gauge}: field {:?} is not in layout {:?}",
                    name.get_ref(),
                    layout.id
                ),
                "use a field of that layout (docs/game-data.md lists them), or add the field to the layout with its source",
            );
            return None;
        };
        if !kind.accepts(field.ty) {
            self.report(
                name.span(),
                format!(
                    "dashboard {gauge}: field {:?} is a {}, not {}",
                    field.name,
                    field.ty,
                    kind.wanted()
                ),
                "use a field of the right type",
            );
            return None;
        }
        Some(field.clone())
    }

    /// Where a gauge's value is: the mapping, the field and, for per-car
    /// fields, the records whose every record fits the mapping.
    fn field_ref(
        &mut self,
        mapping: &Spanned<String>,
        field: &Spanned<String>,
        records: &Option<Spanned<String>>,
        gauge: &str,
        kind: Kind,
        ctx: &Ctx<'_>,
    ) -> Option<FieldRef> {
        let (m, layout) = self.gauge_mapping(mapping, gauge, ctx)?;
        let f = self.layout_field(layout, field, gauge, kind)?;
        if let Some(name) = records {
            let Some((records, _)) = ctx.players.iter().find(|(p, _)| p.name == *name.get_ref())
            else {
                let known: Vec<String> = ctx
                    .players
                    .iter()
                    .map(|(p, _)| format!("{:?}", p.name))
                    .collect();
                self.report(
                    name.span(),
                    format!(
                        "dashboard {gauge}: records {:?} is not a [[dashboard.records]] of this profile",
                        name.get_ref()
                    ),
                    if known.is_empty() {
                        "add a [[dashboard.records]] saying how to find the player's record, or remove `records`".to_string()
                    } else {
                        format!("use one of {}", known.join(", "))
                    },
                );
                return None;
            };
            if records.mapping != m.name.win32() {
                self.report(
                    name.span(),
                    format!(
                        "dashboard {gauge}: records {:?} are in {:?}, not in {:?}",
                        records.name,
                        records.mapping,
                        m.name.win32()
                    ),
                    "use the records of the gauge's mapping",
                );
                return None;
            }
            if !fits(&f, records.stride, records.count, m) {
                self.report(
                    field.span(),
                    format!(
                        "dashboard {gauge}: field {:?} of record {} ({} bytes apart) lies past the end of {:?}",
                        f.name,
                        records.count - 1,
                        records.stride,
                        m.name.win32()
                    ),
                    "check the field's offset (record 0's) and the player records' stride and count",
                );
                return None;
            }
        }
        Some(FieldRef {
            mapping: m.name.win32().to_string(),
            field: f,
            records: records.as_ref().map(|r| r.get_ref().clone()),
        })
    }

    fn gauge<U: Copy>(
        &mut self,
        raw: Spanned<RawGauge>,
        gauge: &str,
        kind: Kind,
        units: &[(&str, U)],
        ctx: &Ctx<'_>,
    ) -> Option<Gauge<U>> {
        let g = raw.into_inner();
        let at = self.field_ref(&g.mapping, &g.field, &g.records, gauge, kind, ctx);
        let unit = unit(self, &g.unit, gauge, units);
        Some(Gauge {
            at: at?,
            unit: unit?,
        })
    }

    fn limit<U: Copy>(
        &mut self,
        raw: Spanned<RawLimit>,
        gauge: &str,
        units: &[(&str, U)],
        ctx: &Ctx<'_>,
    ) -> Option<LimitGauge<U>> {
        let span = raw.span();
        let g = raw.into_inner();
        let unit = unit(self, &g.unit, gauge, units);
        let from = match (&g.mapping, &g.field, &g.value) {
            (Some(mapping), Some(field), None) => Limit::Field(self.field_ref(
                mapping,
                field,
                &g.records,
                gauge,
                Kind::Number,
                ctx,
            )?),
            (None, None, Some(value)) => {
                let v = *value.get_ref();
                if !(v.is_finite() && v > 0.0) {
                    self.report(
                        value.span(),
                        format!("dashboard {gauge}: value {v} is not above zero"),
                        "give the constant in the unit named by `unit`",
                    );
                    return None;
                }
                Limit::Value(v)
            }
            _ => {
                self.report(
                    span,
                    format!("dashboard {gauge}: give either mapping and field, or value"),
                    "name the field that holds the limit, or give it as a constant (value = 9000)",
                );
                return None;
            }
        };
        Some(LimitGauge { from, unit: unit? })
    }

    fn gear(&mut self, raw: Spanned<RawGear>, ctx: &Ctx<'_>) -> Option<GearGauge> {
        let g = raw.into_inner();
        let at = self.field_ref(&g.mapping, &g.field, &g.records, "gear", Kind::Integer, ctx);
        let (reverse, neutral) = (*g.reverse.get_ref(), *g.neutral.get_ref());
        if reverse >= neutral {
            self.report(
                g.reverse.span(),
                format!("dashboard gear: reverse = {reverse} is not below neutral = {neutral}"),
                "give the raw values the game uses, e.g. reverse = 0, neutral = 1 (Kunos) or reverse = -1, neutral = 0 (rFactor 2); values above neutral are the forward gears",
            );
            return None;
        }
        Some(GearGauge {
            at: at?,
            encoding: GearEncoding {
                reverse,
                neutral,
                reverse_descends: g.reverse_descends,
            },
        })
    }

    fn lap(&mut self, raw: Spanned<RawLap>, gauge: &str, ctx: &Ctx<'_>) -> Option<LapGauge> {
        let g = raw.into_inner();
        let unit = unit(self, &g.unit, gauge, LAP)?;
        let kind = if unit == LapUnit::Text {
            Kind::Text
        } else {
            Kind::Number
        };
        let at = self.field_ref(&g.mapping, &g.field, &g.records, gauge, kind, ctx)?;
        let minus = match &g.minus {
            None => None,
            Some(minus) if unit == LapUnit::Text => {
                self.report(
                    minus.span(),
                    format!("dashboard {gauge}: `minus` needs a numeric time, not text"),
                    "remove `minus`, or read a numeric field",
                );
                return None;
            }
            Some(minus) => {
                let (_, layout) = self.gauge_mapping(&g.mapping, gauge, ctx)?;
                Some(self.layout_field(layout, minus, gauge, Kind::Number)?)
            }
        };
        Some(LapGauge { at, minus, unit })
    }

    fn status(&mut self, raw: Spanned<RawStatus>, ctx: &Ctx<'_>) -> Option<StatusGauge> {
        let g = raw.into_inner();
        let at = self.field_ref(
            &g.mapping,
            &g.field,
            &g.records,
            "status",
            Kind::IntegerOrBool,
            ctx,
        );
        let mut labels = BTreeMap::new();
        let span = g.labels.span();
        for (key, label) in g.labels.into_inner() {
            let Ok(raw) = key.parse::<i64>() else {
                self.report(
                    span.clone(),
                    format!("dashboard status: label key {key:?} is not an integer"),
                    "key each label by the raw value, e.g. labels = { 0 = \"off\", 2 = \"live\" }",
                );
                continue;
            };
            if label.get_ref().trim().is_empty() {
                self.report(
                    label.span(),
                    format!("dashboard status: the label of {raw} is empty"),
                    "give each value a short label, e.g. \"live\"",
                );
                continue;
            }
            if labels.insert(raw, label.into_inner()).is_some() {
                self.report(
                    span.clone(),
                    format!("dashboard status: value {raw} has two labels"),
                    "keep one label per value (\"1\" and \"01\" are the same value)",
                );
            }
        }
        if labels.is_empty() {
            self.report(
                span,
                "dashboard status: no labels",
                "label the values, e.g. labels = { 0 = \"off\", 1 = \"replay\", 2 = \"live\", 3 = \"pause\" }",
            );
            return None;
        }
        Some(StatusGauge { at: at?, labels })
    }

    /// One `[[dashboard.records]]`, checked except for `same_id_as` (see
    /// [`Checker::player_links`]).
    fn records(
        &mut self,
        raw: Spanned<RawRecords>,
        ctx: &Ctx<'_>,
    ) -> Option<(PlayerRecords, Option<Spanned<String>>)> {
        let span = raw.span();
        let p = raw.into_inner();
        self.id(&p.name, "records name");
        if ctx.players.iter().any(|(q, _)| q.name == *p.name.get_ref()) {
            self.report(
                p.name.span(),
                format!(
                    "[[dashboard.records]] {:?} is defined twice",
                    p.name.get_ref()
                ),
                "give each [[dashboard.records]] its own name",
            );
            return None;
        }
        let (mapping, layout) = self.gauge_mapping(&p.mapping, "records", ctx)?;
        let positive = |check: &mut Self, raw: &Spanned<i64>, key: &str| match usize::try_from(
            *raw.get_ref(),
        ) {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                check.report(
                    raw.span(),
                    format!("[[dashboard.records]]: {key} = {} is not above zero", raw.get_ref()),
                    "stride is the bytes from one record to the next; count the records in the array",
                );
                None
            }
        };
        let stride = positive(self, &p.stride, "stride");
        let count = positive(self, &p.count, "count");
        let limit = match &p.limit {
            Some(l) => Some(self.layout_field(layout, l, "records limit", Kind::Integer)?),
            None => None,
        };
        let record_field = |check: &mut Self,
                            raw: &Option<Spanned<String>>,
                            key: &str,
                            kind: Kind| {
            let raw = raw.as_ref()?;
            let field = check.layout_field(layout, raw, &format!("records {key}"), kind)?;
            if let (Some(stride), Some(count)) = (stride, count)
                && !fits(&field, stride, count, mapping)
            {
                check.report(
                    raw.span(),
                    format!(
                        "[[dashboard.records]]: {key} field {:?} of record {} lies past the end of {:?}",
                        field.name,
                        count - 1,
                        mapping.name.win32()
                    ),
                    "check stride and count against the game's header",
                );
                return None;
            }
            Some(field)
        };
        let flag = record_field(self, &p.flag, "flag", Kind::IntegerOrBool);
        let id = record_field(self, &p.id, "id", Kind::Integer);
        let find = match (&p.flag, &p.same_id_as) {
            (Some(_), None) => PlayerFind::Flag { flag: flag?, id },
            (None, Some(other)) => {
                let Some(id) = id else {
                    if p.id.is_none() {
                        self.report(
                            other.span(),
                            "[[dashboard.records]]: same_id_as needs `id`, the field compared",
                            "add id = \"...\" naming the per-record car id",
                        );
                    }
                    return None;
                };
                PlayerFind::SameIdAs {
                    id,
                    records: other.get_ref().clone(),
                }
            }
            _ => {
                self.report(
                    span,
                    "[[dashboard.records]]: give either `flag` or `same_id_as`",
                    "flag = a per-record field set on the player's record; same_id_as = other records whose player's `id` this `id` must equal",
                );
                return None;
            }
        };
        Some((
            PlayerRecords {
                name: p.name.into_inner(),
                mapping: mapping.name.win32().to_string(),
                stride: stride?,
                count: count?,
                limit,
                find,
            },
            p.same_id_as,
        ))
    }

    /// Checks each `same_id_as`; drops records whose link is broken.
    fn player_links(&mut self, ctx: &mut Ctx<'_>) {
        let flags: Vec<(String, bool)> = ctx
            .players
            .iter()
            .filter_map(|(p, _)| match &p.find {
                PlayerFind::Flag { id, .. } => Some((p.name.clone(), id.is_some())),
                PlayerFind::SameIdAs { .. } => None,
            })
            .collect();
        let mut kept = Vec::new();
        for (p, link) in std::mem::take(&mut ctx.players) {
            if let Some(link) = &link {
                match flags.iter().find(|(name, _)| name == link.get_ref()) {
                    Some((_, true)) => {}
                    Some((_, false)) => {
                        self.report(
                            link.span(),
                            format!(
                                "[[dashboard.records]]: records {:?} have no `id` to compare",
                                link.get_ref()
                            ),
                            "add id = \"...\" to those records",
                        );
                        continue;
                    }
                    None => {
                        self.report(
                            link.span(),
                            format!(
                                "[[dashboard.records]]: same_id_as {:?} names no [[dashboard.records]] with a flag",
                                link.get_ref()
                            ),
                            "name the records that find the player by `flag`",
                        );
                        continue;
                    }
                }
            }
            kept.push((p, link));
        }
        ctx.players = kept;
    }
}

struct Ctx<'m> {
    mappings: &'m [(Mapping, MappingSpans)],
    layouts: &'m Layouts,
    players: Vec<(PlayerRecords, Option<Spanned<String>>)>,
}

/// Whether `field` of the last of `count` records `stride` bytes apart ends
/// within `mapping`.
fn fits(field: &Field, stride: usize, count: usize, mapping: &Mapping) -> bool {
    (count - 1)
        .checked_mul(stride)
        .and_then(|d| d.checked_add(field.end()))
        .is_some_and(|end| end as u64 <= mapping.size.bytes())
}
