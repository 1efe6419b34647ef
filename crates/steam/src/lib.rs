//! Steam discovery: for each installed Steam game (and non-Steam shortcut),
//! where it is, which Wine prefix it uses and which Proton build runs it.
//!
//! The entry point is [`discover`], driven by [`DiscoveryOptions`] (built by
//! [`DiscoveryOptions::from_env`] in the command line, by hand in tests).
//! Discovery only reads; it never changes Steam's files. Every problem in a
//! file becomes a [`Warning`] tied to that file and the rest carries on;
//! nothing here panics on input.
//!
//! The on-disk facts and their sources are in `docs/steam-internals.md`. Small
//! modules, one purpose each:
//!
//! - `install`: Steam roots (native, Flatpak, Snap, override), de-duplicated
//!   through symlinks;
//! - `library`: `libraryfolders.vdf`, both places, both formats;
//! - `manifest`: `appmanifest_<appid>.acf`;
//! - `shortcuts`: binary `shortcuts.vdf`;
//! - `compatdata`: prefixes (newest `pfx.lock` wins) and `config_info`;
//! - `config_vdf`: `CompatToolMapping` in `config.vdf` (read lossily);
//! - `appinfo`: Valve's per-app defaults in binary `appinfo.vdf`;
//! - [`art`]: the header image in Steam's library cache, both layouts;
//! - `compat_tools`: custom tools and Valve tool names to directories;
//! - `proton`: the choice in priority order, and what a Proton dir holds;
//! - `vdf` / `binary_vdf`: the two KeyValues readers;
//! - [`formats`]: the readers above on bytes, for fuzzing and tests.
//!
//! Why not `steamlocate` (2.1, the usual crate for this): each of its parts
//! falls short of a requirement here, so this crate does not depend on it.
//!
//! - `locate_all()` reads `$HOME` and `$XDG_DATA_HOME` itself, so discovery
//!   could not be a pure function of a directory tree (tests would see the
//!   real machine); it misses `$HOST_XDG_DATA_HOME` (a Flatpak's view of
//!   the host) and does not say which kind of install each root is;
//! - its library list reads only `steamapps/libraryfolders.vdf`, and only
//!   the new format (Steam also writes `config/libraryfolders.vdf`, and old
//!   installs keep the old format);
//! - `App` parses manifests through serde: one unexpected field type, a
//!   missing `installdir`, invalid UTF-8 or a cut file loses the whole
//!   manifest, with no word of which file;
//! - `compat_tool_mapping()` reads `config.vdf` with `read_to_string`, which
//!   fails on the invalid UTF-8 that real files contain (`SDL_GamepadBind`);
//! - `shortcuts()` drops the whole `shortcuts.vdf` on any surprise;
//! - listing `appmanifest_*.acf` files is one `read_dir`, which also takes
//!   the old `SteamApps` spelling.
//!
//! Every reader here keeps what it can and reports the rest as a
//! [`Warning`] naming the file.

mod appinfo;
pub mod art;
mod binary_vdf;
mod compat_tools;
mod compatdata;
mod config_vdf;
pub mod formats;
mod fsutil;
mod install;
mod library;
mod manifest;
mod model;
mod options;
mod parallel;
mod proton;
mod shortcuts;
mod vdf;
mod warning;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use model::{
    CompatTool, Discovery, Game, InstallKind, InstallState, Installation, Library, PrefixState,
    Proton, ProtonAlternative, ProtonSource,
};
pub use options::{DiscoveryOptions, RunningGame, SYSTEM_COMPAT_TOOL_DIRS};
pub use proton::{first_tool_path, parse_version};
pub use warning::Warning;

use library::LibraryInfo;
use manifest::Manifest;

/// Steamworks Common Redistributables: installed like a game, but not one.
const REDISTRIBUTABLES_APPID: u32 = 228_980;

/// Finds every Steam installation, its libraries, games, shortcuts, their
/// prefixes and Proton builds. Never fails: problems are in the warnings,
/// and an empty `installations` list means no Steam was found.
pub fn discover(options: &DiscoveryOptions) -> Discovery {
    let mut discovery = Discovery::default();
    for root in install::find_roots(options, &mut discovery.warnings) {
        discover_installation(root, options, &mut discovery);
    }
    discovery
}

