//! `bridgekeeper profiles`: the listing and `--check` of a profile file, run
//! as the real program.

use std::process::Command;

use bridgekeeper_profiles::{Catalog, check_file};

const VALID: &str = r#"
id = "my-game"
name = "My Game"
appids = [999001]
live_exes = ["MyGame.exe"]

[[mapping]]
name = "Local\\my_page"
size = 8192
source = "measured"
"#;

fn bridgekeeper() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bridgekeeper"));
    command.env_remove("BRIDGEKEEPER_PROFILES_DIR");
    command
}

#[test]
fn check_accepts_a_good_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.toml");
    std::fs::write(&file, VALID).unwrap();
    assert!(check_file(&file).is_ok());
    let out = bridgekeeper()
        .args(["profiles", "--check"])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("ok: my-game (My Game), 1 mappings, 8192 bytes"),
        "{stdout}"
    );
}

#[test]
fn check_rejects_each_bad_input_with_file_and_line() {
    let cases = [
        ("name = \"Local\\\\my_page\"", "name = \"\"", 8, "is empty"),
        (
            "name = \"Local\\\\my_page\"",
            "name = \"my/page\"",
            8,
            "contains '/'",
        ),
        (
            "name = \"Local\\\\my_page\"",
            "name = \"my\\u0000page\"",
            8,
            "NUL",
        ),
        ("name = \"Local\\\\my_page\"", "name = \"..\"", 8, "'..'"),
        ("size = 8192", "size = 0", 9, "size 0"),
        ("size = 8192", "size = 2147483648", 9, "above the limit"),
        ("source = ", "sauce = ", 10, "unknown field `sauce`"),
        ("[[mapping]]", "[[mapping]", 7, "TOML"),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (from, to, line, expect) in cases {
        let text = VALID.replace(from, to);
        assert_ne!(text, VALID);
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, &text).unwrap();
        let out = bridgekeeper()
            .args(["profiles", "--check"])
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{to}: {stderr}");
        let prefix = format!("{}:{line}:", file.display());
        assert!(
            stderr.starts_with(&prefix),
            "{to}: expected {prefix}, got {stderr}"
        );
        assert!(stderr.contains(expect), "{to}: {stderr}");
        assert!(stderr.contains(" — "), "a fix is offered: {stderr}");
    }
    let long = VALID.replace("my_page", &"n".repeat(300));
    let file = dir.path().join("long.toml");
    std::fs::write(&file, long).unwrap();
    let out = bridgekeeper()
        .args(["profiles", "--check"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bytes long"));

    let dup = format!("{VALID}\n[[mapping]]\nname = \"my_page\"\nsize = 4096\n");
    std::fs::write(&file, dup).unwrap();
    let out = bridgekeeper()
        .args(["profiles", "--check"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("name the same section"));

    let overlap = format!(
        "{VALID}layout = \"l\"\n[[layout]]\nid = \"l\"\n[[layout.field]]\nname = \"a\"\noffset = 0\ntype = \"u64\"\n[[layout.field]]\nname = \"b\"\noffset = 4\ntype = \"u32\"\n"
    );
    std::fs::write(&file, overlap).unwrap();
    let out = bridgekeeper()
        .args(["profiles", "--check"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(":18:1: field \"b\" (bytes 4..8) overlaps"),
        "{stderr}"
    );
}

#[test]
fn listing_shows_user_profiles_and_problems() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mine.toml"), VALID).unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        VALID.replace("size = 8192", "size = 0"),
    )
    .unwrap();

    let out = bridgekeeper()
        .args(["profiles", "--json", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), Catalog::builtin().entries().len() + 2);
    let mine = rows
        .iter()
        .find(|r| r["id"] == "my-game" && r["loaded"] == true)
        .unwrap();
    assert_eq!(mine["origin"], "user");
    assert_eq!(mine["default_size"], 8192);
    assert_eq!(mine["profile"]["mappings"][0]["name"], "Local\\my_page");
    let bad = rows.iter().find(|r| r["loaded"] == false).unwrap();
    assert!(bad["file"].as_str().unwrap().ends_with("bad.toml"));
    assert_eq!(bad["problems"][0]["line"], 9);
    let rf2 = rows.iter().find(|r| r["id"] == "rfactor-2").unwrap();
    assert_eq!(rf2["origin"], "built-in");
    assert_eq!(rf2["mappings"], 13);

    let out = bridgekeeper()
        .arg("profiles")
        .env("BRIDGEKEEPER_PROFILES_DIR", dir.path())
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(table.starts_with("ID "), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("my-game ") && l.contains("mine.toml")),
        "{table}"
    );
    assert!(
        table.contains("bad.toml:9:8: mapping \"Local\\\\my_page\": size 0"),
        "{table}"
    );
}

fn workspace_file(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

/// Runs `bridgekeeper profiles ARGS`: (exit code, stdout, stderr).
fn profiles(args: &[&std::ffi::OsStr]) -> (Option<i32>, String, String) {
    let out = bridgekeeper().arg("profiles").args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_warns_about_the_size_rule_for_user_profiles_and_enforces_it_for_builtins() {
    let text = std::fs::read_to_string(workspace_file("profiles/assetto-corsa-rally.toml"))
        .unwrap()
        .replacen("size = 4096", "size = 8192", 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rally.toml");
    std::fs::write(&file, &text).unwrap();

    let (code, stdout, stderr) = profiles(&["--check".as_ref(), file.as_os_str()]);
    assert_eq!(code, Some(0), "warnings exit 0: {stderr}");
    assert!(stdout.contains("ok: assetto-corsa-rally"), "{stdout}");
    assert!(stdout.contains(", 1 warning"), "{stdout}");
    let prefix = format!("{}:18:8: warning: ", file.display());
    assert!(stderr.starts_with(&prefix), "{stderr}");
    for part in [
        "size 8192 is above 4096",
        "simd in its default memmap mode (simd) truncates the file to 2048 bytes",
        "set size to 4096 (the size rule in docs/game-data.md)",
        "simd --nomemmap --nobridge",
    ] {
        assert!(stderr.contains(part), "{part:?} in {stderr}");
    }

    let (code, _, json_err) = profiles(&["--check".as_ref(), file.as_os_str(), "--json".as_ref()]);
    assert_eq!(code, Some(0));
    assert!(json_err.contains("warning:"), "{json_err}");

    let (code, _, stderr) = profiles(&["--check".as_ref(), file.as_os_str(), "--builtin".as_ref()]);
    assert_eq!(code, Some(1), "--builtin makes it an error: {stderr}");
    assert!(
        stderr.starts_with(&format!("{}:18:8: mapping", file.display())),
        "{stderr}"
    );
}

#[test]
fn every_builtin_file_passes_the_builtin_check() {
    let dir = workspace_file("profiles");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".toml") || name == "readers.toml" {
            continue;
        }
        let (code, stdout, stderr) =
            profiles(&["--check".as_ref(), path.as_os_str(), "--builtin".as_ref()]);
        assert_eq!(code, Some(0), "{name}: {stderr}");
        assert!(stderr.is_empty(), "{name}: {stderr}");
        assert!(!stdout.contains("warning"), "{name}: {stdout}");
        checked += 1;
    }
    assert_eq!(checked, Catalog::builtin().entries().len());
}

#[test]
fn an_unknown_reader_is_an_error_with_its_place() {
    let text =
        format!("{VALID}\n[[mapping.reader]]\nreader = \"simdd\"\nmaps = 800\nsource = \"x\"\n");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, text).unwrap();
    let (code, _, stderr) = profiles(&["--check".as_ref(), file.as_os_str()]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "{}:13:10: mapping \"Local\\\\my_page\": reader \"simdd\" is not a known reader — use one of the ids in profiles/readers.toml (simd, simd-nomemmap, monocoque, simmonitor, tinypedal)",
            file.display()
        )),
        "{stderr}"
    );
}

