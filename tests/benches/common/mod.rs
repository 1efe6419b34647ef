//! What the benchmarks under Wine share: a world (Wine prefix, fake Steam
//! tree, isolated app, shm directory, a profile for the test game), medians
//! and percentiles, CPU time from `/proc`, and the JSON lines that
//! `scripts/bench` collects into its table.

// Each bench uses a different part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use bridgekeeper_testkit::app::App;
use bridgekeeper_testkit::shm::ShmDir;
use bridgekeeper_testkit::steam::FakeSteam;
use bridgekeeper_testkit::unique_name;
use bridgekeeper_testkit::wine::{WineGuard, kill_wineserver, wine};
use bridgekeeper_testkit::world::{LIVE_EXE, profile_toml, session_with};

/// Size of the test game's section in every bench.
pub const MAPPING_SIZE: usize = 8192;

/// Environment variable naming the file that receives one JSON line per
/// figure (appended); unset, figures are only printed.
pub const JSON_ENV: &str = "BRIDGEKEEPER_BENCH_JSON";

/// How long to wait for a process to say something.
const WAIT: Duration = Duration::from_secs(60);

/// A game with one mapping in a fake Steam tree, and the app set up for it.
/// Unlike the tests' `bridgekeeper_testkit::world::World`, it always stops the
/// prefix's wineserver when dropped, and finds a wrapper's bridge in `/proc`.
#[derive(Debug)]
pub struct World {
    /// Wine, its prefix and the Windows programs.
    pub wine: WineGuard,
    /// The Steam tree with the fake Proton and the game.
    pub steam: FakeSteam,
    /// `bridgekeeper` with its own runtime, profile and shm directories.
    pub app: App,
    /// The shm directory.
    pub shm: ShmDir,
    /// The game's section name.
    pub mapping: String,
    /// Everything on disk that is not the prefix or the shm directory.
    pub root: PathBuf,
}

impl World {
    /// Sets everything up, or `None` when Wine is missing.
    pub fn new(label: &str) -> Option<World> {
        let wine = wine()?;
        let root = std::env::temp_dir().join(unique_name(label));
        let appid = 991_000 + std::process::id() % 900;
        let steam = FakeSteam::new(
            &root.join("Steam"),
            appid,
            &wine,
            &wine.prefix,
            &["FakeLauncher.exe", LIVE_EXE],
        );
        let shm = ShmDir::new(label);
        let app = App::new(&root, shm.path(), &wine);
        // `$` keeps the name clear of every real game's.
        let mapping = format!("${}$", unique_name(label));
        app.profile(
            "bench.toml",
            &profile_toml(
                "bench",
                "Bench Sim",
                appid,
                &mapping,
                MAPPING_SIZE as u64,
                LIVE_EXE,
            ),
        );
        Some(World {
            wine,
            steam,
            app,
            shm,
            mapping,
            root,
        })
    }

    /// The game's command line (exe first) with `extra` after its mapping.
    pub fn game_args(&self, extra: &[&str]) -> Vec<String> {
        let mut args = vec![
            self.steam.exe(LIVE_EXE),
            "game".into(),
            "--map".into(),
            format!("{}={MAPPING_SIZE}", self.mapping),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    /// The game's backing file in the shm directory.
    pub fn file(&self) -> PathBuf {
        self.shm.file(&self.mapping)
    }

    /// The bridge's Linux process id: from `bridgekeeper status --json`, or
    /// (a wrapper's bridge, which Proton starts) the process whose command
    /// line runs the bridge exe with this world's mapping.
    pub fn bridge_pid(&self) -> u32 {
        let status = self.app.status();
        let from_status =
            session_with(&status, self.steam.appid).and_then(|s| s["bridge_pid"].as_u64());
        if let Some(pid) = from_status {
            return pid as u32;
        }
        let runs_bridge = |pid: u32| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|raw| {
                let line = String::from_utf8_lossy(&raw);
                line.contains("bridgekeeper-bridge.exe") && line.contains(&self.mapping)
            })
        };
        std::fs::read_dir("/proc")
            .expect("reading /proc")
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .find(|&pid| runs_bridge(pid))
            .expect("a running bridge for the game's mapping")
    }

