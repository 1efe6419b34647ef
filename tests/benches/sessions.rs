//! Session figures under real Wine, as medians with their spread over
//! repeated runs:
//!
//! - launcher mode: `bridgekeeper run` started → the bridge's all-ready, and
//!   → the game started by the bridge (the clock includes the fake Proton's
//!   start-up and a cold wineserver);
//! - CPU of an attach-mode bridge while its game runs, in percent of one
//!   core, in the mode the watcher's bridge got (shared when it was first,
//!   copy when the game was).
//!
//! The watcher's own figures (idle CPU, warm and cold attach, pre-start
//! share) are in `benches/prestart.rs`.
//!
//! `cargo bench -p bridgekeeper-e2e --bench sessions` (needs Wine; the
//! numbers are what this machine did, with whatever else it was doing;
//! `BRIDGEKEEPER_BENCH_RUNS=N` repeats N times instead of 7).
//!
//! The game starts as Steam starts it: Steam's reaper, Proton's script
//! (with its start-up time), Wine, Proton's `steam.exe`, the game
//! (crates/testkit/src/fake_proton.rs), so "game process spawned" is the
//! start of that whole chain.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use bridgekeeper_bench_report::{Figure, ms, record, runs};
use bridgekeeper_testkit::procs::cpu_percent;
use bridgekeeper_testkit::wait_for;
use bridgekeeper_testkit::world::World;

const COMMAND: &str = "cargo bench -p bridgekeeper-e2e --bench sessions";
const LONG: Duration = Duration::from_secs(60);

fn main() {
    let runs = runs(7).unwrap_or_else(|err| {
        eprintln!("bench sessions: {err}");
        std::process::exit(2);
    });
    let Some(world) = World::options("bench").stop_wine_on_drop().build() else {
        eprintln!("Wine is missing: nothing to measure");
        return;
    };
    let World {
        wine, steam, app, ..
    } = &world;
    let game_args = |extra: &[&str]| world.game_args(world.size, extra);

    let mut to_ready = Vec::new();
    let mut to_game = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let mut child = app
            .command()
            .arg("run")
            .args(steam.launch_command(&game_args(&["--run-ms", "300"])))
            .envs(steam.game_env())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (mut ready, mut game) = (None, None);
        for line in stdout.lines().map_while(Result::ok) {
            if ready.is_none() && line.contains("\"event\":\"all-ready\"") {
                ready = Some(started.elapsed());
            }
            if game.is_none() && line.contains("\"event\":\"game-started\"") {
                game = Some(started.elapsed());
            }
        }
        child.wait().unwrap();
        to_ready.push(ready.expect("the bridge got ready"));
        to_game.push(game.expect("the game started"));
        wine.wineserver_wait();
    }

    let mut watch = app
        .command()
        .args(["watch", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let notices = BufReader::new(watch.stdout.take().unwrap());
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in notices.lines().map_while(Result::ok) {
            let _ = sender.send((Instant::now(), line));
        }
    });
    std::thread::sleep(Duration::from_secs(2));

    let mut bridge_idle = Vec::new();
    for run in 0..2 {
        // The last run lets the game create its section at once.
        let copy_mode = run == 1;
        let delay = if copy_mode { "0" } else { "1500" };
        let mut command = steam.game_command(
            &wine.prefix,
            &game_args(&["--run-ms", "5000", "--delay-ms", delay]),
        );
        let mut game: Child = command.stdout(Stdio::null()).spawn().unwrap();
        let (_, line) = wait_for(LONG, || {
            receiver
                .try_iter()
                .find(|(_, l)| l.contains("\"attached\""))
        })
        .unwrap();
        {
            let notice: serde_json::Value = serde_json::from_str(&line).unwrap();
            let pid = notice["session"]["bridge_pid"].as_u64().unwrap() as u32;
            let mode = notice["session"]["mappings"][0]["mode"]
                .as_str()
                .unwrap_or("?")
                .to_string();
            std::thread::sleep(Duration::from_millis(1000));
            bridge_idle.push((mode, cpu_percent(pid, Duration::from_secs(3))));
        }
        game.wait().unwrap();
        wait_for(LONG, || {
            receiver.try_iter().find(|(_, l)| l.contains("\"ended\""))
        });
        wine.wineserver_wait();
    }
    let _ = watch.kill();
    let _ = watch.wait();

    let runs = |measure: &str, values: &[Duration]| {
        Figure::of_samples(
            measure,
            &values.iter().map(|d| ms(*d)).collect::<Vec<_>>(),
            "ms",
        )
    };
    let mut figures = vec![
        runs(
            "launcher mode: `bridgekeeper run` → bridge all-ready",
            &to_ready,
        ),
        runs(
            "launcher mode: `bridgekeeper run` → game started by the bridge",
            &to_game,
        ),
    ];
    for (mode, cpu) in &bridge_idle {
        figures.push(Figure::new(
            format!("bridge CPU while the game runs, {mode} mode, game at 1 kHz (3 s)"),
            *cpu,
            "% of one core",
        ));
    }
    record(COMMAND, &figures).expect("recording the figures");
}
