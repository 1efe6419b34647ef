//! Discovery over 5 libraries and 500 installed apps (target: under 50 ms).
//!
//! The tree is crates/testkit/src/library_tree.rs.
//!
//! Run: `cargo bench -p bridgekeeper-steam --bench discovery`

use bridgekeeper_steam::{self as steam, DiscoveryOptions};
use bridgekeeper_testkit::library_tree::five_hundred_apps;
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let f = five_hundred_apps(tmp.path());
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
