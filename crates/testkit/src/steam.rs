//! A Steam tree that runs a game: Valve's layout written by
//! [`SteamFixture`] (library folders, app manifests, the Proton as an
//! installed tool, the Steam Linux Runtime, a compatdata folder whose `pfx`
//! is a real Wine prefix), with programs that start a game the way Steam
//! and Proton do, in their order, on Debian's Wine ([`crate::fake_proton`]),
//! and a game folder holding the test game under the names a profile
//! expects.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::fake_proton::{self, PREFIX_FILES, WINDOWS_PROGRAMS_DIR};
use crate::steam_fixture::{AppSpec, ProtonSpec, SteamFixture};
use crate::wine::Wine;

/// The fake Proton's folder name under `steamapps/common`.
pub const PROTON_DIR: &str = "Fake Proton 8.0";

/// The fake Proton's appid: Proton 8.0's, so Steam's tool names resolve.
pub const PROTON_APPID: u32 = 2_348_590;

/// The Steam Linux Runtime 3.0 (sniper) appid and folder.
const RUNTIME: (u32, &str) = (1_628_350, "SteamLinuxRuntime_sniper");

/// The game's folder name (its manifest's `installdir`).
const GAME_DIR: &str = "Fake Sim";

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

/// How to build a [`FakeSteam`] beyond its defaults.
#[derive(Debug)]
pub struct FakeSteamBuilder {
    root: PathBuf,
    appid: u32,
    game_name: String,
    others: Vec<AppSpec>,
    shortcuts: Vec<ToolShortcut>,
    startup: Duration,
    install_dir: String,
    proton_dir: String,
    proton_version: String,
}

/// A non-Steam shortcut for a telemetry tool, whose `compatdata/<appid>/pfx`
/// links to a real prefix made elsewhere.
#[derive(Debug, Clone)]
pub struct ToolShortcut {
    /// Its shortcut appid.
    pub appid: u32,
    /// Its name in Steam.
    pub name: String,
    /// The real prefix its `pfx` links to; `None`: the test binary's second
    /// prefix ([`Wine::second_prefix`]).
    pub prefix: Option<PathBuf>,
    /// The folder under `steamapps/common` of the Proton that last ran it
    /// (its `config_info`); `None`: the fake Proton.
    pub proton_dir: Option<String>,
}

impl FakeSteamBuilder {
    /// The game's folder under `steamapps/common` (default `Fake Sim`).
    pub fn install_dir(mut self, dir: &str) -> Self {
        self.install_dir = dir.to_owned();
        self
    }

    /// The Proton's folder name and version line (defaults [`PROTON_DIR`]
    /// and a fake-proton version), for trees shown to people (screenshots).
    pub fn proton_name(mut self, dir: &str, version: &str) -> Self {
        self.proton_dir = dir.to_owned();
        self.proton_version = version.to_owned();
        self
    }

    /// The game's name in its manifest (default `Fake Sim`; its folder stays
    /// `Fake Sim`).
    pub fn game_name(mut self, name: &str) -> Self {
        self.game_name = name.to_owned();
        self
    }

    /// Another installed app in the library.
    pub fn other_app(mut self, app: AppSpec) -> Self {
        self.others.push(app);
        self
    }

    /// A non-Steam shortcut for a tool in another prefix.
    pub fn tool_shortcut(mut self, shortcut: ToolShortcut) -> Self {
        self.shortcuts.push(shortcut);
        self
    }

    /// The `proton` script's start-up pause when
    /// [`fake_proton::STARTUP_ENV`] is unset (default
    /// [`fake_proton::DEFAULT_STARTUP`]).
    pub fn proton_startup(mut self, startup: Duration) -> Self {
        self.startup = startup;
        self
    }

