//! Bench command: how precisely the player keeps the recorded timing. A
//! 10-second ACC-shaped capture (393 frames a second) is played at speed 1
//! into the pwrite sink in /dev/shm; lateness is the time from each frame's
//! deadline to the start of its first write (`CLOCK_MONOTONIC`), as the
//! player measures it. Also the player thread's CPU time.
//!
//! `cargo bench -p bridgekeeper-capture --bench replay_timing`
//! (`BK_BENCH_SECONDS`, default 10; `BK_BENCH_RUNS`, default 3;
//! `BK_BENCH_CHUNK_MS`, the writer's chunk span, default 1000)

mod common;

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bridgekeeper_capture::{
    CaptureReader, CaptureWriter, FileSink, PlayOptions, Player, WriterOptions,
};
use common::{acc_header, median_spread, thread_cpu, ticks, write_start, write_ticks};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let seconds = env_number("BK_BENCH_SECONDS", 10);
    let runs = env_number("BK_BENCH_RUNS", 3);
    let options = WriterOptions {
        chunk_span: Duration::from_millis(env_number("BK_BENCH_CHUNK_MS", 1000)),
        ..WriterOptions::default()
    };
    let mut writer =
        CaptureWriter::new(Vec::new(), Path::new("replay"), acc_header(), options).unwrap();
    write_start(&mut writer);
    write_ticks(&mut writer, &ticks(0.0, seconds as f64));
    let (bytes, summary) = writer.finish_into_inner().unwrap();
    println!(
        "capture: {} frames over {:?} in {} chunks",
        summary.frames, summary.duration, summary.chunks
    );
    let mut p99s = Vec::new();
    for run in 0..runs {
        let dir = tempfile::Builder::new()
            .prefix("bk-capture-replay-")
            .tempdir_in("/dev/shm")
            .unwrap();
        let reader = CaptureReader::from_bytes(Path::new("replay"), bytes.clone()).unwrap();
        let mut player = Player::new(reader, &PlayOptions::default()).unwrap();
        let mut sink = FileSink::new(dir.path(), player.reader().header()).unwrap();
        let (_tx, rx) = mpsc::channel();
        let cpu_before = thread_cpu();
        let start = Instant::now();
        let report = player.run(&mut sink, &rx).unwrap();
        let wall = start.elapsed();
        let cpu = thread_cpu() - cpu_before;
        let l = &report.lateness;
        println!(
            "run {run}: {} frames in {wall:?}; lateness p50 {:.0} µs, p90 {:.0} µs, p99 {:.0} µs, p99.9 {:.0} µs, max {:.0} µs, mean {:.0} µs; player CPU {:.1} % of a core",
            report.frames,
            us(l.percentile(0.5)),
            us(l.percentile(0.9)),
            us(l.percentile(0.99)),
            us(l.percentile(0.999)),
            us(l.max()),
            us(l.mean()),
            cpu.as_secs_f64() / wall.as_secs_f64() * 100.0
        );
        p99s.push(us(l.percentile(0.99)));
    }
    let (m, lo, hi) = median_spread(&mut p99s);
    println!(
        "replay lateness p99: median {m:.0} µs (min {lo:.0}, max {hi:.0}; {runs} runs of {seconds} s)"
    );
}
