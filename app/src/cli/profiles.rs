//! `bridgekeeper profiles`: list the game profiles, show one with its
//! mappings' readers, list the known readers, or check one file.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use bridgekeeper_profiles::{
    Catalog, Entry, Origin, Problem, Profile, RejectedFile, SizeBounds, Strictness,
    check_file_with, default_user_dir,
};

use super::profiles_detail as detail;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show this profile's mappings: sizes, the size rule and the readers
    /// that open each.
    #[arg(value_name = "ID")]
    id: Option<String>,

    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,

    /// Validate one profile file and exit (1 when it has problems;
    /// size-rule and reader warnings print but exit 0).
    #[arg(long, value_name = "FILE", conflicts_with = "id")]
    check: Option<PathBuf>,

    /// With --check: apply the rules for built-in profiles, where breaking
    /// the size rule or missing a page a known reader opens is an error.
    #[arg(long, requires = "check")]
    builtin: bool,

    /// List the known Linux readers: how to recognise them, whether they
    /// fight the bridge, and the fix.
    #[arg(long, conflicts_with_all = ["id", "check"])]
    readers: bool,

    /// User profile directory [default: $BRIDGEKEEPER_PROFILES_DIR, else
    /// ~/.config/bridgekeeper/profiles].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// The size rule of one mapping, in `--json`.
#[derive(Debug, Serialize)]
struct MappingRule<'a> {
    mapping: &'a str,
    size: u64,
    #[serde(flatten)]
    bounds: SizeBounds,
}

/// One row of `--json`: a loaded profile or a rejected file.
#[derive(Debug, Serialize)]
struct Row<'a> {
    id: Option<&'a str>,
    name: Option<&'a str>,
    origin: Origin,
    file: &'a str,
    overrides: Option<&'a str>,
    loaded: bool,
    appids: &'a [u32],
    mappings: usize,
    default_size: u64,
    problems: &'a [Problem],
    profile: Option<&'a Profile>,
    /// Size-rule and reader warnings (user profiles).
    warnings: &'a [Problem],
    /// The known readers that open any of its mappings.
    readers: Vec<&'a str>,
    /// Each mapping's allowed sizes.
    size_rule: Vec<MappingRule<'a>>,
    /// The gauges its dashboard feeds.
    gauges: Vec<&'static str>,
}

impl<'a> Row<'a> {
    fn loaded(e: &'a Entry) -> Self {
        Row {
            id: Some(&e.profile.id),
            name: Some(&e.profile.name),
            origin: e.origin,
            file: &e.file,
            overrides: e.overrides.as_deref(),
            loaded: true,
            appids: &e.profile.appids,
            mappings: e.profile.mappings.len(),
            default_size: e.profile.default_size(),
            problems: &[],
            profile: Some(&e.profile),
            warnings: &e.warnings,
            readers: reader_ids(&e.profile),
            size_rule: e
                .profile
                .mappings
                .iter()
                .map(|m| MappingRule {
                    mapping: m.name.win32(),
                    size: m.size.bytes(),
                    bounds: m.size_bounds(),
                })
                .collect(),
            gauges: e
                .profile
                .dashboard
                .as_ref()
                .map(|d| d.gauges())
                .unwrap_or_default(),
        }
    }

    fn rejected(r: &'a RejectedFile) -> Self {
        Row {
            id: r.id.as_deref(),
            name: None,
            origin: r.origin,
            file: &r.file,
            overrides: None,
            loaded: false,
            appids: &[],
            mappings: 0,
            default_size: 0,
            problems: &r.problems,
            profile: None,
            warnings: &[],
            readers: Vec::new(),
            size_rule: Vec::new(),
            gauges: Vec::new(),
        }
    }
}

