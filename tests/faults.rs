//! Faults under real Wine: a game restarting its session, a game killed or
//! crashing, the watcher killed and started again, a full `/dev/shm`, two
//! games at once, and a Linux reader that keeps a file mapped across
//! sessions (the contract in docs/readers.md).

use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;
use std::time::{Duration, Instant};

use bridgekeeper_bridge_client::StopWhen;
use bridgekeeper_protocol::MappingSpec;
use bridgekeeper_testkit::app::App;
use bridgekeeper_testkit::steam::FakeSteam;
use bridgekeeper_testkit::tmpfs::Tmpfs;
use bridgekeeper_testkit::wine::BRIDGE_EXE;
use bridgekeeper_testkit::wine::kill_wineserver;
use bridgekeeper_testkit::world::{
    LIVE_EXE, LONG, Output, World, counter_moves_in, gone, pid_alive, pids_of, processes_under,
    profile_toml, session_with, signal, u32_at, wait_child,
};
use bridgekeeper_testkit::{GAME_MAGIC, game::TestGame, wait_for};

/// How long a bridge may outlive its game (the promise).
const BRIDGE_LAG: Duration = Duration::from_secs(2);

fn path_arg(path: &Path) -> String {
    path.display().to_string()
}

fn touch(path: &Path) {
    std::fs::write(path, b"").expect("writing a trigger file");
}

fn inode(path: &Path) -> u64 {
    std::fs::metadata(path).expect("the file exists").ino()
}

/// Waits until the counter at offset 4 of `file` passes `at_least`.
fn counter_passes(file: &Path, at_least: u32) -> u32 {
    wait_for(LONG, || u32_at(file, 4).filter(|&c| c > at_least))
        .unwrap_or_else(|| panic!("the counter in {} never passed {at_least}", file.display()))
}

/// Makes the game restart its session, then checks that the counter in
/// `file` starts again from 0 and moves: the new session's data arrives in
/// the same file.
fn restart_and_see_new_data(file: &Path, trigger: &Path, game: &mut Output) {
    let before = counter_passes(file, 1000);
    touch(trigger);
    game.wait_for("testgame: running again");
    let low = wait_for(LONG, || u32_at(file, 4).filter(|&c| c < before))
        .expect("the restarted session's counter (from 0) reaches the file");
    wait_for(LONG, || u32_at(file, 4).filter(|&c| c > low))
        .expect("the restarted session's counter moves in the file");
    assert_eq!(u32_at(file, 0), Some(GAME_MAGIC));
}

/// The game's arguments for a long session that restarts when `restart`
/// appears and ends when `stop` appears.
fn restartable_game_args(world: &World, restart: &Path, stop: &Path) -> Vec<String> {
    world.game_args(
        world.size,
        &[
            "--run-ms",
            "120000",
            "--restart-file",
            &path_arg(restart),
            "--stop-file",
            &path_arg(stop),
        ],
    )
}

#[test]
fn a_game_restarting_its_session_keeps_its_data_in_the_same_file() {
    let Some(world) = World::new("restart") else {
        return;
    };
    // Shared mode: `bridgekeeper run` puts the bridge first.
    let restart = world.root.join("restart-now");
    let stop = world.root.join("stop-now");
    let args = restartable_game_args(&world, &restart, &stop);
    let mut run = world.run_wrapped(&args, &[]);
    let mut out = Output::of(&mut run);
    out.wait_for("testgame: running");
    world
        .counter_moves()
        .expect("data flows before the restart");
    let inode_before = inode(&world.file());
    restart_and_see_new_data(&world.file(), &restart, &mut out);
    assert_eq!(inode(&world.file()), inode_before, "the same file");
    assert_eq!(
        out.count(&format!("testgame: mapping {} existed", world.mapping)),
        2,
        "both of the game's sessions got the bridge's section:\n{}",
        out.text()
    );
    let session = world.session().expect("registered");
    assert_eq!(session["state"], "running", "{session:#}");
    assert_eq!(session["mappings"][0]["mode"], "shared", "{session:#}");
    touch(&stop);
    let exit = wait_child(&mut run, LONG).expect("the game ends");
    assert_eq!(exit.code(), Some(0), "{}", out.text());
    world.wine.wineserver_wait();

    // Copy mode: the game first, then `bridgekeeper attach`.
    let restart = world.root.join("restart-copy");
    let stop = world.root.join("stop-copy");
    let args = restartable_game_args(&world, &restart, &stop);
    let mut game = world.start_game(&args);
    let mut out = Output::of(&mut game);
    out.wait_for("testgame: running");
    let attach = world.attach(world.steam.appid);
    assert!(
        attach.status.success(),
        "{}",
        String::from_utf8_lossy(&attach.stderr)
    );
    let session = world.session().expect("registered");
    assert_eq!(session["mappings"][0]["mode"], "copy", "{session:#}");
    world.counter_moves().expect("copy mode brings the data");
    let inode_before = inode(&world.file());
    restart_and_see_new_data(&world.file(), &restart, &mut out);
    assert_eq!(inode(&world.file()), inode_before, "the same file");
    assert!(
        out.text()
            .contains(&format!("testgame: mapping {} existed", world.mapping)),
        "the bridge kept the game's section alive across its restart:\n{}",
        out.text()
    );
    assert_eq!(world.session().unwrap()["state"], "running");
    touch(&stop);
    wait_child(&mut game, LONG).expect("the game ends");
    let bridge = session["bridge_pid"].as_u64().unwrap() as u32;
    gone(bridge);
    world.wine.wineserver_wait();
}

