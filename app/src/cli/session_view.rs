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
}
