//! Auto-attach figures under real Wine, each once, as a median with its
//! spread (p10–p90 over 10 samples or more, min–max below):
//!
//! - **idle watcher**: CPU of `bridgekeeper watch` with no game, in percent
//!   of one core, over three 20 s windows (the kernel counts CPU time in
//!   10 ms ticks, so one window resolves 0.05 %);
//! - **warm**: the game's exe appears → the watcher's bridge is all-ready,
//!   with the prefix's wineserver and Wine's own programs already running
//!   (a program that no profile names started the game 3 s after its own
//!   start, and the watcher was started after that program). The clock starts when the game's
//!   process starts (its start time in /proc, 10 ms ticks) and stops when
//!   the watcher's `attached` notice, printed once the bridge reported
//!   every section ready, is read here (against /proc/uptime, the same
//!   clock). It includes the watcher's scan interval, the attach (plan,
//!   prefix lock, backing files, registry record), Wine starting the bridge
//!   in the running wineserver and the bridge creating the sections;
//! - **pre-start share**: over `BRIDGEKEEPER_BENCH_RUNS` launches (default
//!   20) through the fake Proton (Steam's reaper, the `proton` script with
//!   its default 150 ms start-up, the wineserver, `steam.exe`, the game)
//!   with only the watcher running, the share in which the game found its
//!   section already made (its `CreateFileMapping` said "already exists"),
//!   for a game that creates it N = 0, 50, 100, 250 and 500 ms after its
//!   process starts;
//! - **cold**: from the same launches, the launch spawned (Steam's reaper,
//!   no wineserver running) → the watcher's bridge all-ready.
//!
//! `cargo bench -p bridgekeeper-e2e --bench prestart` (needs Wine; about
//! 5 minutes on 2 cores with the default 20 runs).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use bridgekeeper_bench_report::{Figure, ms, record, runs};
use bridgekeeper_testkit::procs::{cpu_percent, start_ticks};
use bridgekeeper_testkit::wine::{kill_wineserver, wine_env};
use bridgekeeper_testkit::world::{LAUNCHER_EXE, World, reap};

const COMMAND: &str = "cargo bench -p bridgekeeper-e2e --bench prestart";
const LONG: Duration = Duration::from_secs(60);
/// When the game creates its section, after its process starts.
const MAP_AFTER_MS: [u32; 5] = [0, 50, 100, 250, 500];

/// Lines of a child's stdout, each with the moment it was read.
fn timed_lines(stdout: ChildStdout) -> Receiver<(Instant, String)> {
    let (sender, receiver) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    receiver
}

/// The first line containing `text` within [`LONG`], with its moment.
fn line_with(lines: &Receiver<(Instant, String)>, text: &str) -> (Instant, String) {
    let deadline = Instant::now() + LONG;
    while let Ok((at, line)) =
        lines.recv_timeout(deadline.saturating_duration_since(Instant::now()))
    {
        if line.contains(text) {
            return (at, line);
        }
    }
    panic!("no line with {text:?} within {LONG:?}");
}

