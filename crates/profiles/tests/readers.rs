//! Known readers and the size rule: every built-in keeps the rule and
//! creates every page its readers open; a user profile that breaks them is
//! warned, naming the reader and the fix; bad `[[mapping.reader]]` entries
//! are rejected with their place and a fix.

use std::collections::HashMap;

use bridgekeeper_profiles::{
    Catalog, Origin, Problem, Profile, ReaderCatalog, Strictness, check_file, parse_profile,
    parse_profile_with, round_up_to_page,
};

fn builtin(id: &str) -> Profile {
    Catalog::builtin().get(id).unwrap().profile.clone()
}

fn builtin_text(file: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../profiles/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Warnings of `text` checked as a user profile.
fn warnings(text: &str) -> Vec<Problem> {
    parse_profile_with("mine.toml", text, Strictness::User)
        .unwrap_or_else(|r| panic!("{:#?}", r.problems))
        .warnings
}

/// Problems of `text` (rejected as a user profile).
fn problems(text: &str) -> Vec<String> {
    match parse_profile("mine.toml", text) {
        Ok(p) => panic!("expected problems, got profile {}", p.id),
        Err(r) => r.problems.iter().map(Problem::to_string).collect(),
    }
}

#[test]
fn every_builtin_keeps_the_size_rule() {
    let catalog = Catalog::builtin();
    assert!(catalog.rejected().is_empty(), "{:#?}", catalog.rejected());
    for entry in catalog.entries() {
        assert_eq!(entry.origin, Origin::BuiltIn);
        assert!(entry.warnings.is_empty(), "{:#?}", entry.warnings);
        for m in &entry.profile.mappings {
            let what = format!("{} {}", entry.profile.id, m.name);
            let size = m.size.bytes();
            assert!(
                m.size_violations().is_empty(),
                "{what}: {:?}",
                m.size_violations()
            );
            let bounds = m.size_bounds();
            assert!(bounds.allows(size), "{what}: {size} outside {bounds:?}");
            if let Some(game) = m.game_struct {
                assert!(size >= game, "{what}: below the game's struct");
            }
            for u in &m.readers {
                assert!(size >= u.maps, "{what}: below {}'s {}", u.reader, u.maps);
                if let Some(cut) = u.truncates_to {
                    assert!(
                        size <= round_up_to_page(cut),
                        "{what}: above {}'s cut",
                        u.reader
                    );
                }
                assert!(!u.source.is_empty(), "{what}: {} has no source", u.reader);
            }
        }
    }
}

/// The size table after the fixes: every mapping a known reader opens, with
/// its size and the bounds the rule gives it.
#[test]
fn the_size_table() {
    let rows: &[(&str, &str, u64, u64, Option<u64>)] = &[
        ("assetto-corsa", "acpmf_physics", 4096, 800, Some(4096)),
        ("assetto-corsa", "acpmf_graphics", 4096, 564, Some(4096)),
        ("assetto-corsa", "acpmf_static", 4096, 720, Some(4096)),
        (
            "assetto-corsa",
            "acpmf_crewchief",
            16384,
            15660,
            Some(16384),
        ),
        (
            "assetto-corsa-competizione",
            "acpmf_graphics",
            4096,
            1556,
            Some(4096),
        ),
        (
            "assetto-corsa-competizione",
            "acpmf_crewchief",
            16384,
            15660,
            Some(16384),
        ),
        ("assetto-corsa-evo", "acpmf_physics", 4096, 800, Some(4096)),
        (
            "assetto-corsa-evo",
            "acpmf_crewchief",
            16384,
            15660,
            Some(16384),
        ),
        (
            "assetto-corsa-evo",
            "Local\\acevo_pmf_graphics",
            16384,
            4900,
            None,
        ),
        ("assetto-corsa-rally", "acpmf_static", 4096, 720, Some(4096)),
        (
            "assetto-corsa-rally",
            "acpmf_crewchief",
            16384,
            15660,
            Some(16384),
        ),
        ("automobilista-2", "$pcars2$", 102400, 20700, Some(102400)),
        ("project-cars-2", "$pcars2$", 102400, 20692, Some(102400)),
        ("raceroom", "$R3E", 65536, 43996, Some(65536)),
        (
            "rfactor-2",
            "$rFactor2SMMP_Telemetry$",
            262144,
            241680,
            None,
        ),
        ("rfactor-2", "$rFactor2SMMP_Scoring$", 262144, 75312, None),
        ("rfactor-2", "$rFactor2SMMP_Rules$", 262144, 45272, None),
        (
            "rfactor-2",
            "$rFactor2SMMP_ForceFeedback$",
            262144,
            16,
            None,
        ),
        ("le-mans-ultimate", "LMU_Data", 524288, 324820, None),
        (
            "le-mans-ultimate",
            "$rFactor2SMMP_Telemetry$",
            262144,
            241680,
            None,
        ),
        (
            "iracing",
            "Local\\IRSDKMemMapFileName",
            2097152,
            1191936,
            None,
        ),
        (
            "euro-truck-simulator-2",
            "Local\\SCSTelemetry",
            32768,
            22420,
            None,
        ),
    ];
    for &(id, name, size, min, max) in rows {
        let profile = builtin(id);
        let m = profile
            .mapping(name)
            .unwrap_or_else(|| panic!("{id} lacks {name}"));
        let bounds = m.size_bounds();
        assert_eq!(
            (m.size.bytes(), bounds.min, bounds.max),
            (size, min, max),
            "{id} {name}"
        );
    }
}

#[test]
fn every_builtin_has_every_page_its_readers_open() {
    let readers = ReaderCatalog::builtin();
    let mut checked = 0;
    for entry in Catalog::builtin().entries() {
        let p = &entry.profile;
        for exe in &p.live_exes {
            for reader in readers.readers() {
                let files: Vec<_> = reader.files_for_exe(exe).collect();
                let mut opt_in = Vec::new();
                for file in files {
                    let m = p.mapping(file.win32()).unwrap_or_else(|| {
                        panic!("{}: {} opens {file} for {exe}", p.id, reader.id)
                    });
                    let u = m.readers.iter().find(|u| u.reader == reader.id);
                    assert!(u.is_some(), "{} {file}: no entry for {}", p.id, reader.id);
                    opt_in.push(m.opt_in);
                    checked += 1;
                }
                opt_in.dedup();
                assert!(
                    opt_in.len() <= 1,
                    "{} {}: opt-in and default pages mixed",
                    p.id,
                    reader.id
                );
            }
        }
    }
    // 4 Kunos games × 4 pages × 4 simapi readers, AMS2 (2 exes) and
    // RaceRoom × 4, rF2 and LMU × 2 × 4, TinyPedal's 5 rF2 pages and LMU_Data.
    assert_eq!(checked, 64 + 8 + 4 + 16 + 5 + 1);
}

#[test]
fn a_reader_says_the_same_of_a_file_in_every_profile() {
    /// `(maps, truncates_to, creates)`.
    type Facts = (u64, Option<u64>, bool);
    let mut seen: HashMap<(String, String), (Facts, String)> = HashMap::new();
    for entry in Catalog::builtin().entries() {
        for m in &entry.profile.mappings {
            for u in &m.readers {
                let key = (u.reader.clone(), m.name.file_name());
                let facts = (u.maps, u.truncates_to, u.creates);
                match seen.get(&key) {
                    Some((earlier, first)) => assert_eq!(
                        earlier, &facts,
                        "{key:?}: {first} and {} differ",
                        entry.profile.id
                    ),
                    None => {
                        seen.insert(key, (facts, entry.profile.id.clone()));
                    }
                }
            }
        }
    }
    assert!(seen.len() >= 30, "{}", seen.len());
}

#[test]
fn a_user_profile_above_a_truncating_readers_ceiling_is_warned_not_rejected() {
    let text = builtin_text("assetto-corsa.toml").replacen(
        "name = \"acpmf_physics\"\nsize = 4096",
        "name = \"acpmf_physics\"\nsize = 8192",
        1,
    );
    let found = warnings(&text);
    assert_eq!(found.len(), 1, "{found:#?}");
    let shown = found[0].as_warning().to_string();
    assert!(shown.starts_with("mine.toml:23:8: warning: "), "{shown}");
    for part in [
        "mapping \"acpmf_physics\": size 8192 is above 4096",
        "simd in its default memmap mode (simd) truncates the file to 2048 bytes",
        "set size to 4096 (the size rule in docs/game-data.md)",
        "--nomemmap --nobridge",
        "ignores --nomemmap",
    ] {
        assert!(shown.contains(part), "{part:?} in {shown}");
    }

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ac.toml");
    std::fs::write(&file, &text).unwrap();
    let checked = check_file(&file).expect("warnings do not reject");
    assert_eq!(checked.warnings.len(), 1);
    let catalog = Catalog::load(Some(dir.path()));
    let entry = catalog.get("assetto-corsa").unwrap();
    assert_eq!(entry.origin, Origin::User);
    assert_eq!(entry.warnings.len(), 1);
}

#[test]
fn a_user_profile_below_what_a_reader_maps_is_warned() {
    let text = builtin_text("assetto-corsa.toml").replacen(
        "name = \"acpmf_crewchief\"\nsize = 16384",
        "name = \"acpmf_crewchief\"\nsize = 4096",
        1,
    );
    let shown: Vec<String> = warnings(&text)
        .iter()
        .map(|w| w.as_warning().to_string())
        .collect();
    assert_eq!(shown.len(), 4, "{shown:#?}");
    assert!(
        shown[0].contains("below the game's struct of 15660 bytes"),
        "{}",
        shown[0]
    );
    assert!(
        shown[1].contains("below the 15660 bytes simd with a working --nomemmap (simd-nomemmap) maps: it dies of SIGBUS"),
        "{}",
        shown[1]
    );
    assert!(
        shown[2].contains("monocoque without simd (monocoque)"),
        "{}",
        shown[2]
    );
    assert!(
        shown[3].contains("simmonitor without simd (simmonitor)"),
        "{}",
        shown[3]
    );
    assert!(
        !shown.iter().any(|s| s.contains("(simd) maps")),
        "simd sets the length it maps itself: {shown:#?}"
    );
    assert!(
        shown
            .iter()
            .all(|s| s.contains("set size to 16384 (the size rule"))
    );
}

#[test]
fn a_user_profile_without_a_page_its_readers_open_is_warned() {
    let acc = builtin_text("assetto-corsa-competizione.toml");
    let start = acc.find("[[mapping]]\nname = \"acpmf_crewchief\"").unwrap();
    let end = acc[start..].find("[[layout]]").unwrap() + start;
    let text = format!("{}{}", &acc[..start], &acc[end..]);
    let found = warnings(&text);
    assert_eq!(found.len(), 4, "one per simapi reader: {found:#?}");
    let shown = found[0].as_warning().to_string();
    assert!(shown.starts_with("mine.toml:5:14: warning: "), "{shown}");
    for part in [
        "simd in its default memmap mode (simd) opens \"acpmf_crewchief\" for AC2-Win64-Shipping.exe",
        "creates it empty when it is missing and then dies of SIGBUS",
        "add a [[mapping]] name = \"acpmf_crewchief\" of at least 16384 bytes",
    ] {
        assert!(shown.contains(part), "{part:?} in {shown}");
    }
    // As a built-in, the same file is rejected.
    let rejected = parse_profile_with("profiles/x.toml", &text, Strictness::BuiltIn).unwrap_err();
    assert_eq!(rejected.problems.len(), 4);
}

#[test]
fn reader_entries_missing_from_a_page_or_opt_in_mixed_are_warned() {
    let acc = builtin_text("assetto-corsa-competizione.toml");
    let no_entry = acc.replacen(
        "[[mapping.reader]]\nreader = [\"simd-nomemmap\", \"monocoque\", \"simmonitor\"]\nmaps = 720",
        "[[mapping.reader]]\nreader = [\"simd-nomemmap\", \"simmonitor\"]\nmaps = 720",
        1,
    );
    assert_ne!(no_entry, acc);
    let shown: Vec<String> = warnings(&no_entry).iter().map(|w| w.to_string()).collect();
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert!(
        shown[0].contains("mapping \"acpmf_static\" has no [[mapping.reader]] for monocoque without simd (monocoque), which opens it for AC2-Win64-Shipping.exe"),
        "{}",
        shown[0]
    );

    let mixed = acc.replacen(
        "name = \"acpmf_crewchief\"\nsize = 16384\noptional = true",
        "name = \"acpmf_crewchief\"\nsize = 16384\noptional = true\nopt_in = true",
        1,
    );
    let shown: Vec<String> = warnings(&mixed).iter().map(|w| w.to_string()).collect();
    assert_eq!(shown.len(), 4, "one per creating reader: {shown:#?}");
    assert!(
        shown[0].contains("\"acpmf_crewchief\" is opt-in but \"acpmf_physics\" is not"),
        "{}",
        shown[0]
    );
    assert!(
        shown[0].contains("make all of them opt-in or none"),
        "{}",
        shown[0]
    );
}

const MINE: &str = r#"id = "my-game"
name = "My Game"
appids = [999001]
live_exes = ["MyGame.exe"]

[[mapping]]
name = "my_page"
size = 8192
game_struct = 5000

[[mapping.reader]]
reader = "tinypedal"
maps = 6000
creates = true
source = "measured"
"#;

#[test]
fn a_user_profile_of_an_unknown_game_checks_only_its_own_entries() {
    assert!(warnings(MINE).is_empty());
    let p = parse_profile("mine.toml", MINE).unwrap();
    let m = &p.mappings[0];
    assert_eq!(m.game_struct, Some(5000));
    assert_eq!(m.readers[0].reader, "tinypedal");
    assert_eq!((m.size_bounds().min, m.size_bounds().max), (6000, None));
    let small = MINE.replace("size = 8192", "size = 4096");
    assert_eq!(warnings(&small).len(), 2);
}

#[test]
fn bad_reader_entries_are_rejected_with_place_and_fix() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "reader = \"tinypedal\"",
            "reader = \"simdd\"",
            "mine.toml:12:10: mapping \"my_page\": reader \"simdd\" is not a known reader — use one of the ids in profiles/readers.toml (simd, simd-nomemmap, monocoque, simmonitor, tinypedal)",
        ),
        (
            "reader = \"tinypedal\"",
            "reader = [\"tinypedal\", \"nope\"]",
            "mine.toml:12:10: mapping \"my_page\": reader \"nope\" is not a known reader",
        ),
        (
            "reader = \"tinypedal\"",
            "reader = 7",
            "mine.toml:12:10: mapping \"my_page\": `reader` is not a reader id or a list of them — write reader = \"simd\"",
        ),
        (
            "reader = \"tinypedal\"",
            "reader = []",
            "mine.toml:12:10: mapping \"my_page\": `reader` is not a reader id",
        ),
        (
            "reader = \"tinypedal\"",
            "reader = [\"tinypedal\", \"tinypedal\"]",
            "mine.toml:12:10: mapping \"my_page\" lists reader \"tinypedal\" twice",
        ),
        (
            "maps = 6000",
            "maps = 0",
            "mine.toml:13:8: mapping \"my_page\": maps = 0 is not a length — give the length in bytes",
        ),
        (
            "maps = 6000",
            "maps = 6000\ntruncates_to = 8192",
            "mine.toml:12:10: mapping \"my_page\": reader \"tinypedal\" truncates_to is set, but profiles/readers.toml says tinypedal never truncates",
        ),
        (
            "reader = \"tinypedal\"\nmaps = 6000",
            "reader = \"simd\"\nmaps = 9000\ntruncates_to = 8192",
            "mine.toml:13:8: mapping \"my_page\": a reader that truncates the file to 8192 bytes cannot map 9000",
        ),
        (
            "source = \"measured\"",
            "source = \" \"",
            "mine.toml:15:10: mapping \"my_page\": a [[mapping.reader]] has an empty source",
        ),
        (
            "game_struct = 5000",
            "game_struct = -1",
            "mine.toml:9:15: mapping \"my_page\": game_struct -1 is not a size",
        ),
        (
            "creates = true",
            "creates = \"yes\"",
            "mine.toml:14:11: invalid profile: invalid type",
        ),
        (
            "creates = true",
            "creats = true",
            "mine.toml:14:1: invalid profile: unknown field `creats`",
        ),
        (
            "source = \"measured\"\n",
            "",
            "mine.toml:11:1: invalid profile: missing field `source` — add the key",
        ),
    ];
    for (from, to, expect) in cases {
        let text = MINE.replace(from, to);
        assert_ne!(text, MINE, "{to}");
        let shown = problems(&text);
        assert!(
            shown.iter().any(|s| s.starts_with(expect)),
            "{to}: expected {expect:?}, got {shown:#?}"
        );
        assert!(shown.iter().all(|s| s.contains(" — ")), "a fix: {shown:#?}");
    }
}
