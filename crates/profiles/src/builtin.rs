//! The profiles shipped in the binary: every game profile of the
//! repository's `profiles/` directory, and its readers' catalog.

macro_rules! builtin {
    ($($file:literal),* $(,)?) => {
        &[$(($file, include_str!(concat!("../../../profiles/", $file)))),*]
    };
}

/// `(file name, TOML text)` of every built-in profile (`readers.toml` is
/// not a profile: see [`READERS`]).
pub const BUILTIN: &[(&str, &str)] = builtin![
    "american-truck-simulator.toml",
    "assetto-corsa-competizione.toml",
    "assetto-corsa-evo.toml",
    "assetto-corsa-rally.toml",
    "assetto-corsa.toml",
    "automobilista-2.toml",
    "euro-truck-simulator-2.toml",
    "iracing.toml",
    "le-mans-ultimate.toml",
    "project-cars-2.toml",
    "raceroom.toml",
    "rfactor-2.toml",
];

/// How built-in files are named in messages: `profiles/<file>`.
pub fn display_path(file: &str) -> String {
    format!("profiles/{file}")
}

/// The known readers' catalog, `profiles/readers.toml`
/// ([`crate::ReaderCatalog::builtin`]).
pub const READERS: &str = include_str!("../../../profiles/readers.toml");
