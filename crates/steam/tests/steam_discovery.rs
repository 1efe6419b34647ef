//! Discovery over fixture Steam trees: each scenario of issue 3, asserting
//! on the full result.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bridgekeeper_steam::{self as steam, Discovery, DiscoveryOptions, InstallKind, RunningGame};
use bridgekeeper_testkit::steam_fixture::{
    AppSpec, ArtLayout, FoldersFormat, FoldersLocation, ProtonSpec, SteamFixture,
};
use serde_json::{Value, json};

const ACC: u32 = 805_550;
const AC: u32 = 244_210;
const RF2: u32 = 365_960;
const AMS2: u32 = 1_066_890;
const SIMHUB: u32 = 0x9000_0001;
const PROTON_9: u32 = 2_805_730;
const SNIPER: u32 = 1_628_350;

fn discover_dir(root: &Path) -> Discovery {
    steam::discover(&DiscoveryOptions::with_steam_dir(root))
}

fn games_json(d: &Discovery) -> Value {
    serde_json::to_value(&d.games).unwrap()
}

fn s(p: impl AsRef<Path>) -> String {
    p.as_ref().display().to_string()
}

/// Two libraries (one with spaces and unicode), Valve Proton 9 and
/// GE-Proton, per-app and global mappings, a `config_info` naming another
/// Proton than the mapping, an uninstalled app, a shortcut.
fn full_tree(base: &Path) -> SteamFixture {
    SteamFixture::new(base.join("Steam"))
        .library(base.join("Spiele Bibliothek/Ünïcode Games"))
        .runtime(SNIPER, "SteamLinuxRuntime_sniper", 0)
        .proton(ProtonSpec::valve(PROTON_9, "Proton 9.0").version(Some("1718000000 proton-9.0-3")))
        .custom_tool("GE-Proton9-4")
        .app(AppSpec::new(ACC, "Assetto Corsa Competizione").in_library(1))
        .app(AppSpec::new(AC, "assettocorsa").installdir("assettocorsa"))
        .app(AppSpec::new(RF2, "rFactor 2").in_library(1))
        .app(
            AppSpec::new(AMS2, "Automobilista 2")
                .state_flags(1)
                .without_dir(),
        )
        .compat_mapping(0, "proton_9")
        .compat_mapping(ACC, "GE-Proton9-4")
        .compat_mapping(SIMHUB, "GE-Proton9-4")
        .prefix(ACC, 1, Duration::from_secs(60))
        .prefix(AC, 0, Duration::from_secs(600))
        .header_image(ACC, ArtLayout::Folder, b"jpeg")
        .shortcut(
            SIMHUB,
            "SimHub",
            "/home/u/SimHub/SimHubWPF.exe",
            "/home/u/SimHub/",
        )
}

