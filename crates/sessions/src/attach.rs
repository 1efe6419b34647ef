//! Attach mode: starting the bridge in a running game's wineserver.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bridgekeeper_protocol::{MappingMode, MappingSpec};

use super::backing_files::{self, FileError, Prepared};
use super::clash::{self, Clash};
use super::registry::{RegistryError, same_prefix};
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
    #[error(transparent)]
    Registry(#[from] RegistryError),
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
    /// The guard over its files, started before anyone hears of the
    /// session (see [`super::guard`]).
    guard: Option<super::guard::Guard>,
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

/// How often a bridge attached before its game checks that the launch goes on.
const LAUNCH_CHECK: Duration = Duration::from_millis(100);

/// How long to look for the bridge's process on the host, from a sandbox.
const HOST_LOOKUP: Duration = Duration::from_secs(5);

/// Starts a bridge for `profile` in the wineserver of `game`.
///
/// The prefix's lock ([`super::registry::prefix_lock`]) is held from the
/// "already bridged?" check until the session is recorded and its bridge is
/// ready (or has failed and is cleaned up), so two processes that notice
/// the same game never both start a bridge. An attempt that fails removes
/// the backing files it created and kills its bridge (on the host too).
pub fn attach(
    config: &SessionConfig,
    profile: &Profile,
    game: &ProcessInfo,
) -> Result<ActiveSession, AttachError> {
    attach_at(config, profile, game, Moment::GameRunning)
}

/// When a bridge is attached, relative to its game.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// The game's exe was seen running: a bridge that finds it gone stops
    /// at once.
    GameRunning,
    /// The game's launch began and its wineserver runs, but the game's exe
    /// may not run yet: the bridge waits for it (`--game-timeout-ms`).
    BeforeGame,
}

/// [`attach`] before the game's exe runs ([`crate::prestart`]): the same
/// checks, lock, files and record, with `wineserver` (the prefix's
/// wineserver, started by the game's Proton) standing for the game, so the
/// bridge gets the Proton build and sync settings Proton gave Wine.
pub fn attach_before_game(
    config: &SessionConfig,
    profile: &Profile,
    wineserver: &ProcessInfo,
) -> Result<ActiveSession, AttachError> {
    attach_at(config, profile, wineserver, Moment::BeforeGame)
}

fn attach_at(
    config: &SessionConfig,
    profile: &Profile,
    game: &ProcessInfo,
    moment: Moment,
) -> Result<ActiveSession, AttachError> {
    let plan = wine_env::plan(game, &wine_env::running_wineservers())?;
    let specs = profile_specs(profile);
    if specs.is_empty() {
        return Err(AttachError::NoMappings {
            profile: profile.id.clone(),
        });
    }
    let registry = &config.registry;
    let lock = registry.lock_prefix(&plan.prefix)?;
    status::sweep_holding(registry, Some(&lock));
    if let Some(existing) = clash::live_sessions(registry)
        .into_iter()
        .find(|r| same_prefix(&r.prefix, &plan.prefix))
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
    let prepared = backing_files::prepare_all(&config.shm_dir, &specs)?;
    let started = start_prepared(config, profile, game, &plan, &specs, &prepared, moment);
    if started.is_err() {
        prepared.remove_created();
    }
    drop(lock);
    started
}

