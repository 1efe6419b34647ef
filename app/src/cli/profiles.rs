//! `bridgekeeper profiles`: list the game profiles, or check one file.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use bridgekeeper_profiles::{
    Catalog, Entry, Origin, Problem, Profile, RejectedFile, check_file, default_user_dir,
};

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,

    /// Validate one profile file and exit (1 when it has problems).
    #[arg(long, value_name = "FILE")]
    check: Option<PathBuf>,

    /// User profile directory [default: $BRIDGEKEEPER_PROFILES_DIR, else
    /// ~/.config/bridgekeeper/profiles].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
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
        }
    }
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(file) = &args.check {
        return check(file, args.json);
    }
    let dir = args.dir.or_else(default_user_dir);
    let catalog = Catalog::load(dir.as_deref());
    let rows: Vec<Row> = catalog
        .entries()
        .iter()
        .map(Row::loaded)
        .chain(catalog.rejected().iter().map(Row::rejected))
        .collect();
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
    } else {
        print_table(&mut out, &rows)?;
        if let Some(dir) = &dir {
            writeln!(out, "\nuser profiles: {}", dir.display())?;
        }
        for rejected in catalog.rejected() {
            for problem in &rejected.problems {
                writeln!(out, "{problem}")?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(file: &std::path::Path, json: bool) -> anyhow::Result<ExitCode> {
    let result = check_file(file);
    let mut out = std::io::stdout().lock();
    if json {
        let value = match &result {
            Ok(profile) => serde_json::json!({ "valid": true, "profile": profile }),
            Err(rejected) => {
                serde_json::json!({ "valid": false, "id": rejected.id, "problems": rejected.problems })
            }
        };
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    }
    match result {
        Ok(profile) => {
            if !json {
                let replaces = Catalog::builtin().get(&profile.id).map(|e| e.file.clone());
                writeln!(
                    out,
                    "{}: ok: {} ({}), {} mappings, {} bytes by default, {} layouts{}",
                    file.display(),
                    profile.id,
                    profile.name,
                    profile.mappings.len(),
                    profile.default_size(),
                    profile.layouts.len(),
                    replaces
                        .map(|f| format!("; replaces built-in {f}"))
                        .unwrap_or_default()
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
    let cells: Vec<[String; 7]> = rows
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
                if r.loaded { source } else { r.file.to_string() },
                r.problems.len().to_string(),
            ]
        })
        .collect();
    let header = [
        "ID", "NAME", "APPIDS", "MAPPINGS", "BYTES", "SOURCE", "PROBLEMS",
    ];
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: [&str; 7]| -> std::io::Result<()> {
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
