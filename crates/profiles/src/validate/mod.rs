//! Turns the text of a profile file into a [`Profile`], or into every
//! problem found in it.
//!
//! Schema problems (bad TOML, unknown keys, names, sizes, references) always
//! reject the file. Breaking the size rule or missing a page a known reader
//! opens ([`super::size_rule`], [`super::readers`]) rejects a built-in
//! profile ([`Strictness::BuiltIn`]) but only warns about a user's
//! ([`Strictness::User`]): the user may know their setup better, and the
//! warning names the reader and the fix.

mod dashboard;
mod readers;

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use bridgekeeper_protocol::{MappingName, MappingSize, find_duplicate};
use serde::Serialize;
use toml::Spanned;

use super::layout::{Field, FieldType, Layout};
use super::model::{RawField, RawLayout, RawMapping, RawProfile};
use super::problem::Problem;
use super::profile::{Mapping, Profile, Quirk};
use super::readers::ReaderCatalog;

/// Why a profile file was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// The profile's id, when the file got far enough to have one.
    pub id: Option<String>,
    /// Everything wrong with the file (at least one entry).
    pub problems: Vec<Problem>,
}

/// How strictly the rules about readers apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strictness {
    /// A built-in profile: breaking the size rule or missing a page a known
    /// reader opens rejects it.
    BuiltIn,
    /// A user's profile: those become warnings.
    User,
}

/// A profile that loaded, with what the user should still look at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parsed {
    /// The profile.
    pub profile: Profile,
    /// Size-rule and reader warnings ([`Strictness::User`] only).
    pub warnings: Vec<Problem>,
}

const NAME_FIX: &str = "use the exact name the game passes to CreateFileMapping";
const SIZE_FIX: &str = "give the size in bytes, from 1 to 1073741824 (1 GiB): at least what the game and every reader map, rounded up to a multiple of 4096 (the sizing rule in docs/game-data.md)";
pub(crate) const ID_FIX: &str = "use 1 to 64 lowercase letters, digits and '-', not starting or ending with '-', e.g. \"assetto-corsa\"";

/// Whether `id` is a valid profile, layout or reader id.
pub(crate) fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Parses and validates one user profile file. `file` is only used in
/// messages. Warnings are dropped: use [`parse_profile_with`] to see them.
///
/// Every problem in the file is reported, not just the first.
pub fn parse_profile(file: &str, text: &str) -> Result<Profile, Rejection> {
    parse_profile_with(file, text, Strictness::User).map(|parsed| parsed.profile)
}

/// Parses and validates one profile file, with the reader rules applied as
/// `strictness` says. `file` is only used in messages.
pub fn parse_profile_with(
    file: &str,
    text: &str,
    strictness: Strictness,
) -> Result<Parsed, Rejection> {
    let raw: RawProfile = toml::from_str(text).map_err(|err| Rejection {
        id: None,
        problems: vec![toml_problem(file, text, &err)],
    })?;
    let mut check = Checker {
        file,
        text,
        strict: strictness == Strictness::BuiltIn,
        readers: ReaderCatalog::builtin(),
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let profile = check.profile(raw);
    check.problems.sort_by_key(|p| (p.line, p.column));
    check.warnings.sort_by_key(|p| (p.line, p.column));
    if check.problems.is_empty() {
        Ok(Parsed {
            profile,
            warnings: check.warnings,
        })
    } else {
        let id = Some(profile.id).filter(|id| !id.is_empty());
        Err(Rejection {
            id,
            problems: check.problems,
        })
    }
}

pub(crate) fn toml_problem(file: &str, text: &str, err: &toml::de::Error) -> Problem {
    let message = err.message().trim().to_string();
    let fix = if message.starts_with("unknown field") {
        "remove the key or correct its spelling; the message lists the keys allowed here"
    } else if message.starts_with("missing field") {
        "add the key"
    } else if message.starts_with("unknown variant") {
        "use one of the values listed"
    } else if message.starts_with("invalid type") {
        "give the value the type the message expects"
    } else if message.contains("duplicate key") {
        "keep only one of them"
    } else {
        "fix the TOML syntax here (see https://toml.io)"
    };
    let message = format!("invalid profile: {message}");
    Problem::new(file, text, err.span().map(|s| s.start), message, fix)
}

/// Where a validated mapping's parts are in the file.
#[derive(Debug, Clone)]
struct MappingSpans {
    /// The whole `[[mapping]]` table.
    whole: Range<usize>,
    /// Its `size` value.
    size: Range<usize>,
}

struct Checker<'a> {
    file: &'a str,
    text: &'a str,
    /// Reader rules are problems (built-ins), not warnings (user profiles).
    strict: bool,
    readers: &'static ReaderCatalog,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
}

