//! Issue #16 under real Wine: never touch a file that is not ours, never
//! lose a live session. A registry folder planted by someone else, a bridge
//! the game's container could not see, an attach that fails half-way, the
//! files a launcher session leaves, a bridge child nobody reaps, and two
//! watchers plus `attach` racing for one game.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use bridgekeeper_bridge_client::BridgeFiles;
use bridgekeeper_profiles::Catalog;
use bridgekeeper_sessions::{Registry, SessionConfig};
use bridgekeeper_testkit::world::{
    LONG, Output, World, gone, pids_of, session_with, u32_at, wait_child,
};
use bridgekeeper_testkit::{GAME_MAGIC, wait_for};

const BRIDGE_EXE: &str = "bridgekeeper-bridge.exe";

/// A child killed on drop, so a hung one never outlives a failed test.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn path_arg(path: &Path) -> String {
    path.display().to_string()
}

/// Replaces the fake Proton's `files/bin/wine` with a script that runs
/// `bridge_action` (shell) when it is asked to start the bridge, and Wine
/// for anything else.
fn wine_for_the_bridge(world: &World, bridge_action: &str) {
    let wine = world.steam.proton.join("files/bin/wine");
    std::fs::write(
        &wine,
        format!(
            "#!/bin/sh\ncase \"$1\" in *{BRIDGE_EXE}) {bridge_action} ;; esac\nexec /usr/bin/wine \"$@\"\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wine, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Issue #16, 1: with `XDG_RUNTIME_DIR` unset the registry lies in
/// `$TMPDIR/bridgekeeper-<uid>`, where another user can make it first and
/// fill it with records. Such a folder is refused by name: no file it names
/// is removed, its FIFO "events file" does not hang the wrapper, and the
/// game starts.
#[test]
fn a_registry_folder_planted_in_tmp_is_refused_and_the_game_still_starts() {
    let Some(world) = World::new("planted") else {
        return;
    };
    let tmp = world.root.join("tmp");
    let uid = std::fs::metadata(&world.root).unwrap().uid();
    let base = tmp.join(format!("bridgekeeper-{uid}"));
    let sessions = base.join("bridgekeeper/sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    let victim = world.root.join("precious.txt");
    std::fs::write(&victim, b"precious").unwrap();
    let fifo = sessions.join("2-n.events");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    // A "crashed" session whose file is the victim, and a live one whose
    // events file is the FIFO; both in the format of today's records.
    let record = |id: &str, owner: u32, file: &Path, events: &Path| {
        serde_json::json!({
            "id": id, "appid": 7, "game": "Planted", "profile": "planted",
            "kind": "attach", "prefix": "/nonexistent/pfx", "proton": null,
            "mappings": [{"name": "page", "file": file, "size": 4096,
                          "mode": null, "error": null}],
            "bridge_pid": null, "owner_pid": owner, "owner_start_time": 0,
            "nonce": "n", "events_file": events, "started_at": owner,
            "keep_files": false
        })
    };
    std::fs::write(
        sessions.join("1-n.json"),
        record("1-n", 1, &victim, &sessions.join("1-n.events")).to_string(),
    )
    .unwrap();
    std::fs::write(
        sessions.join("2-n.json"),
        record("2-n", 1, &world.root.join("other"), &fifo).to_string(),
    )
    .unwrap();
    for dir in [&base, &base.join("bridgekeeper"), &sessions] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        std::os::unix::fs::chown(dir, Some(65534), Some(65534)).unwrap();
    }

    let args = world.game_args(world.size, &["--run-ms", "2000"]);
    let mut run = KillOnDrop(
        world
            .app
            .command()
            .env_remove("XDG_RUNTIME_DIR")
            .env("TMPDIR", &tmp)
            .arg("run")
            .args(world.steam.launch_command(&args))
            .envs(world.steam.game_env())
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut out = Output::of(&mut run.0);
    out.wait_for("testgame: running");
    let exit = wait_child(&mut run.0, LONG).expect("the game ends");
    assert_eq!(exit.code(), Some(0), "{}", out.text());
    assert_eq!(
        std::fs::read(&victim).unwrap(),
        b"precious",
        "a file named by a planted record is never removed"
    );
    let log = world.run_log();
    assert!(
        log.contains(&path_arg(&base)) && log.contains("XDG_RUNTIME_DIR"),
        "the run log names the refused folder and the fix: {log}"
    );

    let status = world
        .app
        .command()
        .env_remove("XDG_RUNTIME_DIR")
        .env("TMPDIR", &tmp)
        .args(["status", "--json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(!status.status.success(), "status refuses the folder");
    assert!(stderr.contains(&path_arg(&base)), "{stderr}");
    world.wine.wineserver_wait();
}

/// Issue #16, 4: when the bridge cannot be copied into compatdata (here a
/// file stands where its folder should be), the wrapper used to fall back
/// to the bridge's own path, which Steam's runtime container does not show.
/// The game now runs unchanged, and the run log and `status` say why.
#[test]
fn a_bridge_the_container_cannot_see_leaves_the_game_unchanged_and_says_why() {
    let Some(world) = World::new("unseen") else {
        return;
    };
    let folder = world.steam.compatdata.join("bridgekeeper");
    std::fs::write(&folder, b"not a folder").unwrap();
    let mut run = world.run_wrapped(&world.game_args(world.size, &["--run-ms", "2000"]), &[]);
    let mut out = Output::of(&mut run);
    out.wait_for("testgame: running");
    let session = world.session().expect("the session is recorded");
    let exit = wait_child(&mut run, LONG).expect("the game ends");
    assert_eq!(exit.code(), Some(0), "{}", out.text());
    let text = out.text();
    assert!(
        text.contains(&format!("testgame: mapping {} created", world.mapping)),
        "the game ran without the bridge: {text}"
    );
    assert_eq!(session["state"], "failed", "{session:#}");
    let message = session["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&path_arg(&folder)),
        "status names the folder: {session:#}"
    );
    let log = world.run_log();
    assert!(
        log.contains("running the command unchanged") && log.contains(&path_arg(&folder)),
        "{log}"
    );
    assert!(!world.file().exists(), "no backing file is left");
    world.wine.wineserver_wait();
}

/// Issue #16, 5: an attach whose bridge fails to start removed nothing of
/// what it had prepared; the backing file stayed in `/dev/shm`.
#[test]
fn a_failed_attach_removes_the_files_it_made() {
    let Some(world) = World::new("failattach") else {
        return;
    };
    let stop = world.root.join("stop-game");
    let mut game = KillOnDrop(world.start_game(&world.game_args(
        world.size,
        &["--run-ms", "60000", "--stop-file", &path_arg(&stop)],
    )));
    let mut out = Output::of(&mut game.0);
    out.wait_for("testgame: running");
    wine_for_the_bridge(&world, "echo 'fake wine: no bridge today' >&2; exit 3");
    let attach = world.attach(world.steam.appid);
    let stderr = String::from_utf8_lossy(&attach.stderr);
    assert!(!attach.status.success(), "the attach fails: {stderr}");
    assert!(stderr.contains("exited"), "{stderr}");
    assert!(
        !world.file().exists(),
        "the file the failed attach made is removed"
    );
    assert!(world.session().is_none(), "no session is left");
    std::fs::write(&stop, b"").unwrap();
    wait_child(&mut game.0, LONG).expect("the game ends");
    world.wine.wineserver_wait();
}

fn events_files(dir: &Path) -> Vec<String> {
    bridgekeeper_testkit::entry_names(dir)
        .into_iter()
        .filter(|name| name.ends_with(".events"))
        .collect()
}

/// Issue #16, 5: the events file of a launcher session (in compatdata,
/// where the game's container can write it) was never removed. It goes
/// with its session: when a follower sees the session end, and when a
/// sweep removes the ended session.
#[test]
fn launcher_events_files_go_with_their_session() {
    let Some(world) = World::new("events") else {
        return;
    };
    let folder = world.steam.compatdata.join("bridgekeeper");
    // Followed by a watcher to its end.
    let watcher = world.watcher();
    let mut run = world.run_wrapped(&world.game_args(world.size, &["--run-ms", "2000"]), &[]);
    let mut out = Output::of(&mut run);
    out.wait_for("testgame: running");
    assert_eq!(events_files(&folder).len(), 1, "the session writes one");
    wait_child(&mut run, LONG).expect("the game ends");
    watcher
        .next("ended", LONG)
        .expect("the watcher sees the end");
    assert_eq!(events_files(&folder), Vec::<String>::new());
    drop(watcher);
    world.wine.wineserver_wait();

    // Alone, then swept when a watcher starts.
    let mut run = world.run_wrapped(&world.game_args(world.size, &["--run-ms", "2000"]), &[]);
    wait_child(&mut run, LONG).expect("the game ends");
    assert_eq!(events_files(&folder).len(), 1);
    world.wine.wineserver_wait();
    let watcher = world.watcher();
    assert!(
        session_with(&world.app.status(), world.steam.appid).is_none(),
        "the ended session is swept"
    );
    assert_eq!(events_files(&folder), Vec::<String>::new());
    drop(watcher);
}

/// Issue #16, 5: each attach from the window or the tray (the library's
/// `attach_appid`, then `detach`) left a zombie once the bridge ended: the
/// child was never waited for.
#[test]
fn a_detached_bridge_leaves_no_zombie() {
    let Some(world) = World::new("zombie") else {
        return;
    };
    let stop = world.root.join("stop-game");
    let mut game = KillOnDrop(world.start_game(&world.game_args(
        world.size,
        &["--run-ms", "60000", "--stop-file", &path_arg(&stop)],
    )));
    let mut out = Output::of(&mut game.0);
    out.wait_for("testgame: running");
    let config = SessionConfig {
        registry: Registry::new(&world.app.runtime),
        shm_dir: world.shm.path().to_path_buf(),
        keep_files: false,
        bridge: BridgeFiles::in_dir(&world.wine.bin).expect("the bridge is built"),
    };
    let catalog = Catalog::load(Some(&world.app.profiles));
    let session = bridgekeeper_sessions::attach::attach_appid(&config, &catalog, world.steam.appid)
        .expect("attached");
    let bridge = session.bridge_pid();
    session.detach();
    world.counter_moves().expect("data flows");
    std::fs::write(&stop, b"").unwrap();
    wait_child(&mut game.0, LONG).expect("the game ends");
    let stat = format!("/proc/{bridge}/stat");
    let reaped = wait_for(LONG, || (!Path::new(&stat).exists()).then_some(()));
    assert!(
        reaped.is_some(),
        "the ended bridge {bridge} is reaped, not left a zombie: {}",
        std::fs::read_to_string(&stat).unwrap_or_default()
    );
    world.wine.wineserver_wait();
}

/// Issue #16, 3: two watchers and `bridgekeeper attach` in a loop race for
/// every start of the game; for each, exactly one bridge starts, and the
/// file is never zero-filled under the game (its magic stays while the
/// counter moves).
#[test]
fn two_watchers_and_attach_race_and_exactly_one_bridge_starts_each_time() {
    let Some(world) = World::new("race") else {
        return;
    };
    const LAUNCHES: usize = 20;
    let first = world.watcher();
    let second = world.watcher();
    // The launch under way, or `usize::MAX` between launches.
    let launch_now = AtomicUsize::new(usize::MAX);
    let done = AtomicBool::new(false);
    let (by_watchers, by_attach) = std::thread::scope(|scope| {
        let attacher = scope.spawn(|| {
            let mut successes = vec![0usize; LAUNCHES];
            while !done.load(Ordering::Relaxed) {
                let launch = launch_now.load(Ordering::Relaxed);
                if launch == usize::MAX {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
                if world.attach(world.steam.appid).status.success() {
                    successes[launch] += 1;
                }
            }
            successes
        });
        let mut by_watchers = Vec::new();
        for launch in 0..LAUNCHES {
            let mut game =
                KillOnDrop(world.start_game(&world.game_args(world.size, &["--run-ms", "3000"])));
            launch_now.store(launch, Ordering::Relaxed);
            let mut out = Output::of(&mut game.0);
            out.wait_for("testgame: running");
            // Watch the file until the game ends: once the magic is there
            // it must stay, and the counter must keep moving.
            let file = world.file();
            wait_for(LONG, || u32_at(&file, 0).filter(|&m| m == GAME_MAGIC))
                .unwrap_or_else(|| panic!("launch {launch}: the game's data never arrived"));
            let mut last = 0;
            let mut moves = 0;
            while game.0.try_wait().unwrap().is_none() {
                if let Some(magic) = u32_at(&file, 0) {
                    assert_eq!(
                        magic, GAME_MAGIC,
                        "launch {launch}: the file was zero-filled under the game"
                    );
                }
                if let Some(counter) = u32_at(&file, 4)
                    && counter != last
                {
                    moves += 1;
                    last = counter;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            // No new attach from here; one still looking for the game
            // gives up within 2 s, before the next launch.
            launch_now.store(usize::MAX, Ordering::Relaxed);
            assert!(
                moves > 10,
                "launch {launch}: the counter moved {moves} times"
            );
            for pid in pids_of(&world.root, BRIDGE_EXE) {
                gone(pid);
            }
            std::thread::sleep(Duration::from_millis(2500));
            world.wine.wineserver_wait();
            let attached = [&first, &second]
                .iter()
                .flat_map(|w| w.drain(Duration::from_millis(300)))
                .filter(|n| n["notice"] == "attached")
                .count();
            by_watchers.push(attached);
        }
        done.store(true, Ordering::Relaxed);
        (by_watchers, attacher.join().unwrap())
    });
    eprintln!(
        "FIGURE race: {LAUNCHES} launches; bridges started per launch by the watchers \
         {by_watchers:?}, by `attach` {by_attach:?}"
    );
    let per_launch: Vec<usize> = by_watchers
        .iter()
        .zip(&by_attach)
        .map(|(w, a)| w + a)
        .collect();
    assert!(
        per_launch.iter().all(|&n| n == 1),
        "exactly one bridge per launch: {per_launch:?} (watchers {by_watchers:?}, attach \
         {by_attach:?})"
    );
}

/// `bridgekeeper run` leaves a guard of the session's files behind before
/// it becomes the launch (Steam's reaper), and the reaper waits for every
/// process of the launch, the guard too. When Proton fails before the
/// bridge ever runs, the guard must end at once: it waited two minutes,
/// and Steam showed the game as running all that time.
#[test]
fn a_launch_that_fails_before_its_bridge_runs_ends_at_once() {
    let Some(world) = World::new("failed-launch") else {
        return;
    };
    let proton = world.steam.proton.join("proton");
    std::fs::remove_file(&proton).unwrap();
    std::fs::write(
        &proton,
        "#!/bin/sh\necho 'proton: cannot start' >&2\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&proton, std::fs::Permissions::from_mode(0o755)).unwrap();
    let started = std::time::Instant::now();
    let mut run = world.run_wrapped(&world.game_args(world.size, &["--run-ms", "2000"]), &[]);
    let exit = wait_child(&mut run, Duration::from_secs(60)).expect("the launch ends");
    let took = started.elapsed();
    assert!(!exit.success(), "Proton failed: {exit:?}");
    assert!(
        took < Duration::from_secs(20),
        "the launch (reaper and what it waits for) ended after {took:?}"
    );
}
