//! `bridgekeeper games` end to end, on fixture Steam trees.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use bridgekeeper_testkit::steam_fixture::{AppSpec, ProtonSpec, SteamFixture};
use serde_json::Value;

/// appid, name, shortcut, proton name, proton source.
type Summary<'a> = (u64, &'a str, bool, Option<&'a str>, Option<&'a str>);

/// Runs the binary with a clean environment: an empty home, no STEAM_DIR.
fn run(home: &Path, args: &[&str], steam_dir_env: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bridgekeeper"));
    cmd.arg("games")
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin");
    if let Some(dir) = steam_dir_env {
        cmd.env("STEAM_DIR", dir);
    }
    cmd.output().expect("run bridgekeeper")
}

fn fixture(base: &Path) -> SteamFixture {
    SteamFixture::new(base.join("Steam"))
        .library(base.join("Other Library"))
        .proton(ProtonSpec::valve(2_805_730, "Proton 9.0"))
        .custom_tool("GE-Proton9-4")
        .app(AppSpec::new(805_550, "Assetto Corsa Competizione").in_library(1))
        .app(AppSpec::new(244_210, "assettocorsa"))
        .compat_mapping(0, "proton_9")
        .compat_mapping(805_550, "GE-Proton9-4")
        .prefix(805_550, 1, Duration::from_secs(10))
        .shortcut(0x9000_0002, "CrewChief", "/opt/CrewChiefV4.exe", "/opt")
        .build()
}

#[test]
fn json_lists_games_with_the_documented_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let f = fixture(tmp.path());
    let root = f.root().to_str().unwrap();
    let out = run(tmp.path(), &["--json", "--steam-dir", root], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let games: Value = serde_json::from_slice(&out.stdout).unwrap();
    let games = games.as_array().unwrap();
    let summary: Vec<Summary<'_>> = games
        .iter()
        .map(|g| {
            (
                g["appid"].as_u64().unwrap(),
                g["name"].as_str().unwrap(),
                g["shortcut"].as_bool().unwrap(),
                g["proton"]["name"].as_str(),
                g["proton"]["source"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                244_210,
                "assettocorsa",
                false,
                Some("proton_9"),
                Some("global_default")
            ),
            (
                805_550,
                "Assetto Corsa Competizione",
                false,
                Some("GE-Proton9-4"),
                Some("compat_tool_mapping")
            ),
            (0x9000_0002, "CrewChief", true, None, None),
        ]
    );
    let acc = &games[1];
    assert_eq!(
        acc["prefix"].as_str().unwrap(),
        f.compat_data(805_550, 1).join("pfx").to_str().unwrap()
    );
    assert_eq!(
        acc["library"].as_str().unwrap(),
        f.library_path(1).to_str().unwrap()
    );
    assert_eq!(
        acc["proton"]["wine"].as_str().unwrap(),
        f.tool_path("GE-Proton9-4")
            .join("files/bin/wine")
            .to_str()
            .unwrap()
    );
    assert_eq!(acc["proton"]["runtime_appid"], 1_628_350);
    assert_eq!(games[0]["prefix"], Value::Null);
    for g in games {
        for key in [
            "appid",
            "name",
            "install_dir",
            "library",
            "prefix",
            "proton",
            "shortcut",
            "warnings",
        ] {
            assert!(g.get(key).is_some(), "missing {key}");
        }
    }
}

#[test]
fn steam_dir_env_selects_the_installation_and_table_is_readable() {
    let tmp = tempfile::tempdir().unwrap();
    let f = fixture(tmp.path());
    let out = run(tmp.path(), &[], Some(f.root()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Steam (override)"), "{text}");
    assert!(text.contains("APPID"), "{text}");
    assert!(text.contains("Assetto Corsa Competizione"), "{text}");
    assert!(text.contains("GE-Proton9-4 (per-game setting)"), "{text}");
    assert!(text.contains("none (never run)"), "{text}");
    assert!(text.contains("CrewChief (shortcut)"), "{text}");
}

#[test]
fn warnings_go_to_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let f = fixture(tmp.path()).broken_file("steamapps/appmanifest_7.acf", b"{{{{");
    let out = run(
        tmp.path(),
        &["--json", "--steam-dir", f.root().to_str().unwrap()],
        None,
    );
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let manifest = f.root().join("steamapps/appmanifest_7.acf");
    assert!(
        stderr.contains(&format!("warning: {}: ", manifest.display())),
        "{stderr}"
    );
    let games: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(games.as_array().unwrap().len(), 3);
}

#[test]
fn bad_steam_dir_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(
        tmp.path(),
        &["--json", "--steam-dir", tmp.path().to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("is not a Steam installation"), "{stderr}");
    assert!(stderr.contains("--steam-dir"), "{stderr}");
    assert!(stderr.contains("steamapps/"), "{stderr}");
}

#[test]
fn no_steam_at_all_names_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(tmp.path(), &[], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("no Steam installation found"), "{stderr}");
    assert!(stderr.contains("STEAM_DIR"), "{stderr}");
}
