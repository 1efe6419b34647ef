//! Choosing the Proton build for an app, in the order of truth:
//! the running game's environment, the per-app `CompatToolMapping`, the
//! Proton recorded in `config_info`, the global default, and Valve's
//! per-app default from `appinfo.vdf`. When the sources name different
//! builds, the choice and the others are reported.
//!
//! Also reads what a Proton directory says about itself: its wine binary,
//! its `version` file and the runtime its `toolmanifest.vdf` requires.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::compat_tools::{ResolvedTool, ToolIndex};
use super::fsutil;
use super::model::{Proton, ProtonAlternative, ProtonSource};
use super::vdf;
use super::warning::Warning;

/// What each source says about one app, before resolution.
#[derive(Debug, Clone, Default)]
pub struct Sources<'a> {
    /// The running game's `STEAM_COMPAT_TOOL_PATHS`.
    pub running: Option<&'a str>,
    /// The per-app `CompatToolMapping` name.
    pub mapping: Option<&'a str>,
    /// The Proton directory from `config_info`.
    pub config_info: Option<&'a Path>,
    /// The global default tool name.
    pub global: Option<&'a str>,
    /// Valve's per-app default tool name from appinfo.
    pub appinfo: Option<&'a str>,
}

/// What a Proton directory says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolDetails {
    /// `files/bin/wine`, or `dist/bin/wine` in old builds.
    pub wine: Option<PathBuf>,
    /// The version string from the `version` file (second field).
    pub version: Option<String>,
    /// `toolmanifest.vdf` `manifest/require_tool_appid`.
    pub runtime_appid: Option<u32>,
    /// Whether a `proton` script is there.
    pub is_proton: bool,
}

/// Reads a tool directory's wine binary, version and runtime. Problems
/// with its files become warnings tied to them.
pub fn tool_details(dir: &Path, warnings: &mut Vec<Warning>) -> ToolDetails {
    let wine = ["files/bin/wine", "dist/bin/wine"]
        .iter()
        .map(|rel| dir.join(rel))
        .find(|p| p.is_file());
    let version = fsutil::read_lossy(&dir.join("version"))
        .ok()
        .and_then(|text| parse_version(&text));
    let manifest = dir.join("toolmanifest.vdf");
    let runtime_appid = vdf::read(&manifest, warnings).and_then(|doc| {
        let obj = vdf::root_obj(&doc, "manifest")?;
        let raw = vdf::get_str(obj, "require_tool_appid")?;
        let parsed = raw.trim().parse().ok();
        if parsed.is_none() {
            warnings.push(Warning::new(
                &manifest,
                format!("has an unreadable require_tool_appid {raw:?}"),
            ));
        }
        parsed
    });
    ToolDetails {
        wine,
        version,
        runtime_appid,
        is_proton: dir.join("proton").is_file(),
    }
}

/// The version in a Proton `version` file: `<timestamp> <version>` gives
/// the second field; a single field is taken whole.
pub fn parse_version(text: &str) -> Option<String> {
    let line = text.lines().next()?.trim();
    let mut fields = line.split_whitespace();
    let first = fields.next()?;
    Some(fields.next().unwrap_or(first).to_owned())
}

