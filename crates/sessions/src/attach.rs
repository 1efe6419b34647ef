//! Attach mode: starting the bridge in a running game's wineserver.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bridgekeeper_protocol::{MappingMode, MappingSpec};

use super::backing_files::{self, FileError};
use super::clash::{self, Clash};
use super::status::{self, SessionStatus};
use super::wine_env::{self, JoinError};
use super::{SessionConfig, SessionKind, SessionMapping, SessionRecord};
use bridgekeeper_bridge_client::placement;
use bridgekeeper_bridge_client::{
    BridgeCommand, Readiness, RunningBridge, StartError, StopWhen, new_nonce,
};
use bridgekeeper_host::process_info::ProcessInfo;
use bridgekeeper_profiles::{Catalog, Profile};

/// How long a bridge may take to set up its mappings.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a session did not start.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error(transparent)]
    Join(#[from] JoinError),
    #[error(transparent)]
    Clash(#[from] Clash),
    #[error("{game} is already bridged in {prefix} (session {id})")]
    AlreadyBridged {
        game: String,
        prefix: PathBuf,
        id: String,
    },
    #[error("profile {profile} has no mappings to create")]
    NoMappings { profile: String },
    #[error(transparent)]
    File(#[from] FileError),
    #[error("cannot write the session registry in {dir}: {source}")]
    Registry {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Bridge(#[from] StartError),
    #[error(
        "no profile for appid {appid}; `bridgekeeper profiles` lists the supported games, and a \
         profile of your own (mapping names and sizes) can go in the user profile folder"
    )]
    NoProfile { appid: u32 },
    #[error(
        "{game} (appid {appid}) is not running: no process named {} with a Wine prefix. Start \
         the game from Steam, then attach; or set its launch option to `bridgekeeper run %command%`",
        exes.join(", ")
    )]
    NotRunning {
        game: String,
        appid: u32,
        exes: Vec<String>,
    },
}

/// A session whose bridge this process started.
#[derive(Debug)]
pub struct ActiveSession {
    /// Its registry record, with the modes the bridge reported.
    pub record: SessionRecord,
    /// What the bridge reported when it was ready.
    pub readiness: Readiness,
    bridge: RunningBridge,
    registry: super::Registry,
}

/// The mappings of a profile as bridge arguments.
pub fn profile_specs(profile: &Profile) -> Vec<MappingSpec> {
    profile
        .default_mappings()
        .map(|m| MappingSpec {
            name: m.name.clone(),
            size: m.size,
        })
        .collect()
}

/// Every exe the bridge should follow for a profile: launchers and live exes.
pub fn followed_exes(profile: &Profile) -> Vec<String> {
    let mut exes: Vec<String> = profile
        .live_exes
        .iter()
        .chain(&profile.launcher_exes)
        .cloned()
        .collect();
    exes.sort_by_key(|e| e.to_lowercase());
    exes.dedup_by_key(|e| e.to_lowercase());
    exes
}

/// Places the bridge in the game's compatdata folder; falls back to where it
/// is when that folder cannot be written.
pub fn placed_bridge(
    config: &SessionConfig,
    prefix: &Path,
) -> bridgekeeper_bridge_client::BridgeFiles {
    let Some(compatdata) = prefix.parent() else {
        return config.bridge.clone();
    };
    match placement::place(&config.bridge, &compatdata.join(placement::FOLDER)) {
        Ok(placed) => placed,
        Err(err) => {
            tracing::warn!(
                "cannot copy the bridge into {}: {err}; using it where it is",
                compatdata.display()
            );
            config.bridge.clone()
        }
    }
}

