//! Opening and seeking in a 1-hour ACC-shaped capture (generated once into
//! `target/capture-bench/`, about 100 MB): open with the index, open by
//! scanning (the same capture without its index, as a killed recorder
//! leaves it), and seeks to pseudo-random times and frames. Wall time; the
//! file is in the page cache after the first run.
//!
//! `cargo bench -p bridgekeeper-capture --bench seek`

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bridgekeeper_capture::{CaptureReader, CaptureWriter};
use common::{acc_header, bench_dir, ticks, write_start, write_ticks};
use criterion::{Criterion, criterion_group, criterion_main};

const SECONDS: u64 = 3600;

/// The 1-hour capture and a copy without its index, made if missing.
fn captures() -> (PathBuf, PathBuf) {
    let dir = bench_dir();
    let clean = dir.join("acc-1h.bkcap");
    let unfinished = dir.join("acc-1h-unfinished.bkcap");
    let usable =
        CaptureReader::open(&clean).is_ok_and(|r| r.duration() >= Duration::from_secs(SECONDS - 1));
    if !usable {
        eprintln!("generating {} (once)", clean.display());
        let _ = std::fs::remove_file(&clean);
        let partial = dir.join("acc-1h.bkcap.partial");
        let _ = std::fs::remove_file(&partial);
        let mut writer = CaptureWriter::create(&partial, acc_header()).unwrap();
        write_start(&mut writer);
        for s in 0..SECONDS {
            write_ticks(&mut writer, &ticks(s as f64, s as f64 + 1.0));
        }
        writer.finish().unwrap();
        std::fs::rename(&partial, &clean).unwrap();
        let _ = std::fs::remove_file(&unfinished);
    }
    if !unfinished.exists() {
        let bytes = std::fs::read(&clean).unwrap();
        let tail: [u8; 8] = bytes[bytes.len() - 16..bytes.len() - 8].try_into().unwrap();
        std::fs::write(&unfinished, &bytes[..u64::from_le_bytes(tail) as usize]).unwrap();
    }
    (clean, unfinished)
}

/// Pseudo-random numbers below `bound`.
fn targets(bound: u64) -> impl FnMut() -> u64 {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % bound
    }
}

fn seek(c: &mut Criterion) {
    let (clean, unfinished) = captures();
    let mut reader = CaptureReader::open(&clean).unwrap();
    println!(
        "{}: {} bytes, {} frames, {} chunks, {:?}",
        clean.display(),
        reader.file_len(),
        reader.frame_count(),
        reader.chunk_count(),
        reader.duration()
    );
    let frames = reader.frame_count();
    let duration_ns = reader.duration().as_nanos() as u64;

    c.bench_function("open a 1-hour capture (index)", |b| {
        b.iter(|| CaptureReader::open(&clean).unwrap())
    });
    c.bench_function("open a 1-hour capture (no index: scan)", |b| {
        b.iter(|| CaptureReader::open(&unfinished).unwrap())
    });
    let mut next = targets(duration_ns);
    c.bench_function("open a 1-hour capture and seek to a random time", |b| {
        b.iter(|| {
            let mut r = CaptureReader::open(Path::new(&clean)).unwrap();
            r.seek_time(Duration::from_nanos(next())).unwrap()
        })
    });
    let mut next = targets(duration_ns);
    c.bench_function("seek to a random time (open reader)", |b| {
        b.iter(|| reader.seek_time(Duration::from_nanos(next())).unwrap())
    });
    let mut next = targets(frames);
    c.bench_function("seek to a random frame (open reader)", |b| {
        b.iter(|| reader.seek_frame(next()).unwrap())
    });
    reader.seek_frame(frames / 2).unwrap();
    c.bench_function("step back one frame and forward again", |b| {
        b.iter(|| {
            reader.step_back().unwrap();
            reader.next_frame().unwrap()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = seek
}
criterion_main!(benches);
