//! Launcher mode: `bridgekeeper run %command%` rewrites the command Steam
//! runs so that Proton starts the bridge, and the bridge starts the game.
//!
//! The bridge then runs in the game's own container, prefix and wineserver,
//! by construction, and creates every mapping before the game's first
//! instruction. Anything that prevents this (no profile, a command that is
//! not Proton's, a clash with another game, a session of the same prefix
//! that still runs, a bridge that cannot be put where the game's container
//! sees it, a registry folder that is not ours) leaves the command
//! unchanged: the game always starts, and the run log and `status` say why.
//!
//! The prefix's lock is taken before the checks and handed back in the
//! plan, to be held until the session is recorded (see
//! [`super::registry::prefix_lock`]).

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use super::attach::{followed_exes, profile_specs};
use super::backing_files::Prepared;
use super::config::ConfigError;
use super::registry::{PrefixLock, Registry, is_clean_absolute, same_prefix};
use super::steam_command::SteamCommand;
use super::{
    SessionConfig, SessionKind, SessionMapping, SessionRecord, backing_files, clash, status,
};
use bridgekeeper_bridge_client::{BridgeCommand, new_nonce, placement};
use bridgekeeper_host::owned_files;
use bridgekeeper_profiles::Catalog;
use bridgekeeper_protocol::check_bridge_os_path;

/// Name of the log file `bridgekeeper run` writes in the game's compatdata
/// folder.
pub const LOG_FILE: &str = "bridgekeeper-run.log";

/// How long the launch wrapper waits for another process's hold on the
/// prefix (an attach takes at most about half a minute) before it starts the
/// game without a bridge.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(40);

/// What `bridgekeeper run` will do.
#[derive(Debug)]
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
    /// The prefix's lock, to hold until the session is recorded.
    pub lock: Option<PrefixLock>,
    /// The command exactly as given, for when the session cannot be
    /// recorded.
    original: Vec<OsString>,
    /// The backing files prepared for the bridge, removed again when the
    /// session cannot be recorded.
    prepared: Option<Prepared>,
}

impl LaunchPlan {
    fn unchanged(args: &[OsString], log_file: Option<PathBuf>, why: String) -> LaunchPlan {
        LaunchPlan {
            command: args.to_vec(),
            log: vec![format!("running the command unchanged: {why}")],
            log_file,
            session: None,
            lock: None,
            original: args.to_vec(),
            prepared: None,
        }
    }

    /// Records the session (if any), then lets other processes look at the
    /// prefix again. A bridged session that cannot be recorded must not run:
    /// with no record, an auto-attach watcher would start a second bridge on
    /// the same files and zero them under the game. So the command goes back
    /// to the game's own, and the prepared files are removed.
    pub fn record(&mut self, registry: &Registry) {
        if let Some(session) = &self.session
            && let Err(err) = registry.save(session)
        {
            if let Some(prepared) = self.prepared.take() {
                prepared.remove_created();
            }
            if self.command != self.original {
                self.command = self.original.clone();
                self.log.push(format!(
                    "running the command unchanged: cannot record the session: {err}"
                ));
            } else {
                self.log.push(format!("cannot record the session: {err}"));
            }
            self.session = None;
        }
        self.lock = None;
    }
}

