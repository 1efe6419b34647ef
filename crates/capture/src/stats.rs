//! [`CaptureStats`] and the text `bridgekeeper record --info` prints
//! ([`describe`]).

use std::fmt::Write as _;
use std::time::Duration;

use crate::chunk::MappingCounts;
use crate::header::CaptureHeader;
use crate::layout::CaptureEnd;

/// Figures about a whole capture.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureStats {
    /// Frames.
    pub frames: u64,
    /// Frame chunks.
    pub chunks: usize,
    /// Time of the last frame.
    pub duration: Duration,
    /// Bytes of the file.
    pub file_bytes: u64,
    /// File bytes per minute of capture.
    pub bytes_per_minute: f64,
    /// How the file ends.
    pub end: CaptureEnd,
    /// Why the index was ignored, if it was.
    pub index_problem: Option<String>,
    /// Per mapping, in header order.
    pub mappings: Vec<MappingStats>,
}

/// Figures about one mapping of a capture.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingStats {
    /// Its section name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// How often it changed.
    pub counts: MappingCounts,
    /// Frames in which it changed, per second of capture.
    pub changes_per_second: f64,
}

/// The header and figures of a capture as text, one fact a line, for
/// `bridgekeeper record --info FILE` and bug reports.
pub fn describe(path: &std::path::Path, header: &CaptureHeader, stats: &CaptureStats) -> String {
    let mut out = String::new();
    let unknown = || "unknown".to_string();
    let _ = writeln!(out, "capture:      {}", path.display());
    let _ = writeln!(
        out,
        "game:         {}",
        header.game.clone().unwrap_or_else(unknown)
    );
    let _ = writeln!(
        out,
        "appid:        {}",
        header.appid.map_or_else(unknown, |a| a.to_string())
    );
    let _ = writeln!(
        out,
        "profile:      {}",
        header.profile.clone().unwrap_or_else(unknown)
    );
    let _ = writeln!(
        out,
        "proton:       {}",
        header.proton.clone().unwrap_or_else(unknown)
    );
    let _ = writeln!(
        out,
        "recorded by:  Bridgekeeper {}",
        header.bridgekeeper_version
    );
    let _ = writeln!(out, "started:      {}", header.started_at_rfc3339());
    let _ = writeln!(out, "duration:     {:.3} s", stats.duration.as_secs_f64());
    let _ = writeln!(out, "frames:       {}", stats.frames);
    let _ = writeln!(out, "chunks:       {}", stats.chunks);
    let _ = writeln!(
        out,
        "size:         {} bytes ({:.0} bytes per minute)",
        stats.file_bytes, stats.bytes_per_minute
    );
    let _ = writeln!(out, "end:          {}", stats.end.describe());
    if let Some(problem) = &stats.index_problem {
        let _ = writeln!(
            out,
            "index:        ignored, {problem}; the chunks were scanned"
        );
    }
    for key in header.extra.keys() {
        let _ = writeln!(out, "extra key:    {key}");
    }
    let _ = writeln!(out, "mappings ({} KiB pages):", header.page_size / 1024);
    for m in &stats.mappings {
        let _ = writeln!(
            out,
            "  {:<24} {:>9} bytes  {:>9} changes ({:.1}/s)  {:>10} pages  {} file state changes (appeared, gone, resized)",
            m.name,
            m.size,
            m.counts.frames_changed,
            m.changes_per_second,
            m.counts.pages_changed,
            m.counts.state_changes
        );
    }
    out
}