/// Starts a bridge for `profile` in the wineserver of `game`.
pub fn attach(
    config: &SessionConfig,
    profile: &Profile,
    game: &ProcessInfo,
) -> Result<ActiveSession, AttachError> {
    let plan = wine_env::plan(game, &wine_env::running_wineservers())?;
    let specs = profile_specs(profile);
    if specs.is_empty() {
        return Err(AttachError::NoMappings {
            profile: profile.id.clone(),
        });
    }
    let registry = &config.registry;
    status::sweep(registry);
    if let Some(existing) = clash::live_sessions(registry)
        .into_iter()
        .find(|r| r.prefix == plan.prefix)
    {
        return Err(AttachError::AlreadyBridged {
            game: existing.game,
            prefix: existing.prefix,
            id: existing.id,
        });
    }
    let files: Vec<PathBuf> = specs
        .iter()
        .map(|s| backing_files::path_of(&config.shm_dir, &s.name))
        .collect();
    clash::check(registry, &plan.prefix, &files)?;
    backing_files::prepare_all(&config.shm_dir, &specs)?;
    registry.ensure().map_err(|source| AttachError::Registry {
        dir: registry.dir().to_path_buf(),
        source,
    })?;

    let bridge_files = placed_bridge(config, &plan.prefix);
    let appid = game
        .appid()
        .or_else(|| profile.appids.first().copied())
        .unwrap_or(0);
    let nonce = new_nonce();
    let id = format!("{appid}-{nonce}");
    let mut command = BridgeCommand::new(&plan.wine, &bridge_files.exe, &plan.prefix);
    command.mappings = specs.clone();
    command.dir = config.shm_dir.clone();
    command.nonce = nonce.clone();
    command.wait_for = followed_exes(profile);
    command.stop_when = vec![StopWhen::FileAppears(stop_file(registry, &id))];
    command.remove_files = !config.keep_files;
    // The files were made and checked above; the game was seen running, so
    // a bridge that finds it gone stops at once (not after 30 s).
    command.existing_files = true;
    command.game_running = true;
    command.status_file = Some(registry.events_file(&id));
    command.env = plan.env.clone();
    command.env_remove = wine_env::removed_vars().map(Into::into).collect();
    command.own_process_group = true;
    command.stderr_file = Some(registry.dir().join(format!("{id}.log")));

    let mut bridge = RunningBridge::start(&command)?;
    let bridge_pid = bridge.pid();
    let mut record = SessionRecord {
        id: id.clone(),
        appid,
        game: profile.name.clone(),
        profile: profile.id.clone(),
        kind: SessionKind::Attach,
        prefix: plan.prefix.clone(),
        proton: Some(plan.proton.clone()),
        mappings: SessionMapping::pending(&specs, &files),
        bridge_pid: Some(bridge_pid),
        owner_pid: bridge_pid,
        owner_start_time: bridgekeeper_host::process_info::start_time(bridge_pid as i32)
            .unwrap_or(0),
        nonce,
        events_file: registry.events_file(&id),
        started_at: super::unix_now(),
        keep_files: config.keep_files,
        failure: None,
    };
    let save = |record: &SessionRecord| {
        registry
            .save(record)
            .map_err(|source| AttachError::Registry {
                dir: registry.dir().to_path_buf(),
                source,
            })
    };
    save(&record)?;
    let readiness = match bridge.wait_ready(READY_TIMEOUT) {
        Ok(readiness) => readiness,
        Err(err) => {
            registry.remove(&id);
            return Err(err.into());
        }
    };
    for mapping in &mut record.mappings {
        if let Some(ready) = readiness.ready.iter().find(|r| r.name == mapping.name) {
            mapping.mode = Some(ready.mode);
        }
        if let Some(failed) = readiness.failed.iter().find(|f| f.name == mapping.name) {
            mapping.error = Some(failed.message.clone());
        }
    }
    save(&record)?;
    tracing::info!(
        "{}: bridged {} mapping(s), {} in copy mode; sync settings from {}",
        profile.name,
        readiness.ready.len(),
        readiness
            .ready
            .iter()
            .filter(|r| r.mode == MappingMode::Copy)
            .count(),
        plan.sync_source
    );
    Ok(ActiveSession {
        record,
        readiness,
        bridge,
        registry: registry.clone(),
    })
}

/// Attaches to the running game `appid`: finds its profile in `catalog`
/// and its process, then [`attach`]es. What the command line's `attach` and
/// the desktop app's Attach button do.
pub fn attach_appid(
    config: &SessionConfig,
    catalog: &Catalog,
    appid: u32,
) -> Result<ActiveSession, AttachError> {
    let profile = &catalog
        .by_appid(appid)
        .ok_or(AttachError::NoProfile { appid })?
        .profile;
    let game = find_running(profile, appid).ok_or_else(|| AttachError::NotRunning {
        game: profile.name.clone(),
        appid,
        exes: followed_exes(profile),
    })?;
    attach(config, profile, &game)
}

/// The running process of `profile` to attach to: a live exe if one runs,
/// else a launcher; only processes with a Wine prefix, and with `appid` when
/// they carry one.
pub fn find_running(profile: &Profile, appid: u32) -> Option<ProcessInfo> {
    // A game that is just starting may still be between fork and exec:
    // look again for a moment before saying it does not run.
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    loop {
        let mut candidates: Vec<ProcessInfo> = super::process_scan::ProcessScanner::new()
            .scan()
            .into_iter()
            .filter(|p| p.prefix().is_some() && profile.matches_exe(&p.exe_name))
            .filter(|p| p.appid().is_none_or(|id| id == appid))
            .collect();
        candidates.sort_by_key(|p| !profile.is_live_exe(&p.exe_name));
        if let Some(found) = candidates.into_iter().next() {
            return Some(found);
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(super::process_scan::SCAN_INTERVAL);
    }
}

/// The file that asks session `id`'s bridge to stop.
pub fn stop_file(registry: &super::Registry, id: &str) -> PathBuf {
    registry.dir().join(format!("{id}.stop"))
}

impl ActiveSession {
    /// The Linux pid of the bridge.
    pub fn bridge_pid(&self) -> u32 {
        self.bridge.pid()
    }

    /// Leaves the bridge running on its own; it ends with its game or a
    /// `bridgekeeper stop`, and the registry is swept later.
    pub fn detach(self) {
        self.bridge.detach();
    }

    /// Waits for the bridge to end, then cleans up the registry: a session
    /// that ended is removed; a crashed one stays, for `status` to show,
    /// until the next sweep.
    pub fn wait(mut self) -> SessionStatus {
        while self.bridge.wait(Duration::from_secs(3600)).is_none() {}
        // From the bridge's own output: `bridgekeeper stop` may already have
        // removed the events file.
        let status = SessionStatus::with_events(&self.record, self.bridge.events().to_vec());
        let _ = std::fs::remove_file(stop_file(&self.registry, &self.record.id));
        if !matches!(status.state, status::SessionState::Crashed) {
            self.registry.remove(&self.record.id);
        }
        status
    }
}
