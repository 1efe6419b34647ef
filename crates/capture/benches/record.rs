//! Cost of recording ACC-shaped pages: the CPU time the writer spends on
//! one second of recorded data (XOR deltas, zstd, one write per chunk to a
//! file in /dev/shm), and the bytes a minute of it takes.
//!
//! `cargo bench -p bridgekeeper-capture --bench record`
//!
//! Criterion's time is wall time of a thread that never sleeps here, so it
//! is that thread's CPU time. The pages are computed before timing; reading
//! the live files is the `record_cpu` bench command's business.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use bridgekeeper_capture::{CaptureReader, CaptureWriter, Update, WriterOptions};
use common::{acc_header, frames, write_start};
use criterion::{Criterion, criterion_group, criterion_main};

/// Seconds of distinct data fed in turn.
const SECONDS: usize = 10;

fn record(c: &mut Criterion) {
    let seconds: Vec<_> = (0..SECONDS)
        .map(|s| frames(s as f64, s as f64 + 1.0))
        .collect();
    let dir = tempfile::Builder::new()
        .prefix("bk-capture-bench-")
        .tempdir_in("/dev/shm")
        .unwrap();
    for level in [1, 3] {
        let options = WriterOptions {
            zstd_level: level,
            ..WriterOptions::default()
        };
        let path = dir.path().join(format!("record-{level}.bkcap"));
        let mut writer = CaptureWriter::create_with(&path, acc_header(), options.clone()).unwrap();
        write_start(&mut writer);
        let mut second = 0usize;
        c.bench_function(
            &format!("record 1 s of ACC pages (zstd level {level})"),
            |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let offset = Duration::from_secs(second as u64 + 1);
                        for (time, mapping, page) in &seconds[second % SECONDS] {
                            writer
                                .write_frame(
                                    offset + *time - Duration::from_secs((second % SECONDS) as u64),
                                    &[Update::Page {
                                        mapping: *mapping,
                                        page: 0,
                                        bytes: page,
                                    }],
                                )
                                .unwrap();
                        }
                        second += 1;
                    }
                    start.elapsed()
                })
            },
        );
        writer.finish().unwrap();
        std::fs::remove_file(&path).unwrap();
        report_size(&seconds, options);
    }
}

/// Writes one minute and prints its size.
fn report_size(seconds: &[Vec<(Duration, usize, Vec<u8>)>], options: WriterOptions) {
    let level = options.zstd_level;
    let mut writer =
        CaptureWriter::new(Vec::new(), Path::new("minute"), acc_header(), options).unwrap();
    write_start(&mut writer);
    let mut frames = 0;
    for s in 0..60 {
        let base = s % SECONDS;
        for (time, mapping, page) in &seconds[base] {
            let time = *time + Duration::from_secs(s as u64) - Duration::from_secs(base as u64);
            writer
                .write_frame(
                    time,
                    &[Update::Page {
                        mapping: *mapping,
                        page: 0,
                        bytes: page,
                    }],
                )
                .unwrap();
            frames += 1;
        }
    }
    let (bytes, summary) = writer.finish_into_inner().unwrap();
    let mut reader = CaptureReader::from_bytes(Path::new("minute"), bytes).unwrap();
    let stats = reader.stats().unwrap();
    println!(
        "zstd level {level}: one minute of ACC pages ({frames} frames, {} chunks) takes {} bytes = {:.2} MB per minute",
        summary.chunks,
        summary.bytes,
        stats.bytes_per_minute / 1e6
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(10));
    targets = record
}
criterion_main!(benches);