/// Where the tool a running game uses is, given its
/// `STEAM_COMPAT_TOOL_PATHS` value: the first entry, with the wine binary,
/// version and runtime read from it. `None` if the value names no path.
pub fn proton_for_running(tool_paths: &str) -> Option<Proton> {
    let mut warnings = Vec::new();
    let sources = proton::Sources {
        running: Some(tool_paths),
        ..proton::Sources::default()
    };
    let tools = compat_tools::ToolIndex::new();
    let mut details = HashMap::new();
    proton::choose(&sources, &tools, &mut details, Path::new(""), &mut warnings)
}

/// One manifest read from a library.
struct FoundApp {
    library: usize,
    file: PathBuf,
    manifest: Manifest,
    warnings: Vec<Warning>,
}

fn discover_installation(root: install::Root, options: &DiscoveryOptions, out: &mut Discovery) {
    let global = &mut out.warnings;
    let libraries = library::read_libraries(&root.path, root.kind, options.home.as_deref(), global);
    let steamapps: Vec<&Path> = libraries
        .iter()
        .filter_map(|l| l.steamapps.as_deref())
        .collect();

    // Tools: custom ones from the compatibilitytools.d directories, Valve's
    // from their app manifests.
    let mut tools = compat_tools::ToolIndex::new();
    let mut custom_dirs = options.system_compat_dirs.clone();
    custom_dirs.extend(options.extra_compat_tool_paths.iter().cloned());
    custom_dirs.push(root.path.join("compatibilitytools.d"));
    tools.scan_custom(&custom_dirs, global);
    tools.common_dirs = steamapps.iter().map(|s| s.join("common")).collect();

    let apps = read_manifests(&libraries, global);
    let mut games_by_id: HashMap<u32, Vec<FoundApp>> = HashMap::new();
    for app in apps {
        let common = libraries[app.library]
            .steamapps
            .as_ref()
            .map(|s| s.join("common"));
        let dir = common
            .zip(app.manifest.installdir.as_ref())
            .map(|(c, d)| c.join(d));
        let is_tool = compat_tools::RUNTIME_APPIDS.contains(&app.manifest.appid)
            || compat_tools::VALVE_TOOL_APPIDS
                .iter()
                .any(|(_, id)| *id == app.manifest.appid)
            || dir
                .as_ref()
                .is_some_and(|d| d.join("toolmanifest.vdf").is_file());
        if is_tool {
            if let Some(dir) = dir.filter(|d| d.is_dir()) {
                tools.valve_dirs.entry(app.manifest.appid).or_insert(dir);
            }
            continue;
        }
        if app.manifest.appid == REDISTRIBUTABLES_APPID {
            continue;
        }
        games_by_id.entry(app.manifest.appid).or_default().push(app);
    }

    let mapping = config_vdf::read_mapping(&root.path, global);
    let config_file = root.path.join("config").join("config.vdf");
    let mut appinfo: Option<Option<appinfo::SteamPlayManifests>> = None;
    let mut details = HashMap::new();

    let compat_index = compatdata::CompatIndex::read(&steamapps);
    let art_cache = art::LibraryCache::read(&root.path);
    let mut games = Vec::new();
    let mut ids: Vec<u32> = games_by_id.keys().copied().collect();
    ids.sort_unstable();
    let chosen: Vec<FoundApp> = ids
        .into_iter()
        .filter_map(|appid| {
            let found = games_by_id.remove(&appid)?;
            pick_duplicate(found, &libraries)
        })
        .collect();
    // The file system work of each game (its folder, its prefix), on all
    // cores; what depends on the other games stays in the loop below.
    let probed = parallel::map(&chosen, |app| {
        let appid = app.manifest.appid;
        let mut warnings = Vec::new();
        let install_dir = libraries[app.library]
            .steamapps
            .as_ref()
            .zip(app.manifest.installdir.as_ref())
            .map(|(s, d)| s.join("common").join(d));
        let ready = app.manifest.state() == InstallState::Ready;
        if let Some(dir) = install_dir.as_ref().filter(|d| ready && !d.is_dir()) {
            warnings.push(Warning::new(
                dir,
                "is missing although the manifest says the game is installed",
            ));
        }
        let running = options.running.get(&appid);
        let (prefix, config_info) = prefix_of(appid, &compat_index, running, &mut warnings);
        (install_dir, prefix, config_info, warnings)
    });
    for (app, (install_dir, prefix, config_info, probe_warnings)) in chosen.into_iter().zip(probed)
    {
        let FoundApp {
            library: lib_index,
            manifest,
            mut warnings,
            ..
        } = app;
        let appid = manifest.appid;
        let lib = &libraries[lib_index];
        warnings.extend(probe_warnings);
        let running = options.running.get(&appid);
        let mapped = mapping.per_app.get(&appid).map(String::as_str);
        let needs_appinfo = mapped.is_none() && config_info.is_none();
        let valve_default = if needs_appinfo {
            let loaded = appinfo.get_or_insert_with(|| {
                let found = appinfo::read(&root.path, global);
                if let Some(found) = &found {
                    for (name, id) in &found.compat_tools {
                        tools.valve_names.entry(name.clone()).or_insert(*id);
                    }
                }
                found
            });
            loaded
                .as_ref()
                .and_then(|a| a.app_mappings.get(&appid))
                .cloned()
        } else {
            None
        };
        let sources = proton::Sources {
            running: running.and_then(|r| r.tool_paths.as_deref()),
            mapping: mapped,
            config_info: config_info.as_ref().map(|c| c.proton_dir.as_path()),
            global: mapping.global.as_deref(),
            appinfo: valve_default.as_deref(),
        };
        let proton = proton::choose(&sources, &tools, &mut details, &config_file, &mut warnings);
        games.push(Game {
            appid,
            name: manifest
                .name
                .clone()
                .unwrap_or_else(|| format!("app {appid}")),
            install_dir,
            library: Some(lib.library.path.clone()),
            prefix: prefix.pfx,
            proton,
            shortcut: false,
            warnings,
            installation: root.path.clone(),
            state: manifest.state(),
            prefix_state: prefix.state,
            compat_data: prefix.compat_data,
            exe: None,
            header_image: art_cache.header_image(appid),
        });
    }

    // Non-Steam shortcuts: Steam applies only their own mapping (the global
    // default and Valve's defaults are for Steam games).
    for shortcut in shortcuts::read_all(&root.path, global) {
        let mut warnings = Vec::new();
        let running = options.running.get(&shortcut.appid);
        let (prefix, config_info) =
            prefix_of(shortcut.appid, &compat_index, running, &mut warnings);
        let sources = proton::Sources {
            running: running.and_then(|r| r.tool_paths.as_deref()),
            mapping: mapping.per_app.get(&shortcut.appid).map(String::as_str),
            config_info: config_info.as_ref().map(|c| c.proton_dir.as_path()),
            ..proton::Sources::default()
        };
        let proton = proton::choose(&sources, &tools, &mut details, &config_file, &mut warnings);
        games.push(Game {
            appid: shortcut.appid,
            name: shortcut.name,
            install_dir: shortcut.start_dir,
            library: None,
            prefix: prefix.pfx,
            proton,
            shortcut: true,
            warnings,
            installation: root.path.clone(),
            state: InstallState::Unknown,
            prefix_state: prefix.state,
            compat_data: prefix.compat_data,
            exe: Some(shortcut.exe),
            header_image: None,
        });
    }

    out.tools.extend(list_tools(&root.path, &tools));
    out.games.extend(games);
    out.installations.push(Installation {
        path: root.path,
        kind: root.kind,
        found_at: root.found_at,
        libraries: libraries.into_iter().map(|l| l.library).collect(),
    });
}

