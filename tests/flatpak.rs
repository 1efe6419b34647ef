//! The Flatpak manifest: flatpak-builder accepts it, its finish-args are
//! exactly the permissions Bridgekeeper needs, and its crate sources match
//! Cargo.lock (what the offline build inside flatpak-builder relies on).
//!
//! Without flatpak-builder the manifest test skips, except when `CI=true`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const MANIFEST: &str = "packaging/flatpak/io.github.bridgekeeper.Bridgekeeper.yml";
const SOURCES: &str = "packaging/flatpak/cargo-sources.json";

/// The permissions the app needs, and no more.
const FINISH_ARGS: &[&str] = &[
    "--share=ipc",
    "--socket=wayland",
    "--socket=fallback-x11",
    "--device=dri",
    "--device=shm",
    "--talk-name=org.kde.StatusNotifierWatcher",
    "--own-name=io.github.bridgekeeper.Bridgekeeper1",
    "--talk-name=org.freedesktop.Notifications",
    "--talk-name=org.freedesktop.Flatpak",
    "--filesystem=~/.steam:ro",
    "--filesystem=~/.local/share/Steam:ro",
    "--filesystem=~/.var/app/com.valvesoftware.Steam:ro",
    "--filesystem=~/snap/steam:ro",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lies in the workspace")
        .to_path_buf()
}

/// The manifest as flatpak-builder prints it, or `None` (skip) without
/// flatpak-builder outside CI.
fn shown_manifest() -> Option<serde_json::Value> {
    // flatpak-builder makes a state folder (.flatpak-builder) in its
    // working directory; keep it out of the source tree.
    let output = match Command::new("flatpak-builder")
        .arg("--show-manifest")
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .arg(workspace().join(MANIFEST))
        .output()
    {
        Ok(output) => output,
        Err(err) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!(
                "cannot run flatpak-builder ({err}), and CI=true forbids skipping: \
                 run packaging/flatpak/check, which installs it"
            )
        }
        Err(err) => {
            eprintln!("skipped: cannot run flatpak-builder: {err}");
            return None;
        }
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "flatpak-builder refused {MANIFEST}: {stderr}"
    );
    assert!(
        !stderr.contains("WARNING") && !stderr.contains("CRITICAL"),
        "flatpak-builder warned about {MANIFEST}: {stderr}"
    );
    Some(serde_json::from_slice(&output.stdout).expect("--show-manifest prints JSON"))
}

/// Why a finish-arg is forbidden, if it is.
fn forbidden(arg: &str) -> Option<&'static str> {
    let filesystem = arg.strip_prefix("--filesystem=");
    if let Some(path) = filesystem {
        let path = path.split(':').next().unwrap_or(path);
        if ["home", "host", "host-os", "host-etc", "~", "/"].contains(&path) {
            return Some("grants the whole home or host file system");
        }
        if !arg.ends_with(":ro") {
            return Some("file system access must be read-only");
        }
    }
    if arg.starts_with("--own-name=org.kde.StatusNotifierItem") {
        return Some(
            "owning StatusNotifierItem names is broken on Flathub and ksni does not need it",
        );
    }
    match arg {
        "--socket=session-bus" | "--socket=system-bus" => Some("gives the whole bus"),
        "--device=all" => Some("gives every device, and still not the host /dev/shm"),
        "--share=network" => Some("Bridgekeeper needs no network"),
        "--allow=per-app-dev-shm" => Some("would hide the host /dev/shm"),
        _ => None,
    }
}

