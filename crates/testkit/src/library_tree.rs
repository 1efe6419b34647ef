//! The 500-app Steam tree the discovery benchmarks share: five libraries,
//! 500 installed games (every second one with a Proton prefix, every
//! fourth mapped to a custom tool, every fourth after that to Proton
//! Experimental), two Valve Protons, a custom tool, a runtime and a
//! non-Steam shortcut. One definition, so that `bridgekeeper games` and
//! `protontricks -l` are timed on the same tree as the discovery library.

use std::path::Path;
use std::time::Duration;

use crate::steam_fixture::{AppSpec, ProtonSpec, SteamFixture};

/// How many installed games the tree holds.
pub const APPS: u32 = 500;

/// The first game's appid; the others follow.
pub const FIRST_APPID: u32 = 100_000;

/// Builds the tree under `base` (Steam in `base/Steam`, libraries beside).
pub fn five_hundred_apps(base: &Path) -> SteamFixture {
    let mut f = SteamFixture::new(base.join("Steam"));
    for i in 1..5 {
        f = f.library(base.join(format!("Library {i}")));
    }
    f = f
        .runtime(1_628_350, "SteamLinuxRuntime_sniper", 0)
        .proton(ProtonSpec::valve(2_805_730, "Proton 9.0"))
        .proton(ProtonSpec::valve(1_493_710, "Proton - Experimental").in_library(1))
        .custom_tool("GE-Proton9-4")
        .compat_mapping(0, "proton_9");
    let proton9 = f.tool_path("Proton 9.0");
    for n in 0..APPS {
        let appid = FIRST_APPID + n;
        let lib = (n % 5) as usize;
        f = f.app(AppSpec::new(appid, &format!("Game {n}")).in_library(lib));
        match n % 4 {
            0 => f = f.compat_mapping(appid, "GE-Proton9-4"),
            1 => f = f.compat_mapping(appid, "proton_experimental"),
            _ => {}
        }
        if n % 2 == 0 {
            f = f
                .prefix(appid, lib, Duration::from_secs(u64::from(n)))
                .config_info(appid, lib, &proton9);
        }
    }
    f.shortcut(0x9000_0001, "SimHub", "/opt/SimHub.exe", "/opt")
        .build()
}