#[test]
fn full_tree_gives_every_game_with_prefix_and_proton() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path();
    let f = full_tree(base);
    let proton9 = f.tool_path("Proton 9.0");
    let f = f
        .config_info(ACC, 1, &proton9)
        .config_info(AC, 0, &proton9)
        .build();
    let ge = f.tool_path("GE-Proton9-4");
    let root = f.root().to_path_buf();
    let lib1 = f.library_path(1).to_path_buf();

    let d = discover_dir(&root);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(d.installations.len(), 1);
    assert_eq!(d.installations[0].kind, InstallKind::Override);
    assert_eq!(d.installations[0].libraries.len(), 2);
    assert!(d.installations[0].libraries.iter().all(|l| l.available));

    let proton9_json = |source: &str, explanation: &str, alternatives: Value| {
        json!({
            "name": "proton_9",
            "path": s(&proton9),
            "wine": s(proton9.join("files/bin/wine")),
            "version": "proton-9.0-3",
            "runtime_appid": SNIPER,
            "source": source,
            "explanation": explanation,
            "alternatives": alternatives,
        })
    };
    let ge_json = |explanation: &str, alternatives: Value| {
        json!({
            "name": "GE-Proton9-4",
            "path": s(&ge),
            "wine": s(ge.join("files/bin/wine")),
            "version": "GE-Proton9-4",
            "runtime_appid": SNIPER,
            "source": "compat_tool_mapping",
            "explanation": explanation,
            "alternatives": alternatives,
        })
    };
    let expected = json!([
        {
            "appid": AC,
            "name": "assettocorsa",
            "install_dir": s(root.join("steamapps/common/assettocorsa")),
            "library": s(&root),
            "prefix": s(root.join("steamapps/compatdata/244210/pfx")),
            "proton": proton9_json(
                "config_info",
                "no per-game setting; proton_9 set up the prefix last (compatdata config_info)",
                json!([]),
            ),
            "shortcut": false,
            "warnings": [],
            "installation": s(&root),
            "state": "ready",
            "prefix_state": "ready",
            "compat_data": s(root.join("steamapps/compatdata/244210")),
            "exe": null,
            "header_image": null,
        },
        {
            "appid": RF2,
            "name": "rFactor 2",
            "install_dir": s(lib1.join("steamapps/common/rFactor 2")),
            "library": s(&lib1),
            "prefix": null,
            "proton": proton9_json(
                "global_default",
                "no per-game setting and no record of a last run; proton_9 is Steam's global \
                 default (it applies only if the game has no native Linux build)",
                json!([]),
            ),
            "shortcut": false,
            "warnings": [],
            "installation": s(&root),
            "state": "ready",
            "prefix_state": "none",
            "compat_data": null,
            "exe": null,
            "header_image": null,
        },
        {
            "appid": ACC,
            "name": "Assetto Corsa Competizione",
            "install_dir": s(lib1.join("steamapps/common/Assetto Corsa Competizione")),
            "library": s(&lib1),
            "prefix": s(lib1.join("steamapps/compatdata/805550/pfx")),
            "proton": ge_json(
                "GE-Proton9-4 is set for this game in Steam (config.vdf CompatToolMapping); \
                 config_info shows proton_9 ran it last: the setting changed since the last \
                 launch, and GE-Proton9-4 will run it next time",
                json!([{ "source": "config_info", "name": "proton_9", "path": s(&proton9) }]),
            ),
            "shortcut": false,
            "warnings": [],
            "installation": s(&root),
            "state": "ready",
            "prefix_state": "ready",
            "compat_data": s(lib1.join("steamapps/compatdata/805550")),
            "exe": null,
            "header_image": s(root.join("appcache/librarycache/805550/header.jpg")),
        },
        {
            "appid": SIMHUB,
            "name": "SimHub",
            "install_dir": "/home/u/SimHub/",
            "library": null,
            "prefix": null,
            "proton": ge_json(
                "GE-Proton9-4 is set for this game in Steam (config.vdf CompatToolMapping)",
                json!([]),
            ),
            "shortcut": true,
            "warnings": [],
            "installation": s(&root),
            "state": "unknown",
            "prefix_state": "none",
            "compat_data": null,
            "exe": "/home/u/SimHub/SimHubWPF.exe",
            "header_image": null,
        },
    ]);
    // Sorted by appid within the installation; shortcuts follow.
    let mut actual = games_json(&d);
    let arr = actual.as_array_mut().unwrap();
    arr.sort_by_key(|g| (g["shortcut"].as_bool(), g["appid"].as_u64()));
    assert_eq!(
        actual,
        expected,
        "{}",
        serde_json::to_string_pretty(&actual).unwrap()
    );

    // Tools: the Valve build and the custom one; runtimes are not listed.
    let tools: Vec<(&str, bool)> = d
        .tools
        .iter()
        .map(|t| (t.name.as_str(), t.custom))
        .collect();
    assert_eq!(tools, vec![("GE-Proton9-4", true), ("proton_9", false)]);
}