#[test]
fn flatpak_builder_accepts_the_manifest_and_its_permissions_are_exact() {
    let Some(manifest) = shown_manifest() else {
        return;
    };
    assert_eq!(manifest["id"], "io.github.bridgekeeper.Bridgekeeper");
    assert_eq!(manifest["runtime"], "org.freedesktop.Platform");
    assert_eq!(manifest["runtime-version"], "24.08");
    assert_eq!(manifest["command"], "bridgekeeper");
    let args: Vec<&str> = manifest["finish-args"]
        .as_array()
        .expect("finish-args is a list")
        .iter()
        .map(|a| a.as_str().expect("each finish-arg is a string"))
        .collect();
    for arg in &args {
        if let Some(why) = forbidden(arg) {
            panic!("{MANIFEST}: finish-arg {arg} is not allowed: {why}");
        }
    }
    let got: BTreeSet<&str> = args.iter().copied().collect();
    let want: BTreeSet<&str> = FINISH_ARGS.iter().copied().collect();
    assert_eq!(
        got.difference(&want).collect::<Vec<_>>(),
        Vec::<&&str>::new(),
        "{MANIFEST} grants more than the app needs"
    );
    assert_eq!(
        want.difference(&got).collect::<Vec<_>>(),
        Vec::<&&str>::new(),
        "{MANIFEST} lacks permissions the app needs"
    );
    assert_eq!(args.len(), got.len(), "{MANIFEST} repeats a finish-arg");

    // The included cargo-sources.json was loaded: every crate archive is a
    // source of the module.
    let sources = manifest["modules"][0]["sources"]
        .as_array()
        .expect("the module has sources");
    let archives = sources
        .iter()
        .filter(|s| {
            s["type"] == "archive"
                && s["dest"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("cargo/vendor/"))
        })
        .count();
    assert_eq!(
        archives,
        locked_crates().len(),
        "crate archives in the manifest"
    );
}

#[test]
fn the_policy_refuses_broad_permissions() {
    for arg in [
        "--filesystem=home",
        "--filesystem=host:ro",
        "--filesystem=~/.local/share/Steam",
        "--own-name=org.kde.StatusNotifierItem-2-1",
        "--socket=session-bus",
        "--device=all",
        "--share=network",
    ] {
        assert!(forbidden(arg).is_some(), "{arg} must be refused");
    }
    for arg in FINISH_ARGS {
        assert_eq!(forbidden(arg), None, "{arg} is needed");
    }
}

/// Crates from crates.io in Cargo.lock: (name, version, checksum).
fn locked_crates() -> BTreeSet<(String, String, String)> {
    let path = workspace().join("Cargo.lock");
    let text = std::fs::read_to_string(&path).unwrap();
    let lock: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    lock["package"]
        .as_array()
        .expect("Cargo.lock has packages")
        .iter()
        .filter_map(|p| {
            let field = |k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_string);
            Some((field("name")?, field("version")?, field("checksum")?))
        })
        .collect()
}

#[test]
fn cargo_sources_match_cargo_lock() {
    let path = workspace().join(SOURCES);
    let sources: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut archives = BTreeSet::new();
    let mut checksum_files = BTreeSet::new();
    for source in &sources {
        let dest = source["dest"].as_str().unwrap_or_default();
        let Some(dir) = dest.strip_prefix("cargo/vendor/") else {
            continue;
        };
        match source["type"].as_str() {
            Some("archive") => {
                let url = source["url"].as_str().unwrap_or_default();
                let sha = source["sha256"].as_str().unwrap_or_default().to_string();
                let file = url.rsplit('/').next().unwrap_or_default();
                assert_eq!(
                    file.strip_suffix(".crate"),
                    Some(dir),
                    "{}: {url} does not unpack into {dest}",
                    path.display()
                );
                archives.insert((dir.to_string(), sha));
            }
            Some("inline") => {
                let contents: serde_json::Value =
                    serde_json::from_str(source["contents"].as_str().unwrap_or("{}")).unwrap();
                checksum_files.insert((
                    dir.to_string(),
                    contents["package"].as_str().unwrap_or_default().to_string(),
                ));
            }
            _ => {}
        }
    }
    let locked: BTreeSet<(String, String)> = locked_crates()
        .into_iter()
        .map(|(name, version, sum)| (format!("{name}-{version}"), sum))
        .collect();
    let fix = "run packaging/flatpak/update-sources";
    let missing: Vec<_> = locked.difference(&archives).collect();
    let extra: Vec<_> = archives.difference(&locked).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} is out of date with Cargo.lock ({fix}):\n  missing: {missing:?}\n  not in Cargo.lock: {extra:?}",
        path.display()
    );
    assert_eq!(
        checksum_files,
        locked,
        "{}: the .cargo-checksum.json entries differ from Cargo.lock ({fix})",
        path.display()
    );
}
