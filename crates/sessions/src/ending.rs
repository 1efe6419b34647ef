//! How a session ended, in words: read from its bridge's status lines.
//!
//! Wine reports the Windows exit code of each followed game process. A game
//! that dies of an unhandled exception ends with the exception's code
//! (`0xC0000005` for an access violation), which tells a crash from an
//! exit. A game killed by a Unix signal (`kill -9`, the OOM killer) ends
//! with code 0 under Wine, like a clean exit: nothing on either side can
//! tell the two apart.

use bridgekeeper_protocol::{Event, StopReason};

/// The last followed game process that ended: its exe and exit code.
pub fn last_game_exit(events: &[Event]) -> Option<(&str, u32)> {
    events.iter().rev().find_map(|event| match event {
        Event::ProcessExited { exe, code, .. } => Some((exe.as_str(), *code)),
        _ => None,
    })
}

/// True for Windows exit codes that are NTSTATUS errors: an unhandled
/// exception (or a deliberate fast fail) ended the process.
pub fn is_crash_code(code: u32) -> bool {
    code >= 0xC000_0000
}

/// The name of a common exception code.
pub fn exception_name(code: u32) -> Option<&'static str> {
    Some(match code {
        0xC000_0005 => "access violation",
        0xC000_001D => "illegal instruction",
        0xC000_0094 => "integer division by zero",
        0xC000_0096 => "privileged instruction",
        0xC000_00FD => "stack overflow",
        0xC000_0135 => "a DLL was not found",
        0xC000_0374 => "heap corruption",
        0xC000_0409 => "fast fail or stack buffer overrun",
        0xC000_0417 => "invalid parameter passed to the C runtime",
        _ => return None,
    })
}

/// A sentence on how the game ended, if it did.
pub fn game_sentence(exe: &str, code: u32) -> String {
    if is_crash_code(code) {
        let name = exception_name(code).map_or(String::new(), |n| format!(" ({n})"));
        format!("{exe} crashed: exception 0x{code:08X}{name}")
    } else {
        format!("{exe} exited with code {code}")
    }
}

/// A sentence on how a session ended: why the bridge stopped and, when the
/// game ended, how.
pub fn describe(reason: StopReason, events: &[Event]) -> String {
    let game = last_game_exit(events).map(|(exe, code)| game_sentence(exe, code));
    match (reason, game) {
        (StopReason::GameExited, Some(game)) => game,
        (StopReason::GameExited, None) => "the game exited".into(),
        (StopReason::GameNotFound, _) => {
            "the game's exe did not show up in time; check the profile's exe names".into()
        }
        (StopReason::GameFailedToStart, _) => "the game could not be started".into(),
        (StopReason::StdinClosed, _) => "the program that started the bridge went away".into(),
        (StopReason::StopRequested, _) => "stopped on request (bridgekeeper stop)".into(),
        (StopReason::NothingToServe, _) => "no mapping could be created".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exited(exe: &str, code: u32) -> Event {
        Event::ProcessExited {
            exe: exe.into(),
            pid: 1,
            code,
        }
    }

    #[test]
    fn crashes_and_exits() {
        let events = [exited("Launcher.exe", 0), exited("Sim.exe", 0xC000_0005)];
        assert_eq!(
            describe(StopReason::GameExited, &events),
            "Sim.exe crashed: exception 0xC0000005 (access violation)"
        );
        assert_eq!(
            describe(StopReason::GameExited, &[exited("Sim.exe", 3)]),
            "Sim.exe exited with code 3"
        );
        assert_eq!(
            game_sentence("x.exe", 0xC0DE_0001),
            "x.exe crashed: exception 0xC0DE0001"
        );
        assert_eq!(
            describe(StopReason::StopRequested, &events),
            "stopped on request (bridgekeeper stop)"
        );
        assert_eq!(last_game_exit(&[]), None);
    }
}
