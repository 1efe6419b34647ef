//! `bridgekeeper demo`: replays the bundled capture of the project's own
//! synthetic sim (a few laps of a made-up track in ACC's page layouts; see
//! `app/examples/make_demo.rs`), so Sessions, the Inspector and the decoded
//! fields can be seen working without Steam, Wine or a game.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bridgekeeper_capture::PlayOptions;

use crate::demo_sim::{DEMO_NAME, demo_plan, demo_reader};

/// Arguments of `bridgekeeper demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Play once instead of looping until Ctrl-C.
    #[arg(long)]
    pub once: bool,
    /// Playback speed, from 0.01 to 100.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Folder for the files. Default: $BRIDGEKEEPER_SHM_DIR or /dev/shm.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Replays the bundled capture.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let reader = demo_reader()?;
    let plan = demo_plan(&super::replay::plan(
        Path::new(DEMO_NAME),
        &reader,
        args.dir,
        false,
    ));
    let options = PlayOptions {
        speed: args.speed,
        looping: !args.once,
        paused: false,
    };
    eprintln!(
        "demo: a synthetic Assetto Corsa Competizione session (no game, no Wine); open \
         `bridgekeeper` (the desktop app) or run `bridgekeeper status` to see it"
    );
    super::replay::play(&plan, reader, &options)
}
