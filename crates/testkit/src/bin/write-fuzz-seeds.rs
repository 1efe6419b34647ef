//! Writes the Steam part of the fuzz seed corpus from the fixture the
//! discovery tests use, so the fuzzers start from the shapes the tests know.
//! After changing the fixture, run
//!
//! ```text
//! cargo run -p bridgekeeper-testkit --bin write-fuzz-seeds -- fuzz/corpus
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, ensure};
use bridgekeeper_testkit::steam_fixture::{
    AppSpec, FoldersFormat, FoldersLocation, ProtonSpec, SteamFixture,
};

/// Which fuzz target a fixture file seeds, by its file name.
fn target_of(file: &Path) -> Option<&'static str> {
    let name = file.file_name()?.to_str()?;
    Some(match name {
        "shortcuts.vdf" | "appinfo.vdf" => "binary_vdf",
        _ if name.starts_with("appmanifest_") => "appmanifest",
        _ if name.ends_with(".vdf") || name == "config_info" || name == "version" => "text_vdf",
        _ => return None,
    })
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_symlink() {
            continue;
        }
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn fixtures(tmp: &Path) -> Vec<PathBuf> {
    let new = SteamFixture::new(tmp.join("new/Steam"))
        .library(tmp.join("new/Games Library"))
        .folders_location(FoldersLocation::Both)
        .proton(ProtonSpec::valve(2_805_730, "Proton 9.0").in_library(1))
        .proton(ProtonSpec::custom("GE-Proton9-4"))
        .runtime(1_628_350, "SteamLinuxRuntime_sniper", 0)
        .app(AppSpec::new(244_210, "Assetto Corsa").in_library(1))
        .app(
            AppSpec::new(805_550, "ACC")
                .state_flags(6)
                .last_updated(1_717_000_000),
        )
        .compat_mapping(0, "proton_9")
        .compat_mapping(805_550, "GE-Proton9-4")
        .config_vdf_invalid_utf8()
        .prefix(244_210, 1, Duration::from_secs(60))
        .config_info(
            244_210,
            1,
            &tmp.join("new/Games Library/steamapps/common/Proton 9.0"),
        )
        .shortcut(
            0x8000_1234,
            "Sim \"Hub\"",
            "\"/opt/simhub/SimHub.exe\"",
            "\"/opt/simhub\"",
        )
        .shortcut(0, "Legacy", "/usr/bin/legacy", "")
        .appinfo_mapping(244_210, "proton_8")
        .build();
    let old = SteamFixture::new(tmp.join("old/Steam"))
        .library(tmp.join("old/SteamLibrary"))
        .folders_format(FoldersFormat::Old)
        .proton(ProtonSpec::custom("Proton-stl").dist_layout())
        .app(AppSpec::new(365_960, "rFactor 2").in_library(1))
        .build();
    vec![
        new.root().parent().unwrap().to_path_buf(),
        old.root().parent().unwrap().to_path_buf(),
    ]
}

fn main() -> ExitCode {
    match write_seeds() {
        Ok(written) => {
            println!("wrote {written} seed files");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("write-fuzz-seeds: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn write_seeds() -> anyhow::Result<usize> {
    let out = PathBuf::from(
        std::env::args_os()
            .nth(1)
            .context("usage: write-fuzz-seeds CORPUS_DIR (the fuzz/corpus folder)")?,
    );
    let tmp = tempfile::tempdir()?;
    let mut written = 0;
    for tree in fixtures(tmp.path()) {
        let mut files = Vec::new();
        files_under(&tree, &mut files);
        for file in files {
            let Some(target) = target_of(&file) else {
                continue;
            };
            // The seed's name says where in a Steam tree it came from.
            let rel = file
                .strip_prefix(tmp.path())?
                .to_string_lossy()
                .into_owned();
            let name = format!("fixture-{}", rel.replace(['/', ' '], "_"));
            let dir = out.join(target);
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            std::fs::copy(&file, dir.join(&name))
                .with_context(|| format!("cannot write {}", dir.join(&name).display()))?;
            written += 1;
        }
    }
    ensure!(
        written >= 10,
        "only {written} seed files found in the fixture"
    );
    Ok(written)
}
