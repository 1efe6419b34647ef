//! The documentation agrees with the data it describes, and the repository
//! stands on its own.
//!
//! `docs/game-data.md` repeats every field layout of the built-in profiles
//! and names every section, size, appid and exe they use, and the gauges of
//! every dashboard; `docs/readers.md` names every known reader of
//! `profiles/readers.toml` with the version read. A profile changed without
//! its page (or the other way round) fails here. And no file may point to
//! notes that are not part of the repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bridgekeeper_testkit::wine::workspace;

/// One row of a layout table: offset, type, field name, unit and note.
type Row = (i64, String, String, String);

fn game_data() -> String {
    std::fs::read_to_string(workspace().join("docs/game-data.md"))
        .expect("reading docs/game-data.md")
}

/// Every built-in profile, by file name.
fn profiles() -> BTreeMap<String, toml::Table> {
    let dir = workspace().join("profiles");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("reading profiles/") {
        let path = entry.unwrap().path();
        let readers = path.file_name().is_some_and(|n| n == "readers.toml");
        if path.extension().is_some_and(|e| e == "toml") && !readers {
            let text = std::fs::read_to_string(&path).unwrap();
            let table: toml::Table = text
                .parse()
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            out.insert(
                path.file_name().unwrap().to_string_lossy().into_owned(),
                table,
            );
        }
    }
    assert!(
        out.len() >= 12,
        "the built-in profiles are in {}",
        dir.display()
    );
    out
}

fn text<'a>(table: &'a toml::Table, key: &str) -> &'a str {
    table.get(key).and_then(toml::Value::as_str).unwrap_or("")
}

fn array<'a>(table: &'a toml::Table, key: &str) -> Vec<&'a toml::Value> {
    table
        .get(key)
        .and_then(toml::Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// The rows of a profile layout, as the page writes them.
fn profile_rows(layout: &toml::Table) -> Vec<Row> {
    array(layout, "field")
        .into_iter()
        .map(|f| {
            let f = f.as_table().expect("a [[layout.field]] table");
            let extra: Vec<&str> = [text(f, "unit"), text(f, "note")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            (
                f["offset"].as_integer().expect("an integer offset"),
                text(f, "type").to_owned(),
                text(f, "name").to_owned(),
                extra.join("; "),
            )
        })
        .collect()
}

/// The table rows under `### Layout `id`` in the page.
fn page_rows(page: &str, id: &str) -> Option<Vec<Row>> {
    let heading = format!("### Layout `{id}`");
    let start = page.lines().position(|l| l == heading)?;
    let rows = page
        .lines()
        .skip(start + 1)
        .take_while(|l| !l.starts_with("#"))
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Offset"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cells.len(), 4, "layout {id}: a row with four cells: {l}");
            (
                cells[0]
                    .parse()
                    .unwrap_or_else(|_| panic!("layout {id}: offset in {l}")),
                cells[1].to_owned(),
                cells[2].trim_matches('`').to_owned(),
                cells[3].to_owned(),
            )
        })
        .collect();
    Some(rows)
}

#[test]
fn game_data_md_repeats_every_profile_layout() {
    let page = game_data();
    let mut seen: BTreeMap<String, (String, Vec<Row>)> = BTreeMap::new();
    for (file, profile) in profiles() {
        for layout in array(&profile, "layout") {
            let layout = layout.as_table().unwrap();
            let id = text(layout, "id").to_owned();
            let rows = profile_rows(layout);
            if let Some((first, earlier)) = seen.get(&id) {
                assert_eq!(
                    earlier, &rows,
                    "layout {id} differs between {first} and {file}"
                );
                continue;
            }
            let documented = page_rows(&page, &id).unwrap_or_else(|| {
                panic!("docs/game-data.md has no section \"### Layout `{id}`\"")
            });
            if let Some(i) =
                (0..documented.len().max(rows.len())).find(|&i| documented.get(i) != rows.get(i))
            {
                panic!(
                    "docs/game-data.md, layout {id}, differs from profiles/{file} at row {}:\n  page:    {:?}\n  profile: {:?}",
                    i + 1,
                    documented.get(i),
                    rows.get(i)
                );
            }
            assert!(
                text(layout, "source").contains(&format!("docs/game-data.md, layout {id}")),
                "profiles/{file}: layout {id}'s source points to its section"
            );
            seen.insert(id, (file.clone(), rows));
        }
    }
    assert!(seen.len() >= 14, "layouts found: {:?}", seen.keys());
}