/// Lists the manifests of every library, then reads and parses them on all
/// cores ([`parallel::map`]). The result is in library order, then appid
/// order.
fn read_manifests(libraries: &[LibraryInfo], warnings: &mut Vec<Warning>) -> Vec<FoundApp> {
    let mut files = Vec::new();
    for (index, lib) in libraries.iter().enumerate() {
        let Some(steamapps) = &lib.steamapps else {
            continue;
        };
        let mut ids: Vec<u32> = match std::fs::read_dir(steamapps) {
            Ok(entries) => entries
                .flatten()
                .filter_map(|e| manifest::appid_from_file_name(&e.file_name().to_string_lossy()))
                .collect(),
            Err(err) => {
                warnings.push(Warning::io(steamapps, &err));
                continue;
            }
        };
        ids.sort_unstable();
        files.extend(ids.into_iter().map(|appid| {
            (
                index,
                appid,
                steamapps.join(format!("appmanifest_{appid}.acf")),
            )
        }));
    }
    let read = parallel::map(&files, |(index, appid, file)| {
        read_manifest(*index, *appid, file)
    });
    let mut out = Vec::new();
    for (found, global) in read {
        warnings.extend(global);
        out.extend(found);
    }
    out
}

/// Reads one manifest: the app, unless it is uninstalled or unreadable,
/// and the warnings that belong to no app.
fn read_manifest(library: usize, appid: u32, file: &Path) -> (Option<FoundApp>, Vec<Warning>) {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(err) => return (None, vec![Warning::io(file, &err)]),
    };
    let mut app_warnings = Vec::new();
    let Some(manifest) = manifest::parse(&bytes, appid, file, &mut app_warnings) else {
        return (None, app_warnings);
    };
    if manifest.is_uninstalled() {
        return (None, Vec::new());
    }
    let found = FoundApp {
        library,
        file: file.to_path_buf(),
        manifest,
        warnings: app_warnings,
    };
    (Some(found), Vec::new())
}

