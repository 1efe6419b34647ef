//! Bench command: the recorder's real cost. The `Sampler` polls three
//! ACC-shaped files in /dev/shm (1 kHz, locked to the physics page's
//! cadence once it is steady, as `record` does) while another thread
//! rewrites the physics page at 333 Hz and the graphics page at 60 Hz; the
//! recorder thread's CPU time (user + system, `getrusage(RUSAGE_THREAD)`:
//! reads, comparisons, deltas, zstd, writes and its sleeps' wake-ups) is
//! divided by the wall time. Also: updates written vs recorded, bytes per
//! minute of the file.
//!
//! `cargo bench -p bridgekeeper-capture --bench record_cpu`
//! (`BK_BENCH_SECONDS`, default 5 per run; `BK_BENCH_RUNS`, default 5;
//! `BK_BENCH_RATE`, polls per second, default 1000; `BK_BENCH_PHASE_LOCK`,
//! 1 (default) to lock to the physics page's cadence, 0 for the fixed rate)

mod common;

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bridgekeeper_capture::{
    CaptureReader, CaptureWriter, Change, PollOptions, Sampler, SourceFile, record,
};
use common::{
    GRAPHICS_HZ, PAGE, PHYSICS_HZ, acc_header, graphics_page, median_spread, physics_page,
    static_page, thread_cpu,
};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Run {
    cpu_percent: f64,
    bytes_per_minute: f64,
    written: u64,
    recorded: u64,
    torn: u64,
    skipped: u64,
    polls: u64,
    locked_polls: u64,
}

fn run(seconds: u64, rate_hz: f64) -> Run {
    let dir = tempfile::Builder::new()
        .prefix("bk-capture-cpu-")
        .tempdir_in("/dev/shm")
        .unwrap();
    let header = acc_header();
    let paths: Vec<_> = header
        .mappings
        .iter()
        .map(|m| dir.path().join(&m.name))
        .collect();
    let mut page = vec![0u8; PAGE];
    physics_page(0, &mut page);
    std::fs::write(&paths[0], &page).unwrap();
    graphics_page(0, &mut page);
    std::fs::write(&paths[1], &page).unwrap();
    static_page(&mut page);
    std::fs::write(&paths[2], &page).unwrap();

    let stop = AtomicBool::new(false);
    let written = AtomicU64::new(0);
    let capture = dir.path().join("run.bkcap");
    let (cpu, elapsed, report) = std::thread::scope(|s| {
        // The game: pages rewritten in place at their rates.
        s.spawn(|| {
            let physics = File::options().write(true).open(&paths[0]).unwrap();
            let graphics = File::options().write(true).open(&paths[1]).unwrap();
            let start = Instant::now();
            let (mut p, mut g) = (1u64, 1u64);
            let mut physics_bytes = vec![0u8; PAGE];
            let mut graphics_bytes = vec![0u8; PAGE];
            while !stop.load(Ordering::Relaxed) {
                let tp = Duration::from_secs_f64(p as f64 / PHYSICS_HZ);
                let tg = Duration::from_secs_f64(g as f64 / GRAPHICS_HZ);
                std::thread::sleep(tp.min(tg).saturating_sub(start.elapsed()));
                if tp <= tg {
                    physics_page(p, &mut physics_bytes);
                    physics.write_all_at(&physics_bytes, 0).unwrap();
                    written.fetch_add(1, Ordering::Relaxed);
                    p += 1;
                } else {
                    graphics_page(g, &mut graphics_bytes);
                    graphics.write_all_at(&graphics_bytes, 0).unwrap();
                    g += 1;
                }
            }
        });
        let recorder = s.spawn(|| {
            let mut sampler = Sampler::new(
                header
                    .mappings
                    .iter()
                    .zip(&paths)
                    .map(|(m, path)| SourceFile {
                        name: m.name.clone(),
                        path: path.clone(),
                        size: m.size,
                    })
                    .collect(),
            );
            let mut writer = CaptureWriter::create(&capture, header.clone()).unwrap();
            let cpu_before = thread_cpu();
            let start = Instant::now();
            let options = PollOptions {
                rate_hz,
                phase_lock: env_number("BK_BENCH_PHASE_LOCK", 1) == 1,
            };
            let report = record(&mut sampler, &mut writer, &options, &stop).unwrap();
            let cpu = thread_cpu() - cpu_before;
            let elapsed = start.elapsed();
            writer.finish().unwrap();
            (cpu, elapsed, report)
        });
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, Ordering::Relaxed);
        recorder.join().unwrap()
    });
    let mut reader = CaptureReader::open(&capture).unwrap();
    let stats = reader.stats().unwrap();
    // Pages read while the writer was halfway through them.
    let mut torn = 0;
    let mut expected = vec![0u8; PAGE];
    while let Some(frame) = reader.next_frame().unwrap() {
        if frame
            .changes
            .iter()
            .any(|c| matches!(c, Change::Page { mapping: 0, .. }))
        {
            let page = reader.mapping(0);
            let packet = u32::from_le_bytes(page[..4].try_into().unwrap());
            physics_page(u64::from(packet.max(1)) - 1, &mut expected);
            torn += u64::from(page != expected.as_slice());
        }
    }
    Run {
        cpu_percent: cpu.as_secs_f64() / elapsed.as_secs_f64() * 100.0,
        bytes_per_minute: stats.bytes_per_minute,
        written: written.load(Ordering::Relaxed),
        recorded: stats.mappings[0].counts.frames_changed,
        torn,
        skipped: report.skipped,
        polls: report.polls,
        locked_polls: report.locked_polls,
    }
}