#[test]
fn a_killed_or_crashed_game_ends_its_bridge_and_the_next_start_works() {
    let Some(world) = World::new("crash") else {
        return;
    };
    let mut run = world.run_wrapped(&world.game_args(world.size, &["--run-ms", "120000"]), &[]);
    let mut out = Output::of(&mut run);
    out.wait_for("testgame: running");
    world.counter_moves().expect("data flows");
    let bridge = world.bridge_pid();
    let game = world.game_pid();
    signal(game, "KILL");
    let killed = Instant::now();
    let lag = gone(bridge) - killed;
    eprintln!("FIGURE bridge gone {lag:?} after kill -9 of the game");
    assert!(
        lag < BRIDGE_LAG,
        "the bridge outlived the killed game by {lag:?}"
    );
    let exit = wait_child(&mut run, LONG).expect("the wrapper ends");
    assert_eq!(exit.code(), Some(0), "Wine reports a killed game as code 0");
    let session = world.session().expect("the ended session is listed");
    assert_eq!(session["state"], "ended", "{session:#}");
    assert_eq!(session["reason"], "game-exited", "{session:#}");
    assert_eq!(session["game_exit_code"], 0, "{session:#}");
    assert_eq!(
        session["ending"],
        format!("{LIVE_EXE} exited with code 0"),
        "{session:#}"
    );
    assert!(
        !world.file().exists(),
        "the ended session's file is removed"
    );
    world.wine.wineserver_wait();

    // The next start works, and a game that dies of an exception is told
    // apart from one that exits.
    let mut run = world.run_wrapped(
        &world.game_args(
            world.size,
            &["--run-ms", "120000", "--crash-after-ms", "2500"],
        ),
        &[],
    );
    let mut out = Output::of(&mut run);
    out.wait_for("testgame: running");
    world
        .counter_moves()
        .expect("data flows in the next session");
    let bridge = world.bridge_pid();
    let game = world.game_pid();
    out.wait_for("testgame: crashing");
    let died = gone(game);
    let lag = gone(bridge) - died;
    eprintln!("FIGURE bridge gone {lag:?} after the crashed game's process");
    assert!(
        lag < BRIDGE_LAG,
        "the bridge outlived the crashed game by {lag:?}"
    );
    let exit = wait_child(&mut run, LONG).expect("the wrapper ends");
    assert_eq!(
        exit.code(),
        Some(0xC000_0005_u32 as i32 & 0xff),
        "the game's exception code comes back through the wrapper"
    );
    let session = world.session().expect("the ended session is listed");
    assert_eq!(session["state"], "ended", "{session:#}");
    assert_eq!(session["game_exit_code"], 0xC000_0005_u32, "{session:#}");
    assert_eq!(
        session["ending"],
        format!("{LIVE_EXE} crashed: exception 0xC0000005 (access violation)"),
        "{session:#}"
    );
    let status = world
        .app
        .command()
        .arg("status")
        .output()
        .expect("running status");
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("crashed: exception 0xC0000005 (access violation)"),
        "{text}"
    );
    world.wine.wineserver_wait();
}

