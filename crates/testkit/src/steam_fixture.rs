//! A builder that writes realistic Steam trees for tests and benchmarks.
//!
//! ```ignore
//! let tree = SteamFixture::new(tmp.path().join("Steam"))
//!     .library(tmp.path().join("Games Library"))
//!     .proton(ProtonSpec::valve(2_805_730, "Proton 9.0").version("proton-9.0-3"))
//!     .proton(ProtonSpec::custom("GE-Proton9-4"))
//!     .app(AppSpec::new(805_550, "ACC").in_library(1))
//!     .compat_mapping(805_550, "GE-Proton9-4")
//!     .prefix(805_550, 1, Duration::from_secs(60))
//!     .build();
//! ```
//!
//! Each method writes its files at once, except the aggregate files
//! (`libraryfolders.vdf`, `config.vdf`, `shortcuts.vdf`, `appinfo.vdf`),
//! which [`SteamFixture::build`] writes. Proton directories get a `proton`
//! script and `files/bin/wine` whose bodies a test may choose, a
//! `wineserver` link and other files, so end-to-end tests can run them;
//! [`crate::steam::FakeSteam`] builds its runnable tree with this builder.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Format of the `libraryfolders.vdf` files written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldersFormat {
    /// Numbered objects with `path`, `label`, `apps` (current Steam).
    New,
    /// Numbered plain paths (old Steam).
    Old,
}

/// Where `libraryfolders.vdf` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldersLocation {
    /// `steamapps/libraryfolders.vdf` only.
    Steamapps,
    /// `config/libraryfolders.vdf` only.
    Config,
    /// Both places.
    Both,
}

/// An installed app.
#[derive(Debug, Clone)]
pub struct AppSpec {
    pub appid: u32,
    pub name: String,
    pub installdir: String,
    pub library: usize,
    pub state_flags: u32,
    pub last_updated: u64,
    pub create_dir: bool,
}

impl AppSpec {
    /// A fully installed app in the root library; `installdir` = `name`.
    pub fn new(appid: u32, name: &str) -> Self {
        Self {
            appid,
            name: name.to_owned(),
            installdir: name.to_owned(),
            library: 0,
            state_flags: 4,
            last_updated: 1_700_000_000,
            create_dir: true,
        }
    }
    /// Installed in library `index` (0 is the Steam root).
    pub fn in_library(mut self, index: usize) -> Self {
        self.library = index;
        self
    }
    /// The `installdir` under `steamapps/common`.
    pub fn installdir(mut self, dir: &str) -> Self {
        self.installdir = dir.to_owned();
        self
    }
    /// The manifest's `StateFlags` (1 = uninstalled, 4 = installed).
    pub fn state_flags(mut self, flags: u32) -> Self {
        self.state_flags = flags;
        self
    }
    /// The manifest's `LastUpdated`.
    pub fn last_updated(mut self, t: u64) -> Self {
        self.last_updated = t;
        self
    }
    /// Do not create the install directory.
    pub fn without_dir(mut self) -> Self {
        self.create_dir = false;
        self
    }
}

/// Which of Steam's library-cache layouts a header image is written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtLayout {
    /// Older clients: `appcache/librarycache/<appid>_header.jpg`.
    Flat,
    /// Current clients: `appcache/librarycache/<appid>/header.jpg`.
    Folder,
    /// Current clients, some apps: `appcache/librarycache/<appid>/<hash>/header.jpg`.
    Hashed(String),
}

