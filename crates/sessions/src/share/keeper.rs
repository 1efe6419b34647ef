//! The keeper of one share: a thread that starts a serve bridge in the
//! tool's wineserver as soon as it runs, records the mode each section got,
//! and ends the bridge when the game's session ends.
//!
//! Failure modes and the design that follows:
//! - A serve bridge that outlives the session would keep the tool's
//!   wineserver (and its prefix) alive for nothing: the bridge stops when
//!   its standard input closes, which happens when the keeper stops it or
//!   when the keeping process dies in any way; the keeper checks the
//!   session's liveness every [`TICK`] and stops the bridge at once.
//! - Starting Wine in a prefix whose wineserver does not run would start
//!   one there, with sync settings the tool may not share: the keeper only
//!   joins a running wineserver, and waits (watching for it) otherwise, so
//!   a tool started before or after the game works alike.
//! - The tool's wineserver may end and start again while the game runs (the
//!   tool restarted): a bridge that ended is started again in the new one.
//! - A join that is refused (another Wine build) is not retried against the
//!   same wineserver, only against a new one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use bridgekeeper_bridge_client::{
    BridgeCommand, BridgeFiles, Readiness, RunningBridge, StopWhen, new_nonce,
};
use bridgekeeper_protocol::MappingSpec;

use super::join::{self, TargetJoinError};
use super::record::{self, ShareMapping, ShareRecord, ShareState};
use super::stand_in;
use super::target::ResolvedTarget;
use crate::wine_env::{self, WinePlan};
use crate::{Registry, SessionConfig, SessionRecord};

/// How often the keeper looks at the session, the bridge and the tool's
/// wineserver.
pub const TICK: Duration = Duration::from_millis(250);

/// How long a serve bridge may take to set up (a cold Wine start).
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a stopping serve bridge may take before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The environment variable every serve bridge carries: the served
/// session's id. A stand-in has the game's exe name, so whoever looks for
/// the game by process name on the Linux side (the watcher, `attach`) must
/// skip processes that carry it.
pub const SERVE_MARK: &str = "BRIDGEKEEPER_SERVES";

/// True for a serve bridge (a stand-in perhaps, named like a game).
pub fn is_serve_bridge(process: &bridgekeeper_host::process_info::ProcessInfo) -> bool {
    process.var(SERVE_MARK).is_some()
}

/// What is served: the sections of a running session (or of anything that
/// keeps backing files alive the same way, such as a replay), and how to
/// tell that it still runs. This is the seam other session kinds use.
#[derive(Clone)]
pub struct Served {
    /// The session's id (the registry id of a live session).
    pub session: String,
    /// The game's appid.
    pub appid: u32,
    /// The game's name.
    pub game: String,
    /// The game's own prefix (never a target).
    pub prefix: PathBuf,
    /// The sections and their sizes.
    pub mappings: Vec<MappingSpec>,
    /// The folder of the backing files.
    pub dir: PathBuf,
    /// True while the session runs; the share ends when it returns false.
    pub live: Arc<dyn Fn() -> bool + Send + Sync>,
}