#[test]
fn a_killed_watcher_leaves_its_bridge_to_the_game_and_a_new_one_follows_it() {
    let Some(world) = World::new("rewatch") else {
        return;
    };
    let stop = world.root.join("stop-1");
    let mut first = world.watcher();
    let mut game = world.start_game(&world.game_args(
        world.size,
        &[
            "--delay-ms",
            "2000",
            "--run-ms",
            "120000",
            "--stop-file",
            &path_arg(&stop),
        ],
    ));
    let attached = first.next("attached", LONG).expect("the watcher attaches");
    let bridge = attached["session"]["bridge_pid"].as_u64().unwrap() as u32;
    let game_pid = world.game_pid();
    first.kill();
    world
        .counter_moves()
        .expect("data flows with the watcher gone");

    let second = world.watcher();
    let adopted = second
        .next("adopted", LONG)
        .expect("the new watcher follows the running session");
    assert_eq!(adopted["session"]["bridge_pid"], bridge, "{adopted:#}");
    assert_eq!(adopted["session"]["state"], "running", "{adopted:#}");
    let more = second.drain(Duration::from_secs(2));
    assert!(
        more.iter().all(|n| n["notice"] != "attached"),
        "no second bridge: {more:#?}"
    );
    assert_eq!(
        pids_of(&world.root, BRIDGE_EXE),
        vec![bridge],
        "exactly one bridge runs"
    );
    let session = world.session().expect("status lists the session");
    assert_eq!(session["state"], "running", "{session:#}");
    assert_eq!(session["bridge_pid"], bridge);

    touch(&stop);
    let ended_at = gone(game_pid);
    let lag = gone(bridge) - ended_at;
    eprintln!("FIGURE bridge gone {lag:?} after the game, its watcher killed");
    assert!(lag < BRIDGE_LAG, "the bridge outlived the game by {lag:?}");
    wait_child(&mut game, LONG).expect("the launch ends");
    let ended = second
        .next("ended", LONG)
        .expect("the new watcher reports the end");
    assert_eq!(ended["session"]["state"], "ended", "{ended:#}");
    assert_eq!(ended["session"]["reason"], "game-exited", "{ended:#}");
    drop(second);
    world.wine.wineserver_wait();

    // `bridgekeeper stop` on a session whose watcher was killed, while a
    // new watcher follows it.
    let mut third = world.watcher();
    let mut game = world
        .start_game(&world.game_args(world.size, &["--delay-ms", "2000", "--run-ms", "120000"]));
    let attached = third.next("attached", LONG).expect("the watcher attaches");
    let bridge = attached["session"]["bridge_pid"].as_u64().unwrap() as u32;
    third.kill();
    let fourth = world.watcher();
    fourth.next("adopted", LONG).expect("followed");
    let stopped = world.stop(world.steam.appid);
    assert!(
        stopped.status.success(),
        "{}",
        String::from_utf8_lossy(&stopped.stderr)
    );
    assert!(!pid_alive(bridge), "stop waits for the bridge");
    let ended = fourth
        .next("ended", LONG)
        .expect("the follower reports the end");
    assert_eq!(ended["session"]["reason"], "stop-requested", "{ended:#}");
    assert!(world.session().is_none(), "the stopped session is gone");
    assert!(
        game.try_wait().unwrap().is_none(),
        "the game runs on without its bridge"
    );
    let _ = game.kill();
    let _ = game.wait();
    kill_wineserver(&world.wine.prefix);
}

/// Fills all but `free` bytes of the tmpfs with a file of its own.
fn fill(tmpfs: &Tmpfs, free: u64) {
    let stat = free_bytes(tmpfs.path());
    let filler = stat.saturating_sub(free);
    let file = std::fs::File::create(tmpfs.path().join("filler")).unwrap();
    file.write_all_at(&vec![1u8; filler as usize], 0)
        .expect("filling the tmpfs");
}

/// Free bytes in the file system holding `path` (from `df`).
fn free_bytes(path: &Path) -> u64 {
    let output = std::process::Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(path)
        .output()
        .expect("running df");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .expect("df prints the free bytes")
}