/// A Proton build: Valve's (an app in a library) or custom (in a
/// `compatibilitytools.d`).
#[derive(Debug, Clone)]
pub struct ProtonSpec {
    /// Valve appid, `None` for custom tools.
    pub appid: Option<u32>,
    /// Internal name of a custom tool.
    pub internal_name: Option<String>,
    /// The directory name.
    pub dir_name: String,
    /// Library for Valve builds.
    pub library: usize,
    /// `compatibilitytools.d` directory for custom builds (default: the
    /// root's).
    pub tools_dir: Option<PathBuf>,
    /// `version` file content (`None`: no file).
    pub version: Option<String>,
    /// `require_tool_appid` in `toolmanifest.vdf`.
    pub runtime: Option<u32>,
    /// Body of the `proton` script.
    pub script: String,
    /// Body of `<files>/bin/wine` (`None`: no wine binary).
    pub wine: Option<String>,
    /// Use the old `dist/` layout instead of `files/`.
    pub dist: bool,
    /// What `<files>/bin/wineserver` links to (`None`: no wineserver).
    pub wineserver: Option<PathBuf>,
    /// More files: (path in the Proton directory, file copied there).
    pub files: Vec<(PathBuf, PathBuf)>,
}

impl ProtonSpec {
    fn base(dir_name: &str) -> Self {
        Self {
            appid: None,
            internal_name: None,
            dir_name: dir_name.to_owned(),
            library: 0,
            tools_dir: None,
            version: None,
            runtime: Some(1_628_350),
            script: "#!/bin/sh\nexit 0\n".to_owned(),
            wine: Some("#!/bin/sh\nexit 0\n".to_owned()),
            dist: false,
            wineserver: None,
            files: Vec::new(),
        }
    }
    /// Valve's build with `appid`, in `steamapps/common/<dir_name>`.
    pub fn valve(appid: u32, dir_name: &str) -> Self {
        Self {
            appid: Some(appid),
            version: Some(format!(
                "1718000000 proton-{}",
                dir_name.trim_start_matches("Proton ")
            )),
            ..Self::base(dir_name)
        }
    }
    /// A custom build whose internal name and directory are `name`.
    pub fn custom(name: &str) -> Self {
        Self {
            internal_name: Some(name.to_owned()),
            version: Some(name.to_owned()),
            ..Self::base(name)
        }
    }
    /// The directory name (custom builds: internal name stays).
    pub fn dir_name(mut self, dir: &str) -> Self {
        self.dir_name = dir.to_owned();
        self
    }
    /// Library for a Valve build.
    pub fn in_library(mut self, index: usize) -> Self {
        self.library = index;
        self
    }
    /// `compatibilitytools.d` directory for a custom build.
    pub fn in_tools_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.tools_dir = Some(dir.into());
        self
    }
    /// The `version` file's content; `None` writes none.
    pub fn version(mut self, v: Option<&str>) -> Self {
        self.version = v.map(str::to_owned);
        self
    }
    /// The runtime appid required; `None` writes no `require_tool_appid`.
    pub fn runtime(mut self, appid: Option<u32>) -> Self {
        self.runtime = appid;
        self
    }
    /// Body of the `proton` script.
    pub fn script(mut self, body: &str) -> Self {
        self.script = body.to_owned();
        self
    }
    /// Body of the wine binary; `None` writes none.
    pub fn wine(mut self, body: Option<&str>) -> Self {
        self.wine = body.map(str::to_owned);
        self
    }
    /// Use the old `dist/` layout.
    pub fn dist_layout(mut self) -> Self {
        self.dist = true;
        self
    }
    /// Links `<files>/bin/wineserver` to `target`.
    pub fn wineserver(mut self, target: impl Into<PathBuf>) -> Self {
        self.wineserver = Some(target.into());
        self
    }
    /// Copies `source` to `rel` in the Proton directory.
    pub fn file(mut self, rel: impl Into<PathBuf>, source: impl Into<PathBuf>) -> Self {
        self.files.push((rel.into(), source.into()));
        self
    }
}

/// A Steam tree being built.
#[derive(Debug)]
pub struct SteamFixture {
    root: PathBuf,
    libraries: Vec<PathBuf>,
    library_apps: Vec<Vec<u32>>,
    format: FoldersFormat,
    location: FoldersLocation,
    mappings: Vec<(u32, String)>,
    config_garbage: bool,
    shortcuts: Vec<(u32, String, String, String)>,
    appinfo: Vec<(u32, String)>,
    tool_dirs: Vec<(String, PathBuf)>,
}