#[test]
fn old_format_in_config_location_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let f = SteamFixture::new(tmp.path().join("Steam"))
        .library(tmp.path().join("mnt/games/SteamLibrary"))
        .folders_format(FoldersFormat::Old)
        .folders_location(FoldersLocation::Config)
        .app(AppSpec::new(ACC, "ACC").in_library(1))
        .build();
    let d = discover_dir(f.root());
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    let libs: Vec<&Path> = d.installations[0]
        .libraries
        .iter()
        .map(|l| l.path.as_path())
        .collect();
    assert_eq!(libs, vec![f.root(), f.library_path(1)]);
    assert_eq!(d.games.len(), 1);
    assert_eq!(d.games[0].library.as_deref(), Some(f.library_path(1)));
    assert_eq!(d.games[0].proton, None);
}

#[test]
fn both_locations_are_merged_without_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    let f = SteamFixture::new(tmp.path().join("Steam"))
        .library(tmp.path().join("lib"))
        .folders_location(FoldersLocation::Both)
        .app(AppSpec::new(AC, "AC").in_library(1))
        .build();
    let d = discover_dir(f.root());
    assert_eq!(d.installations[0].libraries.len(), 2);
    assert_eq!(d.games.len(), 1);
}

#[test]
fn native_and_flatpak_are_listed_once_each_with_their_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let native = SteamFixture::new(home.join(".local/share/Steam"))
        .app(AppSpec::new(AC, "AC"))
        .build();
    std::fs::create_dir_all(home.join(".steam")).unwrap();
    std::os::unix::fs::symlink(native.root(), home.join(".steam/steam")).unwrap();
    std::os::unix::fs::symlink(native.root(), home.join(".steam/root")).unwrap();
    let flatpak =
        SteamFixture::new(home.join(".var/app/com.valvesoftware.Steam/.local/share/Steam"))
            .app(AppSpec::new(ACC, "ACC"))
            .build();

    let d = steam::discover(&DiscoveryOptions::with_home(&home));
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    let kinds: Vec<(PathBuf, InstallKind, usize)> = d
        .installations
        .iter()
        .map(|i| (i.path.clone(), i.kind, i.found_at.len()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (
                native.root().canonicalize().unwrap(),
                InstallKind::Native,
                3
            ),
            (
                flatpak.root().canonicalize().unwrap(),
                InstallKind::Flatpak,
                1
            ),
        ]
    );
    let games: Vec<(u32, &Path)> = d
        .games
        .iter()
        .map(|g| (g.appid, g.installation.as_path()))
        .collect();
    assert_eq!(
        games,
        vec![
            (AC, d.installations[0].path.as_path()),
            (ACC, d.installations[1].path.as_path())
        ]
    );

    // STEAM_DIR / --steam-dir overrides the search.
    let mut options = DiscoveryOptions::with_home(&home);
    options.steam_dir_override = Some(flatpak.root().to_path_buf());
    let d = steam::discover(&options);
    assert_eq!(d.installations.len(), 1);
    assert_eq!(d.installations[0].kind, InstallKind::Override);
}

#[test]
fn flatpak_default_library_path_means_the_flatpak_root() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let root = home.join(".var/app/com.valvesoftware.Steam/data/Steam");
    let f = SteamFixture::new(&root).app(AppSpec::new(AC, "AC")).build();
    std::fs::write(
        root.join("steamapps/libraryfolders.vdf"),
        format!(
            "\"libraryfolders\" {{ \"0\" {{ \"path\" \"{}\" }} }}",
            home.join(".local/share/Steam").display()
        ),
    )
    .unwrap();
    let d = steam::discover(&DiscoveryOptions::with_home(&home));
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(d.installations[0].kind, InstallKind::Flatpak);
    assert_eq!(d.installations[0].libraries.len(), 1);
    assert_eq!(d.games[0].library.as_deref(), Some(f.root()));
}