#[test]
fn a_full_dev_shm_fails_the_session_clearly_and_the_game_still_runs() {
    let Some(mut world) = World::new("full") else {
        return;
    };
    let Some(tmpfs) = Tmpfs::mount(&world.root.join("small-shm"), "256k") else {
        return;
    };
    fill(&tmpfs, 16 * 1024);
    let size = 64 * 1024;
    world.app = App::new(&world.root.join("full-app"), tmpfs.path(), &world.wine);
    world.write_profile(size);
    let file = tmpfs.path().join(&world.mapping);
    let no_space = format!(
        "cannot reserve {size} bytes for {}: No space left on device",
        file.display()
    );

    // `bridgekeeper run %command%`: the game starts without the bridge.
    let mut run = world.run_wrapped(
        &world.game_args(size, &["--run-ms", "4000", "--exit-code", "7"]),
        &[],
    );
    let mut out = Output::of(&mut run);
    out.wait_for("testgame: running");
    let session = world.session().expect("the failed session is listed");
    assert_eq!(session["state"], "failed", "{session:#}");
    let message = session["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Fake Sim is not bridged") && message.contains(&no_space),
        "{message}"
    );
    assert!(
        message.contains("df -h"),
        "the message says what to do: {message}"
    );
    let exit = wait_child(&mut run, LONG).expect("the game ends");
    assert_eq!(
        exit.code(),
        Some(7),
        "the game ran to its end:\n{}",
        out.text()
    );
    let text = out.text();
    assert!(
        text.contains(&format!("testgame: mapping {} created", world.mapping))
            && text.contains("testgame: exit 7 after"),
        "{text}"
    );
    assert!(world.run_log().contains(&no_space), "{}", world.run_log());
    assert_eq!(tmpfs.entries(), ["filler"], "no half-made file is left");
    world.wine.wineserver_wait();

    // The watcher: the attach is refused with the same message.
    let watcher = world.watcher();
    let mut game = world.start_game(&world.game_args(
        size,
        &["--delay-ms", "2000", "--run-ms", "3000", "--exit-code", "0"],
    ));
    let mut out = Output::of(&mut game);
    let refused = watcher
        .next("refused", LONG)
        .expect("the attach is refused");
    let reason = refused["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(&no_space), "{reason}");
    let exit = wait_child(&mut game, LONG).expect("the game ends");
    assert_eq!(exit.code(), Some(0), "{}", out.text());
    assert!(
        out.text().contains("testgame: exit 0 after"),
        "{}",
        out.text()
    );
    assert_eq!(tmpfs.entries(), ["filler"]);
    drop(watcher);
    world.wine.wineserver_wait();

    // The bridge alone, on a file nobody reserved: it reports the mapping
    // failed, and the game, which then makes its own section, runs.
    let mut command = world.wine.bridge(tmpfs.path());
    command.mappings = vec![MappingSpec::parse(&format!("{}={size}", world.mapping)).unwrap()];
    command.stop_when = vec![StopWhen::StdinCloses];
    let mut bridge = bridgekeeper_bridge_client::RunningBridge::start(&command).unwrap();
    let readiness = bridge
        .wait_ready(LONG)
        .expect("the bridge finishes its setup");
    assert!(readiness.ready.is_empty(), "{readiness:?}");
    let failure = &readiness.failed[0].message;
    assert!(
        failure.contains(&format!("cannot reserve {size} bytes")),
        "{failure}"
    );
    let mut game = TestGame::start(
        &world.wine,
        &[
            "--map".to_string(),
            format!("{}={size}", world.mapping),
            "--run-ms".into(),
            "1500".into(),
        ],
    );
    let status = game.wait(LONG).expect("the game ends");
    assert_eq!(status.code(), Some(0), "{:?}", game.seen);
    assert!(
        game.seen.iter().any(|l| l.starts_with("exit 0 after")),
        "{:?}",
        game.seen
    );
    bridge.stop(LONG).expect("the bridge stops");
    world.wine.wineserver_wait();
}

