//! Joining a running game's wineserver: which `wine` to run, with which
//! environment, and the checks that keep Wine from failing with "version
//! mismatch" or a sync-mode error (docs/wine-behaviour.md, Joining a
//! running wineserver).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::registry::is_clean_absolute;
use bridgekeeper_host::process_info::{ProcessInfo, SYNC_VARS};

/// Variables copied from the game into the bridge's environment, besides the
/// sync settings. `SteamAppId` and friends are left out on purpose: Steam
/// counts every process that carries them as part of the game.
const COPIED_VARS: &[&str] = &[
    "WINEDLLPATH",
    "WINEDLLOVERRIDES",
    "WINEDEBUG",
    "STEAM_COMPAT_DATA_PATH",
    "STEAM_COMPAT_CLIENT_INSTALL_PATH",
    "STEAM_COMPAT_TOOL_PATHS",
    "STEAM_COMPAT_INSTALL_PATH",
    "STEAM_COMPAT_LIBRARY_PATHS",
];

/// How to run a Wine program in a running game's wineserver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WinePlan {
    /// The game's Proton directory.
    pub proton: PathBuf,
    /// Its `wine`.
    pub wine: PathBuf,
    /// The game's prefix.
    pub prefix: PathBuf,
    /// Environment for the Wine process: prefix, sync settings and the rest.
    pub env: Vec<(OsString, OsString)>,
    /// Where the sync settings came from.
    pub sync_source: String,
}

/// Why Bridgekeeper will not start Wine for this game.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    #[error(
        "process {pid} has no WINEPREFIX or STEAM_COMPAT_DATA_PATH; is it running under Proton?"
    )]
    NoPrefix { pid: i32 },
    #[error(
        "process {pid} has no STEAM_COMPAT_TOOL_PATHS, so the Proton build that runs it is unknown; \
         start it from Steam, or use `bridgekeeper run %command%` in its launch options"
    )]
    NoProton { pid: i32 },
    #[error(
        "process {pid} runs under Flatpak Steam (com.valvesoftware.Steam), whose /tmp is private \
         to its sandbox, so a Wine started outside it cannot join the game's wineserver. Attach \
         works with native Steam; with Flatpak Steam the bridge must start inside Steam's sandbox"
    )]
    FlatpakSteam { pid: i32 },
    #[error(
        "{path} is not visible inside Bridgekeeper's Flatpak sandbox; give it read access to \
         that Steam library with `flatpak override --user --filesystem={}:ro {app_id}`, then \
         restart Bridgekeeper", library_of(.path).display()
    )]
    NotShared { path: PathBuf, app_id: String },
    #[error(
        "process {pid} names its {what} {path:?}, which is not an absolute path without '.' or \
         '..'; only games that Steam started (with absolute paths) are bridged"
    )]
    NotAbsolute {
        pid: i32,
        what: &'static str,
        path: PathBuf,
    },
    #[error("no wine in {proton} (looked for files/bin/wine and dist/bin/wine)")]
    NoWine { proton: PathBuf },
    #[error(
        "the game's wineserver is {running}, but its Proton would run {ours}; Wine would fail with \
         \"version mismatch\". Restart the game, or attach with the Proton build it runs"
    )]
    WineserverMismatch { running: PathBuf, ours: PathBuf },
}

/// The `wine` of a Proton directory: `files/bin/wine`, or `dist/bin/wine` in
/// old builds.
pub fn proton_wine(proton: &Path) -> Option<PathBuf> {
    ["files/bin/wine", "dist/bin/wine"]
        .iter()
        .map(|p| proton.join(p))
        .find(|p| p.is_file())
}

