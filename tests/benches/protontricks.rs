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
//! `STEAM_DIR`, `PROTON_VERSION` (the fake Proton, which gets an
//! appmanifest as Steam's tools have) and `STEAM_RUNTIME=0`, because the
//! fake tree has no real Steam Runtime container to enter.
//!
//! `protontricks-launch` comes from `$PROTONTRICKS_LAUNCH` or
//! `target/protontricks-venv/bin/` (scripts/bench installs the pinned
//! version there).
//!
//! `cargo bench -p bridgekeeper-e2e --bench protontricks` (needs Wine)

mod common;

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bridgekeeper_testkit::wine::workspace;
use common::{Figure, MAPPING_SIZE, World, median, ms, reap, wait_stdout_line};

const COMMAND: &str = "cargo bench -p bridgekeeper-e2e --bench protontricks";
const RUNS: usize = 7;
const LONG: Duration = Duration::from_secs(60);
/// The fake Proton's name, as its appmanifest gives it.
const PROTON_NAME: &str = "Fake Proton 8.0";
/// Proton 8.0's appid, for the fake Proton's appmanifest.
const PROTON_APPID: u32 = 2_348_590;

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

/// Makes the fake Proton a Steam tool with an appmanifest, which is how
/// protontricks finds Protons in a library.
fn register_proton(world: &World) {
    let installdir = world
        .steam
        .proton
        .file_name()
        .expect("the Proton has a folder name")
        .to_string_lossy()
        .into_owned();
    let manifest = format!(
        "\"AppState\"\n{{\n\t\"appid\"\t\t\"{PROTON_APPID}\"\n\t\"name\"\t\t\"{PROTON_NAME}\"\n\t\
         \"installdir\"\t\t\"{installdir}\"\n\t\"StateFlags\"\t\t\"4\"\n}}\n"
    );
    std::fs::write(
        world
            .steam
            .root
            .join(format!("steamapps/appmanifest_{PROTON_APPID}.acf")),
        manifest,
    )
    .expect("writing the Proton's appmanifest");
    std::fs::write(
        world.steam.proton.join("toolmanifest.vdf"),
        "\"manifest\"\n{\n\t\"commandline\"\t\"/proton %verb%\"\n}\n",
    )
    .expect("writing the Proton's toolmanifest");
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
        .arg(format!("{}={MAPPING_SIZE}", world.mapping))
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
                .launch_command(&world.game_args(&["--run-ms", "200"])),
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
    let Some(world) = World::new("ptricks") else {
        eprintln!("Wine is missing: nothing to measure");
        return;
    };
    register_proton(&world);
    let version = protontricks_version(&launch);
    eprintln!("comparing with {version} at {}", launch.display());

    // Idle prefix: nothing runs in it before each start.
    let (mut wrapper, mut idle_pt) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
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
            &world.game_args(&[
                "--run-ms",
                "600000",
                "--stop-file",
                &stop_game.display().to_string(),
            ]),
        )
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting the game");
    wait_stdout_line(&mut game, "testgame: running");
    let (mut attach, mut running_pt) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        attach.push(ms(time_attach(&world)));
        running_pt.push(ms(time_protontricks(&world, &launch, RUNS + run)));
    }
    std::fs::write(&stop_game, b"").expect("writing the game's stop file");
    reap(&mut game, LONG);
    world.wine.wineserver_wait();

    // `protontricks (1.15.0)` → `protontricks-launch 1.15.0`
    let label = version
        .replace("protontricks (", "protontricks-launch ")
        .trim_end_matches(')')
        .to_string();
    let compare = |measure: &str, ours: &[f64], theirs: &[f64]| Figure {
        baseline: Some(median(theirs)),
        samples: ours.len(),
        ..Figure::new(format!("{measure} (vs {label})"), median(ours), "ms")
    };
    common::report(
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
    );
    eprintln!(
        "runs (ms): attach {attach:.0?} vs {running_pt:.0?}; run {wrapper:.0?} vs {idle_pt:.0?}"
    );
}
