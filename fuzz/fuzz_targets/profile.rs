//! Profile files: TOML parsing and validation, and decoding a mapping image
//! with an accepted profile's layouts.
//!
//! Asserts on an accepted profile: its id and exe names follow the rules;
//! appids are unique and non-zero; every mapping name is a safe file name
//! (no `..`, no leading `/`, only `Global/` as a directory) and every size
//! is 1 byte to 1 GiB; no two mappings or events open the same section;
//! layouts exist, fit their mappings, keep their fields in order without
//! overlap, and decode any image without panicking (fields past its end
//! give no value). On a rejected file: at least one problem, each naming the
//! file, with a message, a fix, and a position inside the text.

#![no_main]

use std::collections::HashSet;

use bridgekeeper_profiles::{FieldType, parse_profile};
use bridgekeeper_protocol::find_duplicate;
use libfuzzer_sys::fuzz_target;

const FILE: &str = "fuzz/profile.toml";
const ONE_GIB: u64 = 1 << 30;

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let profile = match parse_profile(FILE, &text) {
        Ok(profile) => profile,
        Err(rejection) => {
            assert!(!rejection.problems.is_empty(), "rejected without a problem");
            let lines = text.matches('\n').count() + 1;
            for p in &rejection.problems {
                assert_eq!(p.file, FILE);
                assert!(!p.message.is_empty() && !p.fix.is_empty(), "{p}");
                if let (Some(line), Some(column)) = (p.line, p.column) {
                    assert!(
                        line >= 1 && line <= lines && column >= 1,
                        "{p} in {lines} lines"
                    );
                }
            }
            return;
        }
    };

    assert!(valid_id(&profile.id), "id {:?}", profile.id);
    assert!(!profile.name.trim().is_empty());
    let appids: HashSet<u32> = profile.appids.iter().copied().collect();
    assert_eq!(appids.len(), profile.appids.len(), "duplicate appids");
    assert!(!appids.contains(&0));
    for exe in profile.launcher_exes.iter().chain(&profile.live_exes) {
        assert!(
            !exe.trim().is_empty() && !exe.contains(['/', '\\']),
            "exe {exe:?}"
        );
        assert!(!exe.chars().any(char::is_control), "exe {exe:?}");
    }
    assert!(!profile.mappings.is_empty());

    let names: Vec<_> = profile
        .mappings
        .iter()
        .map(|m| &m.name)
        .chain(&profile.events)
        .collect();
    assert!(
        find_duplicate(names.iter().copied()).is_none(),
        "two entries open one section"
    );
    for name in names {
        let file = name.file_name();
        assert!(!file.is_empty() && !file.starts_with('/'), "{file:?}");
        assert!(
            !file.contains("..") && !file.contains(['\\', '\0']),
            "{file:?}"
        );
        match file.split_once('/') {
            None => assert_ne!(file, "."),
            Some((dir, base)) => {
                assert_eq!(dir, "Global", "{file:?}");
                assert!(
                    !base.is_empty() && !base.contains('/') && base != ".",
                    "{file:?}"
                );
            }
        }
    }

    for layout in &profile.layouts {
        assert!(valid_id(&layout.id), "layout id {:?}", layout.id);
        for pair in layout.fields.windows(2) {
            assert!(pair[0].end() <= pair[1].offset, "fields overlap: {pair:?}");
        }
        for field in &layout.fields {
            let round_trip: FieldType = field.ty.to_string().parse().expect("type re-parses");
            assert_eq!(round_trip, field.ty);
            let value = field.read(data);
            assert_eq!(
                value.is_some(),
                field.end() <= data.len(),
                "field {} ({}..{}) on {} bytes",
                field.name,
                field.offset,
                field.end(),
                data.len()
            );
        }
    }
    for mapping in &profile.mappings {
        let size = mapping.size.bytes();
        assert!((1..=ONE_GIB).contains(&size), "size {size}");
        if mapping.layout.is_some() {
            let layout = profile
                .layout_of(mapping)
                .expect("a mapping's layout exists");
            assert!(
                layout.end() as u64 <= size,
                "layout {} overflows {size}",
                layout.id
            );
        }
        if let Some(liveness) = &mapping.liveness {
            let layout = profile.layout_of(mapping).expect("liveness needs a layout");
            assert!(layout.field(liveness).is_some(), "liveness {liveness:?}");
        }
        assert_eq!(
            profile.mapping(mapping.name.win32()).map(|m| &m.name),
            Some(&mapping.name)
        );
    }
});
