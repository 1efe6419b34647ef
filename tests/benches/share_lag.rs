//! Sharing into a tool's prefix: how long a game's write takes to be seen by
//! a tool in another Wine prefix, and the serve bridge's CPU.
//!
//! The test game runs in prefix A under `bridgekeeper run` (shared mode)
//! with `--clock`: every tick it writes a sequence number and the
//! wall-clock time of the write into its section. `bridgekeeper share
//! APPID --into "Bench Tool"` serves the section into prefix B, where the
//! test game in `tool --lag` mode opens it by name and, for every new
//! stamp, takes its own wall-clock time minus the stamp (both sides read
//! Linux's `CLOCK_REALTIME`; the tool polls in a loop that yields, which
//! bounds the resolution). The serve bridge's CPU is sampled from
//! `/proc/<pid>/stat` over the same window.
//!
//! `cargo bench -p bridgekeeper-e2e --bench share_lag` (needs Wine)

use std::process::Stdio;
use std::time::{Duration, Instant};

use bridgekeeper_bench_report::{Figure, record};
use bridgekeeper_testkit::game::TestGame;
use bridgekeeper_testkit::procs::{cpu_percent_between, cpu_ticks};
use bridgekeeper_testkit::steam::ToolShortcut;
use bridgekeeper_testkit::world::{Output, World, reap, wait_stdout_line};

const COMMAND: &str = "cargo bench -p bridgekeeper-e2e --bench share_lag";
const TOOL: &str = "Bench Tool";
const TOOL_APPID: u32 = 3_141_592_700;
const RATE_HZ: &str = "250";
const GAME_MS: &str = "20000";
/// How long the tool measures.
const WINDOW_MS: u64 = 8000;
const LONG: Duration = Duration::from_secs(60);

fn field(line: &str, key: &str) -> f64 {
    line.split_whitespace()
        .find_map(|part| part.strip_prefix(key)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in {line:?}"))
}

fn main() {
    let Some(world) = World::options("sharelag")
        .stop_wine_on_drop()
        .tool_shortcut(ToolShortcut {
            appid: TOOL_APPID,
            name: TOOL.into(),
            prefix: None,
            proton_dir: None,
        })
        .build()
    else {
        eprintln!("Wine is missing: nothing to measure");
        return;
    };
    let prefix_b = world.wine.second_prefix();
    let game_args = world.game_args(
        world.size,
        &["--rate", RATE_HZ, "--clock", "--run-ms", GAME_MS],
    );
    let mut run = world
        .app
        .command()
        .arg("run")
        .args(world.steam.launch_command(&game_args))
        .envs(world.steam.game_env())
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting bridgekeeper run");
    wait_stdout_line(&mut run, "\"event\":\"game-started\"");
    assert_eq!(world.mapping_mode(), "shared");

    let mut share = world
        .app
        .command()
        .args([
            "share",
            &world.steam.appid.to_string(),
            "--into",
            TOOL,
            "--json",
        ])
        .env("STEAM_DIR", &world.steam.root)
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting bridgekeeper share");
    let mut lines = Output::of(&mut share);
    let map = format!("{}={}", world.mapping, world.size);
    let window = WINDOW_MS.to_string();
    let mut tool = TestGame::tool(
        &world.wine,
        prefix_b,
        &[
            "--lag",
            "--wait-ms",
            "60000",
            "--map",
            &map,
            "--run-ms",
            &window,
        ],
    );
    let serving: serde_json::Value =
        serde_json::from_str(&lines.wait_for("\"state\":\"serving\"")).unwrap();
    assert_eq!(serving["mappings"][0]["mode"], "shared", "{serving:#}");
    let bridge = serving["bridge_pid"].as_u64().expect("bridge pid") as u32;
    tool.wait_line(LONG, |l| l.starts_with("tool opened"))
        .expect("the tool opens the section");
    let cpu_before = cpu_ticks(bridge).expect("the serve bridge runs");
    let started = Instant::now();
    let lag = tool
        .wait_line(LONG, |l| l.starts_with("lag "))
        .expect("the tool reports the lag");
    let elapsed = started.elapsed();
    let cpu = cpu_percent_between(cpu_before, cpu_ticks(bridge).expect("still runs"), elapsed);
    eprintln!("tool: {lag}");
    let samples = field(&lag, "n") as usize;
    let ms = |key: &str| field(&lag, key) / 1000.0;
    let figure = |label: &str, value: f64| Figure {
        samples,
        ..Figure::new(
            format!("share: game write (prefix A) → seen by a tool in prefix B, {label}"),
            value,
            "ms",
        )
    };
    let mut cpu_figure = Figure::new(
        format!("share: serve bridge CPU, game writing at {RATE_HZ} Hz"),
        cpu,
        "% of one core",
    );
    cpu_figure.samples = 1;
    let figures = vec![
        figure("median", ms("median_us")),
        figure("p99", ms("p99_us")),
        figure("max", ms("max_us")),
        cpu_figure,
    ];
    tool.wait(LONG);
    reap(&mut run, LONG);
    reap(&mut share, LONG);
    world.wine.wineserver_wait();
    record(COMMAND, &figures).expect("recording the figures");
}
