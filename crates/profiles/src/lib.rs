//! Game profiles: which named sections a game needs, how big they are, how
//! its exes are named, its quirks, and how to decode its pages.
//!
//! Profiles are TOML files, one per title. The built-in set
//! ([`builtin::BUILTIN`], the repository's `profiles/` directory) is compiled
//! into the binary; files in the user directory ([`default_user_dir`]) add
//! profiles or replace a built-in one with the same id. [`Catalog::load`]
//! reads both and keeps every bad file as data ([`RejectedFile`]) while the
//! rest still load; [`CatalogReloader`] reloads a [`SharedCatalog`] when the
//! user directory changes.
//!
//! A profile in brief:
//!
//! ```toml
//! id = "assetto-corsa"
//! name = "Assetto Corsa"
//! appids = [244210]
//! launcher_exes = ["AssettoCorsa.exe"]
//! live_exes = ["acs.exe"]
//! events = []                     # Win32 events: never pre-created
//!
//! [[quirk]]
//! kind = "clashes-with"           # needs-plugin, launcher-exits-early, early-mappings,
//! with = ["assetto-corsa-competizione"]   # anti-cheat, native-linux, note
//! text = "ACC uses the same names."
//!
//! [[mapping]]
//! name = "acpmf_physics"          # exactly as passed to CreateFileMapping
//! size = 4096                     # bytes, 1 to 1 GiB
//! optional = false                # true: written only by a plugin
//! opt_in = false                  # true: created only when the user asks
//! direction = "game-to-linux"     # or "linux-to-game"
//! role = "physics page"
//! source = "800 bytes computed from simapi include/acdata.h; 2048 in peers"
//! layout = "ac-physics"           # a [[layout]] of this file
//! liveness = "packetId"           # a numeric field that moves on update
//! game_struct = 800               # bytes of the game's struct, when known
//!
//! [[mapping.reader]]              # every known Linux reader that opens it
//! reader = "simd"                 # an id of profiles/readers.toml, or a list
//! maps = 2048                     # bytes it mmaps
//! truncates_to = 2048             # when it ftruncates the file
//! creates = true                  # creates the file, empty, when missing
//! source = "simapi simapi/simmapper.c:1677-1690"
//!
//! [[layout]]
//! id = "ac-physics"
//! source = "simapi include/acdata.h, pack 4"
//!
//! [[layout.field]]
//! name = "packetId"
//! offset = 0
//! type = "i32"                    # bool i8 u8 i16 u16 i32 u32 i64 u64 f32 f64,
//! unit = ""                       # arrays f32[4], ascii[N], utf16[N]
//! note = "increments per update"
//!
//! [dashboard]                     # which fields feed which gauge
//! speed = { mapping = "acpmf_physics", field = "speedKmh", unit = "km/h" }
//! gear = { mapping = "acpmf_physics", field = "gear", reverse = 0, neutral = 1 }
//! max_rpm = { mapping = "acpmf_static", field = "maxRpm", unit = "rpm" }
//! status = { mapping = "acpmf_graphics", field = "status", labels = { 0 = "off", 2 = "live" } }
//! ```
//!
//! A mapping's size must keep the size rule ([`SizeBounds`]): at least the
//! game's struct and every reader's mapped length, at most the smallest
//! length a reader truncates it to, rounded up to a page. Built-in profiles
//! must keep it and must create every page a known reader
//! ([`ReaderCatalog`]) opens for the game; user profiles get warnings.
//! [`Dashboard::read`] turns page images into gauge values.

pub mod builtin;
mod catalog;
mod dashboard;
mod layout;
mod model;
mod problem;
mod profile;
mod readers;
mod reload;
mod size_rule;
mod validate;

pub use catalog::{
    Catalog, CheckedFile, DIR_ENV, Entry, MAX_FILE_BYTES, Origin, RejectedFile, SharedCatalog,
    check_file, check_file_with, default_user_dir,
};
pub use dashboard::{
    Dashboard, DashboardValues, FieldRef, FuelUnit, GAUGES, Gauge, Gear, GearEncoding, GearGauge,
    LapGauge, LapUnit, Limit, LimitGauge, PedalUnit, PlayerFind, PlayerRecords, RpmUnit, SpeedUnit,
    Status, StatusGauge,
};
pub use layout::{Field, FieldType, FieldTypeError, Layout, Scalar, Value};
pub use problem::{Problem, line_column};
pub use profile::{Direction, Mapping, Profile, Quirk, QuirkKind};
pub use readers::{Fight, Opens, ProcessMatch, Reader, ReaderCatalog, ReaderUse};
pub use reload::{CatalogReloader, DEBOUNCE, ReloadError};
pub use size_rule::{BoundSetBy, PAGE, SizeBounds, SizeViolation, round_up_to_page};
pub use validate::{Parsed, Rejection, Strictness, parse_profile, parse_profile_with};