/// CPU share of a thread that only sleeps to `rate` deadlines a second:
/// what the wake-ups alone cost on this machine now.
fn idle_loop_percent(seconds: u64, rate: u64) -> f64 {
    let cpu = thread_cpu();
    let start = Instant::now();
    let mut deadline = start;
    while start.elapsed() < Duration::from_secs(seconds) {
        deadline += Duration::from_secs_f64(1.0 / rate as f64);
        std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
    }
    (thread_cpu() - cpu).as_secs_f64() / start.elapsed().as_secs_f64() * 100.0
}

fn main() {
    let seconds = env_number("BK_BENCH_SECONDS", 5);
    let runs = env_number("BK_BENCH_RUNS", 5);
    let rate = env_number("BK_BENCH_RATE", 1000);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "{} cores, load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split(' ').take(3).collect::<Vec<_>>().join(" ")
    );
    let mut cpu = Vec::new();
    let mut size = Vec::new();
    let mut idle = Vec::new();
    for i in 0..runs {
        idle.push(idle_loop_percent(2, rate));
        let r = run(seconds, rate as f64);
        println!(
            "run {i}: recorder thread {:.3} % of a core, {:.2} MB per minute, physics updates written {} recorded {} (the first is the file as found; {} read half-written), polls {} ({} locked to the physics page), skipped {}",
            r.cpu_percent,
            r.bytes_per_minute / 1e6,
            r.written,
            r.recorded,
            r.torn,
            r.polls,
            r.locked_polls,
            r.skipped
        );
        cpu.push(r.cpu_percent);
        size.push(r.bytes_per_minute / 1e6);
    }
    let (m, lo, hi) = median_spread(&mut cpu);
    println!(
        "recorder CPU at {rate} Hz on ACC-shaped pages: median {m:.3} % of a core (min {lo:.3}, max {hi:.3}; {runs} runs of {seconds} s)"
    );
    let (m, lo, hi) = median_spread(&mut idle);
    println!(
        "of which waking up {rate} times a second (a loop that only sleeps, measured before each run): median {m:.3} % (min {lo:.3}, max {hi:.3})"
    );
    let (m, lo, hi) = median_spread(&mut size);
    println!("capture size: median {m:.2} MB per minute (min {lo:.2}, max {hi:.2})");
}
