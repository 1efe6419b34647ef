//! Printing a session for people.

use bridgekeeper_sessions::SessionStatus;

/// Prints a session and its mappings.
pub fn print_session(session: &SessionStatus) {
    let (state, kind) = (&session.state, session.kind);
    let pid = session
        .bridge_pid
        .map_or("unknown".into(), |p| p.to_string());
    println!(
        "{} (appid {}): {kind} session, {state}, bridge pid {pid}",
        session.game, session.appid
    );
    if let Some(ending) = &session.ending {
        println!("    {ending}");
    }
    for mapping in &session.mappings {
        let mode = match (&mapping.mode, &mapping.error) {
            (_, Some(err)) => format!("failed: {err}"),
            (Some(mode), None) => mode.to_string(),
            (None, None) => "pending".into(),
        };
        println!(
            "    {:<32} {:>9} bytes  {:<7} {}",
            mapping.name,
            mapping.size,
            mode,
            mapping.file.display()
        );
    }
    if let Some(advice) = &session.advice {
        println!("    {advice}");
    }
    for problem in &session.problems {
        println!("    PROBLEM: {problem}");
        println!("      fix: {}", problem.fix);
    }
    for warning in &session.readers {
        println!("    WARNING: {warning}");
    }
    for share in &session.shares {
        print_share(share);
    }
}

/// Prints a share of a session into a tool's prefix, with the mode each
/// section got there.
pub fn print_share(share: &bridgekeeper_sessions::share::ShareRecord) {
    let stand_in = share
        .stand_in
        .as_deref()
        .map_or(String::new(), |exe| format!(", stand-in {exe}"));
    println!(
        "    shared into {} ({}): {}{stand_in}",
        share.target,
        share.prefix.display(),
        share.state
    );
    for mapping in &share.mappings {
        let mode = match (&mapping.mode, &mapping.error) {
            (_, Some(err)) => format!("failed: {err}"),
            (Some(bridgekeeper_protocol::MappingMode::Shared), None) => "shared (zero copy)".into(),
            (Some(bridgekeeper_protocol::MappingMode::Copy), None) => {
                "copy (the tool created the name first)".into()
            }
            (None, None) => "pending".into(),
        };
        println!("        {:<32} {mode}", mapping.name);
    }
}
