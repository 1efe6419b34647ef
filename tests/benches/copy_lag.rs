//! How long a game's write takes to show in the `/dev/shm` file, in shared
//! mode (the bridge created the section first: the file *is* the game's
//! memory) and in copy mode (the game was first: the bridge copies changed
//! pages every millisecond), and the bridge's CPU in each.
//!
//! The test game runs with `--clock`: on every tick it writes a sequence
//! number and the wall-clock time of the write into its section. A Linux
//! reader polls the file and, for each new stamp, takes its own wall-clock
//! time minus the stamp. Both sides read the same `CLOCK_REALTIME`. The
//! reader's own poll period limits the resolution and is reported too.
//!
//! `cargo bench -p bridgekeeper-e2e --bench copy_lag` (needs Wine)

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bridgekeeper_bench_report::{Figure, median, percentile, record};
use bridgekeeper_testkit::procs::{cpu_percent_between, cpu_ticks};
use bridgekeeper_testkit::wait_for;
use bridgekeeper_testkit::world::{World, reap, wait_stdout_line};

const COMMAND: &str = "cargo bench -p bridgekeeper-e2e --bench copy_lag";
/// The game's write rate: a typical telemetry rate.
const RATE_HZ: &str = "250";
/// How long the game runs; the window below fits in it with room to spare.
const GAME_MS: &str = "16000";
const WINDOW: Duration = Duration::from_secs(8);
const WARM_UP: Duration = Duration::from_secs(1);
const POLL: Duration = Duration::from_micros(20);
const LONG: Duration = Duration::from_secs(60);
/// Where the test game puts its stamp (see tests/testgame/src/clock.rs).
const STAMP_OFFSET: u64 = 24;

/// What one mode did over the window.
struct Observed {
    lags_ms: Vec<f64>,
    stamps_written: u64,
    poll_period_us: f64,
    bridge_cpu: f64,
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_nanos() as u64
}

/// The (sequence, time) stamp in the file.
fn stamp(file: &File) -> (u64, u64) {
    let mut bytes = [0u8; 16];
    file.read_exact_at(&mut bytes, STAMP_OFFSET)
        .expect("reading the stamp");
    let (sequence, time) = bytes.split_at(8);
    (
        u64::from_le_bytes(sequence.try_into().unwrap()),
        u64::from_le_bytes(time.try_into().unwrap()),
    )
}

/// Polls `path` for `WINDOW`, timing every new stamp, while sampling the
/// CPU time of `bridge_pid`.
fn observe(path: &Path, bridge_pid: u32) -> Observed {
    let file = File::open(path).unwrap_or_else(|err| panic!("opening {}: {err}", path.display()));
    let moving = wait_for(LONG, || {
        let first = stamp(&file).1;
        std::thread::sleep(Duration::from_millis(50));
        (first != 0 && stamp(&file).1 != first).then_some(())
    });
    assert!(
        moving.is_some(),
        "the game's stamps never reached {}",
        path.display()
    );
    std::thread::sleep(WARM_UP);

    let (first_sequence, mut last_time) = stamp(&file);
    let mut last_sequence = first_sequence;
    let mut lags_ms = Vec::new();
    let mut polls = 0u64;
    let cpu_before = cpu_ticks(bridge_pid).expect("the bridge runs");
    let started = Instant::now();
    while started.elapsed() < WINDOW {
        let (sequence, time) = stamp(&file);
        polls += 1;
        if time != last_time {
            let seen = now_ns();
            lags_ms.push((seen as f64 - time as f64) / 1e6);
            last_time = time;
            last_sequence = sequence;
        }
        std::thread::sleep(POLL);
    }
    let elapsed = started.elapsed();
    let cpu_after = cpu_ticks(bridge_pid).expect("the bridge still runs");
    assert!(!lags_ms.is_empty(), "no new stamp in {WINDOW:?}");
    Observed {
        lags_ms,
        stamps_written: last_sequence.wrapping_sub(first_sequence),
        poll_period_us: elapsed.as_secs_f64() * 1e6 / polls as f64,
        bridge_cpu: cpu_percent_between(cpu_before, cpu_after, elapsed),
    }
}

/// Game's args for a clocked run.
fn clocked(world: &World) -> Vec<String> {
    world.game_args(
        world.size,
        &["--rate", RATE_HZ, "--clock", "--run-ms", GAME_MS],
    )
}

/// Shared mode: `bridgekeeper run` creates the section before the game.
fn shared(world: &World) -> Observed {
    let mut run = world
        .app
        .command()
        .arg("run")
        .args(world.steam.launch_command(&clocked(world)))
        .envs(world.steam.game_env())
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting bridgekeeper run");
    wait_stdout_line(&mut run, "\"event\":\"game-started\"");
    assert_eq!(world.mapping_mode(), "shared");
    let observed = observe(&world.file(), world.bridge_pid());
    reap(&mut run, LONG);
    world.wine.wineserver_wait();
    observed
}

/// Copy mode: the game creates its section, then `bridgekeeper attach`.
fn copy(world: &World) -> Observed {
    let mut game = world
        .steam
        .game_command(&world.wine.prefix, &clocked(world))
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting the game");
    wait_stdout_line(&mut game, "testgame: running");
    let attach = world
        .app
        .command()
        .args(["attach", &world.steam.appid.to_string()])
        .output()
        .expect("running bridgekeeper attach");
    assert!(
        attach.status.success(),
        "bridgekeeper attach failed: {}",
        String::from_utf8_lossy(&attach.stderr)
    );
    assert_eq!(world.mapping_mode(), "copy");
    let observed = observe(&world.file(), world.bridge_pid());
    reap(&mut game, LONG);
    world.wine.wineserver_wait();
    observed
}

fn figures(mode: &str, o: &Observed) -> Vec<Figure> {
    let lag = |label: &str, value: f64| Figure {
        samples: o.lags_ms.len(),
        ..Figure::new(
            format!("{mode} mode: game write → visible in /dev/shm file, {label}"),
            value,
            "ms",
        )
    };
    let mut cpu = Figure::new(
        format!("{mode} mode: bridge CPU, game writing at {RATE_HZ} Hz"),
        o.bridge_cpu,
        "% of one core",
    );
    cpu.samples = 1;
    vec![
        lag("median", median(&o.lags_ms)),
        lag("p99", percentile(&o.lags_ms, 99.0)),
        lag("max", percentile(&o.lags_ms, 100.0)),
        cpu,
    ]
}

fn main() {
    let Some(world) = World::options("copylag").stop_wine_on_drop().build() else {
        eprintln!("Wine is missing: nothing to measure");
        return;
    };
    let shared = shared(&world);
    let copy = copy(&world);
    for (mode, o) in [("shared", &shared), ("copy", &copy)] {
        eprintln!(
            "{mode}: {} stamps seen of {} written, reader polled every {:.0} µs",
            o.lags_ms.len(),
            o.stamps_written,
            o.poll_period_us
        );
    }
    let mut all = figures("shared", &shared);
    all.extend(figures("copy", &copy));
    let mut poll = Figure::new(
        "lag reader's poll period (resolution of the lag figures)",
        median(&[shared.poll_period_us, copy.poll_period_us]),
        "µs",
    );
    poll.samples = 2;
    all.push(poll);
    record(COMMAND, &all).expect("recording the figures");
}
