//! `bridgekeeper run %command%`: the Steam launch-option wrapper.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use bridgekeeper_profiles::{Catalog, default_user_dir};
use bridgekeeper_sessions::{SessionConfig, launch};

/// Arguments of `bridgekeeper run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The game's command, as Steam expands `%command%`. Set the game's launch
    /// options to `bridgekeeper run %command%`.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<OsString>,
}

/// Plans the launch, records the session and execs the (rewritten) command.
/// Inside a Flatpak sandbox the command runs unchanged on the host instead
/// (see [`super::run_on_host`]).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if bridgekeeper_host::sandbox().is_some() {
        return Ok(super::run_on_host::run_on_host(&args.command));
    }
    let catalog = Catalog::load(default_user_dir().as_deref());
    let config = SessionConfig::from_env();
    let plan = launch::plan(
        &args.command,
        |name| std::env::var_os(name),
        &catalog,
        config.as_ref(),
    );

    let mut log = plan.log.clone();
    if let (Some(session), Ok(config)) = (&plan.session, &config)
        && let Err(err) = config.registry.save(session)
    {
        log.push(format!(
            "cannot record the session in {}: {err}",
            config.registry.dir().display()
        ));
    }
    for line in &log {
        eprintln!("bridgekeeper: {line}");
    }
    if let Some(file) = &plan.log_file {
        append_log(file, &log);
    }

    let (program, rest) = plan.command.split_first().expect("clap requires a command");
    let err = std::process::Command::new(program).args(rest).exec();
    eprintln!(
        "bridgekeeper: cannot run {}: {err}",
        program.to_string_lossy()
    );
    Ok(ExitCode::from(127))
}

fn append_log(file: &std::path::Path, lines: &[String]) {
    let Ok(mut out) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
    else {
        return;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for line in lines {
        let _ = writeln!(out, "[{now}] {line}");
    }
}