/// Plans a Wine process that joins `game`'s wineserver. `wineservers` are
/// the running processes to look for that server in.
pub fn plan(game: &ProcessInfo, wineservers: &[ProcessInfo]) -> Result<WinePlan, JoinError> {
    let prefix = game.prefix().ok_or(JoinError::NoPrefix { pid: game.pid })?;
    // Paths from the game's environment: a relative one would be taken
    // relative to Bridgekeeper's own working folder.
    let absolute = |what, path: PathBuf| {
        if is_clean_absolute(&path) {
            Ok(path)
        } else {
            Err(JoinError::NotAbsolute {
                pid: game.pid,
                what,
                path,
            })
        }
    };
    let prefix = absolute("Wine prefix", prefix)?;
    if runs_under_flatpak_steam(game, &prefix) {
        return Err(JoinError::FlatpakSteam { pid: game.pid });
    }
    let proton = game
        .proton_dir()
        .ok_or(JoinError::NoProton { pid: game.pid })?;
    let proton = absolute("Proton folder", proton)?;
    if let Some(sandbox) = bridgekeeper_host::sandbox()
        && !proton.exists()
    {
        return Err(JoinError::NotShared {
            path: proton,
            app_id: sandbox.app_id.clone(),
        });
    }
    let wine = proton_wine(&proton).ok_or_else(|| JoinError::NoWine {
        proton: proton.clone(),
    })?;
    let server = wineservers
        .iter()
        .find(|s| s.prefix().is_some_and(|p| same_dir(&p, &prefix)));

    if let Some(server) = server
        && let Some(running) = bridgekeeper_host::processes::exe(server.pid)
    {
        let ours = wine.with_file_name("wineserver");
        let matches = std::fs::canonicalize(&ours).is_ok_and(|ours| ours == running);
        if !matches {
            return Err(JoinError::WineserverMismatch { running, ours });
        }
    }

    let mut env: Vec<(OsString, OsString)> = vec![("WINEPREFIX".into(), prefix.clone().into())];
    let game_sync = game.sync_vars();
    let (sync, sync_source) = match (game_sync.is_empty(), server) {
        (false, _) => (game_sync, format!("the game (pid {})", game.pid)),
        (true, Some(server)) => (
            server.sync_vars(),
            format!("its wineserver (pid {})", server.pid),
        ),
        (true, None) => (
            Vec::new(),
            "nowhere: neither the game nor a wineserver sets them".into(),
        ),
    };
    env.extend(sync);
    for name in COPIED_VARS {
        if let Some(value) = game.var(name) {
            env.push((name.into(), value.to_os_string()));
        }
    }
    env.push((
        "LD_LIBRARY_PATH".into(),
        library_path(&proton, game.var("LD_LIBRARY_PATH")),
    ));
    Ok(WinePlan {
        proton,
        wine,
        prefix,
        env,
        sync_source,
    })
}

/// The Steam library folder holding `path` (the parent of its `steamapps`),
/// or `path` itself outside one.
pub fn library_of(path: &Path) -> &Path {
    path.ancestors()
        .find(|dir| {
            dir.file_name()
                .is_some_and(|n| n.eq_ignore_ascii_case("steamapps"))
        })
        .and_then(Path::parent)
        .unwrap_or(path)
}

/// True for a game that Flatpak Steam runs: Flatpak names the app in
/// `FLATPAK_ID`, and the prefix lies in Steam's app folder.
fn runs_under_flatpak_steam(game: &ProcessInfo, prefix: &Path) -> bool {
    use bridgekeeper_host::steam_shm::STEAM_APP_ID;
    game.var("FLATPAK_ID")
        .is_some_and(|id| id == OsStr::new(STEAM_APP_ID))
        || prefix
            .to_string_lossy()
            .contains(&format!("/.var/app/{STEAM_APP_ID}/"))
}

/// The environment variables a Wine process must not inherit from
/// Bridgekeeper itself.
pub fn removed_vars() -> impl Iterator<Item = &'static str> {
    [
        "LD_PRELOAD",
        "WINELOADERNOEXEC",
        "SteamAppId",
        "SteamGameId",
        "SteamOverlayGameId",
    ]
    .into_iter()
    .chain(SYNC_VARS.iter().copied())
}

/// Proton's own library directories, then those of `inherited` that exist
/// here: what Proton's `wine` needs when started outside its container.
pub fn library_path(proton: &Path, inherited: Option<&OsStr>) -> OsString {
    let mut path = OsString::new();
    for dir in ["files/lib64", "files/lib", "dist/lib64", "dist/lib"] {
        let dir = proton.join(dir);
        if dir.is_dir() {
            if !path.is_empty() {
                path.push(":");
            }
            path.push(dir);
        }
    }
    if let Some(inherited) = inherited.map(existing_dirs).filter(|p| !p.is_empty()) {
        if !path.is_empty() {
            path.push(":");
        }
        path.push(inherited);
    }
    path
}

