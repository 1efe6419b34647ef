//! `bridgekeeper run` inside a Flatpak sandbox: Steam's command runs
//! unchanged on the host, through `flatpak-spawn --host`.

use std::ffi::OsString;
use std::process::ExitCode;

/// Why `bridgekeeper run` leaves the command alone inside a sandbox.
pub const SANDBOX_NOTE: &str = "running the command unchanged: inside the Flatpak sandbox \
     launcher mode is off, because each `flatpak run` gets its own process namespace and other \
     Bridgekeeper instances could not tell whether this session still runs. The watcher attaches \
     to the game instead; for launcher mode, install Bridgekeeper natively";

/// Variables of the sandbox, not of Steam's launch environment: they stay
/// behind when the game's command moves to the host.
fn sandbox_only(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with("FLATPAK_")
        || name.starts_with("HOST_XDG_")
        || name.starts_with("GST_")
        || matches!(
            &*name,
            "container"
                | "PATH"
                | "LD_LIBRARY_PATH"
                | "LD_PRELOAD"
                | "XDG_CONFIG_HOME"
                | "XDG_DATA_HOME"
                | "XDG_CACHE_HOME"
                | "XDG_STATE_HOME"
                | "XDG_CONFIG_DIRS"
                | "XDG_DATA_DIRS"
                | "DBUS_SESSION_BUS_ADDRESS"
                | "GI_TYPELIB_PATH"
                | "TMPDIR"
                | "BRIDGEKEEPER_FLATPAK_INFO"
        )
}

/// The host command for Steam's `%command%`: the same program and
/// arguments, in the same directory, with Steam's variables.
pub fn host_command(
    command: &[OsString],
    vars: impl Iterator<Item = (OsString, OsString)>,
    directory: Option<std::path::PathBuf>,
) -> bridgekeeper_host::HostCommand {
    let (program, rest) = command.split_first().expect("clap requires a command");
    let mut host = bridgekeeper_host::HostCommand::new(program).args(rest.iter().cloned());
    host.env = vars.filter(|(name, _)| !sandbox_only(name)).collect();
    host.directory = directory;
    host.watch_bus = true;
    host
}

/// Runs Steam's command unchanged on the host and waits for it, passing on
/// its exit code; `flatpak-spawn` forwards Steam's signals to it.
pub fn run_on_host(command: &[OsString]) -> ExitCode {
    eprintln!("bridgekeeper: {SANDBOX_NOTE}");
    let host = host_command(command, std::env::vars_os(), std::env::current_dir().ok());
    match host.command().status() {
        Ok(status) => ExitCode::from(status.code().map_or(128, |c| c.clamp(0, 255) as u8)),
        Err(err) => {
            eprintln!(
                "bridgekeeper: cannot run {} on the host through {}: {err}",
                command[0].to_string_lossy(),
                bridgekeeper_host::command::FLATPAK_SPAWN
            );
            ExitCode::from(127)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steam_variables_go_to_the_host_and_the_sandbox_ones_stay() {
        let vars = [
            ("SteamAppId", "244210"),
            ("STEAM_COMPAT_DATA_PATH", "/s/compatdata/244210"),
            ("FLATPAK_ID", "io.github.bridgekeeper.Bridgekeeper"),
            ("PATH", "/app/bin:/usr/bin"),
            ("XDG_DATA_HOME", "/home/u/.var/app/x/data"),
        ]
        .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        let command: Vec<OsString> = ["/s/reaper", "SteamLaunch", "AppId=244210", "--", "x y"]
            .map(OsString::from)
            .to_vec();
        let host = host_command(&command, vars.into_iter(), Some("/s/common/AC".into()));
        let args: Vec<String> = host
            .spawn_args()
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(
            args,
            [
                "--host",
                "--watch-bus",
                "--directory=/s/common/AC",
                "--env=SteamAppId=244210",
                "--env=STEAM_COMPAT_DATA_PATH=/s/compatdata/244210",
                "--",
                "/s/reaper",
                "SteamLaunch",
                "AppId=244210",
                "--",
                "x y"
            ]
        );
    }
}