/// `bridgekeeper watch --json`, with its notices.
fn watcher(world: &World) -> (Child, Receiver<(Instant, String)>) {
    let mut child = world
        .app
        .command()
        .args(["watch", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the watcher");
    let lines = timed_lines(child.stdout.take().expect("piped"));
    (child, lines)
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// CPU of a watcher with nothing to do, in three windows.
fn idle_cpu(world: &World) -> Vec<f64> {
    let (child, _lines) = watcher(world);
    std::thread::sleep(Duration::from_secs(2));
    let windows = (0..3)
        .map(|_| cpu_percent(child.id(), Duration::from_secs(20)))
        .collect();
    stop(child);
    windows
}

/// The name the warm runs' launcher goes by: one that no profile names.
const MENU_EXE: &str = "GameMenu.exe";

/// One warm attach: milliseconds from the game's process start to the
/// watcher's `attached` notice.
fn warm(world: &World) -> f64 {
    let mut game = world.game_args(world.size, &["--run-ms", "1000"]);
    game[0] = world.steam.exe(bridgekeeper_testkit::world::LIVE_EXE);
    // A program that starts the game but that the profile does not name
    // (the profile's own launcher would be attached to).
    let menu = world.steam.exe(MENU_EXE);
    if !Path::new(&menu).exists() {
        std::fs::copy(world.steam.exe(LAUNCHER_EXE), &menu).expect("copying the launcher");
    }
    let mut args = vec![
        menu,
        "launcher".into(),
        "--launch-after-ms".into(),
        "3000".into(),
        "--".into(),
    ];
    args.extend(game);
    // Wine started as Proton starts it (Steam's environment, the fake
    // Proton's Wine), without Proton's launch chain before it.
    let prefix = world.steam.compatdata.join("pfx");
    let mut command = std::process::Command::new("/usr/bin/wine");
    wine_env(&mut command, &prefix);
    let mut launcher = command
        .args(&args)
        .envs(world.steam.game_env())
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .expect("starting the launcher");
    let launcher_lines = timed_lines(launcher.stdout.take().expect("piped"));
    line_with(&launcher_lines, "testgame: cmdline");
    let (watch, notices) = watcher(world);
    let (_, attached) = line_with(&notices, "\"notice\":\"attached\"");
    // The game's age when the notice arrived, both on the kernel's boot
    // clock: its start time (10 ms ticks) against /proc/uptime.
    let uptime = uptime_seconds();
    let notice: serde_json::Value = serde_json::from_str(&attached).expect("a JSON notice");
    let game_pid = notice["game_pid"].as_u64().expect("the game's pid") as u32;
    let started = start_ticks(game_pid).expect("the game runs") as f64 / 100.0;
    line_with(&launcher_lines, "testgame: launched");
    line_with(&notices, "\"notice\":\"ended\"");
    stop(watch);
    reap(&mut launcher, LONG);
    world.wine.wineserver_wait();
    (uptime - started) * 1e3
}

/// Seconds since boot, from /proc/uptime (10 ms resolution).
fn uptime_seconds() -> f64 {
    std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse().ok())
        .expect("/proc/uptime")
}

/// One launch through the fake Proton with the watcher running: whether
/// the game found its section made, and the time from the launch's spawn
/// to the `attached` notice.
fn launch(world: &World, notices: &Receiver<(Instant, String)>, map_after_ms: u32) -> (bool, f64) {
    let args = world.game_args(
        world.size,
        &[
            "--map-after-ms",
            &map_after_ms.to_string(),
            "--run-ms",
            "300",
        ],
    );
    let spawned = Instant::now();
    let mut child = world.start_game(&args);
    let game_lines = timed_lines(child.stdout.take().expect("piped"));
    let (attached, _) = line_with(notices, "\"notice\":\"attached\"");
    let (_, mapping) = line_with(&game_lines, &format!("mapping {}", world.mapping));
    let found_made = mapping.ends_with(" existed");
    line_with(notices, "\"notice\":\"ended\"");
    // The bridge is gone: end the wineserver now rather than after its
    // linger time, so that the next launch starts cold at once.
    kill_wineserver(&world.wine.prefix);
    reap(&mut child, LONG);
    (found_made, ms(attached.saturating_duration_since(spawned)))
}

fn main() {
    let runs = runs(20).unwrap_or_else(|err| {
        eprintln!("bench prestart: {err}");
        std::process::exit(2);
    });
    let Some(world) = World::options("bench-prestart").stop_wine_on_drop().build() else {
        eprintln!("Wine is missing: nothing to measure");
        return;
    };
    let mut figures = Vec::new();

    let idle = idle_cpu(&world);
    figures.push(Figure::of_samples(
        "idle watcher CPU (`bridgekeeper watch`, no game; 20 s windows)",
        &idle,
        "% of one core",
    ));

    let warm_runs = runs.min(10);
    let warm: Vec<f64> = (0..warm_runs).map(|_| warm(&world)).collect();
    figures.push(Figure::of_samples(
        "warm: game exe appears → watcher's bridge all-ready (wineserver running)",
        &warm,
        "ms",
    ));

    let (watch, notices) = watcher(&world);
    std::thread::sleep(Duration::from_millis(500));
    let mut cold = Vec::new();
    for map_after in MAP_AFTER_MS {
        let mut made = 0;
        for _ in 0..runs {
            let (found_made, to_ready) = launch(&world, &notices, map_after);
            made += usize::from(found_made);
            cold.push(to_ready);
        }
        eprintln!("N = {map_after} ms: {made} of {runs} launches found their section made");
        figures.push(Figure {
            samples: runs,
            ..Figure::new(
                format!(
                    "pre-start: launches whose game found its section made, game maps \
                     {map_after} ms after its start ({made} of {runs})"
                ),
                100.0 * made as f64 / runs as f64,
                "%",
            )
        });
    }
    stop(watch);
    figures.push(Figure::of_samples(
        "cold: launch spawned (reaper; no wineserver) → watcher's bridge all-ready",
        &cold,
        "ms",
    ));
    record(COMMAND, &figures).expect("recording the figures");
}