impl Checker<'_> {
    fn report(&mut self, span: Range<usize>, message: impl Into<String>, fix: impl Into<String>) {
        let problem = Problem::new(self.file, self.text, Some(span.start), message, fix);
        self.problems.push(problem);
    }

    /// A breach of the reader rules: a problem for a built-in profile, a
    /// warning for a user's.
    fn rule(&mut self, span: Range<usize>, message: impl Into<String>, fix: impl Into<String>) {
        let problem = Problem::new(self.file, self.text, Some(span.start), message, fix);
        if self.strict {
            self.problems.push(problem);
        } else {
            self.warnings.push(problem);
        }
    }

    fn profile(&mut self, raw: RawProfile) -> Profile {
        self.id(&raw.id, "profile id");
        if raw.name.get_ref().trim().is_empty() {
            self.report(
                raw.name.span(),
                "the display name is empty",
                "give the title's name, e.g. \"Assetto Corsa\"",
            );
        }
        let appids = self.appids(&raw.appids);
        let launcher_exes = self.exes(&raw.launcher_exes, "launcher_exes");
        let live_exes = self.exes(&raw.live_exes, "live_exes");
        let quirks = raw
            .quirks
            .into_iter()
            .map(|q| {
                if q.text.get_ref().trim().is_empty() {
                    self.report(
                        q.text.span(),
                        "the quirk's text is empty",
                        "say in a sentence what the user should know",
                    );
                }
                for with in &q.with {
                    self.id(with, "quirk's `with` id");
                }
                Quirk {
                    kind: q.kind,
                    text: q.text.into_inner(),
                    with: q.with.into_iter().map(Spanned::into_inner).collect(),
                }
            })
            .collect();
        let layouts = self.layouts(raw.layouts);
        let mappings = self.mappings(raw.mappings, &layouts);
        let events = self.events(&raw.events, &mappings);
        for (mapping, spans) in &mappings {
            self.size_rule(mapping, spans);
        }
        self.pages_readers_open(&raw.live_exes, &mappings);
        let dashboard = raw
            .dashboard
            .map(|d| self.dashboard(d, &mappings, &layouts));
        Profile {
            id: raw.id.into_inner(),
            name: raw.name.into_inner(),
            appids,
            launcher_exes,
            live_exes,
            events,
            quirks,
            mappings: mappings.into_iter().map(|(m, _)| m).collect(),
            layouts: layouts.into_iter().map(|(l, _)| l).collect(),
            dashboard,
        }
    }

    fn id(&mut self, id: &Spanned<String>, what: &str) {
        let text = id.get_ref();
        if !is_valid_id(text) {
            self.report(
                id.span(),
                format!("{what} {text:?} is not a valid id"),
                ID_FIX,
            );
        }
    }

    fn appids(&mut self, raw: &[Spanned<i64>]) -> Vec<u32> {
        let mut seen = HashSet::new();
        let mut appids = Vec::new();
        for appid in raw {
            match u32::try_from(*appid.get_ref()) {
                Ok(id) if id > 0 => {
                    if seen.insert(id) {
                        appids.push(id);
                    } else {
                        self.report(
                            appid.span(),
                            format!("appid {id} is listed twice"),
                            "list each appid once",
                        );
                    }
                }
                _ => self.report(
                    appid.span(),
                    format!("appid {} is not a Steam appid", appid.get_ref()),
                    "use the number from the game's store page URL (1 to 4294967295)",
                ),
            }
        }
        appids
    }

    fn exes(&mut self, raw: &[Spanned<String>], key: &str) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut exes = Vec::new();
        for exe in raw {
            let name = exe.get_ref();
            let bad = if name.trim().is_empty() {
                Some("is empty")
            } else if name.contains(['/', '\\']) {
                Some("is a path")
            } else if name.chars().any(char::is_control) {
                Some("contains a control character")
            } else if name.len() > 255 {
                Some("is longer than 255 bytes")
            } else {
                None
            };
            if let Some(why) = bad {
                self.report(
                    exe.span(),
                    format!("{key} entry {name:?} {why}"),
                    "give the exe's file name only, e.g. \"acs.exe\"",
                );
            } else if !seen.insert(name.to_ascii_lowercase()) {
                self.report(
                    exe.span(),
                    format!("{key} lists {name:?} twice (names match case-insensitively)"),
                    "list each exe once",
                );
            } else {
                exes.push(name.clone());
            }
        }
        exes
    }

    fn win32_name(&mut self, name: &Spanned<String>, what: &str) -> Option<MappingName> {
        match MappingName::parse(name.get_ref()) {
            Ok(parsed) => Some(parsed),
            Err(err) => {
                self.report(
                    name.span(),
                    format!("{what} {:?}: {err}", name.get_ref()),
                    NAME_FIX,
                );
                None
            }
        }
    }

    fn events(
        &mut self,
        raw: &[Spanned<String>],
        mappings: &[(Mapping, MappingSpans)],
    ) -> Vec<MappingName> {
        let mut events: Vec<MappingName> = Vec::new();
        for event in raw {
            let Some(name) = self.win32_name(event, "event") else {
                continue;
            };
            if let Some(err) = events.iter().find_map(|e| find_duplicate([e, &name])) {
                self.report(
                    event.span(),
                    format!("events: {err}"),
                    "list each event once",
                );
                continue;
            }
            if let Some((m, _)) = mappings
                .iter()
                .find(|(m, _)| find_duplicate([&m.name, &name]).is_some())
            {
                self.report(
                    event.span(),
                    format!("event {:?} is also mapping {:?}", name.win32(), m.name.win32()),
                    "events are never pre-created: remove the [[mapping]] if the game waits on this name, or the event if it maps it",
                );
                continue;
            }
            events.push(name);
        }
        events
    }

    fn mappings(
        &mut self,
        raw: Vec<Spanned<RawMapping>>,
        layouts: &[(Layout, HashMap<String, Range<usize>>)],
    ) -> Vec<(Mapping, MappingSpans)> {
        if raw.is_empty() {
            self.report(
                0..0,
                "the profile has no [[mapping]]",
                "add at least one [[mapping]] table with a name and a size",
            );
        }
        let mut mappings: Vec<(Mapping, MappingSpans)> = Vec::new();
        for entry in raw {
            let spans = MappingSpans {
                whole: entry.span(),
                size: entry.get_ref().size.span(),
            };
            let m = entry.into_inner();
            let name = self.win32_name(&m.name, "mapping");
            let size = self.size(&m.size, m.name.get_ref());
            if let Some(name) = &name
                && let Some(err) = mappings
                    .iter()
                    .find_map(|(prev, _)| find_duplicate([&prev.name, name]))
            {
                self.report(
                    m.name.span(),
                    format!("{err}"),
                    "keep one [[mapping]] per section; `X`, `Local\\X` and `Session\\N\\X` are the same section",
                );
            }
            let layout = self.mapping_layout(&m, size, layouts);
            let game_struct = self.game_struct(&m);
            let readers = self.reader_uses(&m);
            if let (Some(name), Some(size)) = (name, size) {
                mappings.push((
                    Mapping {
                        name,
                        size,
                        optional: m.optional,
                        opt_in: m.opt_in,
                        direction: m.direction,
                        role: m.role,
                        source: m.source,
                        layout,
                        liveness: m.liveness.map(Spanned::into_inner),
                        game_struct,
                        readers,
                    },
                    spans,
                ));
            }
        }
        mappings
    }

    fn size(&mut self, size: &Spanned<i64>, mapping: &str) -> Option<MappingSize> {
        let bytes = *size.get_ref();
        let result = u64::try_from(bytes)
            .map_err(|_| format!("size {bytes} is negative"))
            .and_then(|b| MappingSize::new(b).map_err(|e| e.to_string()));
        match result {
            Ok(size) => Some(size),
            Err(why) => {
                self.report(size.span(), format!("mapping {mapping:?}: {why}"), SIZE_FIX);
                None
            }
        }
    }

    /// Checks `layout` and `liveness` of one mapping against the layouts.
    fn mapping_layout(
        &mut self,
        m: &RawMapping,
        size: Option<MappingSize>,
        layouts: &[(Layout, HashMap<String, Range<usize>>)],
    ) -> Option<String> {
        let mapping = m.name.get_ref();
        let Some(layout_ref) = &m.layout else {
            if let Some(liveness) = &m.liveness {
                self.report(
                    liveness.span(),
                    format!("mapping {mapping:?} names a liveness field but has no layout"),
                    "add `layout = \"...\"` naming a [[layout]] that has this field, or remove `liveness`",
                );
            }
            return None;
        };
        let Some((layout, spans)) = layouts.iter().find(|(l, _)| &l.id == layout_ref.get_ref())
        else {
            let known: Vec<&str> = layouts.iter().map(|(l, _)| l.id.as_str()).collect();
            self.report(
                layout_ref.span(),
                format!(
                    "mapping {mapping:?} refers to layout {:?}, which this file does not define",
                    layout_ref.get_ref()
                ),
                format!(
                    "use one of the [[layout]] ids in this file ({}), or add that layout",
                    known.join(", ")
                ),
            );
            return None;
        };
        if let Some(size) = size {
            for field in &layout.fields {
                if field.end() as u64 > size.bytes() {
                    let at = spans
                        .get(&field.name)
                        .cloned()
                        .unwrap_or_else(|| layout_ref.span());
                    self.report(
                        at,
                        format!(
                            "field {:?} of layout {:?} (bytes {}..{}) does not fit in mapping {mapping:?} of {} bytes",
                            field.name,
                            layout.id,
                            field.offset,
                            field.end(),
                            size.bytes()
                        ),
                        "correct the field's offset or type, or raise the mapping's size",
                    );
                }
            }
        }
        if let Some(liveness) = &m.liveness {
            match layout.field(liveness.get_ref()) {
                Some(Field {
                    ty: FieldType::Scalar(s),
                    ..
                }) if *s != super::layout::Scalar::Bool => {}
                Some(field) => self.report(
                    liveness.span(),
                    format!(
                        "liveness field {:?} is a {}, not a number",
                        field.name, field.ty
                    ),
                    "name a numeric field that changes with every update, such as a packet counter",
                ),
                None => self.report(
                    liveness.span(),
                    format!(
                        "liveness field {:?} is not in layout {:?}",
                        liveness.get_ref(),
                        layout.id
                    ),
                    "use the name of one of the layout's fields",
                ),
            }
        }
        Some(layout.id.clone())
    }

    /// Validated layouts, each with the span of every field by name.
    fn layouts(
        &mut self,
        raw: Vec<Spanned<RawLayout>>,
    ) -> Vec<(Layout, HashMap<String, Range<usize>>)> {
        let mut layouts: Vec<(Layout, HashMap<String, Range<usize>>)> = Vec::new();
        for entry in raw {
            let l = entry.into_inner();
            self.id(&l.id, "layout id");
            if layouts.iter().any(|(prev, _)| prev.id == *l.id.get_ref()) {
                self.report(
                    l.id.span(),
                    format!("layout {:?} is defined twice", l.id.get_ref()),
                    "give each [[layout]] its own id",
                );
            }
            let mut fields: Vec<(Field, Range<usize>)> = Vec::new();
            for field in l.fields {
                let span = field.span();
                if let Some(f) = self.field(field.into_inner(), &l.id, &fields) {
                    fields.push((f, span));
                }
            }
            fields.sort_by_key(|(f, _)| f.offset);
            self.overlaps(&fields, l.id.get_ref());
            let spans = fields
                .iter()
                .map(|(f, s)| (f.name.clone(), s.clone()))
                .collect();
            layouts.push((
                Layout {
                    id: l.id.into_inner(),
                    source: l.source,
                    fields: fields.into_iter().map(|(f, _)| f).collect(),
                },
                spans,
            ));
        }
        layouts
    }

    fn field(
        &mut self,
        f: RawField,
        layout: &Spanned<String>,
        seen: &[(Field, Range<usize>)],
    ) -> Option<Field> {
        let layout = layout.get_ref();
        let name = f.name.get_ref();
        let mut ok = true;
        if name.trim().is_empty() {
            self.report(
                f.name.span(),
                format!("a field of layout {layout:?} has an empty name"),
                "use the field's name from the game's header",
            );
            ok = false;
        } else if seen.iter().any(|(prev, _)| prev.name == *name) {
            self.report(
                f.name.span(),
                format!("layout {layout:?} has two fields named {name:?}"),
                "give each field its own name",
            );
            ok = false;
        }
        let offset = match usize::try_from(*f.offset.get_ref()) {
            Ok(o) if o as u64 <= MappingSize::MAX => Some(o),
            _ => {
                self.report(
                    f.offset.span(),
                    format!(
                        "field {name:?}: offset {} is outside any mapping",
                        f.offset.get_ref()
                    ),
                    "give the byte offset from the start of the mapping, from 0 to 1073741823",
                );
                None
            }
        };
        let ty = match f.ty.get_ref().parse::<FieldType>() {
            Ok(ty) => Some(ty),
            Err(err) => {
                self.report(
                    f.ty.span(),
                    format!("field {name:?}: {err}"),
                    "write the type as in the examples, without spaces",
                );
                None
            }
        };
        match (ok, offset, ty) {
            (true, Some(offset), Some(ty)) => Some(Field {
                name: f.name.into_inner(),
                offset,
                ty,
                unit: f.unit,
                note: f.note,
            }),
            _ => None,
        }
    }

    /// Reports fields that share bytes; `fields` is sorted by offset.
    fn overlaps(&mut self, fields: &[(Field, Range<usize>)], layout: &str) {
        let mut widest: Option<&Field> = None;
        for (field, span) in fields {
            if let Some(prev) = widest
                && prev.end() > field.offset
            {
                self.report(
                    span.clone(),
                    format!(
                        "field {:?} (bytes {}..{}) overlaps field {:?} (bytes {}..{}) in layout {layout:?}",
                        field.name,
                        field.offset,
                        field.end(),
                        prev.name,
                        prev.offset,
                        prev.end()
                    ),
                    "correct the offsets or types so that no byte belongs to two fields",
                );
            }
            if widest.is_none_or(|w| field.end() > w.end()) {
                widest = Some(field);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "test-game"
name = "Test Game"
appids = [1]
live_exes = ["game.exe"]

[[mapping]]
name = "page"
size = 4096
layout = "page"
liveness = "counter"

[[layout]]
id = "page"

[[layout.field]]
name = "counter"
offset = 0
type = "u32"

[[layout.field]]
name = "speed"
offset = 4
type = "f32"
unit = "m/s"
"#;

    fn problems(text: &str) -> Vec<Problem> {
        match parse_profile("t.toml", text) {
            Ok(p) => panic!("expected problems, got profile {}", p.id),
            Err(r) => r.problems,
        }
    }

    /// The single problem of `text`, as displayed.
    fn one(text: &str) -> String {
        let found = problems(text);
        assert_eq!(found.len(), 1, "{found:#?}");
        found[0].to_string()
    }

    fn with_mapping_name(name: &str) -> String {
        GOOD.replace(r#"name = "page""#, &format!("name = {name}"))
    }

    #[test]
    fn good_profile_loads() {
        let p = parse_profile("t.toml", GOOD).unwrap();
        assert_eq!(p.id, "test-game");
        assert_eq!(p.mappings[0].size.bytes(), 4096);
        assert_eq!(p.layout_of(&p.mappings[0]).unwrap().fields.len(), 2);
        assert_eq!(p.mappings[0].liveness.as_deref(), Some("counter"));
    }

    #[test]
    fn bad_names_are_rejected_with_their_line() {
        let cases = [
            (r#""""#, "is empty"),
            (r#""a/b""#, "contains '/'"),
            (r#""a\u0000b""#, "NUL"),
            (r#""..""#, "'..'"),
            (r#""a\\b""#, "contains '\\'"),
        ];
        for (name, expect) in cases {
            let shown = one(&with_mapping_name(name));
            assert!(shown.starts_with("t.toml:8:8: "), "{shown}");
            assert!(shown.contains(expect), "{shown}");
            assert!(shown.contains("CreateFileMapping"), "{shown}");
        }
        let long = format!("\"{}\"", "n".repeat(256));
        assert!(one(&with_mapping_name(&long)).contains("256 bytes long"));
    }

    #[test]
    fn bad_sizes_are_rejected() {
        for (size, expect) in [
            ("0", "size 0 is not allowed"),
            ("1073741825", "above the limit of 1 GiB"),
            ("-4096", "negative"),
        ] {
            let shown = one(&GOOD.replace("size = 4096", &format!("size = {size}")));
            assert!(shown.starts_with("t.toml:9:8: "), "{shown}");
            assert!(shown.contains(expect), "{shown}");
        }
    }

    #[test]
    fn one_gib_is_accepted() {
        let text = GOOD.replace("size = 4096", "size = 0x4000_0000");
        assert_eq!(
            parse_profile("t.toml", &text).unwrap().mappings[0]
                .size
                .bytes(),
            1 << 30
        );
    }

    #[test]
    fn duplicate_mappings_are_rejected() {
        let text = format!("{GOOD}\n[[mapping]]\nname = \"Local\\\\page\"\nsize = 8192\n");
        let shown = one(&text);
        assert!(shown.contains("name the same section"), "{shown}");
        assert!(shown.starts_with("t.toml:28:8:"), "{shown}");
    }

    #[test]
    fn overlapping_fields_are_rejected() {
        let shown = one(&GOOD.replace("offset = 4", "offset = 2"));
        assert!(
            shown.contains(r#"field "speed" (bytes 2..6) overlaps field "counter" (bytes 0..4)"#),
            "{shown}"
        );
        assert!(shown.starts_with("t.toml:21:1:"), "{shown}");
        parse_profile("t.toml", &GOOD.replace("offset = 4", "offset = 8")).unwrap();
    }

    #[test]
    fn fields_must_fit_the_mapping() {
        let shown = one(&GOOD.replace("offset = 4", "offset = 4093"));
        assert!(
            shown.contains(r#"field "speed" of layout "page" (bytes 4093..4097) does not fit"#),
            "{shown}"
        );
        parse_profile("t.toml", &GOOD.replace("offset = 4", "offset = 4092")).unwrap();
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_line() {
        let shown = one(&GOOD.replace("live_exes", "live_exe"));
        assert!(shown.starts_with("t.toml:5:1: "), "{shown}");
        assert!(shown.contains("unknown field `live_exe`"), "{shown}");
        let shown = one(&GOOD.replace("unit = ", "units = "));
        assert!(shown.starts_with("t.toml:25:1: "), "{shown}");
        let shown = one(&GOOD.replace("size = 4096", "size = 4096\nsiez = 1"));
        assert!(shown.contains("unknown field `siez`"), "{shown}");
    }

    #[test]
    fn broken_toml_is_rejected_with_its_line() {
        let shown = one(&GOOD.replace("[[layout]]", "[[layout]"));
        assert!(shown.starts_with("t.toml:13:"), "{shown}");
        assert!(shown.contains("toml.io"), "{shown}");
        let shown = one("id = \"x\"\nname = \"y\"\nappids = [1,\n");
        assert!(shown.starts_with("t.toml:"), "{shown}");
        let shown = one(&GOOD.replace("size = 4096", "size = \"4096\""));
        assert!(shown.contains("invalid type"), "{shown}");
    }

    #[test]
    fn bad_types_ids_and_references_are_rejected() {
        assert!(
            one(&GOOD.replace(r#"type = "f32""#, r#"type = "float""#))
                .contains("type \"float\" is not known")
        );
        assert!(
            one(&GOOD.replace(r#"id = "test-game""#, r#"id = "Test Game""#))
                .contains("not a valid id")
        );
        assert!(
            one(&GOOD.replace(r#"layout = "page""#, r#"layout = "pgae""#))
                .contains("does not define")
        );
        assert!(
            one(&GOOD.replace(r#"liveness = "counter""#, r#"liveness = "nope""#))
                .contains("not in layout")
        );
        assert!(one(&GOOD.replace("appids = [1]", "appids = [1, 1]")).contains("listed twice"));
        assert!(one(&GOOD.replace(r#"["game.exe"]"#, r#"["C:\\game.exe"]"#)).contains("is a path"));
        let event = GOOD.replace("appids = [1]", "appids = [1]\nevents = [\"Local\\\\page\"]");
        assert!(one(&event).contains("is also mapping"));
        let no_mapping = "id = \"x\"\nname = \"y\"\n";
        assert!(one(no_mapping).contains("no [[mapping]]"));
    }

    #[test]
    fn every_problem_is_reported_in_line_order() {
        let text = GOOD
            .replace("size = 4096", "size = 0")
            .replace(r#"id = "test-game""#, r#"id = """#)
            .replace("offset = 4", "offset = 2");
        let found = problems(&text);
        let lines: Vec<_> = found.iter().map(|p| p.line.unwrap()).collect();
        assert_eq!(lines, [2, 9, 21], "{found:#?}");
    }

    #[test]
    fn arbitrary_text_never_panics() {
        for text in [
            "",
            "\0",
            "[[mapping]]\nname=1",
            "id=1",
            "[[layout.field]]\noffset=-1",
            "a = \"\\uD800\"",
        ] {
            assert!(parse_profile("t.toml", text).is_err());
        }
    }
}