#[test]
fn broken_files_give_warnings_and_discovery_carries_on() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path();
    let f = SteamFixture::new(base.join("Steam"))
        .library(base.join("lib two"))
        .missing_library(base.join("unmounted/SteamLibrary"))
        .custom_tool("GE-Proton9-4")
        .app(AppSpec::new(AC, "AC"))
        .app(AppSpec::new(RF2, "rFactor 2").last_updated(1))
        .app(AppSpec::new(RF2, "rFactor 2").in_library(1).last_updated(2))
        .compat_mapping(AC, "GE-Proton9-4")
        .compat_mapping(RF2, "GE-Proton10-1")
        .config_vdf_invalid_utf8()
        .build();
    let root = f.root().to_path_buf();
    let f = f
        // Malformed manifest: skipped with a warning.
        .broken_file("steamapps/appmanifest_1.acf", b"\"AppState\" { } } {{ \"")
        // Truncated manifest: what is there is read.
        .broken_file(
            "steamapps/appmanifest_2.acf",
            b"\"AppState\"\n{\n\t\"appid\"\t\"2\"\n\t\"name\"\t\"Half\"\n\t\"installdir\"\t\"Half\"\n\t\"StateFlags\"\t\"4\"\n\t\"LastUpd",
        )
        // Binary garbage in a shortcuts file and a tool declaration.
        .broken_file("userdata/1/config/shortcuts.vdf", b"\x00shortcuts\x00\x00\x30\x00\x01AppName\x00Cut")
        .broken_file("compatibilitytools.d/broken/compatibilitytool.vdf", b"\"compatibilitytools\" { \"compat_tools\" { \"x\" {")
        // config_info that names no Proton.
        .broken_file("steamapps/compatdata/244210/config_info", b"9.0-203\nnonsense\n")
        // A symlink loop inside compatibilitytools.d.
        ;
    std::os::unix::fs::symlink(
        root.join("compatibilitytools.d/loop"),
        root.join("compatibilitytools.d/loop"),
    )
    .unwrap();

    let d = discover_dir(&root);
    let warn_files: Vec<(String, &str)> = d
        .all_warnings()
        .map(|w| {
            (
                w.file
                    .strip_prefix(base)
                    .unwrap_or(&w.file)
                    .display()
                    .to_string(),
                w.message.as_str(),
            )
        })
        .collect();
    let has = |file: &str, needle: &str| {
        assert!(
            warn_files
                .iter()
                .any(|(f, m)| f == file && m.contains(needle)),
            "no warning for {file} containing {needle:?} in {warn_files:#?}"
        )
    };
    has("Steam/steamapps/libraryfolders.vdf", "not reachable");
    has("Steam/config/config.vdf", "invalid UTF-8");
    has("Steam/config/config.vdf", "GE-Proton10-1 is not installed");
    has("Steam/steamapps/appmanifest_1.acf", "not valid VDF");
    has("Steam/steamapps/appmanifest_2.acf", "truncated");
    has("Steam/userdata/1/config/shortcuts.vdf", "damaged");
    has(
        "Steam/compatibilitytools.d/broken/compatibilitytool.vdf",
        "truncated",
    );
    has(
        "Steam/steamapps/compatdata/244210/config_info",
        "does not name",
    );
    has(
        "Steam/steamapps/appmanifest_365960.acf",
        "also installed here",
    );

    // The rest of discovery went on.
    let ids: Vec<(u32, &str)> = d.games.iter().map(|g| (g.appid, g.name.as_str())).collect();
    assert_eq!(ids, vec![(2, "Half"), (AC, "AC"), (RF2, "rFactor 2")]);
    let ac = &d.games[1];
    let proton = ac.proton.as_ref().unwrap();
    assert_eq!(proton.name, "GE-Proton9-4");
    assert_eq!(
        proton.path.as_deref(),
        Some(f.tool_path("GE-Proton9-4").as_path())
    );
    // The duplicate: the most recently updated copy wins.
    assert_eq!(d.games[2].library.as_deref(), Some(f.library_path(1)));
    let rf2 = d.games[2].proton.as_ref().unwrap();
    assert_eq!(
        (rf2.name.as_str(), rf2.path.as_ref()),
        ("GE-Proton10-1", None)
    );
    let libs: Vec<bool> = d.installations[0]
        .libraries
        .iter()
        .map(|l| l.available)
        .collect();
    assert_eq!(libs, vec![true, true, false]);
}

