//! Cost of one watcher scan of /proc, when nothing new started (the steady
//! state the watcher spends its life in), and when every process is new
//! (its first scan).
//!
//! `cargo bench -p bridgekeeper-sessions --bench process_scan`

use bridgekeeper_sessions::process_scan::ProcessScanner;
use criterion::{Criterion, criterion_group, criterion_main};

fn scans(c: &mut Criterion) {
    let mut watch = ProcessScanner::new();
    watch.scan();
    for _ in 0..20 {
        watch.scan();
    }
    let processes = watch.known();
    c.bench_function(&format!("steady scan of {processes} processes"), |b| {
        b.iter(|| watch.scan())
    });
    c.bench_function(&format!("first scan of {processes} processes"), |b| {
        b.iter(|| ProcessScanner::new().scan())
    });
}

criterion_group!(benches, scans);
criterion_main!(benches);