/// Plans the launch of `args` (Steam's expanded `%command%`). `var` reads
/// the environment; `config` is the error when sessions cannot start (the
/// bridge files are missing …)
/// (the error says why).
pub fn plan(
    args: &[OsString],
    var: impl Fn(&str) -> Option<OsString>,
    catalog: &Catalog,
    config: Result<&SessionConfig, &ConfigError>,
) -> LaunchPlan {
    let compatdata = var("STEAM_COMPAT_DATA_PATH")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    // Only a clean absolute path: a relative one would put the log in the
    // game's own folder (the working directory).
    let log_file = compatdata
        .as_ref()
        .filter(|dir| is_clean_absolute(dir))
        .map(|dir| dir.join(LOG_FILE));
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
        Err(why) => return LaunchPlan::unchanged(args, log_file, why.to_string()),
    };
    // The bridge gets the backing-file directory and a status file in
    // compatdata on its command line. A path it would refuse (or Wine would
    // mangle) must not cost the game its start, so check before anything
    // is written.
    for path in [config.shm_dir.as_path(), compatdata.as_path()] {
        if let Err(err) = check_bridge_os_path(path) {
            return LaunchPlan::unchanged(
                args,
                log_file,
                format!("{} is not bridged: {err}", profile.name),
            );
        }
    }
    if let Some(why) = unstartable_exe(steam.game_exe(args)) {
        return LaunchPlan::unchanged(
            args,
            log_file,
            format!("{} is not bridged: {why}", profile.name),
        );
    }
    if !is_clean_absolute(&compatdata) {
        return LaunchPlan::unchanged(
            args,
            log_file,
            format!(
                "{} is not bridged: STEAM_COMPAT_DATA_PATH {} is not an absolute path without \
                 '.' or '..'",
                profile.name,
                compatdata.display()
            ),
        );
    }
    let prefix = compatdata.join("pfx");
    let registry = &config.registry;
    let lock = match registry.lock_prefix_within(&prefix, LOCK_PATIENCE) {
        Ok(lock) => lock,
        Err(err) => {
            return LaunchPlan::unchanged(
                args,
                log_file,
                format!("{} is not bridged: {err}", profile.name),
            );
        }
    };
    status::sweep_holding(registry, Some(&lock));
    let specs = profile_specs(profile);
    let files: Vec<PathBuf> = specs
        .iter()
        .map(|s| backing_files::path_of(&config.shm_dir, &s.name))
        .collect();
    let nonce = new_nonce();
    let id = format!("{appid}-{nonce}");
    let bridge_dir = compatdata.join(placement::FOLDER);
    let events_file = bridge_dir.join(format!("{id}.events"));
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
        owner_start_time: bridgekeeper_host::process_info::start_time(pid as i32).unwrap_or(0),
        owner_pid_namespace: bridgekeeper_host::pid_namespace::own(),
        nonce: nonce.clone(),
        events_file: events_file.clone(),
        started_at: super::unix_now(),
        keep_files: config.keep_files,
        backing_dir: Some(config.shm_dir.clone()),
        failure: None,
        problems: Vec::new(),
    };
    let prepared = already_running(registry, &prefix)
        .and_then(|()| clash::check(registry, &prefix, &files).map_err(|c| c.to_string()))
        .and_then(|()| {
            // The bridge runs inside Steam's runtime container, which shows
            // the game's compatdata folder but not where Bridgekeeper is
            // installed: without the copy there is no bridge to run.
            placement::place(&config.bridge, &bridge_dir).map_err(|err| {
                format!(
                    "cannot copy the bridge into {}, the only place the game's container is \
                     sure to see: {err}. Make it a folder you can write (remove a file in its \
                     place)",
                    bridge_dir.display()
                )
            })
        })
        .and_then(|bridge| {
            remove_stale_events(registry, &bridge_dir);
            // Ours and 0600 before the bridge appends to it: Wine would
            // create it with the umask's mode, through any link.
            owned_files::create_new(&events_file)
                .map_err(|err| format!("cannot create the bridge's status file: {err}"))?;
            Ok(bridge)
        })
        .and_then(|bridge| {
            backing_files::prepare_all(&config.shm_dir, &specs)
                .map(|prepared| (bridge, prepared))
                .map_err(|err| err.to_string())
        });
    let (bridge, prepared) = match prepared {
        Ok(done) => done,
        Err(problem) => {
            let why = format!("{} is not bridged: {problem}", profile.name);
            session.failure = Some(why.clone());
            let mut plan = LaunchPlan::unchanged(args, log_file, why);
            plan.session = Some(session);
            plan.lock = Some(lock);
            return plan;
        }
    };
    for (mapping, file) in session.mappings.iter_mut().zip(&prepared.files) {
        mapping.dev = Some(file.id.dev);
        mapping.inode = Some(file.id.ino);
    }

    let mut command = BridgeCommand::new("wine", &bridge.exe, &prefix);
    command.mappings = specs.clone();
    command.dir = config.shm_dir.clone();
    command.nonce = nonce;
    command.wait_for = followed_exes(profile);
    command.remove_files = !config.keep_files;
    command.existing_files = true;
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
        lock: Some(lock),
        original: args.to_vec(),
        prepared: Some(prepared),
    }
}