/// Keeps the entries of a colon list that exist here (paths inside the
/// game's container may not).
fn existing_dirs(list: &OsStr) -> OsString {
    use std::os::unix::ffi::OsStrExt;
    let kept: Vec<&[u8]> = list
        .as_bytes()
        .split(|&b| b == b':')
        .filter(|p| !p.is_empty() && Path::new(OsStr::from_bytes(p)).is_dir())
        .collect();
    OsStr::from_bytes(&kept.join(&b':')).to_os_string()
}

fn same_dir(a: &Path, b: &Path) -> bool {
    let norm = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.components().collect());
    norm(a) == norm(b)
}

/// Running wineservers: processes whose exe is named `wineserver*` (on the
/// host, when sandboxed).
pub fn running_wineservers() -> Vec<ProcessInfo> {
    let pids: Vec<i32> = bridgekeeper_host::processes::exes()
        .into_iter()
        .filter(|(_, exe)| {
            exe.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("wineserver"))
        })
        .map(|(pid, _)| pid)
        .collect();
    bridgekeeper_host::processes::read(&pids)
        .into_values()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn game(vars: &[(&str, &str)]) -> ProcessInfo {
        ProcessInfo {
            pid: 4242,
            start_time: 1,
            cmdline: vec!["Z:\\g\\acs.exe".into()],
            exe_name: "acs.exe".into(),
            environ: vars
                .iter()
                .map(|(k, v)| (OsString::from(k), OsString::from(v)))
                .collect(),
        }
    }

    #[test]
    fn an_unshared_library_names_the_override() {
        let err = JoinError::NotShared {
            path: "/mnt/games/SteamLibrary/steamapps/common/Proton 9.0".into(),
            app_id: "io.github.bridgekeeper.Bridgekeeper".into(),
        };
        assert!(
            err.to_string().contains(
                "flatpak override --user --filesystem=/mnt/games/SteamLibrary:ro \
                 io.github.bridgekeeper.Bridgekeeper"
            ),
            "{err}"
        );
        assert_eq!(
            library_of(Path::new("/opt/proton")),
            Path::new("/opt/proton")
        );
    }

    #[test]
    fn games_of_flatpak_steam_are_refused_with_the_reason() {
        let flatpak_home = "/home/u/.var/app/com.valvesoftware.Steam/.local/share/Steam";
        for vars in [
            vec![
                ("FLATPAK_ID", "com.valvesoftware.Steam"),
                ("WINEPREFIX", "/mnt/games/steamapps/compatdata/1/pfx"),
            ],
            vec![(
                "STEAM_COMPAT_DATA_PATH",
                &*format!("{flatpak_home}/steamapps/compatdata/1"),
            )],
        ] {
            let err = plan(&game(&vars), &[]).unwrap_err();
            assert_eq!(err, JoinError::FlatpakSteam { pid: 4242 });
            assert!(err.to_string().contains("/tmp is private"), "{err}");
        }
        let native = game(&[("WINEPREFIX", "/home/u/.local/share/Steam/compatdata/1/pfx")]);
        assert_eq!(
            plan(&native, &[]).unwrap_err(),
            JoinError::NoProton { pid: 4242 }
        );
    }

    /// A relative prefix or Proton path in a game's environment would be
    /// taken relative to Bridgekeeper's working folder: refused by name.
    #[test]
    fn relative_paths_from_the_games_environment_are_refused() {
        let err = plan(&game(&[("WINEPREFIX", "pfx")]), &[]).unwrap_err();
        assert!(err.to_string().contains("\"pfx\""), "{err}");
        let err = plan(
            &game(&[("WINEPREFIX", "/s/compatdata/1/../../../etc/pfx")]),
            &[],
        )
        .unwrap_err();
        assert!(err.to_string().contains("'..'"), "{err}");
        let err = plan(
            &game(&[
                ("WINEPREFIX", "/s/compatdata/1/pfx"),
                ("STEAM_COMPAT_TOOL_PATHS", "common/Proton 9.0"),
            ]),
            &[],
        )
        .unwrap_err();
        assert!(err.to_string().contains("\"common/Proton 9.0\""), "{err}");
    }
}