impl SteamFixture {
    /// A Steam root at `root` with `steamapps/`, `config/`, `ubuntu12_32/`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        for dir in ["steamapps/common", "config", "ubuntu12_32", "appcache"] {
            mkdir(&root.join(dir));
        }
        Self {
            libraries: vec![root.clone()],
            library_apps: vec![Vec::new()],
            root,
            format: FoldersFormat::New,
            location: FoldersLocation::Steamapps,
            mappings: Vec::new(),
            config_garbage: false,
            shortcuts: Vec::new(),
            appinfo: Vec::new(),
            tool_dirs: Vec::new(),
        }
    }

    /// The Steam root.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// Library `index` (0 is the root).
    pub fn library_path(&self, index: usize) -> &Path {
        &self.libraries[index]
    }
    /// `steamapps/common` of library `index`.
    pub fn common(&self, index: usize) -> PathBuf {
        self.libraries[index].join("steamapps/common")
    }
    /// `steamapps/compatdata/<appid>` in library `index`.
    pub fn compat_data(&self, appid: u32, index: usize) -> PathBuf {
        self.libraries[index]
            .join("steamapps/compatdata")
            .join(appid.to_string())
    }
    /// The directory of a Proton added with [`Self::proton`], by its
    /// directory name.
    pub fn tool_path(&self, dir_name: &str) -> PathBuf {
        self.tool_dirs
            .iter()
            .find(|(n, _)| n == dir_name)
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| panic!("no tool {dir_name} in the fixture"))
    }

    /// Adds a library at `path` (created with `steamapps/common`).
    pub fn library(mut self, path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        mkdir(&path.join("steamapps/common"));
        self.libraries.push(path);
        self.library_apps.push(Vec::new());
        self
    }
    /// Lists a library that does not exist (an unmounted drive).
    pub fn missing_library(mut self, path: impl Into<PathBuf>) -> Self {
        self.libraries.push(path.into());
        self.library_apps.push(Vec::new());
        self
    }
    /// The `libraryfolders.vdf` format.
    pub fn folders_format(mut self, format: FoldersFormat) -> Self {
        self.format = format;
        self
    }
    /// Where `libraryfolders.vdf` goes.
    pub fn folders_location(mut self, location: FoldersLocation) -> Self {
        self.location = location;
        self
    }

    /// Writes an app manifest and (unless told not to) its install dir.
    pub fn app(mut self, app: AppSpec) -> Self {
        let lib = &self.libraries[app.library];
        write(
            &lib.join(format!("steamapps/appmanifest_{}.acf", app.appid)),
            manifest_text(
                app.appid,
                &app.name,
                &app.installdir,
                app.state_flags,
                app.last_updated,
            )
            .as_bytes(),
        );
        if app.create_dir {
            mkdir(&lib.join("steamapps/common").join(&app.installdir));
        }
        self.library_apps[app.library].push(app.appid);
        self
    }

    /// Installs a Proton build (Valve's as an app, custom ones with a
    /// `compatibilitytool.vdf`).
    pub fn proton(mut self, spec: ProtonSpec) -> Self {
        let dir = match (spec.appid, &spec.internal_name) {
            (Some(appid), _) => {
                self = self.app(AppSpec::new(appid, &spec.dir_name).in_library(spec.library));
                self.common(spec.library).join(&spec.dir_name)
            }
            (None, name) => {
                let tools = spec
                    .tools_dir
                    .clone()
                    .unwrap_or_else(|| self.root.join("compatibilitytools.d"));
                let dir = tools.join(&spec.dir_name);
                mkdir(&dir);
                let name = name.clone().unwrap_or_else(|| spec.dir_name.clone());
                write(
                    &dir.join("compatibilitytool.vdf"),
                    format!(
                        "\"compatibilitytools\"\n{{\n  \"compat_tools\"\n  {{\n    \"{name}\"\n    {{\n      \"install_path\" \".\"\n      \"display_name\" \"{name}\"\n      \"from_oslist\" \"windows\"\n      \"to_oslist\" \"linux\"\n    }}\n  }}\n}}\n"
                    )
                    .as_bytes(),
                );
                dir
            }
        };
        write_exec(&dir.join("proton"), &spec.script);
        let files = if spec.dist { "dist" } else { "files" };
        for sub in ["share/fonts", "lib/wine", "lib64/wine", "share/default_pfx"] {
            mkdir(&dir.join(files).join(sub));
        }
        if let Some(wine) = &spec.wine {
            write_exec(&dir.join(files).join("bin/wine"), wine);
        }
        if let Some(target) = &spec.wineserver {
            let link = dir.join(files).join("bin/wineserver");
            mkdir(link.parent().expect("bin/wineserver has a parent"));
            std::os::unix::fs::symlink(target, &link)
                .unwrap_or_else(|e| panic!("link {}: {e}", link.display()));
        }
        for (rel, source) in &spec.files {
            let to = dir.join(rel);
            mkdir(to.parent().expect("a file in the Proton has a parent"));
            fs::copy(source, &to)
                .unwrap_or_else(|e| panic!("copy {} to {}: {e}", source.display(), to.display()));
        }
        if let Some(version) = &spec.version {
            write(&dir.join("version"), format!("{version}\n").as_bytes());
        }
        let require = spec
            .runtime
            .map(|id| format!("  \"require_tool_appid\" \"{id}\"\n"))
            .unwrap_or_default();
        write(
            &dir.join("toolmanifest.vdf"),
            format!(
                "\"manifest\"\n{{\n  \"version\" \"2\"\n  \"commandline\" \"/proton %verb%\"\n{require}  \"use_sessions\" \"1\"\n}}\n"
            )
            .as_bytes(),
        );
        self.tool_dirs.push((spec.dir_name.clone(), dir));
        self
    }

    /// A custom Proton in the root's `compatibilitytools.d`.
    pub fn custom_tool(self, name: &str) -> Self {
        self.proton(ProtonSpec::custom(name))
    }

    /// A Steam Linux Runtime (a tool app with a `toolmanifest.vdf`).
    pub fn runtime(self, appid: u32, dir_name: &str, library: usize) -> Self {
        let this = self.app(AppSpec::new(appid, dir_name).in_library(library));
        let dir = this.common(library).join(dir_name);
        write(
            &dir.join("toolmanifest.vdf"),
            b"\"manifest\"\n{\n  \"commandline\" \"/_v2-entry-point --verb=%verb% --\"\n}\n",
        );
        write_exec(
            &dir.join("_v2-entry-point"),
            crate::fake_proton::ENTRY_POINT,
        );
        this
    }

    /// Where the header image of `appid` goes in `layout`.
    pub fn header_path(&self, appid: u32, layout: &ArtLayout) -> PathBuf {
        let cache = self.root.join("appcache/librarycache");
        match layout {
            ArtLayout::Flat => cache.join(format!("{appid}_header.jpg")),
            ArtLayout::Folder => cache.join(appid.to_string()).join("header.jpg"),
            ArtLayout::Hashed(hash) => cache.join(appid.to_string()).join(hash).join("header.jpg"),
        }
    }

    /// Writes `bytes` as the header image Steam cached for `appid`, in
    /// `layout` (see [`crate::art::header_jpeg`] for a real JPEG).
    pub fn header_image(self, appid: u32, layout: ArtLayout, bytes: &[u8]) -> Self {
        write(&self.header_path(appid, &layout), bytes);
        self
    }

    /// Steam's `ubuntu12_32/reaper`, running `script`
    /// ([`crate::fake_proton::REAPER`] behaves like Steam's).
    pub fn reaper(self, script: &str) -> Self {
        write_exec(&self.root.join("ubuntu12_32/reaper"), script);
        self
    }

    /// A `CompatToolMapping` entry (appid 0 is the global default).
    pub fn compat_mapping(mut self, appid: u32, tool: &str) -> Self {
        self.mappings.push((appid, tool.to_owned()));
        self
    }
    /// Puts invalid UTF-8 into `config.vdf` (as `SDL_GamepadBind` does).
    pub fn config_vdf_invalid_utf8(mut self) -> Self {
        self.config_garbage = true;
        self
    }

    /// A prefix: `compatdata/<appid>/pfx` (with `drive_c`, `dosdevices`)
    /// and `pfx.lock` last modified `lock_age` ago, in library `library`.
    pub fn prefix(self, appid: u32, library: usize, lock_age: Duration) -> Self {
        let dir = self.compat_data(appid, library);
        let pfx = dir.join("pfx");
        mkdir(&pfx.join("drive_c/windows/system32"));
        mkdir(&pfx.join("dosdevices"));
        let _ = std::os::unix::fs::symlink("../drive_c", pfx.join("dosdevices/c:"));
        let _ = std::os::unix::fs::symlink("/", pfx.join("dosdevices/z:"));
        write(&pfx.join("system.reg"), b"WINE REGISTRY Version 2\n");
        let lock = fs::File::create(dir.join("pfx.lock")).expect("create pfx.lock");
        lock.set_modified(SystemTime::now() - lock_age)
            .expect("set pfx.lock time");
        write(&dir.join("version"), b"9.0-203\n");
        self
    }
    /// A prefix whose `pfx` links to `target` (a real Wine prefix made
    /// elsewhere), with `pfx.lock`, in library `library`.
    pub fn linked_prefix(self, appid: u32, library: usize, target: &Path) -> Self {
        let dir = self.compat_data(appid, library);
        mkdir(&dir);
        std::os::unix::fs::symlink(target, dir.join("pfx"))
            .unwrap_or_else(|e| panic!("link {}/pfx: {e}", dir.display()));
        write(&dir.join("pfx.lock"), b"");
        self
    }
    /// A `pfx/` without `pfx.lock` (interrupted set-up).
    pub fn prefix_without_lock(self, appid: u32, library: usize) -> Self {
        mkdir(&self.compat_data(appid, library).join("pfx/drive_c"));
        self
    }

    /// `compatdata/<appid>/config_info` in library `library`, naming the
    /// Proton at `proton_dir` as the one that last ran the prefix.
    pub fn config_info(self, appid: u32, library: usize, proton_dir: &Path) -> Self {
        let p = proton_dir.display();
        let root = self.root.display();
        let text = format!(
            "9.0-203\n{p}/files/share/fonts/\n{p}/files/lib/\n{p}/files/lib64/\n{root}\n\
             1717000000.123456\n1717000000.234567\n1717000000.345678\n\
             {p}/files/share/default_pfx/\n1716990000.0\nFalse\nFalse\n*\nFalse\nFalse\n"
        );
        write(
            &self.compat_data(appid, library).join("config_info"),
            text.as_bytes(),
        );
        self
    }

    /// A non-Steam shortcut of user 12345678.
    pub fn shortcut(mut self, appid: u32, name: &str, exe: &str, start_dir: &str) -> Self {
        self.shortcuts
            .push((appid, name.to_owned(), exe.to_owned(), start_dir.to_owned()));
        self
    }

    /// Valve's per-app default in `appcache/appinfo.vdf` (app 891390).
    pub fn appinfo_mapping(mut self, appid: u32, tool: &str) -> Self {
        self.appinfo.push((appid, tool.to_owned()));
        self
    }

    /// Writes `bytes` at `rel` under the root (or at `rel` if absolute),
    /// replacing what is there: truncated or malformed files.
    pub fn broken_file(self, rel: impl AsRef<Path>, bytes: &[u8]) -> Self {
        write(&self.root.join(rel), bytes);
        self
    }

    /// Writes the aggregate files and returns the finished tree.
    pub fn build(self) -> Self {
        let folders = self.library_folders();
        if matches!(
            self.location,
            FoldersLocation::Steamapps | FoldersLocation::Both
        ) {
            write(
                &self.root.join("steamapps/libraryfolders.vdf"),
                folders.as_bytes(),
            );
        }
        if matches!(
            self.location,
            FoldersLocation::Config | FoldersLocation::Both
        ) {
            write(
                &self.root.join("config/libraryfolders.vdf"),
                folders.as_bytes(),
            );
        }
        write(&self.root.join("config/config.vdf"), &self.config_vdf());
        if !self.shortcuts.is_empty() {
            write(
                &self.root.join("userdata/12345678/config/shortcuts.vdf"),
                &self.shortcuts_vdf(),
            );
        }
        if !self.appinfo.is_empty() {
            write(&self.root.join("appcache/appinfo.vdf"), &self.appinfo_vdf());
        }
        self
    }

    fn library_folders(&self) -> String {
        let mut out = String::new();
        match self.format {
            FoldersFormat::New => {
                out.push_str("\"libraryfolders\"\n{\n");
                for (i, (lib, apps)) in self.libraries.iter().zip(&self.library_apps).enumerate() {
                    out.push_str(&format!(
                        "\t\"{i}\"\n\t{{\n\t\t\"path\"\t\t\"{}\"\n\t\t\"label\"\t\t\"\"\n\t\t\"contentid\"\t\t\"{}\"\n\t\t\"totalsize\"\t\t\"0\"\n\t\t\"apps\"\n\t\t{{\n",
                        escape(&lib.display().to_string()),
                        1000 + i
                    ));
                    for app in apps {
                        out.push_str(&format!("\t\t\t\"{app}\"\t\t\"1000000\"\n"));
                    }
                    out.push_str("\t\t}\n\t}\n");
                }
                out.push_str("}\n");
            }
            FoldersFormat::Old => {
                out.push_str("\"LibraryFolders\"\n{\n\t\"TimeNextStatsReport\"\t\t\"1700000000\"\n\t\"ContentStatsID\"\t\t\"-1\"\n");
                for (i, lib) in self.libraries.iter().enumerate().skip(1) {
                    out.push_str(&format!(
                        "\t\"{i}\"\t\t\"{}\"\n",
                        escape(&lib.display().to_string())
                    ));
                }
                out.push_str("}\n");
            }
        }
        out
    }

    fn config_vdf(&self) -> Vec<u8> {
        let mut out = b"\"InstallConfigStore\"\n{\n\t\"Software\"\n\t{\n\t\t\"Valve\"\n\t\t{\n\t\t\t\"Steam\"\n\t\t\t{\n".to_vec();
        if self.config_garbage {
            out.extend_from_slice(b"\t\t\t\t\"SDL_GamepadBind\"\t\t\"\xff\xfe\xc3(bad)\"\n");
        }
        out.extend_from_slice(b"\t\t\t\t\"CompatToolMapping\"\n\t\t\t\t{\n");
        for (appid, tool) in &self.mappings {
            let priority = if *appid == 0 { 75 } else { 250 };
            out.extend_from_slice(
                format!("\t\t\t\t\t\"{appid}\"\n\t\t\t\t\t{{\n\t\t\t\t\t\t\"name\"\t\t\"{tool}\"\n\t\t\t\t\t\t\"config\"\t\t\"\"\n\t\t\t\t\t\t\"priority\"\t\t\"{priority}\"\n\t\t\t\t\t}}\n")
                    .as_bytes(),
            );
        }
        out.extend_from_slice(b"\t\t\t\t}\n\t\t\t}\n\t\t}\n\t}\n}\n");
        out
    }

    fn shortcuts_vdf(&self) -> Vec<u8> {
        let mut out = b"\x00shortcuts\x00".to_vec();
        for (i, (appid, name, exe, start)) in self.shortcuts.iter().enumerate() {
            out.push(0);
            out.extend_from_slice(format!("{i}\0").as_bytes());
            out.extend_from_slice(b"\x02appid\x00");
            out.extend_from_slice(&appid.to_le_bytes());
            for (key, value) in [
                ("AppName", name.clone()),
                ("Exe", format!("\"{exe}\"")),
                ("StartDir", format!("\"{start}\"")),
                ("icon", String::new()),
                ("LaunchOptions", String::new()),
            ] {
                out.push(1);
                out.extend_from_slice(key.as_bytes());
                out.push(0);
                out.extend_from_slice(value.as_bytes());
                out.push(0);
            }
            out.extend_from_slice(b"\x02IsHidden\x00\x00\x00\x00\x00");
            out.extend_from_slice(b"\x00tags\x00\x08");
            out.push(8);
        }
        out.extend_from_slice(b"\x08\x08");
        out
    }

    fn appinfo_vdf(&self) -> Vec<u8> {
        let cstr = |out: &mut Vec<u8>, s: &str| {
            out.extend_from_slice(s.as_bytes());
            out.push(0);
        };
        let mut kv = Vec::new();
        kv.push(0);
        cstr(&mut kv, "appinfo");
        kv.push(0);
        cstr(&mut kv, "extended");
        kv.push(0);
        cstr(&mut kv, "app_mappings");
        for (appid, tool) in &self.appinfo {
            kv.push(0);
            cstr(&mut kv, &appid.to_string());
            kv.push(1);
            cstr(&mut kv, "appid");
            cstr(&mut kv, &appid.to_string());
            kv.push(1);
            cstr(&mut kv, "tool");
            cstr(&mut kv, tool);
            kv.push(8);
        }
        kv.extend_from_slice(&[8, 8, 8, 8]);
        let mut out = Vec::new();
        out.extend_from_slice(&0x0756_4428u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        for (appid, body) in [(10u32, vec![0x55u8; 80]), (891_390, kv)] {
            let mut entry = vec![0u8; 60];
            entry.extend_from_slice(&body);
            out.extend_from_slice(&appid.to_le_bytes());
            out.extend_from_slice(&(entry.len() as u32).to_le_bytes());
            out.extend_from_slice(&entry);
        }
        out.extend_from_slice(&0u32.to_le_bytes());
        out
    }
}

