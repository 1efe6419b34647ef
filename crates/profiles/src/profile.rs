//! A validated game profile.

use bridgekeeper_protocol::{MappingName, MappingSize};
use serde::{Deserialize, Serialize, Serializer};

use super::dashboard::Dashboard;
use super::layout::Layout;
use super::readers::ReaderUse;

/// Which way the data flows through a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// The game writes, Linux tools read (almost every mapping).
    #[default]
    GameToLinux,
    /// Linux tools write, the game or its plugin reads (rF2 control buffers).
    LinuxToGame,
}

/// What kind of caveat a quirk is; the UI picks an icon and wording by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QuirkKind {
    /// Mappings exist only with a game plugin installed.
    NeedsPlugin,
    /// Another title uses the same mapping names.
    ClashesWith,
    /// The exe Steam starts spawns the game and exits.
    LauncherExitsEarly,
    /// The game may create its mappings right at start, before a late bridge.
    EarlyMappings,
    /// An anti-cheat system watches the game.
    AntiCheat,
    /// The game also runs natively on Linux, where no bridge is needed.
    NativeLinux,
    /// Anything else worth knowing.
    Note,
}

/// A caveat worth showing the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quirk {
    /// Its kind.
    pub kind: QuirkKind,
    /// One or two sentences for the user.
    pub text: String,
    /// Profile ids it concerns (for [`QuirkKind::ClashesWith`]).
    pub with: Vec<String>,
}

/// One named section to pre-create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mapping {
    /// The exact name the game passes to `CreateFileMapping`.
    #[serde(serialize_with = "win32_name")]
    pub name: MappingName,
    /// The size to create, in bytes.
    #[serde(serialize_with = "size_bytes")]
    pub size: MappingSize,
    /// Written only by an optional plugin: zero content is not an error.
    pub optional: bool,
    /// Not created unless the user asks for it (legacy names, plugin sets).
    pub opt_in: bool,
    /// Which way the data flows.
    pub direction: Direction,
    /// What the page holds, e.g. "physics page".
    pub role: String,
    /// Where the size comes from, with `[unverified]` where it is a guess.
    pub source: String,
    /// Id of a [`Layout`] of the same profile.
    pub layout: Option<String>,
    /// Name of a layout field that moves while the game writes.
    pub liveness: Option<String>,
    /// Bytes the game's own struct for this page takes, when known: the
    /// smallest size the game can live with.
    pub game_struct: Option<u64>,
    /// The known Linux readers that open this page, each once.
    pub readers: Vec<ReaderUse>,
}

/// A game's detection data, mappings, quirks and field layouts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    /// Stable id: lowercase letters, digits and '-'.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Steam appids, demos included.
    pub appids: Vec<u32>,
    /// Exe names Steam starts (basenames).
    pub launcher_exes: Vec<String>,
    /// Exe names of the process that owns the mappings (basenames).
    pub live_exes: Vec<String>,
    /// Names of Win32 events the game uses; never pre-created.
    #[serde(serialize_with = "win32_names")]
    pub events: Vec<MappingName>,
    /// Caveats.
    pub quirks: Vec<Quirk>,
    /// Sections to pre-create.
    pub mappings: Vec<Mapping>,
    /// Field layouts referred to by mappings.
    pub layouts: Vec<Layout>,
    /// Which layout fields feed which gauge.
    pub dashboard: Option<Dashboard>,
}

impl Profile {
    /// The layout a mapping refers to.
    pub fn layout_of(&self, mapping: &Mapping) -> Option<&Layout> {
        let id = mapping.layout.as_deref()?;
        self.layouts.iter().find(|l| l.id == id)
    }

    /// The mapping with this Win32 name (or any name opening the same
    /// section, e.g. with or without `Local\`).
    pub fn mapping(&self, name: &str) -> Option<&Mapping> {
        let wanted = MappingName::parse(name).ok()?;
        self.mappings
            .iter()
            .find(|m| m.name.identity() == wanted.identity())
    }

    /// Mappings created by default (not opt-in).
    pub fn default_mappings(&self) -> impl Iterator<Item = &Mapping> {
        self.mappings.iter().filter(|m| !m.opt_in)
    }

    /// Total bytes of the default mappings.
    pub fn default_size(&self) -> u64 {
        self.default_mappings().map(|m| m.size.bytes()).sum()
    }

    /// Whether `exe` (a basename or a Windows or Linux path) is one of the
    /// launcher or live exes, compared case-insensitively.
    pub fn matches_exe(&self, exe: &str) -> bool {
        let base = exe_basename(exe);
        self.launcher_exes
            .iter()
            .chain(&self.live_exes)
            .any(|e| e.eq_ignore_ascii_case(base))
    }

    /// Whether `exe` is one of the live exes, compared case-insensitively.
    pub fn is_live_exe(&self, exe: &str) -> bool {
        let base = exe_basename(exe);
        self.live_exes.iter().any(|e| e.eq_ignore_ascii_case(base))
    }
}

/// The last component of a Windows or Linux path.
pub(crate) fn exe_basename(exe: &str) -> &str {
    exe.rsplit(['/', '\\']).next().unwrap_or(exe)
}

fn win32_name<S: Serializer>(name: &MappingName, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(name.win32())
}

fn win32_names<S: Serializer>(names: &[MappingName], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(names.iter().map(MappingName::win32))
}

fn size_bytes<S: Serializer>(size: &MappingSize, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(size.bytes())
}