/// Picks one manifest when an appid is installed in several libraries: the
/// library whose `libraryfolders.vdf` entry lists it, then a ready one,
/// then the most recently updated, then the first library. The others
/// become warnings on the chosen game.
fn pick_duplicate(mut found: Vec<FoundApp>, libraries: &[LibraryInfo]) -> Option<FoundApp> {
    if found.len() > 1 {
        found.sort_by_key(|f| {
            let listed = libraries[f.library].listed_apps.contains(&f.manifest.appid);
            let ready = f.manifest.state() == InstallState::Ready;
            (
                std::cmp::Reverse(listed),
                std::cmp::Reverse(ready),
                std::cmp::Reverse(f.manifest.last_updated.unwrap_or(0)),
                f.library,
            )
        });
    }
    let mut iter = found.into_iter();
    let mut chosen = iter.next()?;
    for other in iter {
        chosen.warnings.push(Warning::new(
            &other.file,
            format!(
                "appid {} is also installed here; using the copy in {}",
                other.manifest.appid,
                libraries[chosen.library].library.path.display()
            ),
        ));
    }
    Some(chosen)
}

/// The prefix of `appid` (the running game's own when given), with a
/// warning for every other prefix found, and the `config_info` Proton left
/// in it.
fn prefix_of(
    appid: u32,
    index: &compatdata::CompatIndex,
    running: Option<&RunningGame>,
    warnings: &mut Vec<Warning>,
) -> (compatdata::PrefixFound, Option<compatdata::ConfigInfo>) {
    let prefix = compatdata::find_prefix(
        appid,
        index,
        running.and_then(|r| r.compat_data_path.as_deref()),
    );
    for other in &prefix.others {
        warnings.push(Warning::new(
            other,
            "is another prefix for this game; the one with the newest pfx.lock is used",
        ));
    }
    let config_info = prefix
        .compat_data
        .as_deref()
        .and_then(|d| compatdata::read_config_info(d, warnings));
    (prefix, config_info)
}

fn list_tools(root: &Path, tools: &compat_tools::ToolIndex) -> Vec<CompatTool> {
    let mut out: Vec<CompatTool> = tools
        .custom
        .values()
        .map(|t| CompatTool {
            installation: root.to_path_buf(),
            name: t.name.clone(),
            display_name: t.display_name.clone(),
            path: t.path.clone(),
            appid: None,
            custom: true,
        })
        .collect();
    for (appid, path) in &tools.valve_dirs {
        if !path.join("proton").is_file() {
            continue;
        }
        out.push(CompatTool {
            installation: root.to_path_buf(),
            name: tools.name_for_dir(path),
            display_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
            path: path.clone(),
            appid: Some(*appid),
            custom: false,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}
