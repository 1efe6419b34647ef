//! Sharing a live session into other Wine prefixes, zero copy: a serve
//! bridge in a tool's prefix (SimHub, CrewChief … in a prefix of their
//! own) creates the game's section names on the session's own `/dev/shm`
//! files, so the tool reads the game's pages, both ways, without a copy.
//!
//! One function starts a share, [`share_into`]; the command line (`share`),
//! the watcher, `bridgekeeper run` and the desktop app all call it (the
//! last three through [`auto`], from the per-game setting "also serve
//! into"). What is served is a [`Served`]: a session from the registry, or
//! anything else that keeps backing files alive (a replay).
//!
//! Failure modes and the design that follows:
//! - a share must never outlive its session, nor keep the tool's
//!   wineserver alive after it: the share is a thread ([`keeper`]) tied to
//!   the session's liveness, and its bridge stops when that thread's
//!   process lets go of it ([`keeper`] explains how);
//! - joining the tool's wineserver with another Wine build or other sync
//!   settings fails in Wine's own words, or starts a second server: the
//!   target's build is checked against its running server and a mismatch is
//!   refused with the reason ([`join`]);
//! - a tool may have created a section name first (it opened the game's
//!   name itself): the serve bridge copies the game's bytes into the tool's
//!   section then, and the record says which mode each section got;
//! - the names a live session serves in a prefix belong to it: serving the
//!   same names there is refused ([`ShareError::Clash`]).

pub mod auto;
pub mod join;
pub mod keeper;
pub mod record;
pub mod stand_in;
pub mod target;

use std::path::PathBuf;

pub use keeper::{SERVE_MARK, Served, Share};
pub use record::{ShareMapping, ShareRecord, ShareState};
pub use target::{ResolvedTarget, ShareTarget, TargetError};

use crate::registry::{RegistryError, same_prefix};
use crate::{Registry, SessionConfig};

/// Why a share did not start.
#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Join(#[from] join::TargetJoinError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(
        "{game} runs in {prefix} itself: its sections are there already; share into another \
         prefix"
    )]
    SameAsGame { game: String, prefix: PathBuf },
    #[error("{game} is not running (its session {session} has ended); start the game, then share")]
    NotLive { game: String, session: String },
    #[error(
        "no running session of appid {appid}; start the game (with `bridgekeeper run %command%` \
         or the watcher), then share"
    )]
    NoSession { appid: u32 },
    #[error("{game} has no sections to serve")]
    NoMappings { game: String },
    #[error("{game} is already served into {prefix} (share {id})")]
    AlreadyShared {
        game: String,
        prefix: PathBuf,
        id: String,
    },
    #[error(
        "{prefix} already has {name} from {holder}; two sources cannot serve one name in one \
         prefix. Stop that first (`bridgekeeper stop` or `bridgekeeper share --stop`)"
    )]
    Clash {
        prefix: PathBuf,
        name: String,
        holder: String,
    },
}

/// Options of a share.
#[derive(Debug, Clone, Default)]
pub struct ShareOptions {
    /// Run the serve bridge under this name (the game's live exe), as a
    /// stand-in for tools that look for the game's process.
    pub stand_in: Option<String>,
}