impl std::fmt::Debug for Served {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Served")
            .field("session", &self.session)
            .field("appid", &self.appid)
            .field("mappings", &self.mappings)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Served {
    /// A live session from the registry: its mappings that were set up, and
    /// its liveness as `status` judges it (starting or running).
    pub fn of_session(record: &SessionRecord) -> Served {
        let mappings = record
            .mappings
            .iter()
            .filter(|m| m.error.is_none())
            .filter_map(|m| MappingSpec::parse(&format!("{}={}", m.name, m.size)).ok())
            .collect();
        let dir = record.backing_dir.clone().unwrap_or_else(|| {
            record
                .mappings
                .first()
                .and_then(|m| m.file.parent())
                .map_or_else(|| PathBuf::from("/dev/shm"), Path::to_path_buf)
        });
        let watched = record.clone();
        Served {
            session: record.id.clone(),
            appid: record.appid,
            game: record.game.clone(),
            prefix: record.prefix.clone(),
            mappings,
            dir,
            // By the bridge's own word first: a launcher session's owner
            // is Steam's reaper, which waits for every process of the
            // launch, this share's keeper too, so its life alone would
            // never end the share.
            live: Arc::new(move || crate::status::SessionStatus::of(&watched).is_active()),
        }
    }
}

/// A running share; dropping it ends the share.
#[derive(Debug)]
pub struct Share {
    /// The share's id (its record's).
    pub id: String,
    /// Every change of the share's record, as it happens.
    pub updates: Receiver<ShareRecord>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Share {
    /// Waits until the share ends (with its session, or `share --stop`).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Ends the share now: stops the serve bridge and removes the record.
    pub fn stop(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// True once the share has ended.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// Everything the keeper thread needs.
pub(super) struct Keeper {
    pub config: SessionConfig,
    pub served: Served,
    pub target: ResolvedTarget,
    /// The game's exe name for a stand-in, when one is wanted.
    pub stand_in: Option<String>,
    pub record: ShareRecord,
}

impl Keeper {
    /// Saves the first record and starts the thread.
    pub fn spawn(self) -> Result<Share, crate::registry::RegistryError> {
        record::save(&self.config.registry, &self.record)?;
        let (sender, updates) = channel();
        let _ = sender.send(self.record.clone());
        let stop = Arc::new(AtomicBool::new(false));
        let id = self.record.id.clone();
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name(format!("share {id}"))
            .spawn(move || self.run(&flag, &sender))
            .map_err(|source| crate::registry::RegistryError::Write {
                dir: PathBuf::from("(thread)"),
                source,
            })?;
        Ok(Share {
            id,
            updates,
            stop,
            thread: Some(thread),
        })
    }

    fn registry(&self) -> &Registry {
        &self.config.registry
    }

    fn publish(&self, sender: &Sender<ShareRecord>) {
        if let Err(err) = record::save(self.registry(), &self.record) {
            tracing::warn!("cannot record share {}: {err}", self.record.id);
        }
        let _ = sender.send(self.record.clone());
    }

    fn set_state(&mut self, state: ShareState, sender: &Sender<ShareRecord>) {
        if self.record.state != state {
            self.record.state = state;
            self.publish(sender);
        }
    }

    fn should_end(&self, stop: &AtomicBool) -> bool {
        stop.load(Ordering::Relaxed)
            || self.registry().stop_file(&self.record.id).exists()
            || !(self.served.live)()
    }

    fn run(mut self, stop: &AtomicBool, sender: &Sender<ShareRecord>) {
        let mut bridge: Option<RunningBridge> = None;
        // The wineserver (pid, start time) a join was refused for.
        let mut refused_server: Option<(i32, u64)> = None;
        while !self.should_end(stop) {
            if let Some(running) = bridge.as_mut() {
                if running.wait(Duration::ZERO).is_some() {
                    // The tool's wineserver went away, or it was killed:
                    // wait for the next one.
                    bridge = None;
                    self.record.bridge_pid = None;
                    self.set_state(ShareState::Waiting, sender);
                }
            } else {
                let servers = wine_env::running_wineservers();
                if let Some(server) = join::server_of(&self.target.prefix, &servers)
                    && refused_server != Some((server.pid, server.start_time))
                    && let Some(exe) = bridgekeeper_host::processes::exe(server.pid)
                {
                    match join::plan(&self.target, server, &exe) {
                        Ok(plan) => {
                            bridge = self.start_bridge(&plan, sender);
                            if bridge.is_none() {
                                refused_server = Some((server.pid, server.start_time));
                            }
                        }
                        Err(err) => {
                            refused_server = Some((server.pid, server.start_time));
                            self.refuse(&err, sender);
                        }
                    }
                }
            }
            std::thread::sleep(TICK);
        }
        if let Some(mut running) = bridge {
            running.stop(STOP_TIMEOUT);
        }
        record::remove(self.registry(), &self.record.id);
        tracing::info!(
            "share of {} into {} ended",
            self.served.game,
            self.target.label
        );
    }

    fn refuse(&mut self, err: &TargetJoinError, sender: &Sender<ShareRecord>) {
        tracing::warn!("{}: {err}", self.target.label);
        self.set_state(
            ShareState::Refused {
                reason: err.to_string(),
            },
            sender,
        );
    }

    /// Starts the serve bridge and waits for its sections; `None` (with the
    /// reason recorded) when it could not.
    fn start_bridge(
        &mut self,
        plan: &WinePlan,
        sender: &Sender<ShareRecord>,
    ) -> Option<RunningBridge> {
        self.set_state(ShareState::Starting, sender);
        let files = self.bridge_files();
        let registry = self.registry().clone();
        let id = self.record.id.clone();
        let mut command = BridgeCommand::new(&plan.wine, &files.exe, &plan.prefix);
        command.mappings = self.served.mappings.clone();
        command.dir = self.served.dir.clone();
        command.nonce = new_nonce();
        command.serve = true;
        command.existing_files = true;
        command.stop_when = vec![
            StopWhen::StdinCloses,
            StopWhen::FileAppears(registry.stop_file(&id)),
        ];
        command.status_file = Some(registry.events_file(&id));
        command.env = plan.env.clone();
        command
            .env
            .push((SERVE_MARK.into(), self.served.session.clone().into()));
        command.env_remove = wine_env::removed_vars().map(Into::into).collect();
        command.own_process_group = true;
        command.stderr_file = Some(registry.log_file(&id));
        let started = RunningBridge::start(&command).and_then(|mut bridge| {
            bridge
                .wait_ready(READY_TIMEOUT)
                .map(|readiness| (bridge, readiness))
        });
        match started {
            Ok((bridge, readiness)) => {
                self.record.bridge_pid = Some(bridge.pid());
                self.record.mappings = modes(&self.served.mappings, &readiness);
                self.record.state = ShareState::Serving;
                self.publish(sender);
                Some(bridge)
            }
            Err(err) => {
                let reason = format!("the serve bridge did not start: {err}");
                tracing::warn!("{}: {reason}", self.target.label);
                self.set_state(ShareState::Refused { reason }, sender);
                None
            }
        }
    }

    /// The bridge to run: a stand-in copy under the game's exe name when
    /// one is wanted (falling back to the bridge itself), else the bridge
    /// placed beside the tool's prefix like attach places it.
    fn bridge_files(&self) -> BridgeFiles {
        if let Some(exe) = &self.stand_in {
            match stand_in::place(
                &self.config.bridge,
                &stand_in::folder(&self.target.prefix, self.served.appid),
                exe,
            ) {
                Ok(files) => return files,
                Err(err) => tracing::warn!("no stand-in {exe}: {err}; serving without one"),
            }
        }
        if self.target.prefix.file_name() == Some(std::ffi::OsStr::new("pfx")) {
            crate::attach::placed_bridge(&self.config, &self.target.prefix)
        } else {
            self.config.bridge.clone()
        }
    }
}

/// The mode each section got, from the serve bridge's report.
fn modes(specs: &[MappingSpec], readiness: &Readiness) -> Vec<ShareMapping> {
    specs
        .iter()
        .map(|spec| {
            let name = spec.name.win32().to_string();
            let ready = readiness.ready.iter().find(|r| r.name == name);
            let failed = readiness.failed.iter().find(|f| f.name == name);
            ShareMapping {
                mode: ready.map(|r| r.mode),
                note: ready.and_then(|r| r.note.clone()),
                error: failed.map(|f| f.message.clone()),
                name,
            }
        })
        .collect()
}
