//! `appmanifest_<appid>.acf` files and their file names.
//!
//! Asserts: the manifest's appid is always the one from the file name;
//! name and installdir are never empty when present; the install state
//! agrees with `StateFlags` (uninstalled means busy, ready means bit 4 set
//! and bits 1 and 2 clear); every warning names the file; a file name's
//! appid round-trips.

#![no_main]

use std::path::PathBuf;

use bridgekeeper_steam::InstallState;
use bridgekeeper_steam::formats;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The file name's appid: the seeds' own (Assetto Corsa) or one that
    // disagrees with the text.
    let file_appid = if data.len().is_multiple_of(2) {
        244_210
    } else {
        1
    };
    let path = PathBuf::from(format!("/fuzz/steamapps/appmanifest_{file_appid}.acf"));
    let mut warnings = Vec::new();
    if let Some(m) = formats::parse_manifest(data, file_appid, &path, &mut warnings) {
        assert_eq!(m.appid, file_appid);
        assert!(m.name.as_ref().is_none_or(|n| !n.is_empty()));
        assert!(m.installdir.as_ref().is_none_or(|d| !d.is_empty()));
        let state = m.state();
        match m.state_flags {
            None => assert_eq!(state, InstallState::Unknown),
            Some(flags) => {
                assert_eq!(m.is_uninstalled(), flags & 1 != 0);
                if m.is_uninstalled() {
                    assert_eq!(state, InstallState::Busy);
                }
                if state == InstallState::Ready {
                    assert!(
                        flags & 4 != 0 && flags & 3 == 0,
                        "flags {flags} called ready"
                    );
                }
            }
        }
    }
    for w in &warnings {
        assert_eq!(w.file, path, "{w}");
    }

    let name = String::from_utf8_lossy(data);
    if let Some(id) = formats::appid_from_file_name(name.trim()) {
        assert_eq!(
            formats::appid_from_file_name(&format!("appmanifest_{id}.acf")),
            Some(id)
        );
    }
    assert_eq!(
        formats::appid_from_file_name(&format!("appmanifest_{file_appid}.acf")),
        Some(file_appid)
    );
});