    /// Writes the tree, with `prefix` (a prefix prepared by [`Wine`]) as the
    /// game's `pfx`, and the test game copied into the game folder as each
    /// of `exes`.
    pub fn build(self, wine: &Wine, prefix: &Path, exes: &[&str]) -> FakeSteam {
        let FakeSteamBuilder {
            root,
            appid,
            game_name,
            others,
            shortcuts,
            startup,
            install_dir,
            proton_dir,
            proton_version,
        } = self;
        let programs = Path::new(WINDOWS_PROGRAMS_DIR);
        let proton = ProtonSpec::valve(PROTON_APPID, &proton_dir)
            .version(Some(&proton_version))
            .runtime(Some(RUNTIME.0))
            .script(&fake_proton::proton_script(startup))
            .wine(Some(fake_proton::WINE))
            .wineserver(fake_proton::WINESERVER)
            .file(programs.join(PREFIX_FILES[0]), wine.game_exe())
            .file(
                programs.join(PREFIX_FILES[1]),
                wine.bin.join(PREFIX_FILES[1]),
            );
        let mut fixture = SteamFixture::new(&root)
            .runtime(RUNTIME.0, RUNTIME.1, 0)
            .proton(proton)
            .reaper(fake_proton::REAPER)
            .app(AppSpec::new(appid, &game_name).installdir(&install_dir))
            .linked_prefix(appid, 0, prefix);
        for app in others {
            fixture = fixture.app(app);
        }
        let proton = fixture.tool_path(&proton_dir);
        let mut fixture = fixture.config_info(appid, 0, &proton);
        for tool in shortcuts {
            let tool_proton = match &tool.proton_dir {
                Some(dir) => fixture.common(0).join(dir),
                None => proton.clone(),
            };
            fixture = fixture
                .shortcut(tool.appid, &tool.name, "\"C:\\tool.exe\"", "\"C:\\\"")
                .linked_prefix(
                    tool.appid,
                    0,
                    tool.prefix.as_deref().unwrap_or(wine.second_prefix()),
                )
                .config_info(tool.appid, 0, &tool_proton);
        }
        let fixture = fixture.build();
        let game_dir = fixture.common(0).join(&install_dir);
        wine.game_folder(&game_dir, exes);
        FakeSteam {
            root: root.clone(),
            runtime: fixture.common(0).join(RUNTIME.1),
            compatdata: fixture.compat_data(appid, 0),
            proton,
            game_dir,
            appid,
        }
    }
}

impl FakeSteam {
    /// Builds the tree under `root` for `appid`, with `prefix` (a prefix
    /// prepared by [`Wine`]) as the game's `pfx`, and the test game copied
    /// into the game folder as each of `exes`.
    pub fn new(root: &Path, appid: u32, wine: &Wine, prefix: &Path, exes: &[&str]) -> FakeSteam {
        FakeSteam::builder(root, appid).build(wine, prefix, exes)
    }

    /// A tree under `root` for `appid`, to adjust before
    /// [`FakeSteamBuilder::build`].
    pub fn builder(root: &Path, appid: u32) -> FakeSteamBuilder {
        FakeSteamBuilder {
            root: root.to_path_buf(),
            appid,
            game_name: GAME_DIR.to_owned(),
            others: Vec::new(),
            shortcuts: Vec::new(),
            startup: fake_proton::DEFAULT_STARTUP,
            install_dir: GAME_DIR.to_owned(),
            proton_dir: PROTON_DIR.to_owned(),
            proton_version: "1700000000 fake-proton-8.0-1".to_owned(),
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

    /// The game started the way Steam does without a wrapper: the whole
    /// [`Self::launch_command`] (reaper, runtime, `proton
    /// waitforexitandrun`) with Steam's environment, in `prefix`. The child
    /// is Steam's reaper, which ends once every process of the launch has.
    pub fn game_command(&self, prefix: &Path, game_args: &[String]) -> std::process::Command {
        let launch = self.launch_command(game_args);
        let mut command = std::process::Command::new(&launch[0]);
        command.args(&launch[1..]).envs(self.game_env());
        crate::wine::wine_env(&mut command, prefix);
        command
    }

    /// A path in the game folder.
    pub fn exe(&self, name: &str) -> String {
        self.game_dir.join(name).display().to_string()
    }
}
