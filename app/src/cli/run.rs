//! `bridgekeeper run %command%`: the Steam launch-option wrapper.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use bridgekeeper_profiles::{Catalog, default_user_dir};
use bridgekeeper_sessions::{SessionConfig, launch, run_log};

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

    let mut plan = plan;
    if let Ok(config) = &config {
        plan.record(&config.registry);
    }
    // Recorded: guard the session's files while the game runs (this
    // process is about to become the game).
    if let Some(session) = plan.session.as_ref().filter(|s| s.failure.is_none())
        && let Err(err) = super::guard::spawn(&session.id)
    {
        plan.log.push(format!(
            "cannot start the guard over the session's files: {err}"
        ));
    }
    let log = &plan.log;
    for line in log {
        eprintln!("bridgekeeper: {line}");
    }
    if let Some(file) = &plan.log_file {
        run_log::append(file, log);
    }

    if let (Some(session), Ok(_)) = (&plan.session, &config) {
        serve_beside(session);
    }

    let (program, rest) = plan.command.split_first().expect("clap requires a command");
    let err = std::process::Command::new(program).args(rest).exec();
    eprintln!(
        "bridgekeeper: cannot run {}: {err}",
        program.to_string_lossy()
    );
    Ok(ExitCode::from(127))
}

/// "Also serve into": this process becomes the game, so the shares are
/// kept by a `bridgekeeper share --session ID` of their own, in a process
/// group of its own and without the game's Steam variables (Steam counts
/// every process carrying them as part of the game). It ends with the
/// session.
fn serve_beside(session: &bridgekeeper_sessions::SessionRecord) {
    if !bridgekeeper_sessions::share::auto::wanted(session.appid) {
        return;
    }
    let Ok(program) = std::env::current_exe() else {
        return;
    };
    let mut command = std::process::Command::new(program);
    command
        .args(["share", "--session", &session.id])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .process_group(0);
    for name in bridgekeeper_sessions::wine_env::removed_vars() {
        command.env_remove(name);
    }
    if let Err(err) = command.spawn() {
        eprintln!("bridgekeeper: cannot start serving into the tools' prefixes: {err}");
    }
}