/// The ids of the readers that open any mapping of `profile`, each once.
fn reader_ids(profile: &Profile) -> Vec<&str> {
    let mut ids: Vec<&str> = Vec::new();
    for m in &profile.mappings {
        for u in &m.readers {
            if !ids.contains(&u.reader.as_str()) {
                ids.push(&u.reader);
            }
        }
    }
    ids
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(file) = &args.check {
        let strictness = if args.builtin {
            Strictness::BuiltIn
        } else {
            Strictness::User
        };
        return check(file, strictness, args.json);
    }
    let mut out = std::io::stdout().lock();
    if args.readers {
        detail::print_readers(&mut out, args.json)?;
        return Ok(ExitCode::SUCCESS);
    }
    let dir = args.dir.or_else(default_user_dir);
    let catalog = Catalog::load(dir.as_deref());
    if let Some(id) = &args.id {
        let Some(entry) = catalog.get(id) else {
            let ids: Vec<&str> = catalog
                .entries()
                .iter()
                .map(|e| e.profile.id.as_str())
                .collect();
            anyhow::bail!("no profile {id:?}; the profiles are: {}", ids.join(", "));
        };
        if args.json {
            serde_json::to_writer_pretty(&mut out, &Row::loaded(entry))?;
            writeln!(out)?;
        } else {
            detail::print_profile(&mut out, entry)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Row> = catalog
        .entries()
        .iter()
        .map(Row::loaded)
        .chain(catalog.rejected().iter().map(Row::rejected))
        .collect();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
    } else {
        print_table(&mut out, &rows)?;
        if let Some(dir) = &dir {
            writeln!(out, "\nuser profiles: {}", dir.display())?;
        }
        for entry in catalog.entries() {
            for warning in &entry.warnings {
                writeln!(out, "{}", warning.as_warning())?;
            }
        }
        for rejected in catalog.rejected() {
            for problem in &rejected.problems {
                writeln!(out, "{problem}")?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(file: &std::path::Path, strictness: Strictness, json: bool) -> anyhow::Result<ExitCode> {
    let result = check_file_with(file, strictness);
    let mut out = std::io::stdout().lock();
    if json {
        let value = match &result {
            Ok(checked) => serde_json::json!({
                "valid": true,
                "profile": checked.profile,
                "warnings": checked.warnings,
            }),
            Err(rejected) => {
                serde_json::json!({ "valid": false, "id": rejected.id, "problems": rejected.problems })
            }
        };
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    }
    match result {
        Ok(checked) => {
            let mut err = std::io::stderr().lock();
            for warning in &checked.warnings {
                writeln!(err, "{}", warning.as_warning())?;
            }
            if !json {
                let profile = &checked.profile;
                let replaces = Catalog::builtin().get(&profile.id).map(|e| e.file.clone());
                let warnings = match checked.warnings.len() {
                    0 => String::new(),
                    1 => ", 1 warning".to_string(),
                    n => format!(", {n} warnings"),
                };
                writeln!(
                    out,
                    "{}: ok: {} ({}), {} mappings, {} bytes by default, {} layouts{}{}",
                    file.display(),
                    profile.id,
                    profile.name,
                    profile.mappings.len(),
                    profile.default_size(),
                    profile.layouts.len(),
                    replaces
                        .map(|f| format!("; replaces built-in {f}"))
                        .unwrap_or_default(),
                    warnings
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(rejected) => {
            let mut err = std::io::stderr().lock();
            for problem in &rejected.problems {
                writeln!(err, "{problem}")?;
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

fn print_table(out: &mut impl Write, rows: &[Row]) -> std::io::Result<()> {
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            let source = match (r.origin, r.overrides) {
                (Origin::BuiltIn, _) => "built-in".to_string(),
                (Origin::User, Some(_)) => format!("{} (overrides built-in)", r.file),
                (Origin::User, None) => r.file.to_string(),
            };
            let appids: Vec<String> = r.appids.iter().map(u32::to_string).collect();
            [
                r.id.unwrap_or("-").to_string(),
                r.name
                    .unwrap_or(if r.loaded { "-" } else { "(rejected)" })
                    .to_string(),
                if appids.is_empty() {
                    "-".into()
                } else {
                    appids.join(",")
                },
                r.mappings.to_string(),
                r.default_size.to_string(),
                if r.readers.is_empty() {
                    "-".into()
                } else {
                    r.readers.join(",")
                },
                if r.loaded { source } else { r.file.to_string() },
                (r.problems.len() + r.warnings.len()).to_string(),
            ]
        })
        .collect();
    let header = [
        "ID", "NAME", "APPIDS", "MAPPINGS", "BYTES", "READERS", "SOURCE", "PROBLEMS",
    ];
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: [&str; 8]| -> std::io::Result<()> {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(&format!("{cell:<w$}"));
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, header)?;
    for row in &cells {
        line(out, row.each_ref().map(String::as_str))?;
    }
    Ok(())
}