#[test]
fn the_readers_of_each_mapping_show_in_text_and_json() {
    let none = tempfile::tempdir().unwrap();
    let dir = ["--dir".as_ref(), none.path().as_os_str()];
    let (code, text, _) = profiles(&[&["assetto-corsa-rally".as_ref()][..], &dir].concat());
    assert_eq!(code, Some(0));
    assert!(
        text.starts_with("assetto-corsa-rally (Assetto Corsa Rally), built-in"),
        "{text}"
    );
    let crewchief = text
        .split("\nacpmf_crewchief")
        .nth(1)
        .expect("the crewchief page");
    for line in [
        "  size 16384: at least 15660 (simd-nomemmap), at most 16384 (simd truncates): ok",
        "  reader simd (simd in its default memmap mode): maps 16000, truncates to 16000, creates it when missing",
        "  reader monocoque (monocoque without simd): maps 15660, creates it when missing",
    ] {
        assert!(crewchief.contains(line), "{line:?} in {crewchief}");
    }

    let (code, json, _) = profiles(&[&["--json".as_ref()][..], &dir].concat());
    assert_eq!(code, Some(0));
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    let acc = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "assetto-corsa-competizione")
        .unwrap();
    for key in [
        "id",
        "name",
        "origin",
        "file",
        "loaded",
        "appids",
        "mappings",
        "default_size",
        "problems",
        "profile",
    ] {
        assert!(acc.get(key).is_some(), "{key} kept");
    }
    assert_eq!(
        acc["readers"],
        serde_json::json!(["simd", "simd-nomemmap", "monocoque", "simmonitor"])
    );
    let crewchief = acc["profile"]["mappings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "acpmf_crewchief")
        .unwrap();
    assert_eq!(crewchief["size"], 16384);
    assert_eq!(crewchief["readers"][0]["reader"], "simd");
    assert_eq!(crewchief["readers"][0]["truncates_to"], 16000);
    assert_eq!(crewchief["readers"][1]["reader"], "simd-nomemmap");
    assert_eq!(crewchief["readers"][1]["maps"], 15660);
    assert_eq!(crewchief["readers"][1]["creates"], true);
    let rule = acc["size_rule"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["mapping"] == "acpmf_physics")
        .unwrap();
    assert_eq!(
        (rule["min"].as_u64(), rule["max"].as_u64()),
        (Some(800), Some(4096))
    );
    assert_eq!(rule["max_set_by"], "simd");
    assert_eq!(acc["gauges"][0], "speed");
    assert_eq!(
        acc["profile"]["dashboard"]["gear"]["encoding"]["neutral"],
        1
    );
}

