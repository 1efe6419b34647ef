//! The bridge's command line, built without a shell.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bridgekeeper_protocol::MappingSpec;

use bridgekeeper_host::HostCommand;

/// How an attach-mode bridge is told to stop. A launcher-mode bridge stops
/// with its game.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopWhen {
    /// When its standard input closes: the bridge is stopped by dropping or
    /// stopping the [`super::RunningBridge`] (or when this process dies).
    StdinCloses,
    /// When this Linux file appears.
    FileAppears(PathBuf),
}

/// Everything needed to start the bridge under Wine.
#[derive(Debug, Clone)]
pub struct BridgeCommand {
    /// The `wine` binary: Proton's `files/bin/wine`, or the system's.
    pub wine: PathBuf,
    /// The bridge executable.
    pub exe: PathBuf,
    /// The prefix (`WINEPREFIX`).
    pub prefix: PathBuf,
    /// Sections to create.
    pub mappings: Vec<MappingSpec>,
    /// Linux directory for the backing files.
    pub dir: PathBuf,
    /// Nonce for this run's status lines; see [`new_nonce`].
    pub nonce: String,
    /// Game exe names to follow; the bridge stops once they are gone.
    pub wait_for: Vec<String>,
    /// Attach-mode stop conditions besides `wait_for`.
    pub stop_when: Vec<StopWhen>,
    /// How long to linger after the last game process ends.
    pub grace: Option<Duration>,
    /// How long to wait for a `wait_for` exe to appear.
    pub game_timeout: Option<Duration>,
    /// Delete the backing files when the bridge stops.
    pub remove_files: bool,
    /// Also append the status lines to this Linux file.
    pub status_file: Option<PathBuf>,
    /// Extra environment for the Wine process (sync settings and the like).
    pub env: Vec<(OsString, OsString)>,
    /// Variables removed from the inherited environment before `env` is set.
    pub env_remove: Vec<OsString>,
    /// Start the bridge in a process group of its own, so that a signal
    /// meant for the starting program (Ctrl-C on `bridgekeeper watch`) does
    /// not end the bridge while its game runs.
    pub own_process_group: bool,
    /// Launcher mode: the game's program and arguments.
    pub game: Option<Vec<OsString>>,
    /// Working directory of the bridge, which a launched game inherits.
    pub working_dir: Option<PathBuf>,
    /// File that receives the bridge's (and Wine's) stderr; inherited when
    /// `None`.
    pub stderr_file: Option<PathBuf>,
    /// A token the bridge writes into each mapping (for `verify`).
    pub probe: Option<String>,
}

impl BridgeCommand {
    /// A command with the given Wine, bridge exe and prefix, and defaults for
    /// everything else: `/dev/shm`, a fresh nonce, no mappings.
    pub fn new(
        wine: impl Into<PathBuf>,
        exe: impl Into<PathBuf>,
        prefix: impl Into<PathBuf>,
    ) -> Self {
        BridgeCommand {
            wine: wine.into(),
            exe: exe.into(),
            prefix: prefix.into(),
            mappings: Vec::new(),
            dir: PathBuf::from("/dev/shm"),
            nonce: new_nonce(),
            wait_for: Vec::new(),
            stop_when: Vec::new(),
            grace: None,
            game_timeout: None,
            remove_files: false,
            status_file: None,
            env: Vec::new(),
            env_remove: Vec::new(),
            own_process_group: false,
            game: None,
            working_dir: None,
            stderr_file: None,
            probe: None,
        }
    }

    /// The bridge's own arguments (after the exe), in order.
    pub fn bridge_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        for spec in &self.mappings {
            args.push("--map".into());
            args.push(spec.to_string().into());
        }
        args.push("--dir".into());
        args.push(self.dir.clone().into());
        args.push("--nonce".into());
        args.push(self.nonce.clone().into());
        for exe in &self.wait_for {
            args.push("--wait-for".into());
            args.push(exe.into());
        }
        for stop in &self.stop_when {
            match stop {
                StopWhen::StdinCloses => args.push("--stop-on-stdin-close".into()),
                StopWhen::FileAppears(path) => {
                    args.push("--stop-file".into());
                    args.push(path.clone().into());
                }
            }
        }
        if let Some(grace) = self.grace {
            args.push("--grace-ms".into());
            args.push(grace.as_millis().to_string().into());
        }
        if let Some(timeout) = self.game_timeout {
            args.push("--game-timeout-ms".into());
            args.push(timeout.as_millis().to_string().into());
        }
        if self.remove_files {
            args.push("--remove-files".into());
        }
        if let Some(file) = &self.status_file {
            args.push("--status-file".into());
            args.push(file.clone().into());
        }
        if let Some(token) = &self.probe {
            args.push("--probe".into());
            args.push(token.into());
        }
        if let Some(game) = &self.game {
            args.push("--".into());
            args.extend(game.iter().cloned());
        }
        args
    }

    /// The process to spawn: `wine bridge.exe ARGS`, with stdin and stdout
    /// piped; through `flatpak-spawn --host` when sandboxed (see
    /// [`HostCommand`]). Nothing passes through a shell.
    pub fn command(&self) -> Command {
        let mut command = self.host_command().command();
        command.stdin(Stdio::piped()).stdout(Stdio::piped());
        if let Some(file) = &self.stderr_file
            && let Ok(file) = bridgekeeper_host::owned_files::open_append(file)
        {
            command.stderr(file);
        }
        if self.own_process_group {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        command
    }

    /// Wine, its arguments, environment and working directory, as a command
    /// for the host.
    pub fn host_command(&self) -> HostCommand {
        let mut host = HostCommand::new(&self.wine);
        host.args.push(self.exe.clone().into());
        host.args.extend(self.bridge_args());
        host.env_remove = self.env_remove.clone();
        host.env
            .push(("WINEPREFIX".into(), self.prefix.clone().into()));
        host.env.push((
            "WINEDEBUG".into(),
            std::env::var_os("WINEDEBUG").unwrap_or_else(|| "-all".into()),
        ));
        for (name, value) in &self.env {
            host.env.retain(|(n, _)| n != name);
            host.env.push((name.clone(), value.clone()));
        }
        host.directory = self.working_dir.clone();
        host
    }
}

/// A token unique to this run: time, process id and a counter.
pub fn new_nonce() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{:x}-{:x}-{:x}",
        nanos & 0xffff_ffff_ffff,
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_in_order() {
        let mut command = BridgeCommand::new("/p/files/bin/wine", "/b/bridge.exe", "/pfx");
        command
            .mappings
            .push(MappingSpec::parse("Local\\acpmf_physics=4096").unwrap());
        command.nonce = "n".into();
        command.wait_for.push("acs.exe".into());
        command.stop_when.push(StopWhen::StdinCloses);
        command.grace = Some(Duration::from_millis(500));
        command.game = Some(vec!["C:\\game.exe".into(), "-x".into()]);
        let args: Vec<String> = command
            .bridge_args()
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(
            args,
            [
                "--map",
                "Local\\acpmf_physics=4096",
                "--dir",
                "/dev/shm",
                "--nonce",
                "n",
                "--wait-for",
                "acs.exe",
                "--stop-on-stdin-close",
                "--grace-ms",
                "500",
                "--",
                "C:\\game.exe",
                "-x"
            ]
        );
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(new_nonce(), new_nonce());
    }
}
