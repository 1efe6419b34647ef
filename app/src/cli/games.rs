//! `bridgekeeper games`: the Steam games found, with prefix and Proton.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use bridgekeeper_steam::{self as steam, Discovery, DiscoveryOptions, Game, PrefixState};

/// Arguments of `bridgekeeper games`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON array (the stable format in docs/games-json.md).
    #[arg(long)]
    pub json: bool,

    /// Use only this Steam directory (the one holding steamapps/).
    #[arg(long, value_name = "DIR", env = "STEAM_DIR")]
    pub steam_dir: Option<PathBuf>,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut options = DiscoveryOptions::from_env();
    options.steam_dir_override = args.steam_dir.clone();
    let discovery = steam::discover(&options);

    if discovery.installations.is_empty() {
        print_warnings(&discovery);
        match &args.steam_dir {
            Some(dir) => anyhow::bail!(
                "{} is not a Steam installation (no steamapps/ in it); pass --steam-dir (or set \
                 STEAM_DIR to) the directory that contains steamapps/, such as \
                 ~/.local/share/Steam",
                dir.display()
            ),
            None => anyhow::bail!(
                "no Steam installation found in ~/.local/share/Steam, ~/.steam, the Flatpak or \
                 the Snap locations; start Steam once, or pass --steam-dir DIR (or set STEAM_DIR) \
                 to the directory that contains steamapps/"
            ),
        }
    }

    let mut stdout = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &discovery.games)
            .context("writing JSON to stdout")?;
        writeln!(stdout)?;
    } else {
        write!(stdout, "{}", table(&discovery))?;
    }
    stdout.flush()?;
    drop(stdout);
    print_warnings(&discovery);
    Ok(ExitCode::SUCCESS)
}

fn print_warnings(discovery: &Discovery) {
    for warning in discovery.all_warnings() {
        eprintln!("warning: {}: {}", warning.file.display(), warning.message);
    }
}

/// The readable table: one block per installation.
fn table(discovery: &Discovery) -> String {
    let mut out = String::new();
    for install in &discovery.installations {
        let libs = install.libraries.len();
        out.push_str(&format!(
            "Steam ({}): {} ({} librar{})\n",
            install.kind.label(),
            install.path.display(),
            libs,
            if libs == 1 { "y" } else { "ies" }
        ));
        let rows: Vec<[String; 4]> = discovery
            .games
            .iter()
            .filter(|g| g.installation == install.path)
            .map(row)
            .collect();
        if rows.is_empty() {
            out.push_str("  no installed games\n\n");
            continue;
        }
        let header = [
            "APPID".to_owned(),
            "NAME".to_owned(),
            "PROTON".to_owned(),
            "PREFIX".to_owned(),
        ];
        let mut widths = [0usize; 4];
        for r in std::iter::once(&header).chain(rows.iter()) {
            for (w, cell) in widths.iter_mut().zip(r) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for r in std::iter::once(&header).chain(rows.iter()) {
            let mut line = String::from(" ");
            for (i, (cell, w)) in r.iter().zip(widths).enumerate() {
                line.push(' ');
                line.push_str(cell);
                if i + 1 < r.len() {
                    let pad = w.saturating_sub(cell.chars().count()) + 1;
                    line.push_str(&" ".repeat(pad));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

fn row(game: &Game) -> [String; 4] {
    let name = if game.shortcut {
        format!("{} (shortcut)", game.name)
    } else {
        game.name.clone()
    };
    let proton = match &game.proton {
        None => "-".to_owned(),
        Some(p) => {
            let missing = if p.path.is_none() {
                ", not installed"
            } else {
                ""
            };
            let differs = if p.alternatives.is_empty() {
                ""
            } else {
                ", sources differ"
            };
            format!("{} ({}{missing}{differs})", p.name, p.source.label())
        }
    };
    let prefix = match game.prefix_state {
        PrefixState::Ready => "ready",
        PrefixState::Incomplete => "incomplete (no pfx.lock)",
        PrefixState::None => "none (never run)",
    };
    [game.appid.to_string(), name, proton, prefix.to_owned()]
}
