//! `bridgekeeper profiles ID` and `--readers`: one profile's mappings with
//! the size rule and the readers that open each, and the known readers.

use std::io::Write;

use bridgekeeper_profiles::{BoundSetBy, Entry, Fight, Origin, ReaderCatalog, ReaderUse};

/// Prints one profile: each mapping with its size, the sizes the rule
/// allows and why, and every known reader that opens it.
pub fn print_profile(out: &mut impl Write, entry: &Entry) -> std::io::Result<()> {
    let p = &entry.profile;
    let origin = match entry.origin {
        Origin::BuiltIn => "built-in".to_string(),
        Origin::User => entry.file.clone(),
    };
    writeln!(out, "{} ({}), {origin}", p.id, p.name)?;
    let readers = ReaderCatalog::builtin();
    for m in &p.mappings {
        let mut flags = Vec::new();
        if m.optional {
            flags.push("optional");
        }
        if m.opt_in {
            flags.push("opt-in");
        }
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!(" ({})", flags.join(", "))
        };
        writeln!(out, "\n{}{flags}", m.name.win32())?;
        let bounds = m.size_bounds();
        let min_by = match &bounds.min_set_by {
            Some(BoundSetBy::GameStruct) => " (the game's struct)".to_string(),
            Some(BoundSetBy::Reader(id)) => format!(" ({id})"),
            None => String::new(),
        };
        let max = match (bounds.max, &bounds.max_set_by) {
            (Some(max), Some(by)) => format!("at most {max} ({by} truncates)"),
            _ => "no upper bound (no known reader truncates)".to_string(),
        };
        let verdict = if bounds.allows(m.size.bytes()) {
            "ok"
        } else {
            "BREAKS THE SIZE RULE"
        };
        writeln!(
            out,
            "  size {}: at least {}{min_by}, {max}: {verdict}",
            m.size.bytes(),
            bounds.min
        )?;
        match m.game_struct {
            Some(bytes) => writeln!(out, "  game struct: {bytes} bytes")?,
            None => writeln!(out, "  game struct: unknown")?,
        }
        if m.readers.is_empty() {
            writeln!(out, "  readers: none known")?;
        }
        for u in &m.readers {
            let name = readers.get(&u.reader).map_or("", |r| r.name.as_str());
            writeln!(out, "  reader {} ({name}): {}", u.reader, uses(u))?;
        }
    }
    if let Some(d) = &p.dashboard {
        let gauges = d.gauges();
        let shown = if gauges.is_empty() {
            "none".to_string()
        } else {
            gauges.join(", ")
        };
        writeln!(out, "\ndashboard: {shown}")?;
        for (gauge, why) in &d.unavailable {
            writeln!(out, "  no {gauge}: {why}")?;
        }
    }
    for warning in &entry.warnings {
        writeln!(out, "{}", warning.as_warning())?;
    }
    Ok(())
}

/// `maps 2048, truncates to 2048, creates it when missing`.
fn uses(u: &ReaderUse) -> String {
    let mut parts = vec![format!("maps {}", u.maps)];
    if let Some(cut) = u.truncates_to {
        parts.push(format!("truncates to {cut}"));
    }
    if u.creates {
        parts.push("creates it when missing".to_string());
    }
    parts.join(", ")
}

/// Prints the known readers' catalog.
pub fn print_readers(out: &mut impl Write, json: bool) -> anyhow::Result<()> {
    let catalog = ReaderCatalog::builtin();
    if json {
        serde_json::to_writer_pretty(&mut *out, catalog.readers())?;
        writeln!(out)?;
        return Ok(());
    }
    for (i, r) in catalog.readers().iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(out, "{} — {}", r.id, r.name)?;
        writeln!(out, "  source: {} at {}", r.project, r.version)?;
        let mut process = format!("comm {:?}", r.process.comm);
        if let Some(word) = &r.process.cmdline {
            process.push_str(&format!(", command line containing {word:?}"));
        }
        match r.process.writable_maps {
            Some(true) => process.push_str(", maps bridged files writable (-w-s or rw-s)"),
            Some(false) => process.push_str(", maps bridged files read-only (r--s)"),
            None => {}
        }
        writeln!(out, "  process: {process}")?;
        let fights: Vec<&str> = r
            .fights
            .iter()
            .map(|f| match f {
                Fight::Truncates => "truncates",
                Fight::Zeroes => "zeroes",
                Fight::Deletes => "deletes",
            })
            .collect();
        if fights.is_empty() {
            writeln!(out, "  fights the bridge: no")?;
        } else {
            writeln!(
                out,
                "  fights the bridge: {} files it did not create",
                fights.join(", ")
            )?;
        }
        writeln!(out, "  fix: {}", r.fix)?;
    }
    Ok(())
}
