//! `bridgekeeper replay FILE`: plays a capture into backing files as a
//! session of its own (see `bridgekeeper_sessions::replay`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use bridgekeeper_capture::{CaptureReader, Command, PlayOptions};
use bridgekeeper_sessions::replay::{ReplayHandle, ReplayPlan};
use bridgekeeper_sessions::share::{self, ResolvedTarget, Served, ShareOptions, ShareTarget};
use bridgekeeper_sessions::{Registry, SessionConfig};

/// Arguments of `bridgekeeper replay`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The capture file (`bridgekeeper record` writes them).
    pub file: PathBuf,
    /// Playback speed, from 0.01 to 100 (1 = as recorded).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Start again from the beginning at the end, until Ctrl-C.
    #[arg(long = "loop")]
    pub looping: bool,
    /// Folder for the files. Default: $BRIDGEKEEPER_SHM_DIR or /dev/shm.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Leave the files when the replay ends.
    #[arg(long)]
    pub keep_files: bool,
    /// Also serve the replayed sections into a Wine prefix, for Windows
    /// tools, as `bridgekeeper share` serves a game's: a Steam appid, a
    /// non-Steam shortcut's name or appid (see `bridgekeeper games`), or a
    /// prefix folder. May be given more than once.
    #[arg(long, value_name = "TARGET")]
    pub into: Vec<String>,
}

/// Replays a capture file.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let reader = CaptureReader::open(&args.file)?;
    let plan = plan(&args.file, &reader, args.dir, args.keep_files);
    let options = PlayOptions {
        speed: args.speed,
        looping: args.looping,
        paused: false,
    };
    // Resolved before anything is replayed: a target that does not exist is
    // an error now, not after the files were made.
    let targets = args
        .into
        .iter()
        .map(|text| {
            let target = ShareTarget::parse(text);
            share::resolve(&target)
                .with_context(|| format!("cannot serve the replay into {target}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    play_into(&plan, reader, &options, targets)
}

/// The plan for `file` into `dir` (default: the sessions' folder).
pub fn plan(
    file: &Path,
    reader: &CaptureReader,
    dir: Option<PathBuf>,
    keep_files: bool,
) -> ReplayPlan {
    let dir = dir.unwrap_or_else(bridgekeeper_sessions::replay::default_dir);
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    let catalog =
        bridgekeeper_profiles::Catalog::load(bridgekeeper_profiles::default_user_dir().as_deref());
    let mut plan = ReplayPlan::new(file, reader.header(), &dir).with_profile_rules(&catalog);
    plan.keep_files = keep_files;
    plan
}

/// Plays `reader` as the replay session of `plan` until its end, Ctrl-C or
/// `bridgekeeper stop`.
pub fn play(
    plan: &ReplayPlan,
    reader: CaptureReader,
    options: &PlayOptions,
) -> anyhow::Result<ExitCode> {
    play_into(plan, reader, options, Vec::new())
}

/// [`play`], also serving the replay into the Wine prefixes `targets` for
/// as long as it plays (the same shares as `bridgekeeper share`).
fn play_into(
    plan: &ReplayPlan,
    reader: CaptureReader,
    options: &PlayOptions,
    targets: Vec<ResolvedTarget>,
) -> anyhow::Result<ExitCode> {
    let frames = reader.frame_count();
    let duration = reader.duration();
    let registry = Registry::for_user();
    registry.check()?;
    let stop = Arc::new(AtomicBool::new(false));
    super::signals::stop_on_signals(&stop)?;
    let handle = ReplayHandle::start(&registry, plan, reader, options)?;
    let record = handle.record();
    eprintln!(
        "replaying {} ({frames} frames, {:.1} s{}) as session {}:",
        plan.capture.display(),
        duration.as_secs_f64(),
        if options.looping { ", looping" } else { "" },
        record.id
    );
    for mapping in &record.mappings {
        eprintln!(
            "    {:<32} {:>9} bytes  {}",
            mapping.name,
            mapping.size,
            mapping.file.display()
        );
    }
    eprintln!("Ctrl-C or `bridgekeeper stop {}` ends it", record.appid);
    let mut shares = Vec::new();
    if !targets.is_empty() {
        let config = SessionConfig::from_env()?;
        for target in targets {
            let name = target.label.clone();
            match share::share_into(
                &config,
                Served::of_session(record),
                target,
                &ShareOptions::default(),
            ) {
                Ok(started) => {
                    eprintln!("    also served into {name} while its wineserver runs");
                    shares.push(started);
                }
                Err(err) => {
                    handle.send(Command::Stop);
                    let _ = handle.wait();
                    return Err(anyhow::Error::new(err)
                        .context(format!("cannot serve the replay into {name}")));
                }
            }
        }
    }
    while !handle.is_finished() {
        if stop.load(Ordering::Relaxed) {
            handle.send(Command::Stop);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let report = handle.wait()?;
    // The serve bridges end with the replay (dropping a share ends it).
    drop(shares);
    let lateness = &report.lateness;
    println!(
        "replayed {} frames{}; lateness median {:.3} ms, p99 {:.3} ms, max {:.3} ms; {}",
        report.frames,
        if report.loops > 0 {
            format!(" ({} loops)", report.loops)
        } else {
            String::new()
        },
        ms(lateness.percentile(0.5)),
        ms(lateness.percentile(0.99)),
        ms(lateness.max()),
        if plan.keep_files {
            "files kept (--keep-files)"
        } else {
            "files removed"
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