#[test]
fn newest_pfx_lock_wins_and_never_run_apps_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    let f = SteamFixture::new(tmp.path().join("Steam"))
        .library(tmp.path().join("lib"))
        .app(AppSpec::new(ACC, "ACC").in_library(1))
        .app(AppSpec::new(RF2, "rFactor 2"))
        .app(AppSpec::new(AC, "AC"))
        .prefix(ACC, 0, Duration::from_secs(5000))
        .prefix(ACC, 1, Duration::from_secs(5))
        .prefix_without_lock(AC, 0)
        .build();
    let d = discover_dir(f.root());
    let acc = d.games.iter().find(|g| g.appid == ACC).unwrap();
    assert_eq!(acc.prefix, Some(f.compat_data(ACC, 1).join("pfx")));
    assert_eq!(acc.warnings.len(), 1);
    assert_eq!(acc.warnings[0].file, f.compat_data(ACC, 0));
    let rf2 = d.games.iter().find(|g| g.appid == RF2).unwrap();
    assert_eq!(
        (rf2.prefix.as_ref(), rf2.prefix_state),
        (None, steam::PrefixState::None)
    );
    let ac = d.games.iter().find(|g| g.appid == AC).unwrap();
    assert_eq!(ac.prefix_state, steam::PrefixState::Incomplete);
}

#[test]
fn running_game_environment_is_the_first_source_of_truth() {
    let tmp = tempfile::tempdir().unwrap();
    let f = SteamFixture::new(tmp.path().join("Steam"))
        .runtime(SNIPER, "SteamLinuxRuntime_sniper", 0)
        .proton(ProtonSpec::valve(PROTON_9, "Proton 9.0"))
        .proton(
            ProtonSpec::custom("GE-Proton8-1")
                .dist_layout()
                .runtime(None),
        )
        .app(AppSpec::new(ACC, "ACC"))
        .compat_mapping(ACC, "proton_9")
        .prefix(ACC, 0, Duration::from_secs(1))
        .build();
    let ge = f.tool_path("GE-Proton8-1");
    let sniper = f.common(0).join("SteamLinuxRuntime_sniper");
    let environ = [
        ("SteamAppId", "805550".to_owned()),
        (
            "STEAM_COMPAT_TOOL_PATHS",
            format!("{}:{}", ge.display(), sniper.display()),
        ),
        (
            "STEAM_COMPAT_DATA_PATH",
            f.compat_data(ACC, 0).display().to_string(),
        ),
    ];
    let mut options = DiscoveryOptions::with_steam_dir(f.root());
    options.running = HashMap::from([(ACC, RunningGame::from_environ(environ))]);
    let d = steam::discover(&options);
    let proton = d.games[0].proton.clone().unwrap();
    assert_eq!(proton.source, steam::ProtonSource::Running);
    assert_eq!(proton.name, "GE-Proton8-1");
    assert_eq!(proton.wine, Some(ge.join("dist/bin/wine")));
    assert_eq!(proton.runtime_appid, None);
    assert_eq!(proton.alternatives.len(), 1);
    assert!(
        proton.explanation.contains("next launch"),
        "{}",
        proton.explanation
    );

    // The same hook without discovery.
    let alone =
        steam::proton_for_running(&format!("{}:{}", ge.display(), sniper.display())).unwrap();
    assert_eq!(
        (alone.path, alone.version),
        (Some(ge), Some("GE-Proton8-1".to_owned()))
    );
}