/// Removes the status files of earlier launches from the game's bridge
/// folder: a record goes with the runtime folder at logout, and its events
/// file in compatdata would stay forever. Only regular files of ours named
/// `<id>.events` whose record is gone are removed.
fn remove_stale_events(registry: &Registry, bridge_dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(bridge_dir) else {
        return;
    };
    let (records, unreadable) = registry.list();
    let known = |stem: &str| {
        records.iter().any(|r| r.id == stem)
            || unreadable
                .iter()
                .any(|(file, _)| file.file_stem().is_some_and(|s| s == stem))
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(stem) = path
            .extension()
            .filter(|e| *e == "events")
            .and(path.file_stem())
            .and_then(OsStr::to_str)
        else {
            continue;
        };
        if known(stem) {
            continue;
        }
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            owned_files::remove_if_same(&path, owned_files::FileId::of(&meta));
        }
    }
}

/// A live session in the same prefix: a second bridge there would zero
/// the first one's files under the game.
fn already_running(registry: &super::Registry, prefix: &std::path::Path) -> Result<(), String> {
    match clash::live_sessions(registry)
        .into_iter()
        .find(|r| same_prefix(&r.prefix, prefix))
    {
        Some(existing) => Err(format!(
            "{} is already bridged in {} (session {}); quit it first",
            existing.game,
            existing.prefix.display(),
            existing.id
        )),
        None => Ok(()),
    }
}