#[test]
fn two_games_in_two_prefixes_both_work_and_a_clashing_one_is_refused() {
    let Some(world) = World::new("two") else {
        return;
    };
    let prefix2 = world.wine.second_prefix();
    let steam2 = FakeSteam::new(
        &world.root.join("Steam Two"),
        world.steam.appid + 1,
        &world.wine,
        prefix2,
        &["OtherSim.exe"],
    );
    let mapping2 = format!("${}$", bridgekeeper_testkit::unique_name("other"));
    let other_profile = |mapping: &str| {
        profile_toml(
            "other-sim",
            "Other Sim",
            steam2.appid,
            mapping,
            8192,
            "OtherSim.exe",
        )
    };
    world
        .app
        .profile("other-sim.toml", &other_profile(&mapping2));
    let game2_args = |mapping: &str, extra: &[&str]| {
        let mut args = vec![
            steam2.exe("OtherSim.exe"),
            "game".into(),
            "--map".into(),
            format!("{mapping}=8192"),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };

    let watcher = world.watcher();
    let stop1 = world.root.join("stop-1");
    let stop2 = world.root.join("stop-2");
    let mut game1 = world.start_game(&world.game_args(
        world.size,
        &[
            "--delay-ms",
            "2000",
            "--run-ms",
            "120000",
            "--stop-file",
            &path_arg(&stop1),
        ],
    ));
    let a = watcher
        .next("attached", LONG)
        .expect("the first game is attached");
    assert_eq!(a["session"]["appid"], world.steam.appid, "{a:#}");
    let mut game2 = steam2
        .game_command(
            prefix2,
            &game2_args(
                &mapping2,
                &[
                    "--delay-ms",
                    "2000",
                    "--run-ms",
                    "120000",
                    "--stop-file",
                    &path_arg(&stop2),
                ],
            ),
        )
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out2 = Output::of(&mut game2);
    let b = watcher.next("attached", LONG).unwrap_or_else(|| {
        panic!(
            "the second game is not attached; processes: {:#?}\nits output:\n{}",
            processes_under(&world.root),
            out2.text()
        )
    });
    assert_eq!(b["session"]["appid"], steam2.appid, "{b:#}");
    world.counter_moves().expect("the first game's data flows");
    counter_moves_in(&world.shm.file(&mapping2)).expect("the second game's data flows");
    let status = world.app.status();
    for appid in [world.steam.appid, steam2.appid] {
        let session = session_with(&status, appid).expect("both are listed");
        assert_eq!(session["state"], "running", "{status:#}");
        assert_eq!(session["mappings"][0]["mode"], "shared", "{status:#}");
    }
    touch(&stop2);
    wait_child(&mut game2, LONG).expect("the second game ends");
    watcher.next("ended", LONG).expect("its session ends");
    drop(watcher);

    // A game in the second prefix that wants the first game's file is
    // refused, runs anyway, and the first session is untouched.
    world
        .app
        .profile("other-sim.toml", &other_profile(&world.mapping));
    let mut run = world
        .app
        .command()
        .arg("run")
        .args(steam2.launch_command(&game2_args(&world.mapping, &["--run-ms", "4000"])))
        .envs(steam2.game_env())
        .stdout(std::process::Stdio::piped())
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = Output::of(&mut run);
    out.wait_for("testgame: running");
    let status = world.app.status();
    let refused = session_with(&status, steam2.appid).expect("the refusal is listed");
    assert_eq!(refused["state"], "failed", "{status:#}");
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("already bridged for Fake Sim") && message.contains("bridgekeeper stop"),
        "{message}"
    );
    assert_eq!(
        session_with(&status, world.steam.appid).unwrap()["state"],
        "running"
    );
    let exit = wait_child(&mut run, LONG).expect("the refused game ends");
    assert_eq!(exit.code(), Some(0), "{}", out.text());
    assert!(
        out.text()
            .contains(&format!("testgame: mapping {} created", world.mapping)),
        "{}",
        out.text()
    );
    let log = std::fs::read_to_string(steam2.compatdata.join("bridgekeeper-run.log")).unwrap();
    assert!(log.contains("already bridged for Fake Sim"), "{log}");
    let before = u32_at(&world.file(), 4).unwrap();
    counter_passes(&world.file(), before);
    touch(&stop1);
    wait_child(&mut game1, LONG).expect("the first game ends");
    kill_wineserver(prefix2);
    world.wine.wineserver_wait();
}

/// A Linux reader: the file open and mapped, as telemetry tools do.
struct Reader {
    file: std::fs::File,
    map: memmap2::Mmap,
}

impl Reader {
    fn open(path: &Path) -> Reader {
        let file = std::fs::File::open(path).expect("opening the backing file");
        // SAFETY: the test only reads the mapping; that other processes
        // write it is the point.
        let map = unsafe { memmap2::Mmap::map(&file) }.expect("mapping the backing file");
        Reader { file, map }
    }

    fn u32_at(&self, offset: usize) -> u32 {
        u32::from_le_bytes(self.map[offset..offset + 4].try_into().unwrap())
    }

