//! Binary KeyValues and its two users: `shortcuts.vdf` and the binary
//! `appcache/appinfo.vdf`.
//!
//! Asserts: whatever binary KeyValues reads without error, written out
//! again, reads back to the same value (so nothing is lost or invented while reading);
//! the partial reader agrees with the strict one when there is no error;
//! every shortcut has a non-zero appid and a name, and its warnings name
//! the file; appinfo's tool names are lower-case and its per-app tools are
//! non-empty.

#![no_main]

use std::path::Path;

use bridgekeeper_steam::formats::{self, Cursor, Keys};
use fuzz_support::{same_bin_value, write_binary_vdf};
use libfuzzer_sys::fuzz_target;

fn check_keyvalues(data: &[u8], keys: Keys<'_>) {
    let strict = formats::read_object(&mut Cursor::new(data), keys);
    let (partial, error) = formats::read_object_partial(&mut Cursor::new(data), keys);
    match (&strict, &error) {
        (Ok(value), None) => assert!(same_bin_value(value, &partial)),
        (Err(a), Some(b)) => {
            assert_eq!(a, b);
            assert!(
                a.offset <= data.len(),
                "error offset {} past {} bytes",
                a.offset,
                data.len()
            );
        }
        other => panic!("strict and partial readers disagree: {other:?}"),
    }
    if let Ok(value) = &strict {
        let written = write_binary_vdf(value);
        let again = formats::read_object(&mut Cursor::new(&written), Keys::Inline)
            .unwrap_or_else(|e| panic!("re-reading what was read failed: {e}"));
        assert!(
            same_bin_value(value, &again),
            "round trip changed the value:\n{value:?}\n{again:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    // Keys inline (shortcuts.vdf, appinfo v28) and from a key table
    // (appinfo v29).
    let table: Vec<String> = ["appinfo", "extended", "app_mappings", "tool", "appid", ""]
        .map(String::from)
        .to_vec();
    for keys in [Keys::Inline, Keys::Table(&table)] {
        check_keyvalues(data, keys);
    }

    let file = Path::new("/fuzz/userdata/1/config/shortcuts.vdf");
    let mut warnings = Vec::new();
    for shortcut in formats::parse_shortcuts(data, file, &mut warnings) {
        assert_ne!(shortcut.appid, 0);
        assert!(!shortcut.name.is_empty());
        assert_eq!(shortcut.file, file);
    }
    for w in &warnings {
        assert_eq!(w.file, file, "{w}");
    }

    let len = data.len() as u64;
    if let Ok(Some(found)) = formats::parse_appinfo(&mut std::io::Cursor::new(data), len) {
        for name in found.compat_tools.keys() {
            assert_eq!(name, &name.to_ascii_lowercase());
        }
        for tool in found.app_mappings.values() {
            assert!(!tool.is_empty());
        }
    }
});
