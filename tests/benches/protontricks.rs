//! Bridgekeeper against the way users bridge a game today:
//! `protontricks-launch --appid N bridge.exe ...`, on the same fake Steam
//! tree (its Proton runs Debian's Wine), in the same run, runs interleaved.
//!
//! Both jobs are timed from the command's start until the bridge has
//! created every mapping (its `all-ready` status line):
//!
//! - game running: `bridgekeeper attach N` against `protontricks-launch`
//!   of the bridge in attach mode, while the game runs in the prefix;
//! - idle prefix: `bridgekeeper run %command%` (the Steam wrapper, which
//!   then starts the game) against `protontricks-launch` of the bridge in a
//!   prefix with no wineserver (a user starting the bridge before the game).
//!
//! protontricks finds the tree through its documented overrides:
//! `STEAM_DIR`, `PROTON_VERSION` (the fake Proton, installed with an
//! appmanifest and a toolmanifest as Steam's tools are) and
//! `STEAM_RUNTIME=0`, because the fake tree has no real Steam Runtime
//! container to enter.
//!
//! `protontricks-launch` comes from `$PROTONTRICKS_LAUNCH` or
//! `target/protontricks-venv/bin/` (scripts/bench installs the pinned
//! version there).
//!
//! `cargo bench -p bridgekeeper-e2e --bench protontricks` (needs Wine;
//! `BRIDGEKEEPER_BENCH_RUNS=N` repeats N times instead of 7)

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bridgekeeper_bench_report::{Figure, ms, record, runs};
use bridgekeeper_testkit::steam::PROTON_DIR;
use bridgekeeper_testkit::wine::workspace;
use bridgekeeper_testkit::world::{World, reap, wait_stdout_line};

const COMMAND: &str = "cargo bench -p bridgekeeper-e2e --bench protontricks";
const LONG: Duration = Duration::from_secs(60);
/// The fake Proton's name, as its appmanifest gives it.
const PROTON_NAME: &str = PROTON_DIR;

/// The protontricks-launch program, or a sentence on how to get it.
fn protontricks_launch() -> Result<PathBuf, String> {
    let path = std::env::var_os("PROTONTRICKS_LAUNCH")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/protontricks-venv/bin/protontricks-launch"));
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "protontricks-launch not found at {}: run scripts/bench (it installs the pinned \
             protontricks into target/protontricks-venv), or set PROTONTRICKS_LAUNCH",
            path.display()
        ))
    }
}

/// The version `protontricks --version` prints next to `launch`.
fn protontricks_version(launch: &Path) -> String {
    let output = Command::new(launch.with_file_name("protontricks"))
        .arg("--version")
        .output();
    output
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "protontricks (version unknown)".into())
}

/// `protontricks-launch --appid N bridge.exe --map ... ` with the bridge in
/// attach mode, stopping when `stop` appears, its status lines in `status`.
fn protontricks_bridge(
    world: &World,
    launch: &Path,
    status: &Path,
    stop: &Path,
) -> std::process::Child {
    let env: [(&str, OsString); 8] = [
        ("STEAM_DIR", world.steam.root.clone().into()),
        ("PROTON_VERSION", PROTON_NAME.into()),
        ("STEAM_RUNTIME", "0".into()),
        ("HOME", world.root.join("home").into()),
        ("XDG_CACHE_HOME", world.root.join("cache").into()),
        ("WINEDEBUG", "-all".into()),
        ("WINEDLLOVERRIDES", "mscoree,mshtml=".into()),
        ("PYTHONDONTWRITEBYTECODE", "1".into()),
    ];
    let log = std::fs::File::create(world.root.join("protontricks.log")).expect("log file");
    Command::new(launch)
        .args(["--appid", &world.steam.appid.to_string()])
        .arg(world.wine.bridge_exe())
        .arg("--map")
        .arg(format!("{}={}", world.mapping, world.size))
        .arg("--dir")
        .arg(world.shm.path())
        .arg("--status-file")
        .arg(status)
        .arg("--stop-file")
        .arg(stop)
        .arg("--remove-files")
        .envs(env)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("STEAM_COMPAT_DATA_PATH")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("starting protontricks-launch")
}

/// Time from `protontricks-launch` to the bridge's all-ready, then stops it.
fn time_protontricks(world: &World, launch: &Path, run: usize) -> Duration {
    let status = world.root.join(format!("pt-status-{run}.jsonl"));
    let stop = world.root.join(format!("pt-stop-{run}"));
    let started = Instant::now();
    let mut child = protontricks_bridge(world, launch, &status, &stop);
    let ready = wait_ready_in(&status, started);
    std::fs::write(&stop, b"").expect("writing the stop file");
    reap(&mut child, LONG);
    let log = std::fs::read_to_string(world.root.join("protontricks.log")).unwrap_or_default();
    ready.unwrap_or_else(|| {
        panic!(
            "protontricks-launch's bridge never got ready; its log:\n{log}\nstatus:\n{}",
            std::fs::read_to_string(&status).unwrap_or_default()
        )
    })
}