/// The text of an `appmanifest_<appid>.acf`.
pub fn manifest_text(appid: u32, name: &str, installdir: &str, flags: u32, updated: u64) -> String {
    format!(
        "\"AppState\"\n{{\n\t\"appid\"\t\t\"{appid}\"\n\t\"Universe\"\t\t\"1\"\n\t\"LauncherPath\"\t\t\"/home/u/.local/share/Steam/ubuntu12_32/steam\"\n\t\"name\"\t\t\"{}\"\n\t\"StateFlags\"\t\t\"{flags}\"\n\t\"installdir\"\t\t\"{}\"\n\t\"LastUpdated\"\t\t\"{updated}\"\n\t\"SizeOnDisk\"\t\t\"1000000\"\n\t\"buildid\"\t\t\"1234\"\n\t\"LastOwner\"\t\t\"76561198000000000\"\n\t\"AutoUpdateBehavior\"\t\t\"0\"\n\t\"InstalledDepots\"\n\t{{\n\t\t\"{}\"\n\t\t{{\n\t\t\t\"manifest\"\t\t\"1\"\n\t\t\t\"size\"\t\t\"1000000\"\n\t\t}}\n\t}}\n\t\"UserConfig\"\n\t{{\n\t\t\"language\"\t\t\"english\"\n\t}}\n}}\n",
        escape(name),
        escape(installdir),
        appid + 1
    )
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn mkdir(path: &Path) {
    fs::create_dir_all(path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        mkdir(parent);
    }
    fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn write_exec(path: &Path, body: &str) {
    write(path, body.as_bytes());
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}
