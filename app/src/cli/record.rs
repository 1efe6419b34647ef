//! `bridgekeeper record`: records a live session's mappings into a capture
//! file, and `record --info FILE` describes one.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context;
use bridgekeeper_capture::CaptureReader;
use bridgekeeper_sessions::Registry;
use bridgekeeper_sessions::recording::{self, RecordEvent};

/// Arguments of `bridgekeeper record`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The game's Steam appid (its running session) or a session id, as
    /// `bridgekeeper status` shows them.
    #[arg(required_unless_present = "info")]
    pub session: Option<String>,
    /// The capture file to write (it must not exist). Default:
    /// `<profile>-<date>-<time>.bkcap` in the current folder.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Stop after this long: `90s`, `5m`, `1h` or plain seconds. Default:
    /// until Ctrl-C.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Print the header and figures of a capture file instead.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["session", "output", "duration"])]
    pub info: Option<PathBuf>,
}

/// Records, or describes a capture.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(file) = &args.info {
        let mut reader = CaptureReader::open(file)?;
        print!("{}", reader.describe()?);
        return Ok(ExitCode::SUCCESS);
    }
    let what = args.session.unwrap_or_default();
    let registry = Registry::for_user();
    registry.check()?;
    let session = recording::find_session(&registry, &what)?;
    let output = args
        .output
        .unwrap_or_else(|| recording::capture_name(Path::new(""), &session));
    let stop = Arc::new(AtomicBool::new(false));
    super::signals::stop_on_signals(&stop)?;
    eprintln!(
        "recording {} (session {}, {} mappings) into {}; Ctrl-C stops",
        session.game,
        session.id,
        session.mappings.len(),
        output.display()
    );
    let summary = recording::record_session(
        &registry,
        &session,
        &output,
        args.duration,
        &stop,
        |event| match event {
            RecordEvent::SessionEnded { id } => {
                eprintln!("session {id} ended; recording goes on until the game's next session")
            }
            RecordEvent::Following { id } => eprintln!("following the new session {id}"),
            RecordEvent::CannotFollow { id, file } => eprintln!(
                "the new session {id} uses {} , which this recording does not cover; start \
                 another recording for it",
                file.display()
            ),
        },
    )
    .with_context(|| format!("recording into {} failed", output.display()))?;
    println!(
        "{}: {} frames in {:.1} s, {} bytes ({} polls, {} skipped)",
        output.display(),
        summary.written.frames,
        summary.written.duration.as_secs_f64(),
        summary.written.bytes,
        summary.polls.polls,
        summary.polls.skipped
    );
    Ok(ExitCode::SUCCESS)
}

/// Parses `90`, `90s`, `5m`, `1h`, `250ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 90s, 5m or 1h"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("{text:?}: unit {unit:?} is not ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("{text:?} is not a duration such as 90s, 5m or 1h"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("5 parsecs").unwrap_err().contains("parsecs"));
        assert!(parse_duration("-1").is_err());
    }
}