    /// The mode of the game's mapping in `bridgekeeper status --json`.
    pub fn mapping_mode(&self) -> String {
        let status = self.app.status();
        session_with(&status, self.steam.appid)
            .and_then(|s| s["mappings"][0]["mode"].as_str())
            .unwrap_or("?")
            .to_string()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        kill_wineserver(&self.wine.prefix);
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The median of `values` (the upper one of an even count).
pub fn median(values: &[f64]) -> f64 {
    percentile(values, 50.0)
}

/// The `p`th percentile of `values`, nearest rank.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    assert!(!values.is_empty(), "no values to take a percentile of");
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Milliseconds, as a float.
pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// utime + stime of `pid`, in clock ticks, or `None` once it is gone.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// CPU use of `pid` between two [`cpu_ticks`] readings `elapsed` apart, in
/// percent of one core. Linux reports these times in USER_HZ, which is 100
/// on every architecture Wine runs on.
pub fn cpu_percent_between(before: u64, after: u64, elapsed: Duration) -> f64 {
    const USER_HZ: f64 = 100.0;
    after.saturating_sub(before) as f64 / USER_HZ / elapsed.as_secs_f64() * 100.0
}

/// Percent of one core used by `pid` over the next `window`.
pub fn cpu_percent(pid: u32, window: Duration) -> f64 {
    let started = Instant::now();
    let before = cpu_ticks(pid).unwrap_or(0);
    std::thread::sleep(window);
    let after = cpu_ticks(pid).unwrap_or(before);
    cpu_percent_between(before, after, started.elapsed())
}

/// Waits up to `timeout` for `child` to exit; kills it if it does not.
pub fn reap(child: &mut Child, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "bench: process {} did not exit in time; killing it",
        child.id()
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// Drains a child's stdout on a thread; returns when `marker` was seen.
pub fn wait_stdout_line(child: &mut Child, marker: &'static str) {
    let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if line.contains(marker) {
                let _ = sender.send(());
            }
        }
    });
    receiver
        .recv_timeout(WAIT)
        .unwrap_or_else(|_| panic!("no {marker:?} line in {WAIT:?}"));
}

/// One measured figure, for the table and for `scripts/bench`.
#[derive(Debug, Clone)]
pub struct Figure {
    /// What was measured, in words.
    pub measure: String,
    /// Our value (a median unless the measure says otherwise).
    pub value: f64,
    /// Unit of `value` and `baseline`.
    pub unit: &'static str,
    /// The same job done with protontricks-launch, when there is one.
    pub baseline: Option<f64>,
    /// The command that reproduces the figure.
    pub command: String,
    /// How many runs or samples the figure is taken over.
    pub samples: usize,
}

impl Figure {
    /// A figure with no baseline.
    pub fn new(measure: impl Into<String>, value: f64, unit: &'static str) -> Figure {
        Figure {
            measure: measure.into(),
            value,
            unit,
            baseline: None,
            command: String::new(),
            samples: 1,
        }
    }
}

/// Prints the figures as a Markdown table and appends them as JSON lines to
/// the file named by [`JSON_ENV`], if set.
pub fn report(command: &str, figures: &[Figure]) {
    println!("| measure | median | unit | protontricks-launch | ratio | samples |");
    println!("|---|---|---|---|---|---|");
    for f in figures {
        let (baseline, ratio) = match f.baseline {
            Some(b) => (format!("{b:.3}"), format!("{:.2}×", b / f.value)),
            None => ("–".into(), "–".into()),
        };
        println!(
            "| {} | {:.3} | {} | {baseline} | {ratio} | {} |",
            f.measure, f.value, f.unit, f.samples
        );
    }
    let Some(path) = std::env::var_os(JSON_ENV) else {
        return;
    };
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|err| panic!("opening {}: {err}", PathBuf::from(&path).display()));
    for f in figures {
        let line = serde_json::json!({
            "measure": f.measure,
            "value": f.value,
            "unit": f.unit,
            "baseline": f.baseline,
            "command": if f.command.is_empty() { command } else { f.command.as_str() },
            "samples": f.samples,
        });
        writeln!(out, "{line}").expect("writing a figure");
    }
}