/// Polls a bridge status file every millisecond for its all-ready line.
fn wait_ready_in(status: &Path, started: Instant) -> Option<Duration> {
    let deadline = started + LONG;
    while Instant::now() < deadline {
        if std::fs::read_to_string(status).is_ok_and(|t| t.contains("\"event\":\"all-ready\"")) {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    None
}

/// Time from `bridgekeeper attach` to its return (it returns once the
/// bridge is all-ready), then `bridgekeeper stop`.
fn time_attach(world: &World) -> Duration {
    let appid = world.steam.appid.to_string();
    let started = Instant::now();
    let output = world
        .app
        .command()
        .args(["attach", &appid])
        .output()
        .expect("running bridgekeeper attach");
    let elapsed = started.elapsed();
    assert!(
        output.status.success(),
        "bridgekeeper attach failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stop = world
        .app
        .command()
        .args(["stop", &appid])
        .output()
        .expect("running bridgekeeper stop");
    assert!(
        stop.status.success(),
        "bridgekeeper stop failed: {}",
        String::from_utf8_lossy(&stop.stderr)
    );
    elapsed
}

/// Time from `bridgekeeper run %command%` to its bridge's all-ready.
fn time_wrapper(world: &World) -> Duration {
    let started = Instant::now();
    let mut child = world
        .app
        .command()
        .arg("run")
        .args(
            world
                .steam
                .launch_command(&world.game_args(world.size, &["--run-ms", "200"])),
        )
        .envs(world.steam.game_env())
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting bridgekeeper run");
    let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut ready = None;
    for line in stdout.lines().map_while(Result::ok) {
        if ready.is_none() && line.contains("\"event\":\"all-ready\"") {
            ready = Some(started.elapsed());
        }
    }
    reap(&mut child, LONG);
    ready.expect("bridgekeeper run's bridge got ready")
}

fn main() {
    let launch = match protontricks_launch() {
        Ok(path) => path,
        Err(message) => {
            eprintln!("bench protontricks: {message}");
            std::process::exit(2);
        }
    };
    let runs = runs(7).unwrap_or_else(|err| {
        eprintln!("bench protontricks: {err}");
        std::process::exit(2);
    });
    let Some(world) = World::options("ptricks").stop_wine_on_drop().build() else {
        eprintln!("Wine is missing: nothing to measure");
        return;
    };
    let version = protontricks_version(&launch);
    eprintln!("comparing with {version} at {}", launch.display());

    // Idle prefix: nothing runs in it before each start.
    let (mut wrapper, mut idle_pt) = (Vec::new(), Vec::new());
    for run in 0..runs {
        wrapper.push(ms(time_wrapper(&world)));
        world.wine.wineserver_wait();
        idle_pt.push(ms(time_protontricks(&world, &launch, run)));
        world.wine.wineserver_wait();
    }

    // Game running: one game for every run; both bridges end up in copy
    // mode, as any bridge started after the game does.
    let stop_game = world.root.join("stop-game");
    let mut game = world
        .steam
        .game_command(
            &world.wine.prefix,
            &world.game_args(
                world.size,
                &[
                    "--run-ms",
                    "600000",
                    "--stop-file",
                    &stop_game.display().to_string(),
                ],
            ),
        )
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting the game");
    wait_stdout_line(&mut game, "testgame: running");
    let (mut attach, mut running_pt) = (Vec::new(), Vec::new());
    for run in 0..runs {
        attach.push(ms(time_attach(&world)));
        running_pt.push(ms(time_protontricks(&world, &launch, runs + run)));
    }
    std::fs::write(&stop_game, b"").expect("writing the game's stop file");
    reap(&mut game, LONG);
    world.wine.wineserver_wait();

    // `protontricks (1.15.0)` → `protontricks-launch 1.15.0`
    let label = version
        .replace("protontricks (", "protontricks-launch ")
        .trim_end_matches(')')
        .to_string();
    let compare = |measure: &str, ours: &[f64], theirs: &[f64]| {
        Figure::of_samples(format!("{measure} (vs {label})"), ours, "ms").against(theirs)
    };
    record(
        COMMAND,
        &[
            compare(
                "game running: `bridgekeeper attach` → bridge all-ready",
                &attach,
                &running_pt,
            ),
            compare(
                "idle prefix: `bridgekeeper run %command%` → bridge all-ready",
                &wrapper,
                &idle_pt,
            ),
        ],
    )
    .expect("recording the figures");
    eprintln!(
        "runs (ms): attach {attach:.0?} vs {running_pt:.0?}; run {wrapper:.0?} vs {idle_pt:.0?}"
    );
}
