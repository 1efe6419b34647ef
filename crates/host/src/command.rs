//! Commands that must run on the host: `flatpak-spawn --host` inside a
//! sandbox, the program itself outside one. Nothing passes through a shell:
//! every argument and variable is one argv entry.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process::Command;

use super::sandbox::{Sandbox, sandbox};

/// The helper Flatpak puts in every sandbox to run commands on the host
/// (through the `org.freedesktop.Flatpak` D-Bus name).
pub const FLATPAK_SPAWN: &str = "flatpak-spawn";

/// A program to run on the host, with the environment and working directory
/// it needs.
///
/// On the host the program starts from the session's environment (that of
/// `flatpak-session-helper`), not from Bridgekeeper's: only the variables
/// set here reach it, so nothing of the sandbox leaks in. Outside a sandbox
/// the program inherits Bridgekeeper's environment, minus `env_remove`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostCommand {
    /// The program (a host path).
    pub program: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Variables to set.
    pub env: Vec<(OsString, OsString)>,
    /// Variables to remove from an inherited environment (outside a
    /// sandbox; the host session's environment does not carry them).
    pub env_remove: Vec<OsString>,
    /// The working directory (a host path).
    pub directory: Option<PathBuf>,
    /// Inside a sandbox: end the host program when this process ends
    /// (`--watch-bus`).
    pub watch_bus: bool,
}

impl HostCommand {
    /// `program` with no arguments.
    pub fn new(program: impl Into<OsString>) -> HostCommand {
        HostCommand {
            program: program.into(),
            ..HostCommand::default()
        }
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> HostCommand
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// The `flatpak-spawn` arguments that run this command on the host.
    pub fn spawn_args(&self) -> Vec<OsString> {
        let mut argv: Vec<OsString> = vec!["--host".into()];
        if self.watch_bus {
            argv.push("--watch-bus".into());
        }
        if let Some(dir) = &self.directory {
            argv.push(prefixed("--directory=", dir.as_os_str()));
        }
        for (name, value) in &self.env {
            let mut arg = prefixed("--env=", name);
            arg.push("=");
            arg.push(value);
            argv.push(arg);
        }
        argv.push("--".into());
        argv.push(self.program.clone());
        argv.extend(self.args.iter().cloned());
        argv
    }

    /// The process to spawn: through `flatpak-spawn --host` inside a
    /// sandbox, directly outside one.
    pub fn command(&self) -> Command {
        self.command_in(sandbox())
    }

    /// [`HostCommand::command`] for a given sandbox (or none).
    pub fn command_in(&self, sandbox: Option<&Sandbox>) -> Command {
        if sandbox.is_some() {
            let mut command = Command::new(FLATPAK_SPAWN);
            command.args(self.spawn_args());
            return command;
        }
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        for name in &self.env_remove {
            command.env_remove(name);
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(dir) = &self.directory {
            command.current_dir(dir);
        }
        command
    }
}

fn prefixed(prefix: &str, value: &OsStr) -> OsString {
    let mut bytes = prefix.as_bytes().to_vec();
    bytes.extend_from_slice(value.as_bytes());
    OsStr::from_bytes(&bytes).to_os_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox() -> Sandbox {
        Sandbox::parse("[Application]\nname=io.github.bridgekeeper.Bridgekeeper\n").unwrap()
    }

    fn wine_command() -> HostCommand {
        let mut command = HostCommand::new("/s/common/Proton 9.0/files/bin/wine").args([
            "/home/u/.var/app/x/data/bridgekeeper/bridge/bridgekeeper-bridge.exe",
            "--map",
            "Local\\acpmf_physics=4096",
            "$(touch /tmp/pwned)",
        ]);
        command.env = vec![
            ("WINEPREFIX".into(), "/s/compatdata/1/pfx".into()),
            ("WINEDLLOVERRIDES".into(), "a=n;b=b".into()),
        ];
        command.env_remove = vec!["LD_PRELOAD".into()];
        command.directory = Some("/s/compatdata/1".into());
        command
    }

    fn strings(args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Vec<String> {
        args.into_iter()
            .map(|a| a.as_ref().to_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn sandboxed_argv_is_exact_and_has_no_shell() {
        let command = wine_command().command_in(Some(&sandbox()));
        assert_eq!(command.get_program(), FLATPAK_SPAWN);
        assert_eq!(
            strings(command.get_args()),
            [
                "--host",
                "--directory=/s/compatdata/1",
                "--env=WINEPREFIX=/s/compatdata/1/pfx",
                "--env=WINEDLLOVERRIDES=a=n;b=b",
                "--",
                "/s/common/Proton 9.0/files/bin/wine",
                "/home/u/.var/app/x/data/bridgekeeper/bridge/bridgekeeper-bridge.exe",
                "--map",
                "Local\\acpmf_physics=4096",
                "$(touch /tmp/pwned)",
            ]
        );
        assert_eq!(
            command.get_envs().count(),
            0,
            "the environment goes through --env, not into flatpak-spawn's own"
        );
        assert_eq!(command.get_current_dir(), None);
    }

    #[test]
    fn watch_bus_comes_before_the_program() {
        let mut command = HostCommand::new("ps").args(["-e"]);
        command.watch_bus = true;
        assert_eq!(
            strings(command.spawn_args()),
            ["--host", "--watch-bus", "--", "ps", "-e"]
        );
    }

    #[test]
    fn unsandboxed_runs_the_program_itself() {
        let command = wine_command().command_in(None);
        assert_eq!(command.get_program(), "/s/common/Proton 9.0/files/bin/wine");
        assert_eq!(command.get_args().count(), 4);
        let envs: Vec<_> = command.get_envs().collect();
        assert!(envs.contains(&(OsStr::new("LD_PRELOAD"), None)));
        assert!(envs.contains(&(
            OsStr::new("WINEPREFIX"),
            Some(OsStr::new("/s/compatdata/1/pfx"))
        )));
        assert_eq!(
            command.get_current_dir(),
            Some(std::path::Path::new("/s/compatdata/1"))
        );
    }
}
