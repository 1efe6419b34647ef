//! A Steam-shaped tree for the session tests: a "Proton" whose `proton`
//! script and `files/bin/wine` run Debian's Wine, a runtime entry point and
//! a reaper that pass their command on, a compatdata folder whose `pfx` is a
//! real Wine prefix, and a game folder holding the test game under the names
//! a profile expects.

use std::ffi::OsString;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use crate::wine::Wine;

const PROTON_SCRIPT: &str = r#"#!/bin/sh
# Stands in for Proton's `proton` script: runs Debian's Wine in the app's prefix.
verb="$1"; shift
export WINEPREFIX="$STEAM_COMPAT_DATA_PATH/pfx"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
case "$verb" in
    waitforexitandrun) wineserver -w; exec "$(dirname "$0")/files/bin/wine" "$@" ;;
    run) exec "$(dirname "$0")/files/bin/wine" "$@" ;;
    *) echo "fake proton: unknown verb $verb" >&2; exit 1 ;;
esac
"#;

const PASS_ON_SCRIPT: &str = r#"#!/bin/sh
# Stands in for Steam's reaper or the runtime's entry point: drops its own
# arguments up to `--` and runs the rest.
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do shift; done
shift
exec "$@"
"#;

/// A fake Steam library with one Proton and one game.
#[derive(Debug)]
pub struct FakeSteam {
    /// The Steam root.
    pub root: PathBuf,
    /// The Proton directory.
    pub proton: PathBuf,
    /// The runtime directory.
    pub runtime: PathBuf,
    /// The game folder.
    pub game_dir: PathBuf,
    /// `steamapps/compatdata/<appid>`.
    pub compatdata: PathBuf,
    /// The appid.
    pub appid: u32,
}

fn write_script(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

impl FakeSteam {
    /// Builds the tree under `root` for `appid`, with `prefix` (a prefix
    /// prepared by [`Wine`]) as the game's `pfx`, and the test game copied
    /// into the game folder as each of `exes`.
    pub fn new(root: &Path, appid: u32, wine: &Wine, prefix: &Path, exes: &[&str]) -> FakeSteam {
        let proton = root.join("steamapps/common/Fake Proton 8.0");
        write_script(&proton.join("proton"), PROTON_SCRIPT);
        write_script(
            &proton.join("files/bin/wine"),
            "#!/bin/sh\nexec /usr/bin/wine \"$@\"\n",
        );
        symlink(
            "/usr/lib/wine/wineserver64",
            proton.join("files/bin/wineserver"),
        )
        .unwrap();
        std::fs::write(proton.join("version"), "1700000000 fake-proton-8.0-1\n").unwrap();
        let runtime = root.join("steamapps/common/SteamLinuxRuntime_sniper");
        write_script(&runtime.join("_v2-entry-point"), PASS_ON_SCRIPT);
        write_script(&root.join("ubuntu12_32/reaper"), PASS_ON_SCRIPT);
        let compatdata = root.join(format!("steamapps/compatdata/{appid}"));
        std::fs::create_dir_all(&compatdata).unwrap();
        symlink(prefix, compatdata.join("pfx")).unwrap();
        std::fs::write(compatdata.join("pfx.lock"), b"").unwrap();
        let game_dir = root.join("steamapps/common/Fake Sim");
        wine.game_folder(&game_dir, exes);
        let library = format!(
            "\"libraryfolders\"\n{{\n\t\"0\"\n\t{{\n\t\t\"path\"\t\t\"{}\"\n\t\t\"apps\"\n\t\t{{\n\t\t\t\"{appid}\"\t\t\"1\"\n\t\t}}\n\t}}\n}}\n",
            root.display()
        );
        std::fs::write(root.join("steamapps/libraryfolders.vdf"), library).unwrap();
        let manifest = format!(
            "\"AppState\"\n{{\n\t\"appid\"\t\t\"{appid}\"\n\t\"name\"\t\t\"Fake Sim\"\n\t\"installdir\"\t\t\"Fake Sim\"\n\t\"StateFlags\"\t\t\"4\"\n}}\n"
        );
        std::fs::write(
            root.join(format!("steamapps/appmanifest_{appid}.acf")),
            manifest,
        )
        .unwrap();
        let config_info = format!("8.0-1\n{}/files/share/fonts/\n", proton.display());
        std::fs::write(compatdata.join("config_info"), config_info).unwrap();
        FakeSteam {
            root: root.to_path_buf(),
            proton,
            runtime,
            game_dir,
            compatdata,
            appid,
        }
    }

    /// The environment Steam gives a game and its launch wrapper.
    pub fn game_env(&self) -> Vec<(OsString, OsString)> {
        let tool_paths = format!("{}:{}", self.proton.display(), self.runtime.display());
        [
            ("SteamAppId", self.appid.to_string()),
            ("SteamGameId", self.appid.to_string()),
            ("STEAM_COMPAT_APP_ID", self.appid.to_string()),
            (
                "STEAM_COMPAT_DATA_PATH",
                self.compatdata.display().to_string(),
            ),
            (
                "STEAM_COMPAT_CLIENT_INSTALL_PATH",
                self.root.display().to_string(),
            ),
            ("STEAM_COMPAT_TOOL_PATHS", tool_paths),
            ("WINEFSYNC", "1".into()),
            ("WINEESYNC", "1".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
    }

    /// The command Steam would run for `game_args` (the game exe first), in
    /// the reaper-first order: reaper, runtime entry point, `proton
    /// waitforexitandrun`.
    pub fn launch_command(&self, game_args: &[String]) -> Vec<OsString> {
        let mut command: Vec<OsString> = vec![
            self.root.join("ubuntu12_32/reaper").into(),
            "SteamLaunch".into(),
            format!("AppId={}", self.appid).into(),
            "--".into(),
            self.runtime.join("_v2-entry-point").into(),
            "--verb=waitforexitandrun".into(),
            "--".into(),
            self.proton.join("proton").into(),
            "waitforexitandrun".into(),
        ];
        command.extend(game_args.iter().map(OsString::from));
        command
    }

    /// The game started the way Steam does without a wrapper: this Proton's
    /// `proton waitforexitandrun` with Steam's environment, in `prefix`.
    pub fn game_command(&self, prefix: &Path, game_args: &[String]) -> std::process::Command {
        let mut command = std::process::Command::new(self.proton.join("proton"));
        command
            .arg("waitforexitandrun")
            .args(game_args)
            .envs(self.game_env());
        crate::wine::wine_env(&mut command, prefix);
        command
    }

    /// A path in the game folder.
    pub fn exe(&self, name: &str) -> String {
        self.game_dir.join(name).display().to_string()
    }
}
