//! The checks about known readers: each `[[mapping.reader]]`, the size
//! rule, and that every page a known reader opens for the game is there.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use bridgekeeper_protocol::{MappingName, MappingSize};
use serde::Deserialize;
use toml::Spanned;

use super::{Checker, MappingSpans};
use crate::builtin::BUILTIN;
use crate::model::RawMapping;
use crate::profile::Mapping;
use crate::readers::{Reader, ReaderUse};
use crate::size_rule::{SizeViolation, round_up_to_page};

const RULE: &str = "the size rule in docs/game-data.md";

impl Checker<'_> {
    /// `game_struct` of a mapping, checked.
    pub(super) fn game_struct(&mut self, m: &RawMapping) -> Option<u64> {
        let raw = m.game_struct.as_ref()?;
        match u64::try_from(*raw.get_ref()) {
            Ok(bytes) if (1..=MappingSize::MAX).contains(&bytes) => Some(bytes),
            _ => {
                self.report(
                    raw.span(),
                    format!(
                        "mapping {:?}: game_struct {} is not a size",
                        m.name.get_ref(),
                        raw.get_ref()
                    ),
                    "give the bytes of the game's struct for this page (sizeof, from its header), from 1 to 1073741824, or remove the key when it is unknown",
                );
                None
            }
        }
    }

    /// The `[[mapping.reader]]` entries of a mapping, one use per reader.
    pub(super) fn reader_uses(&mut self, m: &RawMapping) -> Vec<ReaderUse> {
        let mapping = m.name.get_ref();
        let mut uses: Vec<ReaderUse> = Vec::new();
        for entry in &m.readers {
            let e = entry.get_ref();
            let ids = self.reader_ids(&e.reader, mapping);
            let maps = self.byte_count(&e.maps, mapping, "maps");
            let truncates_to = e
                .truncates_to
                .as_ref()
                .and_then(|t| self.byte_count(t, mapping, "truncates_to"));
            if e.source.get_ref().trim().is_empty() {
                self.report(
                    e.source.span(),
                    format!("mapping {mapping:?}: a [[mapping.reader]] has an empty source"),
                    "name the reader's file and lines (and commit) these numbers come from",
                );
            }
            if let (Some(maps), Some(cut)) = (maps, truncates_to)
                && maps > cut
            {
                self.report(
                    e.maps.span(),
                    format!(
                        "mapping {mapping:?}: a reader that truncates the file to {cut} bytes cannot map {maps}"
                    ),
                    "check the reader's source: maps is the mmap length, truncates_to the ftruncate length",
                );
            }
            let Some(maps) = maps else { continue };
            for (id, span) in ids {
                let Some(reader) = self.readers.get(&id) else {
                    continue;
                };
                if truncates_to.is_some() && !reader.fights.contains(&crate::Fight::Truncates) {
                    self.report(
                        span.clone(),
                        format!(
                            "mapping {mapping:?}: reader {id:?} truncates_to is set, but profiles/readers.toml says {id} never truncates"
                        ),
                        "remove truncates_to, or name the reader mode that truncates (e.g. \"simd\")",
                    );
                }
                if uses.iter().any(|u| u.reader == id) {
                    self.report(
                        span,
                        format!("mapping {mapping:?} lists reader {id:?} twice"),
                        "keep one [[mapping.reader]] per reader and mapping",
                    );
                    continue;
                }
                uses.push(ReaderUse {
                    reader: id,
                    maps,
                    truncates_to,
                    creates: e.creates,
                    source: e.source.get_ref().clone(),
                });
            }
        }
        uses
    }

    /// The reader ids of `reader = "id"` or `reader = ["id", ...]`, each
    /// known to the catalog, with the span to report it at.
    fn reader_ids(
        &mut self,
        value: &Spanned<toml::Value>,
        mapping: &str,
    ) -> Vec<(String, Range<usize>)> {
        let span = value.span();
        let names: Option<Vec<&str>> = match value.get_ref() {
            toml::Value::String(id) => Some(vec![id.as_str()]),
            toml::Value::Array(items) if !items.is_empty() => {
                items.iter().map(toml::Value::as_str).collect()
            }
            _ => None,
        };
        let Some(names) = names else {
            self.report(
                span,
                format!("mapping {mapping:?}: `reader` is not a reader id or a list of them"),
                format!(
                    "write reader = \"simd\" or reader = [\"monocoque\", \"simmonitor\"]; known readers: {}",
                    self.readers.ids()
                ),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for id in names {
            if self.readers.get(id).is_none() {
                self.report(
                    span.clone(),
                    format!("mapping {mapping:?}: reader {id:?} is not a known reader"),
                    format!(
                        "use one of the ids in profiles/readers.toml ({}), or add the reader there with its source",
                        self.readers.ids()
                    ),
                );
            } else {
                out.push((id.to_string(), span.clone()));
            }
        }
        out
    }

    /// A byte count (`maps`, `truncates_to`) from 1 to 1 GiB.
    fn byte_count(&mut self, raw: &Spanned<i64>, mapping: &str, key: &str) -> Option<u64> {
        match u64::try_from(*raw.get_ref()) {
            Ok(n) if (1..=MappingSize::MAX).contains(&n) => Some(n),
            _ => {
                self.report(
                    raw.span(),
                    format!("mapping {mapping:?}: {key} = {} is not a length", raw.get_ref()),
                    "give the length in bytes the reader passes to mmap (maps) or ftruncate (truncates_to), from 1 to 1073741824",
                );
                None
            }
        }
    }

    /// The size rule for one mapping.
    pub(super) fn size_rule(&mut self, mapping: &Mapping, spans: &MappingSpans) {
        let name = mapping.name.win32();
        let size = mapping.size.bytes();
        let bounds = mapping.size_bounds();
        let low = round_up_to_page(bounds.min);
        let range = match bounds.max {
            Some(max) if low >= max => format!("{max}"),
            Some(max) => format!("whole 4096-byte pages from {low} to {max} bytes"),
            None => format!("at least {low} bytes, in whole 4096-byte pages"),
        };
        for violation in mapping.size_violations() {
            match violation {
                SizeViolation::BelowGameStruct { game_struct } => self.rule(
                    spans.size.clone(),
                    format!(
                        "mapping {name:?}: size {size} is below the game's struct of {game_struct} bytes (game_struct): the game's MapViewOfFile fails"
                    ),
                    format!("set size to {range} ({RULE})"),
                ),
                SizeViolation::BelowReaderMap { reader, maps } => {
                    let who = self.who(&reader);
                    self.rule(
                        spans.size.clone(),
                        format!(
                            "mapping {name:?}: size {size} is below the {maps} bytes {who} maps: it dies of SIGBUS (or fails to map) past the end of the file"
                        ),
                        format!("set size to {range} ({RULE})"),
                    );
                }
                SizeViolation::AboveTruncation {
                    reader,
                    truncates_to,
                    max,
                } => {
                    let who = self.who(&reader);
                    let fix = self.readers.get(&reader).map_or("", |r| r.fix.as_str());
                    self.rule(
                        spans.size.clone(),
                        format!(
                            "mapping {name:?}: size {size} is above {max}: {who} truncates the file to {truncates_to} bytes, and the game's pages past {max} are lost (the game faults when it touches them)"
                        ),
                        format!("set size to {range} ({RULE}); or, to keep {size}: {fix}"),
                    );
                }
            }
        }
    }

    /// Every page a known reader opens for one of the live exes is a mapping
    /// with a `[[mapping.reader]]` for it; a reader that creates missing
    /// pages finds all or none of its pages opt-in.
    pub(super) fn pages_readers_open(
        &mut self,
        live_exes: &[Spanned<String>],
        mappings: &[(Mapping, MappingSpans)],
    ) {
        let readers = self.readers;
        for exe in live_exes {
            for reader in readers.readers() {
                let files: Vec<&MappingName> = reader.files_for_exe(exe.get_ref()).collect();
                let mut opt_in: Vec<(bool, &Mapping, &MappingSpans)> = Vec::new();
                for file in files {
                    let found = mappings
                        .iter()
                        .find(|(m, _)| m.name.identity() == file.identity());
                    match found {
                        None => self.missing_page(exe, reader, file),
                        Some((m, spans)) => {
                            let uses = m.readers.iter().find(|u| u.reader == reader.id);
                            match uses {
                                None => self.rule(
                                    spans.whole.clone(),
                                    format!(
                                        "mapping {:?} has no [[mapping.reader]] for {}, which opens it for {}",
                                        m.name.win32(),
                                        describe(reader),
                                        exe.get_ref()
                                    ),
                                    format!(
                                        "add [[mapping.reader]] reader = \"{}\" with the length it maps and its source (docs/readers.md, Known readers)",
                                        reader.id
                                    ),
                                ),
                                Some(u) if u.creates => opt_in.push((m.opt_in, m, spans)),
                                Some(_) => {}
                            }
                        }
                    }
                }
                let default = opt_in.iter().find(|(o, _, _)| !o);
                if let Some((_, default, _)) = default {
                    for (_, m, spans) in opt_in.iter().filter(|(o, _, _)| *o) {
                        self.rule(
                            spans.whole.clone(),
                            format!(
                                "mapping {:?} is opt-in but {:?} is not: {} opens both for {} and creates the missing one empty, then dies of SIGBUS reading it",
                                m.name.win32(),
                                default.name.win32(),
                                describe(reader),
                                exe.get_ref()
                            ),
                            "make all of them opt-in or none",
                        );
                    }
                }
            }
        }
    }

    fn missing_page(&mut self, exe: &Spanned<String>, reader: &Reader, file: &MappingName) {
        let size = builtin_minimum(file)
            .map(|min| format!("at least {} bytes", round_up_to_page(min)))
            .unwrap_or_else(|| format!("sized by {RULE}"));
        let what = if creates_missing(reader, file) {
            "creates it empty when it is missing and then dies of SIGBUS reading it"
        } else {
            "finds no data without it"
        };
        self.rule(
            exe.span(),
            format!(
                "{} opens {:?} for {}, which this profile does not create: it {what}",
                describe(reader),
                file.win32(),
                exe.get_ref()
            ),
            format!(
                "add a [[mapping]] name = {:?} of {size}, with its [[mapping.reader]] entries (docs/readers.md, Known readers)",
                file.win32()
            ),
        );
    }

    /// `name (id)` of a reader id.
    fn who(&self, id: &str) -> String {
        match self.readers.get(id) {
            Some(reader) => describe(reader),
            None => id.to_string(),
        }
    }
}

fn describe(reader: &Reader) -> String {
    format!("{} ({})", reader.name, reader.id)
}

/// What the built-in profiles say about one file.
#[derive(Debug, Default)]
struct FileFacts {
    /// The largest length a reader maps.
    max_maps: u64,
    /// `(reader id, creates it when missing)` of every entry.
    uses: Vec<(String, bool)>,
}

/// The built-ins' reader entries by backing file name, read from their raw
/// text (no validation), so that checking a built-in never needs the
/// built-ins.
fn builtin_facts() -> &'static HashMap<String, FileFacts> {
    #[derive(Deserialize)]
    struct File {
        #[serde(default)]
        mapping: Vec<M>,
    }
    #[derive(Deserialize)]
    struct M {
        name: String,
        #[serde(default)]
        reader: Vec<R>,
    }
    #[derive(Deserialize)]
    struct R {
        reader: toml::Value,
        maps: u64,
        #[serde(default)]
        creates: bool,
    }
    static FACTS: OnceLock<HashMap<String, FileFacts>> = OnceLock::new();
    FACTS.get_or_init(|| {
        let mut facts: HashMap<String, FileFacts> = HashMap::new();
        for (_, text) in BUILTIN {
            let Ok(file) = toml::from_str::<File>(text) else {
                continue;
            };
            for m in file.mapping {
                let Ok(name) = MappingName::parse(&m.name) else {
                    continue;
                };
                let entry = facts.entry(name.file_name()).or_default();
                for r in m.reader {
                    entry.max_maps = entry.max_maps.max(r.maps);
                    let ids: Vec<String> = match &r.reader {
                        toml::Value::String(id) => vec![id.clone()],
                        toml::Value::Array(items) => items
                            .iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect(),
                        _ => Vec::new(),
                    };
                    entry.uses.extend(ids.into_iter().map(|id| (id, r.creates)));
                }
            }
        }
        facts
    })
}

/// The largest length a known reader maps of `file`, per the built-ins.
fn builtin_minimum(file: &MappingName) -> Option<u64> {
    builtin_facts()
        .get(&file.file_name())
        .map(|f| f.max_maps)
        .filter(|&maps| maps > 0)
}

/// Whether the built-ins say `reader` creates `file` when it is missing.
fn creates_missing(reader: &Reader, file: &MappingName) -> bool {
    builtin_facts()
        .get(&file.file_name())
        .is_some_and(|f| f.uses.iter().any(|(id, c)| *id == reader.id && *c))
}