/// Starts serving `served` into `target`: checks the clash rules and, when
/// the tool's wineserver runs, the join; then a keeper thread serves as
/// soon as (and as long as) the tool's wineserver runs, until `served`
/// ends or the share is stopped.
pub fn share_into(
    config: &SessionConfig,
    served: Served,
    target: ResolvedTarget,
    options: &ShareOptions,
) -> Result<Share, ShareError> {
    if same_prefix(&served.prefix, &target.prefix) {
        return Err(ShareError::SameAsGame {
            game: served.game,
            prefix: target.prefix,
        });
    }
    if served.mappings.is_empty() {
        return Err(ShareError::NoMappings { game: served.game });
    }
    if !(served.live)() {
        return Err(ShareError::NotLive {
            game: served.game,
            session: served.session,
        });
    }
    // Refuse a build mismatch now, while someone reads the answer; a
    // wineserver that starts later is checked by the keeper.
    let servers = crate::wine_env::running_wineservers();
    if let Some(server) = join::server_of(&target.prefix, &servers)
        && let Some(exe) = bridgekeeper_host::processes::exe(server.pid)
    {
        join::plan(&target, server, &exe)?;
    }
    let registry = &config.registry;
    let _lock = registry.lock_prefix(&target.prefix)?;
    check_clash(registry, &served, &target)?;
    let stand_in = options
        .stand_in
        .clone()
        .filter(|exe| stand_in::valid_name(exe));
    let owner = std::process::id();
    let record = ShareRecord {
        id: format!(
            "share-{}-{}",
            served.appid,
            bridgekeeper_bridge_client::new_nonce()
        ),
        session: served.session.clone(),
        appid: served.appid,
        game: served.game.clone(),
        target: target.label.clone(),
        prefix: target.prefix.clone(),
        state: ShareState::Waiting,
        mappings: served
            .mappings
            .iter()
            .map(|m| ShareMapping {
                name: m.name.win32().to_string(),
                mode: None,
                note: None,
                error: None,
            })
            .collect(),
        stand_in: stand_in.clone(),
        bridge_pid: None,
        owner_pid: owner,
        owner_start_time: bridgekeeper_host::process_info::start_time(owner as i32).unwrap_or(0),
        owner_pid_namespace: bridgekeeper_host::pid_namespace::own(),
        started_at: crate::unix_now(),
    };
    Ok(keeper::Keeper {
        config: config.clone(),
        served,
        target,
        stand_in,
        record,
    }
    .spawn()?)
}

fn check_clash(
    registry: &Registry,
    served: &Served,
    target: &ResolvedTarget,
) -> Result<(), ShareError> {
    let names: Vec<String> = served
        .mappings
        .iter()
        .map(|m| m.name.win32().to_string())
        .collect();
    for session in crate::clash::live_sessions(registry) {
        if !same_prefix(&session.prefix, &target.prefix) {
            continue;
        }
        if let Some(m) = session.mappings.iter().find(|m| names.contains(&m.name)) {
            return Err(ShareError::Clash {
                prefix: target.prefix.clone(),
                name: m.name.clone(),
                holder: format!("the session of {} (appid {})", session.game, session.appid),
            });
        }
    }
    for share in record::list(registry) {
        if !same_prefix(&share.prefix, &target.prefix) {
            continue;
        }
        if share.session == served.session {
            return Err(ShareError::AlreadyShared {
                game: share.game,
                prefix: share.prefix,
                id: share.id,
            });
        }
        if let Some(m) = share.mappings.iter().find(|m| names.contains(&m.name)) {
            return Err(ShareError::Clash {
                prefix: target.prefix.clone(),
                name: m.name.clone(),
                holder: format!("a share of {} (appid {})", share.game, share.appid),
            });
        }
    }
    Ok(())
}

/// The live session of `appid` in the registry, to serve.
pub fn live_session(registry: &Registry, appid: u32) -> Result<Served, ShareError> {
    crate::clash::live_sessions(registry)
        .into_iter()
        .rev()
        .find(|r| r.appid == appid)
        .map(|r| Served::of_session(&r))
        .ok_or(ShareError::NoSession { appid })
}

/// Resolves `target` with Steam discovery (from the environment).
pub fn resolve(target: &ShareTarget) -> Result<ResolvedTarget, TargetError> {
    let discovery = bridgekeeper_steam::discover(&bridgekeeper_steam::DiscoveryOptions::from_env());
    target.resolve(&discovery)
}

/// Asks the shares of `appid` (all shares when `None`) to end: their
/// bridges stop and their keepers remove them. Returns the shares asked.
pub fn stop(registry: &Registry, appid: Option<u32>) -> Vec<ShareRecord> {
    let shares: Vec<ShareRecord> = record::list(registry)
        .into_iter()
        .filter(|s| appid.is_none_or(|id| s.appid == id))
        .collect();
    for share in &shares {
        let _ = bridgekeeper_host::owned_files::open_append(&registry.stop_file(&share.id));
    }
    shares
}

/// The live shares of session `session`.
pub fn of_session(registry: &Registry, session: &str) -> Vec<ShareRecord> {
    record::list(registry)
        .into_iter()
        .filter(|s| s.session == session)
        .collect()
}