    /// Touches every byte (a SIGBUS here would kill the test).
    fn checksum(&self) -> u64 {
        self.map.iter().map(|&b| u64::from(b)).sum()
    }

    fn links(&self) -> u64 {
        self.file.metadata().unwrap().nlink()
    }

    fn inode(&self) -> u64 {
        self.file.metadata().unwrap().ino()
    }
}

/// Runs one wrapped game session until `stop` appears; returns the
/// wrapper, its output and the session id.
fn wrapped_session(
    world: &World,
    size: u64,
    stop: &Path,
    env: &[(&str, &str)],
) -> (std::process::Child, Output, String) {
    let args = world.game_args(
        size,
        &["--run-ms", "120000", "--stop-file", &path_arg(stop)],
    );
    let mut run = world.run_wrapped(&args, env);
    let mut out = Output::of(&mut run);
    out.wait_for("testgame: running");
    world.counter_moves().expect("data flows");
    let id = world.session().expect("registered")["id"]
        .as_str()
        .unwrap()
        .to_string();
    (run, out, id)
}

fn end_session(world: &World, mut run: std::process::Child, out: &mut Output, stop: &Path) {
    touch(stop);
    let exit = wait_child(&mut run, LONG).expect("the session ends");
    assert_eq!(exit.code(), Some(0), "{}", out.text());
    world.wine.wineserver_wait();
}

#[test]
fn a_mapped_reader_survives_sessions_ending_and_starting_as_docs_readers_md_says() {
    let Some(world) = World::new("reader") else {
        return;
    };
    let file = world.file();

    // Default: the file is removed when the session ends; the next session
    // makes a new one (new inode) at the same path.
    let stop = world.root.join("stop-a");
    let (run, mut out, first_id) = wrapped_session(&world, world.size, &stop, &[]);
    let reader = Reader::open(&file);
    assert_eq!(reader.map.len() as u64, world.size);
    assert_eq!(reader.u32_at(0), GAME_MAGIC);
    assert_eq!(reader.links(), 1);
    end_session(&world, run, &mut out, &stop);
    assert!(!file.exists(), "the file is removed at the end");
    assert_eq!(reader.links(), 0, "st_nlink 0 tells the reader");
    let frozen = reader.u32_at(4);
    reader.checksum();
    let stop = world.root.join("stop-b");
    let (run, mut out, second_id) = wrapped_session(&world, world.size, &stop, &[]);
    assert_ne!(second_id, first_id, "a new session id in the registry");
    assert_ne!(inode(&file), reader.inode(), "a new file at the same path");
    assert_eq!(
        reader.u32_at(4),
        frozen,
        "the old mapping is no longer written"
    );
    reader.checksum();
    end_session(&world, run, &mut out, &stop);
    drop(reader);

    // BRIDGEKEEPER_KEEP_FILES=1: the same file (inode) is reused, zeroed at
    // the start of the next session, and never shrunk, even when the next
    // session wants it smaller.
    let keep = [("BRIDGEKEEPER_KEEP_FILES", "1")];
    let stop = world.root.join("stop-c");
    let (run, mut out, _) = wrapped_session(&world, world.size, &stop, &keep);
    let reader = Reader::open(&file);
    end_session(&world, run, &mut out, &stop);
    assert_eq!(reader.links(), 1, "kept");
    assert_eq!(inode(&file), reader.inode());
    std::fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .unwrap()
        .write_all_at(&[0xAB; 4], 8000)
        .unwrap();
    assert_eq!(reader.u32_at(8000), 0xABAB_ABAB);
    world.write_profile(4096);
    let stop = world.root.join("stop-d");
    let (run, mut out, _) = wrapped_session(&world, 4096, &stop, &keep);
    assert_eq!(inode(&file), reader.inode(), "the same file");
    assert_eq!(
        std::fs::metadata(&file).unwrap().len(),
        world.size,
        "not shrunk"
    );
    assert_eq!(
        reader.u32_at(8000),
        0,
        "stale bytes are zeroed at session start"
    );
    assert_eq!(
        reader.u32_at(0),
        GAME_MAGIC,
        "the reader sees the new session"
    );
    let seen = reader.u32_at(4);
    wait_for(LONG, || (reader.u32_at(4) != seen).then_some(()))
        .expect("through its old mapping, live");
    reader.checksum();
    end_session(&world, run, &mut out, &stop);
    drop(reader);
    let _ = std::fs::remove_file(&file);
}