#[test]
fn valve_default_from_appinfo_applies_without_other_sources() {
    let tmp = tempfile::tempdir().unwrap();
    let f = SteamFixture::new(tmp.path().join("Steam"))
        .proton(ProtonSpec::valve(2_348_590, "Proton 8.0"))
        .app(AppSpec::new(AC, "AC"))
        .app(AppSpec::new(RF2, "rFactor 2"))
        .appinfo_mapping(AC, "proton_8")
        .build();
    let d = discover_dir(f.root());
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    let ac = d.games[0].proton.as_ref().unwrap();
    assert_eq!(ac.source, steam::ProtonSource::Appinfo);
    assert_eq!(ac.path, Some(f.common(0).join("Proton 8.0")));
    assert_eq!(ac.version.as_deref(), Some("proton-8.0"));
    assert_eq!(d.games[1].proton, None);

    // A damaged appinfo.vdf is a warning, not a failure.
    let f = f.broken_file(
        "appcache/appinfo.vdf",
        b"(DV\x07\x01\x00\x00\x00\x10\x00\x00\x00\xff\xff",
    );
    let d = discover_dir(f.root());
    assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    assert!(d.warnings[0].file.ends_with("appcache/appinfo.vdf"));
    assert_eq!(d.games.len(), 2);
}

#[test]
fn json_has_the_documented_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let f = full_tree(tmp.path()).build();
    let d = discover_dir(f.root());
    for game in games_json(&d).as_array().unwrap() {
        for key in [
            "appid",
            "name",
            "install_dir",
            "library",
            "prefix",
            "proton",
            "shortcut",
            "warnings",
            "header_image",
        ] {
            assert!(game.get(key).is_some(), "missing {key} in {game}");
        }
        if let Some(p) = game["proton"].as_object() {
            for key in ["name", "path", "wine", "version", "runtime_appid", "source"] {
                assert!(p.contains_key(key), "missing proton.{key}");
            }
        }
    }
}

#[test]
fn no_steam_gives_no_installation() {
    let tmp = tempfile::tempdir().unwrap();
    let d = steam::discover(&DiscoveryOptions::with_home(tmp.path()));
    assert!(d.installations.is_empty());
    assert!(d.games.is_empty());
    assert!(d.warnings.is_empty());
}

#[test]
fn header_images_are_found_in_both_cache_layouts() {
    let tmp = tempfile::tempdir().unwrap();
    let hash = "ac2f074d790656a06ef8305bd54a6f64e9a70082".to_string();
    let f = SteamFixture::new(tmp.path().join("Steam"))
        .app(AppSpec::new(244_210, "Assetto Corsa"))
        .app(AppSpec::new(805_550, "Assetto Corsa Competizione"))
        .app(AppSpec::new(365_960, "rFactor 2"))
        .app(AppSpec::new(266_410, "iRacing"))
        .header_image(244_210, ArtLayout::Flat, b"old")
        .header_image(805_550, ArtLayout::Folder, b"new")
        .header_image(365_960, ArtLayout::Hashed(hash.clone()), b"hashed")
        .build();
    let d = discover_dir(f.root());
    let art = |appid: u32| {
        d.games
            .iter()
            .find(|g| g.appid == appid)
            .unwrap()
            .header_image
            .clone()
    };
    let cache = std::fs::canonicalize(f.root())
        .unwrap()
        .join("appcache/librarycache");
    assert_eq!(art(244_210), Some(cache.join("244210_header.jpg")));
    assert_eq!(art(805_550), Some(cache.join("805550/header.jpg")));
    assert_eq!(
        art(365_960),
        Some(cache.join("365960").join(&hash).join("header.jpg"))
    );
    assert_eq!(
        art(266_410),
        None,
        "no art: the window draws a generated card"
    );
    let json = games_json(&d);
    let iracing = json
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["appid"] == 266_410)
        .unwrap();
    assert!(iracing["header_image"].is_null());
    for (appid, bytes) in [
        (244_210, &b"old"[..]),
        (805_550, b"new"),
        (365_960, b"hashed"),
    ] {
        assert_eq!(std::fs::read(art(appid).unwrap()).unwrap(), bytes);
    }
}