/// Why the bridge could not start the game `exe`, if it could not. The
/// bridge gets the exe as an argument, which Wine converts to UTF-16, and
/// starts it with `CreateProcessW` from a command line, which takes the
/// program name up to the closing quote, without escapes. So an exe path
/// that is not valid UTF-8 (Wine turns it into U+FFFD, another path), that
/// holds a `"` (Wine escapes it, and the name ends there), or that ends
/// with a `\` (doubled before a closing quote) would not start; Proton
/// alone starts such a game, so the command stays as it is.
fn unstartable_exe(exe: &OsStr) -> Option<String> {
    let shown = exe.to_string_lossy();
    let Some(text) = exe.to_str() else {
        return Some(format!(
            "the game's path {shown} is not valid UTF-8, which Wine would change on its way to the bridge"
        ));
    };
    if text.contains('"') {
        return Some(format!(
            "the game's path {text} holds a '\"', which ends a program name in a Windows command line"
        ));
    }
    if text.ends_with('\\') {
        return Some(format!(
            "the game's path {text} ends with '\\', which a Windows command line cannot pass on as it is"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Registry;
    use bridgekeeper_bridge_client::BridgeFiles;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;

    /// A Steam launch of Assetto Corsa, as `bridgekeeper run` receives it.
    fn steam_args() -> Vec<OsString> {
        [
            "/s/ubuntu12_32/reaper",
            "SteamLaunch",
            "AppId=244210",
            "--",
            "/s/steamapps/common/Proton 9.0/proton",
            "waitforexitandrun",
            "/g/assettocorsa/AssettoCorsa.exe",
        ]
        .map(OsString::from)
        .to_vec()
    }

    fn config(root: &Path) -> SessionConfig {
        let bin = root.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let bridge = BridgeFiles {
            exe: bin.join("bridgekeeper-bridge.exe"),
            dll: bin.join("bcryptprimitives.dll"),
        };
        std::fs::write(&bridge.exe, b"MZ").unwrap();
        std::fs::write(&bridge.dll, b"MZ").unwrap();
        let shm_dir = root.join("shm");
        std::fs::create_dir_all(&shm_dir).unwrap();
        SessionConfig {
            registry: Registry::new(&root.join("run")),
            shm_dir,
            keep_files: false,
            bridge,
        }
    }

    fn plan_in(library: &[u8], config: &SessionConfig, root: &Path) -> LaunchPlan {
        let compatdata = root
            .join(OsStr::from_bytes(library))
            .join("steamapps/compatdata/244210");
        let var = |key: &str| (key == "STEAM_COMPAT_DATA_PATH").then(|| compatdata.clone().into());
        plan(&steam_args(), var, &Catalog::builtin(), Ok(config))
    }

    #[test]
    fn bridges_a_library_with_blanks_and_quotes() {
        let tmp = tempfile::tempdir().unwrap();
        let config = config(tmp.path());
        let launch = plan_in(b"Steam Library \"2\"", &config, tmp.path());
        assert!(launch.session.is_some(), "{:?}", launch.log);
        assert!(
            launch.command.len() > steam_args().len(),
            "{:?}",
            launch.command
        );
        assert_eq!(launch.command.last(), steam_args().last());
    }

    /// The files are made and checked here, so the bridge is told to open
    /// only those (`--existing-files`); it starts the game itself, so it is
    /// not told the game runs already.
    #[test]
    fn the_bridge_opens_only_the_private_files_prepared_for_it() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let config = config(tmp.path());
        let launch = plan_in(b"SteamLibrary", &config, tmp.path());
        let session = launch.session.as_ref().expect("bridged");
        assert!(
            launch.command.contains(&OsString::from("--existing-files")),
            "{:?}",
            launch.command
        );
        assert!(!launch.command.contains(&OsString::from("--game-running")));
        for mapping in &session.mappings {
            let mode = std::fs::metadata(&mapping.file)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{}", mapping.file.display());
        }
    }

    /// With no record an auto-attach watcher would start a second bridge
    /// on the same files, so a session that cannot be recorded runs the
    /// game's own command, and the files made for it are gone.
    #[test]
    fn a_session_that_cannot_be_recorded_runs_the_command_unchanged() {
        let tmp = tempfile::tempdir().unwrap();
        let config = config(tmp.path());
        let mut launch = plan_in(b"SteamLibrary", &config, tmp.path());
        let files: Vec<PathBuf> = launch
            .session
            .as_ref()
            .unwrap()
            .mappings
            .iter()
            .map(|m| m.file.clone())
            .collect();
        assert!(files.iter().all(|f| f.is_file()));
        // The registry folder turns into a link: the record is refused.
        let dir = config.registry.dir().to_path_buf();
        let moved = tmp.path().join("moved");
        std::fs::rename(&dir, &moved).unwrap();
        std::os::unix::fs::symlink(&moved, &dir).unwrap();
        launch.record(&config.registry);
        assert_eq!(launch.command, steam_args());
        assert!(launch.session.is_none());
        let said = launch.log.join("\n");
        assert!(
            said.contains("running the command unchanged: cannot record the session"),
            "{said}"
        );
        assert!(
            files.iter().all(|f| !f.exists()),
            "the prepared files are removed"
        );
    }

    /// Events files of launches whose records are gone (the runtime folder
    /// is emptied at logout) are removed at the next launch; a live one, and
    /// anything that is not a regular file, stay.
    #[test]
    fn old_events_files_are_removed_at_the_next_launch() {
        let tmp = tempfile::tempdir().unwrap();
        let config = config(tmp.path());
        let bridge_dir = tmp
            .path()
            .join("SteamLibrary/steamapps/compatdata/244210")
            .join(placement::FOLDER);
        std::fs::create_dir_all(&bridge_dir).unwrap();
        let old = bridge_dir.join("244210-0123.events");
        std::fs::write(&old, b"{}\n").unwrap();
        let not_a_file = bridge_dir.join("244210-4567.events");
        std::fs::create_dir(&not_a_file).unwrap();
        let mut launch = plan_in(b"SteamLibrary", &config, tmp.path());
        let events = launch.session.as_ref().unwrap().events_file.clone();
        launch.record(&config.registry);
        assert!(!old.exists(), "the old events file is removed");
        assert!(not_a_file.is_dir(), "a folder is left alone");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&events).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "this launch's events file is ours and private"
        );
        // The next launch in the same prefix keeps this one's (its record is live).
        let _second = plan_in(b"SteamLibrary", &config, tmp.path());
        assert!(events.is_file());
    }

    /// Found by the `launch_command` fuzz target: the bridge refuses a
    /// `--status-file` with a backslash or `..`, and Wine mangles one that is
    /// not UTF-8, so the rewritten command failed and the game never
    /// started. Such a launch now runs unchanged, says why, and leaves no
    /// files behind.
    #[test]
    fn paths_the_bridge_cannot_take_leave_the_command_unchanged() {
        for (library, why) in [
            (&b"games\\steam"[..], "backslash"),
            (b"..", "'..'"),
            (b"caf\xe9", "UTF-8"),
        ] {
            let tmp = tempfile::tempdir().unwrap();
            let config = config(tmp.path());
            let launch = plan_in(library, &config, tmp.path());
            assert!(launch.session.is_none(), "{:?}", launch.log);
            assert_eq!(launch.command, steam_args());
            assert!(
                launch.log[0].contains("is not bridged") && launch.log[0].contains(why),
                "{:?}",
                launch.log
            );
            assert_eq!(std::fs::read_dir(&config.shm_dir).unwrap().count(), 0);
        }
    }

    /// Found by the `launch_command` fuzz target's model of Wine, and
    /// confirmed under real Wine by `tests/launch_args.rs`: the bridge could
    /// not start these games.
    #[test]
    fn a_game_path_the_bridge_cannot_start_leaves_the_command_unchanged() {
        for (exe, why) in [
            (
                &b"/mnt/games/Steam Library \"2\"/AssettoCorsa.exe"[..],
                "holds a '\"'",
            ),
            (
                b"/mnt/jeux/Biblioth\xe8que/AssettoCorsa.exe",
                "not valid UTF-8",
            ),
            (b"/mnt/games/AssettoCorsa.exe\\", "ends with '\\'"),
        ] {
            let tmp = tempfile::tempdir().unwrap();
            let config = config(tmp.path());
            let mut args = steam_args();
            *args.last_mut().unwrap() = OsStr::from_bytes(exe).into();
            let compatdata = tmp.path().join("steamapps/compatdata/244210");
            let var =
                |key: &str| (key == "STEAM_COMPAT_DATA_PATH").then(|| compatdata.clone().into());
            let launch = plan(&args, var, &Catalog::builtin(), Ok(&config));
            assert!(launch.session.is_none(), "{:?}", launch.log);
            assert_eq!(launch.command, args);
            assert!(launch.log[0].contains(why), "{:?}", launch.log);
            assert_eq!(std::fs::read_dir(&config.shm_dir).unwrap().count(), 0);
        }
    }

    #[test]
    fn an_unusable_backing_file_directory_leaves_the_command_unchanged() {
        let tmp = tempfile::tempdir().unwrap();
        let mut config = config(tmp.path());
        config.shm_dir = PathBuf::from("relative/shm");
        let launch = plan_in(b"SteamLibrary", &config, tmp.path());
        assert!(launch.session.is_none());
        assert_eq!(launch.command, steam_args());
        assert!(launch.log[0].contains("not absolute"), "{:?}", launch.log);
    }
}