#[test]
fn game_data_md_names_every_section_size_appid_and_exe() {
    let page = game_data();
    for (file, profile) in profiles() {
        for appid in array(&profile, "appids") {
            let appid = appid.as_integer().unwrap().to_string();
            assert!(
                page.contains(&appid),
                "{file}: appid {appid} is not in docs/game-data.md"
            );
        }
        for key in ["launcher_exes", "live_exes", "events"] {
            for name in array(&profile, key) {
                let name = format!("`{}`", name.as_str().unwrap());
                assert!(
                    page.contains(&name),
                    "{file}: {name} is not in docs/game-data.md"
                );
            }
        }
        for mapping in array(&profile, "mapping") {
            let mapping = mapping.as_table().unwrap();
            let name = format!("`{}`", text(mapping, "name"));
            let size = mapping["size"].as_integer().unwrap().to_string();
            assert!(
                page.lines().any(|l| l.contains(&name)
                    && l.split(|c: char| !c.is_ascii_digit()).any(|n| n == size)),
                "{file}: no line of docs/game-data.md gives {name} with its size {size}"
            );
        }
    }
}

#[test]
fn game_data_md_lists_every_dashboards_gauges() {
    let page = game_data();
    let section = page
        .split("\n## Dashboards\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("docs/game-data.md has a section \"## Dashboards\"");
    let gauges = [
        "speed",
        "rpm",
        "max_rpm",
        "gear",
        "throttle",
        "brake",
        "clutch",
        "fuel",
        "max_fuel",
        "current_lap",
        "last_lap",
        "status",
    ];
    for (file, profile) in profiles() {
        let id = text(&profile, "id");
        let row = section
            .lines()
            .find(|l| l.starts_with(&format!("| `{id}` |")))
            .unwrap_or_else(|| panic!("{file}: no row for `{id}` under Dashboards"));
        let listed: Vec<&str> = row.split(" | ").nth(1).unwrap().split(", ").collect();
        let dashboard = profile.get("dashboard").and_then(toml::Value::as_table);
        // A dashboard section may only explain why no gauge can be fed.
        let mut expected: Vec<&str> = dashboard.map_or_else(Vec::new, |d| {
            gauges.into_iter().filter(|g| d.contains_key(*g)).collect()
        });
        if expected.is_empty() {
            expected.push("none");
        }
        assert_eq!(listed, expected, "{file}: the Dashboards row of `{id}`");
    }
}

#[test]
fn readers_md_names_every_known_reader_and_version() {
    let page = std::fs::read_to_string(workspace().join("docs/readers.md")).unwrap();
    let catalog = std::fs::read_to_string(workspace().join("profiles/readers.toml")).unwrap();
    let catalog: toml::Table = catalog.parse().unwrap();
    let readers = array(&catalog, "reader");
    assert!(readers.len() >= 5);
    for reader in readers {
        let reader = reader.as_table().unwrap();
        let id = format!("`{}`", text(reader, "id"));
        assert!(
            page.contains(&id),
            "docs/readers.md does not name reader {id}"
        );
        let commit = text(reader, "version")
            .split(' ')
            .next()
            .unwrap()
            .to_owned();
        assert!(
            page.contains(&commit),
            "docs/readers.md does not give {id}'s version {commit}"
        );
    }
}

/// The repository's files, except every `target/` and `.git/`.
fn repository_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() {
            if name != ".git" && name != "target" {
                repository_files(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}

#[test]
fn nothing_points_to_notes_the_repository_lacks() {
    // Spelled in pieces, so that this file does not match itself.
    let private = [
        ["games", ".md"].concat(),
        ["wine", ".md"].concat(),
        ["steam-and-proton", ".md"].concat(),
        ["crates", ".md"].concat(),
        ["shared/", "reference"].concat(),
    ];
    let mut files = Vec::new();
    repository_files(&workspace(), &mut files);
    assert!(files.len() > 100, "the repository's files were found");
    let mut found = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue; // binary
        };
        for (n, line) in text.lines().enumerate() {
            if private.iter().any(|p| line.contains(p.as_str())) {
                found.push(format!("{}:{}: {line}", file.display(), n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "point to docs/ instead (game-data.md, wine-behaviour.md, steam-internals.md, dependencies.md):\n{}",
        found.join("\n")
    );
}
