//! Launcher mode: `bridgekeeper run %command%` rewrites the command Steam
//! runs so that Proton starts the bridge, and the bridge starts the game.
//!
//! The bridge then runs in the game's own container, prefix and wineserver,
//! by construction, and creates every mapping before the game's first
//! instruction. Anything that prevents this (no profile, a command that is
//! not Proton's, a clash with another game) leaves the command unchanged: the
//! game always starts.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use super::attach::{followed_exes, placed_bridge, profile_specs};
use super::steam_command::SteamCommand;
use super::{
    SessionConfig, SessionKind, SessionMapping, SessionRecord, backing_files, clash, game_process,
    status,
};
use crate::bridge::{BridgeCommand, new_nonce};
use crate::profiles::Catalog;

/// Name of the log file `bridgekeeper run` writes in the game's compatdata
/// folder.
pub const LOG_FILE: &str = "bridgekeeper-run.log";

/// What `bridgekeeper run` will do.
#[derive(Debug, Clone)]
pub struct LaunchPlan {
    /// The command to exec: rewritten, or exactly as given.
    pub command: Vec<OsString>,
    /// Lines for the log, saying what was decided and why.
    pub log: Vec<String>,
    /// Where the log goes: the game's compatdata folder, when known.
    pub log_file: Option<PathBuf>,
    /// The session to record: when the bridge was put in, or when a
    /// supported game runs without it (its `failure` says why).
    pub session: Option<SessionRecord>,
}

impl LaunchPlan {
    fn unchanged(args: &[OsString], log_file: Option<PathBuf>, why: String) -> LaunchPlan {
        LaunchPlan {
            command: args.to_vec(),
            log: vec![format!("running the command unchanged: {why}")],
            log_file,
            session: None,
        }
    }
}

/// Plans the launch of `args` (Steam's expanded `%command%`). `var` reads
/// the environment; `config` is `None` when the bridge files are missing
/// (the error says why).
pub fn plan(
    args: &[OsString],
    var: impl Fn(&str) -> Option<OsString>,
    catalog: &Catalog,
    config: Result<&SessionConfig, String>,
) -> LaunchPlan {
    let compatdata = var("STEAM_COMPAT_DATA_PATH")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    let log_file = compatdata.as_ref().map(|dir| dir.join(LOG_FILE));
    let steam = match SteamCommand::parse(args) {
        Ok(steam) => steam,
        Err(err) => return LaunchPlan::unchanged(args, log_file, err.to_string()),
    };
    let env_appid = |name: &str| {
        var(name)
            .and_then(|v| v.to_str()?.parse::<u32>().ok())
            .filter(|&id| id != 0)
    };
    let Some(appid) = steam
        .appid
        .or_else(|| env_appid("SteamAppId"))
        .or_else(|| env_appid("STEAM_COMPAT_APP_ID"))
    else {
        return LaunchPlan::unchanged(
            args,
            log_file,
            "no AppId= in the command and no SteamAppId set".into(),
        );
    };
    let Some(entry) = catalog.by_appid(appid) else {
        return LaunchPlan::unchanged(args, log_file, format!("no profile for appid {appid}"));
    };
    let profile = &entry.profile;
    let Some(compatdata) = compatdata else {
        return LaunchPlan::unchanged(args, log_file, "STEAM_COMPAT_DATA_PATH is not set".into());
    };
    let config = match config {
        Ok(config) => config,
        Err(why) => return LaunchPlan::unchanged(args, log_file, why),
    };
    let prefix = compatdata.join("pfx");
    let specs = profile_specs(profile);
    let files: Vec<PathBuf> = specs
        .iter()
        .map(|s| backing_files::path_of(&config.shm_dir, &s.name))
        .collect();
    let registry = &config.registry;
    status::sweep(registry);
    let nonce = new_nonce();
    let id = format!("{appid}-{nonce}");
    let events_file = compatdata
        .join(super::placement::FOLDER)
        .join(format!("{id}.events"));
    let pid = std::process::id();
    let mut session = SessionRecord {
        id,
        appid,
        game: profile.name.clone(),
        profile: profile.id.clone(),
        kind: SessionKind::Launcher,
        prefix: prefix.clone(),
        proton: steam.proton_dir(args).map(PathBuf::from),
        mappings: SessionMapping::pending(&specs, &files),
        bridge_pid: None,
        owner_pid: pid,
        owner_start_time: game_process::start_time(pid as i32).unwrap_or(0),
        nonce: nonce.clone(),
        events_file: events_file.clone(),
        started_at: super::unix_now(),
        keep_files: config.keep_files,
        failure: None,
    };
    let problem = clash::check(registry, &prefix, &files)
        .map_err(|clash| clash.to_string())
        .and_then(|()| {
            backing_files::prepare_all(&config.shm_dir, &specs)
                .map(drop)
                .map_err(|err| err.to_string())
        });
    if let Err(problem) = problem {
        let why = format!("{} is not bridged: {problem}", profile.name);
        session.failure = Some(why.clone());
        let mut plan = LaunchPlan::unchanged(args, log_file, why);
        plan.session = Some(session);
        return plan;
    }

    let bridge = placed_bridge(config, &prefix);
    let mut command = BridgeCommand::new("wine", &bridge.exe, &prefix);
    command.mappings = specs.clone();
    command.dir = config.shm_dir.clone();
    command.nonce = nonce;
    command.wait_for = followed_exes(profile);
    command.remove_files = !config.keep_files;
    command.status_file = Some(events_file);
    let rewritten = steam.with_bridge(args, &bridge.exe, &command.bridge_args());

    LaunchPlan {
        log: vec![format!(
            "{} (appid {appid}): starting {} with {} mapping(s) before {}",
            profile.name,
            bridge.exe.display(),
            specs.len(),
            OsStr::to_string_lossy(steam.game_exe(args))
        )],
        command: rewritten,
        log_file: Some(compatdata.join(LOG_FILE)),
        session: Some(session),
    }
}
