//! Session figures under real Wine, as medians over repeated runs:
//!
//! - launcher mode: `bridgekeeper run` started → the bridge's all-ready, and
//!   → the game started by the bridge;
//! - attach mode: the game process spawned → the watcher's bridge ready;
//! - CPU of an idle watcher (`bridgekeeper watch`, no game) and of an idle
//!   attach-mode bridge, in percent of one core.
//!
//! `cargo bench -p bridgekeeper-e2e --bench sessions` (needs Wine; the
//! numbers are what this machine did, with whatever else it was doing).

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use bridgekeeper_e2e::app::App;
use bridgekeeper_e2e::shm::ShmDir;
use bridgekeeper_e2e::steam::FakeSteam;
use bridgekeeper_e2e::wine::wine;
use bridgekeeper_e2e::{unique_name, wait_for};

const RUNS: usize = 7;
const LONG: Duration = Duration::from_secs(60);

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Percent of one core used by `pid` over `window`.
fn cpu_percent(pid: u32, window: Duration) -> f64 {
    let ticks_per_second = 100.0;
    let before = cpu_ticks(pid).unwrap_or(0);
    std::thread::sleep(window);
    let after = cpu_ticks(pid).unwrap_or(before);
    (after - before) as f64 / ticks_per_second / window.as_secs_f64() * 100.0
}

fn main() {
    let Some(wine) = wine() else {
        eprintln!("Wine is missing: nothing to measure");
        return;
    };
    let root = std::env::temp_dir().join(unique_name("bench"));
    let appid = 991_000 + std::process::id() % 900;
    let steam = FakeSteam::new(
        &root.join("Steam"),
        appid,
        &wine,
        &wine.prefix,
        &["FakeLauncher.exe", "FakeSimAVX.exe"],
    );
    let shm = ShmDir::new("bench");
    let app = App::new(&root, shm.path(), &wine);
    let mapping = format!("${}$", unique_name("bench"));
    app.profile(
        "bench.toml",
        &format!(
            "id = \"bench\"\nname = \"Bench Sim\"\nappids = [{appid}]\nlive_exes = [\"FakeSimAVX.exe\"]\n\n[[mapping]]\nname = \"{mapping}\"\nsize = 8192\n"
        ),
    );
    let game_args = |extra: &[&str]| -> Vec<String> {
        let mut args = vec![
            steam.exe("FakeSimAVX.exe"),
            "game".into(),
            "--map".into(),
            format!("{mapping}=8192"),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };

    let mut to_ready = Vec::new();
    let mut to_game = Vec::new();
    for _ in 0..RUNS {
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
    let watcher_idle = cpu_percent(watch.id(), Duration::from_secs(10));

    let mut attach = Vec::new();
    let mut bridge_idle = Vec::new();
    for run in 0..=RUNS {
        // The last run lets the game create its section first: copy mode.
        let copy_mode = run == RUNS;
        let delay = if copy_mode { "0" } else { "1500" };
        let mut command = steam.game_command(
            &wine.prefix,
            &game_args(&["--run-ms", "5000", "--delay-ms", delay]),
        );
        let spawned = Instant::now();
        let mut game: Child = command.stdout(Stdio::null()).spawn().unwrap();
        let (at, line) = wait_for(LONG, || {
            receiver
                .try_iter()
                .find(|(_, l)| l.contains("\"attached\""))
        })
        .unwrap();
        if !copy_mode {
            attach.push(at - spawned);
        }
        if run == 0 || copy_mode {
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
    let _ = std::fs::remove_dir_all(&root);

    println!("| measure ({RUNS} runs) | median |");
    println!("|---|---|");
    println!(
        "| launcher mode: `bridgekeeper run` → bridge all-ready | {:.0} ms |",
        median(to_ready).as_secs_f64() * 1e3
    );
    println!(
        "| launcher mode: `bridgekeeper run` → game started by the bridge | {:.0} ms |",
        median(to_game).as_secs_f64() * 1e3
    );
    println!(
        "| attach mode: game process spawned → watcher's bridge ready | {:.0} ms |",
        median(attach).as_secs_f64() * 1e3
    );
    println!("| idle watcher CPU (10 s, no game) | {watcher_idle:.2} % of one core |");
    for (mode, cpu) in &bridge_idle {
        println!("| bridge CPU while the game runs, {mode} mode (3 s) | {cpu:.2} % of one core |");
    }
}
