//! Sessions under real Wine: `bridgekeeper run` as a Steam launch wrapper,
//! the watcher's auto-attach, `attach`, `status`, `stop`, clashes and
//! crashes, with a Steam-shaped tree whose Proton runs Debian's Wine.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bridgekeeper_e2e::app::App;
use bridgekeeper_e2e::shm::ShmDir;
use bridgekeeper_e2e::steam::FakeSteam;
use bridgekeeper_e2e::wine::{WineGuard, kill_wineserver, wine};
use bridgekeeper_e2e::{GAME_MAGIC, unique_name, wait_for};
use serde_json::Value;

const LONG: Duration = Duration::from_secs(40);

/// A test world: Wine, a fake Steam tree, an isolated app, a shm directory
/// and a profile for the fake game.
struct World {
    wine: WineGuard,
    steam: FakeSteam,
    app: App,
    shm: ShmDir,
    mapping: String,
    root: PathBuf,
}

impl World {
    fn new(label: &str) -> Option<World> {
        let wine = wine()?;
        let root = std::env::temp_dir().join(unique_name(label));
        let appid = 990_000 + (std::process::id() % 9000);
        let steam = FakeSteam::new(
            &root.join("Steam Root"),
            appid,
            &wine,
            &wine.prefix,
            &["FakeLauncher.exe", "FakeSimAVX.exe"],
        );
        let shm = ShmDir::new(label);
        let app = App::new(&root, shm.path(), &wine);
        let mapping = format!("${}$", unique_name("tele"));
        app.profile(
            "fake-sim.toml",
            &profile_toml("fake-sim", "Fake Sim", appid, &mapping, "FakeSimAVX.exe"),
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

    /// Starts the game the way Steam does without our wrapper: the fake
    /// Proton with Steam's environment.
    fn start_game(&self, game_args: &[String]) -> Child {
        self.steam
            .game_command(&self.wine.prefix, game_args)
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .expect("starting the game")
    }

    /// `bridgekeeper attach APPID`.
    fn attach(&self, appid: u32) -> std::process::Output {
        self.app
            .command()
            .args(["attach", &appid.to_string()])
            .output()
            .expect("running bridgekeeper attach")
    }

    fn live_game_args(&self, extra: &[&str]) -> Vec<String> {
        let mut args = vec![
            self.steam.exe("FakeSimAVX.exe"),
            "game".into(),
            "--map".into(),
            format!("{}=8192", self.mapping),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    fn counter_moves(&self) -> bool {
        let magic = wait_for(LONG, || {
            self.shm
                .u32_at(&self.mapping, 0)
                .filter(|&m| m == GAME_MAGIC)
        });
        let first = wait_for(LONG, || {
            self.shm.u32_at(&self.mapping, 4).filter(|&c| c > 0)
        });
        let moved = first.and_then(|f| {
            wait_for(LONG, || {
                self.shm.u32_at(&self.mapping, 4).filter(|&c| c != f)
            })
        });
        magic.is_some() && moved.is_some()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn profile_toml(id: &str, name: &str, appid: u32, mapping: &str, live: &str) -> String {
    format!(
        r#"id = "{id}"
name = "{name}"
appids = [{appid}]
launcher_exes = ["FakeLauncher.exe"]
live_exes = ["{live}"]

[[mapping]]
name = "{mapping}"
size = 8192
source = "the test game's layout"
"#
    )
}

/// Lines of a child's stdout, read on a thread.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("stdout is piped");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// Waits until one of `lines` contains `text`.
fn wait_line(lines: &mpsc::Receiver<String>, text: &str) {
    wait_for(LONG, || {
        lines.try_iter().any(|l| l.contains(text)).then_some(())
    })
    .unwrap_or_else(|| panic!("no line with {text:?}"));
}

fn wait_child(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    wait_for(timeout, || child.try_wait().ok().flatten())
}

fn pid_alive(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            !stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

fn environ(pid: u64) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/environ"))
        .map(|b| {
            b.split(|&c| c == 0)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn session_with(status: &Value, appid: u32) -> Option<&Value> {
    status.as_array()?.iter().find(|s| s["appid"] == appid)
}

#[test]
fn wrapper_puts_the_bridge_before_the_game_and_ends_with_it() {
    let Some(world) = World::new("wrap") else {
        return;
    };
    let mut game_args = vec![
        world.steam.exe("FakeLauncher.exe"),
        "launcher".into(),
        "--delay-ms".into(),
        "300".into(),
        "--".into(),
    ];
    game_args.extend(world.live_game_args(&["--run-ms", "3000", "--exit-code", "3"]));
    let mut run = world.app.command();
    run.arg("run")
        .args(world.steam.launch_command(&game_args))
        .envs(world.steam.game_env())
        .env("LD_PRELOAD", "/nonexistent/gameoverlayrenderer.so")
        .env("LD_LIBRARY_PATH", "/nonexistent/steam-runtime/lib")
        .stdout(Stdio::piped())
        .stdin(Stdio::null());
    let mut child = run.spawn().expect("starting bridgekeeper run");
    let lines = lines_of(&mut child);

    assert!(world.counter_moves(), "the game's counter reaches /dev/shm");
    let status = world.app.status();
    let session = session_with(&status, world.steam.appid).expect("the session is registered");
    assert_eq!(session["kind"], "launcher");
    assert_eq!(session["state"], "running", "{status:#}");
    assert_eq!(session["mappings"][0]["mode"], "shared", "{status:#}");

    let exit = wait_child(&mut child, LONG).expect("the game ends");
    assert_eq!(
        exit.code(),
        Some(3),
        "the game's exit code comes back through the wrapper"
    );
    let output: Vec<String> = lines.try_iter().collect();
    let output = output.join("\n");
    assert!(
        output.contains(&format!("testgame: mapping {} existed", world.mapping)),
        "the mapping existed before the game created it: {output}"
    );
    assert!(
        output.contains("\"event\":\"following\""),
        "the bridge followed the live exe: {output}"
    );
    let waited = world.wine.wineserver_wait();
    assert!(
        waited < Duration::from_secs(3),
        "wineserver -w took {waited:?}: something is left in the prefix"
    );
    assert!(
        !world.shm.file(&world.mapping).exists(),
        "the session's file is removed when it ends"
    );
    let log = std::fs::read_to_string(world.steam.compatdata.join("bridgekeeper-run.log")).unwrap();
    assert!(
        log.contains("Fake Sim"),
        "the wrapper logs to compatdata: {log}"
    );
    let status = world.app.status();
    let session = session_with(&status, world.steam.appid).expect("the ended session is listed");
    assert_eq!(session["state"], "ended", "{status:#}");
    assert_eq!(session["reason"], "game-exited");
}

#[test]
fn wrapper_runs_unknown_games_and_odd_commands_unchanged() {
    let Some(world) = World::new("unchanged") else {
        return;
    };
    let output = world
        .app
        .command()
        .args([
            "run",
            "/bin/sh",
            "-c",
            "echo ran:$0:$1; exit 42",
            "x",
            "a b",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(42));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "ran:x:a b");
    assert!(String::from_utf8_lossy(&output.stderr).contains("running the command unchanged"));

    let mut steam_env = world.steam.game_env();
    steam_env
        .retain(|(k, _)| k != "SteamAppId" && k != "SteamGameId" && k != "STEAM_COMPAT_APP_ID");
    let mut command = world
        .steam
        .launch_command(&world.live_game_args(&["--run-ms", "500"]));
    command[2] = OsString::from("AppId=4242");
    let output = world
        .app
        .command()
        .arg("run")
        .args(command)
        .envs(steam_env)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("testgame: mapping {} created", world.mapping)),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no profile for appid 4242"), "{stderr}");
    world.wine.wineserver_wait();
}

/// Starts `bridgekeeper watch --json` and returns it with its lines.
fn watcher(world: &World) -> (Child, mpsc::Receiver<String>) {
    let mut watch = world
        .app
        .command()
        .args(["watch", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = lines_of(&mut watch);
    std::thread::sleep(Duration::from_millis(500));
    (watch, lines)
}

fn next_notice(lines: &mpsc::Receiver<String>, kind: &str) -> Option<Value> {
    let deadline = Instant::now() + LONG;
    while let Ok(line) = lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        let value: Value = serde_json::from_str(&line).ok()?;
        if value["notice"] == kind {
            return Some(value);
        }
        eprintln!("watch: {line}");
    }
    None
}

#[test]
fn watcher_attaches_at_game_start_with_the_games_sync_settings() {
    let Some(world) = World::new("watch") else {
        return;
    };
    let (mut watch, notices) = watcher(&world);
    let mut game =
        world.start_game(&world.live_game_args(&["--delay-ms", "2500", "--run-ms", "3000"]));
    let attached = next_notice(&notices, "attached").expect("the watcher attaches");
    let session = &attached["session"];
    assert_eq!(
        session["mappings"][0]["mode"], "shared",
        "attached before the game created its section: {attached:#}"
    );
    let bridge_pid = session["bridge_pid"].as_u64().expect("bridge pid");

    let env = environ(bridge_pid);
    for wanted in ["WINEFSYNC=1", "WINEESYNC=1"] {
        assert!(
            env.iter().any(|v| v == wanted),
            "the bridge has {wanted}: {env:?}"
        );
    }
    assert!(env.iter().any(|v| v.starts_with("WINEPREFIX=")), "{env:?}");
    assert!(
        !env.iter().any(|v| v.starts_with("SteamAppId=")),
        "the bridge must not pass for the game: {env:?}"
    );
    assert!(!env.iter().any(|v| v.starts_with("LD_PRELOAD=")), "{env:?}");

    assert!(world.counter_moves(), "data reaches /dev/shm");
    wait_child(&mut game, LONG).expect("the game ends");
    let ended_at = Instant::now();
    wait_for(LONG, || (!pid_alive(bridge_pid)).then_some(())).expect("the bridge ends");
    let lag = ended_at.elapsed();
    assert!(
        lag < Duration::from_secs(2),
        "the bridge outlived the game by {lag:?}"
    );
    let ended = next_notice(&notices, "ended").expect("the watcher reports the end");
    assert_eq!(ended["session"]["state"], "ended");
    let _ = watch.kill();
    let _ = watch.wait();
    world.wine.wineserver_wait();
}

#[test]
fn game_first_gives_copy_mode_in_status_and_data_still_flows() {
    let Some(world) = World::new("late") else {
        return;
    };
    let mut game = world.start_game(&world.live_game_args(&["--run-ms", "6000"]));
    let lines = lines_of(&mut game);
    wait_line(&lines, "testgame: running");

    let output = world.attach(world.steam.appid);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let status = world.app.status();
    let session = session_with(&status, world.steam.appid).expect("registered");
    assert_eq!(session["mappings"][0]["mode"], "copy", "{status:#}");
    assert!(
        session["advice"]
            .as_str()
            .unwrap_or_default()
            .contains("bridgekeeper run %command%")
    );
    assert!(world.counter_moves(), "copy mode still brings the data");
    wait_child(&mut game, LONG).expect("the game ends");
    let bridge_pid = session["bridge_pid"].as_u64().unwrap();
    wait_for(LONG, || (!pid_alive(bridge_pid)).then_some(()))
        .expect("the bridge ends with the game");
    world.wine.wineserver_wait();
}

#[test]
fn a_second_prefix_asking_for_the_same_file_is_refused() {
    let Some(world) = World::new("clash") else {
        return;
    };
    let mut first =
        world.start_game(&world.live_game_args(&["--run-ms", "90000", "--delay-ms", "1000"]));
    let output = wait_for(LONG, || {
        let out = world.attach(world.steam.appid);
        out.status.success().then_some(out)
    });
    assert!(output.is_some(), "the first game is bridged");

    let prefix2 = world.wine.second_prefix();
    let steam2 = FakeSteam::new(
        &world.root.join("Steam Two"),
        world.steam.appid + 1,
        &world.wine,
        prefix2,
        &["OtherSim.exe"],
    );
    world.app.profile(
        "other-sim.toml",
        &profile_toml(
            "other-sim",
            "Other Sim",
            steam2.appid,
            &world.mapping,
            "OtherSim.exe",
        ),
    );
    let second_args = [
        steam2.exe("OtherSim.exe"),
        "game".into(),
        "--map".into(),
        format!("{}=8192", world.mapping),
        "--run-ms".into(),
        "4000".into(),
    ];
    let mut second = steam2
        .game_command(prefix2, &second_args)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let refused = wait_for(LONG, || {
        let out = world.attach(steam2.appid);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (!out.status.success() && stderr.contains("already bridged")).then_some(stderr)
    })
    .expect("the second session is refused");
    assert!(
        refused.contains("Fake Sim") && refused.contains("bridgekeeper stop"),
        "{refused}"
    );

    let status = world.app.status();
    assert_eq!(
        session_with(&status, world.steam.appid).unwrap()["state"],
        "running",
        "{status:#}"
    );
    assert!(session_with(&status, steam2.appid).is_none());
    assert!(world.counter_moves(), "the first session keeps running");
    wait_child(&mut second, LONG);
    let stop = world
        .app
        .command()
        .args(["stop", &world.steam.appid.to_string()])
        .output()
        .unwrap();
    assert!(
        stop.status.success(),
        "{}",
        String::from_utf8_lossy(&stop.stderr)
    );
    let _ = first.kill();
    let _ = first.wait();
    kill_wineserver(prefix2);
    kill_wineserver(&world.wine.prefix);
}

#[test]
fn killed_bridge_shows_in_status_and_killed_watcher_leaves_the_bridge_to_end_with_the_game() {
    let Some(world) = World::new("kill") else {
        return;
    };
    let (mut watch, notices) = watcher(&world);
    let mut game =
        world.start_game(&world.live_game_args(&["--delay-ms", "2000", "--run-ms", "4000"]));
    let attached = next_notice(&notices, "attached").expect("attached");
    let bridge_pid = attached["session"]["bridge_pid"].as_u64().unwrap();

    watch.kill().unwrap();
    watch.wait().unwrap();
    assert!(world.counter_moves(), "data flows with the watcher gone");
    wait_child(&mut game, LONG).expect("the game ends");
    let ended_at = Instant::now();
    wait_for(LONG, || (!pid_alive(bridge_pid)).then_some(()))
        .expect("the bridge still ends with the game");
    assert!(
        ended_at.elapsed() < Duration::from_secs(2),
        "the bridge outlived the game by {:?}",
        ended_at.elapsed()
    );
    world.wine.wineserver_wait();

    let mut game = world.start_game(&world.live_game_args(&["--run-ms", "8000"]));
    let output = wait_for(LONG, || {
        let out = world.attach(world.steam.appid);
        out.status.success().then_some(out)
    })
    .expect("attached again");
    drop(output);
    let status = world.app.status();
    let bridge_pid = session_with(&status, world.steam.appid).unwrap()["bridge_pid"]
        .as_u64()
        .unwrap();
    std::process::Command::new("kill")
        .args(["-9", &bridge_pid.to_string()])
        .status()
        .unwrap();
    let killed_at = Instant::now();
    let crashed = wait_for(LONG, || {
        let status = world.app.status();
        (session_with(&status, world.steam.appid)?["state"] == "crashed").then(Instant::now)
    })
    .expect("status shows the crash");
    assert!(
        crashed - killed_at < Duration::from_secs(1),
        "status took {:?}",
        crashed - killed_at
    );
    let _ = game.kill();
    let _ = game.wait();
    kill_wineserver(&world.wine.prefix);
}

#[test]
fn verify_proves_the_chain_in_the_games_prefix() {
    let Some(world) = World::new("verify") else {
        return;
    };
    let root = world.steam.root.display().to_string();
    let output = world
        .app
        .command()
        .args([
            "verify",
            &world.steam.appid.to_string(),
            "--json",
            "--steam-dir",
            &root,
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).expect("verify --json prints JSON");
    assert!(
        output.status.success(),
        "{report:#} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let steps: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "profile",
            "installed",
            "prefix",
            "proton",
            "bridge",
            "shared memory",
            "bridge in the prefix",
            "round trip"
        ]
    );
    assert!(
        report["steps"][3]["detail"]
            .as_str()
            .unwrap()
            .contains("Fake Proton 8.0"),
        "{report:#}"
    );
    assert_eq!(
        world.shm.entries(),
        Vec::<String>::new(),
        "the probe file is removed"
    );

    let missing = world
        .app
        .command()
        .args(["verify", "4243", "--steam-dir", &root])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    let text = String::from_utf8_lossy(&missing.stdout);
    assert!(text.contains("FAIL installed"), "{text}");
    world.wine.wineserver_wait();
}

#[test]
fn a_wine_build_other_than_the_running_wineservers_is_refused() {
    let Some(world) = World::new("mismatch") else {
        return;
    };
    let other = world.steam.root.join("steamapps/common/Other Proton");
    std::fs::create_dir_all(other.join("files/bin")).unwrap();
    std::fs::copy(
        world.steam.proton.join("files/bin/wine"),
        other.join("files/bin/wine"),
    )
    .unwrap();
    std::fs::copy(
        "/usr/lib/wine/wineserver64",
        other.join("files/bin/wineserver"),
    )
    .unwrap();

    let mut game = world
        .steam
        .game_command(
            &world.wine.prefix,
            &world.live_game_args(&["--run-ms", "20000"]),
        )
        .env(
            "STEAM_COMPAT_TOOL_PATHS",
            format!("{}:{}", other.display(), world.steam.runtime.display()),
        )
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = lines_of(&mut game);
    wait_line(&lines, "testgame: running");

    let output = world.attach(world.steam.appid);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("version mismatch") && stderr.contains("Other Proton"),
        "{stderr}"
    );
    assert_eq!(
        world.app.status(),
        serde_json::json!([]),
        "nothing was started or recorded"
    );
    let _ = game.kill();
    let _ = game.wait();
    kill_wineserver(&world.wine.prefix);
}