#[test]
fn the_readers_catalog_lists_how_to_recognise_and_fix_each() {
    let (code, text, _) = profiles(&["--readers".as_ref()]);
    assert_eq!(code, Some(0));
    assert!(
        text.starts_with("simd — simd in its default memmap mode\n"),
        "{text}"
    );
    for part in [
        "  source: Spacefreak18/simapi at 87a5a7e (2026-04-30)",
        "  process: comm \"simd\", maps bridged files writable (-w-s or rw-s)",
        "  fights the bridge: truncates, zeroes, deletes files it did not create",
        "ignores --nomemmap",
        "tinypedal — TinyPedal",
        "  process: comm \"python3\", command line containing \"run.py\"",
        "  fights the bridge: no",
    ] {
        assert!(text.contains(part), "{part:?} in {text}");
    }
    let (code, json, _) = profiles(&["--readers".as_ref(), "--json".as_ref()]);
    assert_eq!(code, Some(0));
    let readers: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(readers.as_array().unwrap().len(), 5);
    assert_eq!(readers[0]["process"]["writable_maps"], true);
    assert_eq!(readers[1]["process"]["writable_maps"], false);
    assert_eq!(
        readers[0]["fights"],
        serde_json::json!(["truncates", "zeroes", "deletes"])
    );
}
