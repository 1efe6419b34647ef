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
