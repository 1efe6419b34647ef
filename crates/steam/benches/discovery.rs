//! Discovery over 5 libraries and 500 installed apps (target: under 50 ms).
//!
//! Run: `cargo bench -p bridgekeeper-steam --bench discovery`

use std::time::Duration;

use bridgekeeper_steam::{self as steam, DiscoveryOptions};
use bridgekeeper_testkit::steam_fixture::{AppSpec, ProtonSpec, SteamFixture};
use criterion::{Criterion, criterion_group, criterion_main};

fn tree(base: &std::path::Path) -> SteamFixture {
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
    for n in 0..500u32 {
        let appid = 100_000 + n;
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

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let f = tree(tmp.path());
    let options = DiscoveryOptions::with_steam_dir(f.root());
    let d = steam::discover(&options);
    assert_eq!(d.games.len(), 501);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    c.bench_function("discover 5 libraries, 500 apps", |b| {
        b.iter(|| steam::discover(std::hint::black_box(&options)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