/// The part of [`attach`] after the files are prepared: any error here
/// leaves the files for the caller to remove, and the bridge killed.
fn start_prepared(
    config: &SessionConfig,
    profile: &Profile,
    game: &ProcessInfo,
    plan: &wine_env::WinePlan,
    specs: &[MappingSpec],
    prepared: &Prepared,
    moment: Moment,
) -> Result<ActiveSession, AttachError> {
    let registry = &config.registry;
    let bridge_files = placed_bridge(config, &plan.prefix);
    let appid = game
        .appid()
        .or_else(|| profile.appids.first().copied())
        .unwrap_or(0);
    let nonce = new_nonce();
    let id = format!("{appid}-{nonce}");
    let mut command = BridgeCommand::new(&plan.wine, &bridge_files.exe, &plan.prefix);
    command.mappings = specs.to_vec();
    command.dir = config.shm_dir.clone();
    command.nonce = nonce.clone();
    command.wait_for = followed_exes(profile);
    command.stop_when = vec![StopWhen::FileAppears(registry.stop_file(&id))];
    command.remove_files = !config.keep_files;
    // The files were made and checked above. A game that was seen running
    // and is gone by the time the bridge looks stops it at once (not after
    // 30 s); before the game, the bridge waits for it.
    command.existing_files = true;
    command.game_running = moment == Moment::GameRunning;
    command.status_file = Some(registry.events_file(&id));
    command.env = plan.env.clone();
    command.env_remove = wine_env::removed_vars().map(Into::into).collect();
    command.own_process_group = true;
    command.stderr_file = Some(registry.log_file(&id));

    let mut bridge = RunningBridge::start(&command)?;
    // The owner is the bridge's Wine process as the host sees it, with the
    // host's pid namespace: from a sandbox that is not the child here
    // (`flatpak-spawn`), and the next instance of the app, in a namespace
    // of its own, must still find it.
    let owner = bridge
        .host_identity(HOST_LOOKUP)
        .unwrap_or_else(|| bridge.local_identity());
    let mut mappings = SessionMapping::pending(specs, &prepared.paths());
    for (mapping, file) in mappings.iter_mut().zip(&prepared.files) {
        mapping.dev = Some(file.id.dev);
        mapping.inode = Some(file.id.ino);
    }
    let mut record = SessionRecord {
        id: id.clone(),
        appid,
        game: profile.name.clone(),
        profile: profile.id.clone(),
        kind: SessionKind::Attach,
        prefix: plan.prefix.clone(),
        proton: Some(plan.proton.clone()),
        mappings,
        bridge_pid: Some(owner.pid),
        owner_pid: owner.pid,
        owner_start_time: owner.start_time,
        owner_pid_namespace: owner.pid_namespace,
        nonce,
        events_file: registry.events_file(&id),
        started_at: super::unix_now(),
        keep_files: config.keep_files,
        backing_dir: Some(config.shm_dir.clone()),
        failure: None,
        problems: Vec::new(),
    };
    let ready = registry
        .save(&record)
        .map_err(AttachError::from)
        .and_then(|()| bridge.wait_ready(READY_TIMEOUT).map_err(AttachError::from));
    let readiness = match ready {
        Ok(readiness) => readiness,
        Err(err) => {
            bridge.kill();
            registry.remove(&id);
            return Err(err);
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
    registry.save(&record)?;
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
    let guard = super::guard::Guard::start(registry, &record);
    Ok(ActiveSession {
        record,
        readiness,
        bridge,
        registry: registry.clone(),
        guard,
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

/// The running process of `profile` to attach to: one that carries
/// `appid` before one that carries none, a live exe before a launcher; only
/// processes with a Wine prefix, and with `appid` when they carry one.
pub fn find_running(profile: &Profile, appid: u32) -> Option<ProcessInfo> {
    // A game that is just starting may still be between fork and exec:
    // look again for a moment before saying it does not run.
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    loop {
        let mut candidates: Vec<ProcessInfo> = super::process_scan::ProcessScanner::new()
            .scan()
            .into_iter()
            .filter(|p| p.prefix().is_some() && profile.matches_exe(&p.exe_name))
            .filter(|p| !super::share::keeper::is_serve_bridge(p))
            .filter(|p| p.appid().is_none_or(|id| id == appid))
            .collect();
        // The game's own process first (it carries the appid), then live
        // exes before launchers.
        candidates.sort_by_key(|p| (p.appid() != Some(appid), !profile.is_live_exe(&p.exe_name)));
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
    registry.stop_file(id)
}

impl ActiveSession {
    /// The Linux pid of the bridge.
    pub fn bridge_pid(&self) -> u32 {
        self.bridge.pid()
    }

    /// Leaves the bridge running on its own; it ends with its game or a
    /// `bridgekeeper stop`, and the registry is swept later. The bridge
    /// process is still reaped when it ends (no zombie in a long-running
    /// app).
    pub fn detach(mut self) {
        // The guard runs on in this process until the session ends.
        if let Some(guard) = self.guard.take() {
            guard.detach();
        }
        self.bridge.detach();
    }

    /// Waits for the bridge to end, then cleans up the registry: a session
    /// that ended is removed; a crashed one stays, for `status` to show,
    /// until the next sweep.
    pub fn wait(mut self) -> SessionStatus {
        while self.bridge.wait(Duration::from_secs(3600)).is_none() {}
        self.ended()
    }

    /// [`Self::wait`] for a bridge attached before its game
    /// ([`attach_before_game`]): when Proton's `script` for the launch
    /// ([`super::prestart::proton_script`]) ends first (the launch failed before the game's exe ran), the bridge is
    /// asked to stop rather than wait for the game's timeout. Proton's
    /// `steam.exe` waits for every program in the prefix, the bridge too,
    /// so after a game that ran the bridge ends first.
    pub fn wait_for_launch(mut self, script: Option<&ProcessInfo>) -> SessionStatus {
        let mut asked = false;
        while self.bridge.wait(LAUNCH_CHECK).is_none() {
            let launch_ended = script.is_some_and(|s| !s.is_alive());
            if launch_ended && !asked {
                asked = true;
                tracing::info!(
                    "{}: the launch ended before the game; stopping its bridge",
                    self.record.game
                );
                let stop = stop_file(&self.registry, &self.record.id);
                if let Err(err) = bridgekeeper_host::owned_files::create_new(&stop) {
                    tracing::warn!("cannot ask the bridge to stop: {err}; killing it");
                    self.bridge.kill();
                }
            }
        }
        self.ended()
    }

    /// Cleans up after the bridge ended.
    fn ended(&mut self) -> SessionStatus {
        // Stopped before the record goes, so that it cannot write it back.
        drop(self.guard.take());
        // From the bridge's own output: `bridgekeeper stop` may already have
        // removed the events file.
        let status = SessionStatus::with_events(&self.record, self.bridge.events().to_vec());
        let _ = std::fs::remove_file(stop_file(&self.registry, &self.record.id));
        if !matches!(status.state, status::SessionState::Crashed) {
            self.registry.remove_session(&self.record);
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt;

    use super::*;

    /// A process that looks like one of the profile's exes in a Wine
    /// prefix, with `appid` in its environment or none.
    fn fake(exe: &str, appid: Option<&str>) -> std::process::Child {
        let mut command = std::process::Command::new("sleep");
        command
            .arg0(exe)
            .arg("30")
            .env("WINEPREFIX", "/nonexistent/pfx")
            .env_remove("SteamAppId")
            .env_remove("SteamGameId")
            .env_remove("STEAM_COMPAT_APP_ID");
        if let Some(appid) = appid {
            command.env("SteamAppId", appid);
        }
        command.spawn().unwrap()
    }

    /// On a machine where another program runs a process of the same exe
    /// name without an appid (a test, a second copy of the game outside
    /// Steam), `attach` must still pick the game's own process.
    #[test]
    fn the_process_carrying_the_appid_is_preferred() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("picked.toml"),
            "id = \"picked\"\nname = \"Picked Sim\"\nappids = [4322]\n\
             launcher_exes = [\"PickedLauncher.exe\"]\nlive_exes = [\"PickedSim.exe\"]\n\n\
             [[mapping]]\nname = \"picked_page\"\nsize = 4096\n",
        )
        .unwrap();
        let catalog = Catalog::load(Some(dir.path()));
        let profile = &catalog.by_appid(4322).unwrap().profile;
        let mut stranger = fake("PickedSim.exe", None);
        let mut game = fake("PickedLauncher.exe", Some("4322"));
        std::thread::sleep(Duration::from_millis(200));
        let found = find_running(profile, 4322).map(|p| p.pid as u32);
        for child in [&mut stranger, &mut game] {
            child.kill().unwrap();
            child.wait().unwrap();
        }
        assert_eq!(found, Some(game.id()), "not the stranger {}", stranger.id());
    }
}