/// The Proton directory in a `STEAM_COMPAT_TOOL_PATHS` value: its first
/// entry.
pub fn first_tool_path(tool_paths: &str) -> Option<PathBuf> {
    tool_paths
        .split(':')
        .map(str::trim)
        .find(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// A source's answer, resolved to a directory where possible.
#[derive(Debug, Clone)]
struct Candidate {
    source: ProtonSource,
    tool: ResolvedTool,
}

impl Candidate {
    fn same_build(&self, other: &Candidate, tools: &ToolIndex) -> bool {
        match (&self.tool.path, &other.tool.path) {
            (Some(a), Some(b)) => a == b || tools.canonical(a) == tools.canonical(b),
            _ => self.tool.name.eq_ignore_ascii_case(&other.tool.name),
        }
    }
}

/// Chooses the Proton for one app. `details` caches [`tool_details`] per
/// directory; `config_file` is where mappings came from (for warnings).
/// `None` when no source names a tool, or the chosen tool is a Linux
/// runtime rather than a Proton.
pub fn choose(
    sources: &Sources<'_>,
    tools: &ToolIndex,
    details: &mut HashMap<PathBuf, ToolDetails>,
    config_file: &Path,
    warnings: &mut Vec<Warning>,
) -> Option<Proton> {
    let mut candidates = Vec::new();
    if let Some(path) = sources.running.and_then(first_tool_path) {
        candidates.push(Candidate {
            source: ProtonSource::Running,
            tool: ResolvedTool {
                name: tools.name_for_dir(&path),
                path: Some(path),
            },
        });
    }
    let by_name = |source, name: &str| Candidate {
        source,
        tool: tools.resolve(name),
    };
    if let Some(name) = sources.mapping {
        candidates.push(by_name(ProtonSource::CompatToolMapping, name));
    }
    if let Some(dir) = sources.config_info {
        candidates.push(Candidate {
            source: ProtonSource::ConfigInfo,
            tool: ResolvedTool {
                name: tools.name_for_dir(dir),
                path: dir.is_dir().then(|| dir.to_path_buf()),
            },
        });
    }
    if let Some(name) = sources.global {
        candidates.push(by_name(ProtonSource::GlobalDefault, name));
    }
    if let Some(name) = sources.appinfo {
        candidates.push(by_name(ProtonSource::Appinfo, name));
    }
    let mut iter = candidates.into_iter();
    let chosen = iter.next()?;
    let others: Vec<Candidate> = iter.collect();
    if chosen
        .tool
        .name
        .to_ascii_lowercase()
        .starts_with("steamlinuxruntime")
    {
        return None;
    }

    let mut explanation = reason(&chosen);
    if chosen.tool.path.is_none() {
        let message = format!(
            "compatibility tool {} is not installed (or its directory was not found)",
            chosen.tool.name
        );
        explanation.push_str(&format!("; {message}"));
        let file = match chosen.source {
            ProtonSource::ConfigInfo | ProtonSource::Running => None,
            _ => Some(config_file),
        };
        if let Some(file) = file {
            warnings.push(Warning::new(file, message));
        }
    }
    let mut alternatives = Vec::new();
    // A game's own sources disagreeing is news; the defaults differing from
    // a per-game setting is the setting doing its job, so those are only
    // reported when the choice rests on a running game or the last run.
    let relevant = |o: &Candidate| {
        matches!(
            o.source,
            ProtonSource::Running | ProtonSource::CompatToolMapping | ProtonSource::ConfigInfo
        ) || matches!(
            chosen.source,
            ProtonSource::Running | ProtonSource::ConfigInfo
        )
    };
    for other in others
        .iter()
        .filter(|o| relevant(o) && !o.same_build(&chosen, tools))
    {
        if alternatives
            .iter()
            .any(|a: &ProtonAlternative| a.name == other.tool.name && a.path == other.tool.path)
        {
            continue;
        }
        explanation.push_str(&format!("; {}", disagreement(&chosen, other)));
        alternatives.push(ProtonAlternative {
            source: other.source,
            name: other.tool.name.clone(),
            path: other.tool.path.clone(),
        });
    }

    let info = match &chosen.tool.path {
        Some(path) => details
            .entry(path.clone())
            .or_insert_with(|| tool_details(path, warnings))
            .clone(),
        None => ToolDetails::default(),
    };
    if let Some(path) = chosen.tool.path.as_ref().filter(|_| info.wine.is_none()) {
        warnings.push(Warning::new(
            path,
            "has no files/bin/wine or dist/bin/wine (not unpacked yet, or not a Proton)",
        ));
    }
    Some(Proton {
        name: chosen.tool.name.clone(),
        path: chosen.tool.path.clone(),
        wine: info.wine,
        version: info.version,
        runtime_appid: info.runtime_appid,
        source: chosen.source,
        explanation,
        alternatives,
    })
}

fn reason(chosen: &Candidate) -> String {
    let name = &chosen.tool.name;
    match chosen.source {
        ProtonSource::Running => {
            format!("{name} is running this game (its STEAM_COMPAT_TOOL_PATHS)")
        }
        ProtonSource::CompatToolMapping => {
            format!("{name} is set for this game in Steam (config.vdf CompatToolMapping)")
        }
        ProtonSource::ConfigInfo => {
            format!("no per-game setting; {name} set up the prefix last (compatdata config_info)")
        }
        ProtonSource::GlobalDefault => format!(
            "no per-game setting and no record of a last run; {name} is Steam's global default \
             (it applies only if the game has no native Linux build)"
        ),
        ProtonSource::Appinfo => {
            format!("{name} is Valve's default for this game (appinfo.vdf)")
        }
    }
}

fn disagreement(chosen: &Candidate, other: &Candidate) -> String {
    let (c, o) = (&chosen.tool.name, &other.tool.name);
    match (chosen.source, other.source) {
        (ProtonSource::CompatToolMapping, ProtonSource::ConfigInfo) => format!(
            "config_info shows {o} ran it last: the setting changed since the last launch, \
             and {c} will run it next time"
        ),
        (ProtonSource::Running, ProtonSource::CompatToolMapping) => {
            format!("config.vdf now sets {o}, which will apply from the next launch")
        }
        (_, ProtonSource::ConfigInfo) => format!("config_info shows {o} ran it last"),
        (_, ProtonSource::CompatToolMapping) => format!("config.vdf sets {o}"),
        (_, ProtonSource::GlobalDefault) => {
            format!(
                "the global default is {o}, which a new launch would use without a per-game setting"
            )
        }
        (_, ProtonSource::Appinfo) => format!("Valve's default for it is {o}"),
        (_, ProtonSource::Running) => format!("the running game uses {o}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_tool_paths() {
        assert_eq!(
            parse_version("1718000000 proton-9.0-3\n").as_deref(),
            Some("proton-9.0-3")
        );
        assert_eq!(
            parse_version("GE-Proton9-4").as_deref(),
            Some("GE-Proton9-4")
        );
        assert_eq!(parse_version("\n"), None);
        assert_eq!(
            first_tool_path("/p/Proton 9.0:/p/SteamLinuxRuntime_sniper"),
            Some(PathBuf::from("/p/Proton 9.0"))
        );
        assert_eq!(first_tool_path(":"), None);
    }

    #[test]
    fn mapping_beats_config_info_and_both_are_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let ge = tmp.path().join("GE");
        let valve = tmp.path().join("Proton 9.0");
        for d in [&ge, &valve] {
            std::fs::create_dir_all(d.join("files/bin")).unwrap();
            std::fs::write(d.join("files/bin/wine"), "").unwrap();
            std::fs::write(d.join("proton"), "").unwrap();
        }
        let mut tools = ToolIndex::new();
        tools.custom.insert(
            "ge-proton9-4".into(),
            super::super::compat_tools::CustomTool {
                name: "GE-Proton9-4".into(),
                display_name: None,
                path: ge.clone(),
            },
        );
        let sources = Sources {
            mapping: Some("GE-Proton9-4"),
            config_info: Some(&valve),
            global: Some("GE-Proton9-4"),
            ..Sources::default()
        };
        let mut w = Vec::new();
        let p = choose(
            &sources,
            &tools,
            &mut HashMap::new(),
            Path::new("/c"),
            &mut w,
        )
        .unwrap();
        assert_eq!(p.source, ProtonSource::CompatToolMapping);
        assert_eq!(p.path, Some(ge.clone()));
        assert_eq!(p.wine, Some(ge.join("files/bin/wine")));
        assert_eq!(p.alternatives.len(), 1);
        assert_eq!(p.alternatives[0].source, ProtonSource::ConfigInfo);
        assert!(p.explanation.contains("ran it last"), "{}", p.explanation);
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn running_wins_and_missing_tools_warn() {
        let tools = ToolIndex::new();
        let sources = Sources {
            running: Some("/nowhere/Proton X:/rt"),
            mapping: Some("proton_9"),
            ..Sources::default()
        };
        let mut w = Vec::new();
        let p = choose(
            &sources,
            &tools,
            &mut HashMap::new(),
            Path::new("/c"),
            &mut w,
        )
        .unwrap();
        assert_eq!(p.source, ProtonSource::Running);
        assert_eq!(p.name, "Proton X");
        assert_eq!(w.len(), 1, "{w:?}");
        let none = Sources::default();
        assert!(choose(&none, &tools, &mut HashMap::new(), Path::new("/c"), &mut w).is_none());
    }
}
