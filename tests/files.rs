//! Backing files under real Wine. Every file is the user's own with mode
//! 0600 in every mode (launcher, attach in copy mode, auto-attach, verify),
//! and every bridge the app starts opens only the files the Linux side
//! prepared (`--existing-files`). Anything else at a mapping's path (a
//! `Global` that is a link, another user's, or open to others; a FIFO, a
//! directory, a link or another user's file) is refused with a message
//! naming it, and left as it was: the bridge opens files through Wine,
//! which follows links, and zeroes what it opened. An attach bridge whose
//! game is gone by the time it looks ends at once (`--game-running`).

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bridgekeeper_bridge_client::BridgeFiles;
use bridgekeeper_host::process_info::ProcessInfo;
use bridgekeeper_sessions::{Registry, SessionConfig, attach};
use bridgekeeper_testkit::wait_for;
use bridgekeeper_testkit::world::{
    LIVE_EXE, LONG, Output, World, gone, pid_alive, pids_of, signal, wait_child,
};

const BRIDGE_EXE: &str = "bridgekeeper-bridge.exe";

/// A uid that is not the test's.
const OTHER_UID: u32 = 4242;

fn my_uid() -> u32 {
    std::fs::metadata("/proc/self").unwrap().uid()
}

fn mode_of(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        .mode()
        & 0o7777
}

fn touch(path: &Path) {
    std::fs::write(path, b"").expect("writing a trigger file");
}

/// A file left by an earlier session, readable by everyone.
fn stale_file(path: &Path) {
    std::fs::write(path, b"stale bytes of an earlier session").unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
}

fn assert_private(path: &Path, when: &str) {
    let meta = std::fs::symlink_metadata(path).unwrap();
    assert!(meta.is_file(), "{when}: {} is a file", path.display());
    assert_eq!(meta.uid(), my_uid(), "{when}: {} is ours", path.display());
    assert_eq!(
        meta.mode() & 0o7777,
        0o600,
        "{when}: {} is private",
        path.display()
    );
}

/// The arguments of the one bridge running under this test's root (Wine
/// shows a Windows program's argv in /proc), waiting for it to start.
fn running_bridge(world: &World) -> (u32, Vec<String>) {
    wait_for(LONG, || {
        let pid = pids_of(&world.root, BRIDGE_EXE).into_iter().next()?;
        let args = cmdline(pid);
        (!args.is_empty()).then_some((pid, args))
    })
    .expect("a bridge runs")
}

fn cmdline(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|bytes| {
            bytes
                .split(|&b| b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn has(args: &[String], flag: &str) -> bool {
    args.iter().any(|a| a == flag)
}

/// Arguments of a game that runs until `stop` appears.
fn long_game(world: &World, stop: &Path) -> Vec<String> {
    world.game_args(
        world.size,
        &[
            "--run-ms",
            "120000",
            "--stop-file",
            &stop.display().to_string(),
        ],
    )
}

#[test]
fn every_backing_file_is_private_and_prepared_before_the_bridge_in_every_mode() {
    let Some(world) = World::new("private-modes") else {
        return;
    };
    let file = world.file();

    // Launcher mode: `bridgekeeper run %command%`.
    stale_file(&file);
    let stop = world.root.join("stop-launcher");
    let mut run = world.run_wrapped(&long_game(&world, &stop), &[]);
    let mut out = Output::of(&mut run);
    let (_, args) = running_bridge(&world);
    assert!(has(&args, "--existing-files"), "launcher: {args:?}");
    assert!(!has(&args, "--game-running"), "launcher: {args:?}");
    world.counter_moves().expect("launcher: data flows");
    assert_private(&file, "launcher");
    assert_eq!(world.session().unwrap()["mappings"][0]["mode"], "shared");
    touch(&stop);
    wait_child(&mut run, LONG).unwrap_or_else(|| panic!("the game ends: {}", out.text()));
    world.wine.wineserver_wait();

    // Attach to a game that created its section first: copy mode.
    stale_file(&file);
    let stop = world.root.join("stop-copy");
    let mut game = world.start_game(&long_game(&world, &stop));
    let mut out = Output::of(&mut game);
    out.wait_for("testgame: running");
    let attached = world.attach(world.steam.appid);
    assert!(
        attached.status.success(),
        "{}",
        String::from_utf8_lossy(&attached.stderr)
    );
    let (bridge, args) = running_bridge(&world);
    assert!(has(&args, "--existing-files"), "attach: {args:?}");
    assert!(has(&args, "--game-running"), "attach: {args:?}");
    assert_eq!(world.session().unwrap()["mappings"][0]["mode"], "copy");
    world.counter_moves().expect("copy mode: data flows");
    assert_private(&file, "attach, copy mode");
    touch(&stop);
    wait_child(&mut game, LONG).expect("the game ends");
    gone(bridge);
    world.wine.wineserver_wait();

    // Auto-attach: the watcher sees the game start.
    stale_file(&file);
    let stop = world.root.join("stop-watch");
    let watcher = world.watcher();
    let mut game = world.start_game(&long_game(&world, &stop));
    watcher
        .next("attached", LONG)
        .expect("the watcher attaches");
    let (bridge, args) = running_bridge(&world);
    // The watcher joins at the launch (pre-start: the bridge then waits
    // for the game) or, when the game's exe came first, tells the bridge
    // that the game runs; the files are prepared either way.
    assert!(has(&args, "--existing-files"), "auto-attach: {args:?}");
    world.counter_moves().expect("auto-attach: data flows");
    assert_private(&file, "auto-attach");
    touch(&stop);
    wait_child(&mut game, LONG).expect("the game ends");
    gone(bridge);
    drop(watcher);
    world.wine.wineserver_wait();

    // Verify: its probe file lives for a moment only, so watch it (and the
    // bridge's arguments) from a thread.
    let done = Arc::new(AtomicBool::new(false));
    let watching = {
        let done = done.clone();
        let shm = world.shm.path().to_path_buf();
        let root = world.root.clone();
        std::thread::spawn(move || {
            let mut modes = Vec::new();
            let mut bridge_args = Vec::new();
            while !done.load(Ordering::Relaxed) {
                for entry in std::fs::read_dir(&shm).unwrap().flatten() {
                    if entry
                        .file_name()
                        .to_string_lossy()
                        .starts_with("bridgekeeper-probe-")
                        && let Ok(meta) = entry.path().symlink_metadata()
                    {
                        modes.push((meta.mode() & 0o7777, meta.uid()));
                    }
                }
                if let Some(pid) = pids_of(&root, BRIDGE_EXE).into_iter().next() {
                    bridge_args.push(cmdline(pid));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            (modes, bridge_args)
        })
    };
    let verify = world
        .app
        .command()
        .args(["verify", &world.steam.appid.to_string(), "--steam-dir"])
        .arg(&world.steam.root)
        .output()
        .unwrap();
    done.store(true, Ordering::Relaxed);
    let (modes, bridge_args) = watching.join().unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    assert!(!modes.is_empty(), "the probe file was seen");
    assert!(
        modes.iter().all(|&m| m == (0o600, my_uid())),
        "verify: {modes:?}"
    );
    let args = bridge_args
        .iter()
        .find(|a| has(a, "--probe"))
        .expect("verify's bridge was seen");
    assert!(has(args, "--existing-files"), "verify: {args:?}");
    assert!(!has(args, "--game-running"), "verify: {args:?}");
    world.wine.wineserver_wait();
}

/// Something at a mapping's path (or at `Global`) that must be refused, and
/// how to check it was left alone.
struct Fault {
    what: &'static str,
    /// Words the refusal must contain (besides the path).
    says: String,
    /// The path the refusal names.
    path: PathBuf,
    /// Checks the fault is as it was.
    untouched: Box<dyn Fn()>,
}

/// The profile's mappings: the world's (local) one and a `Global\` one.
fn two_mapping_profile(world: &World) -> String {
    format!(
        r#"id = "fake-sim"
name = "Fake Sim"
appids = [{appid}]
launcher_exes = ["FakeLauncher.exe"]
live_exes = ["{LIVE_EXE}"]

[[mapping]]
name = "{mapping}"
size = {size}
source = "the test game's layout"

[[mapping]]
name = "Global\\{mapping}"
size = {size}
source = "a Global section"
"#,
        appid = world.steam.appid,
        mapping = world.mapping,
        size = world.size,
    )
}

/// Whether this test may chown files to another user (root may, as on CI,
/// where it must).
fn can_chown() -> bool {
    let root = my_uid() == 0;
    assert!(
        root || std::env::var("CI").as_deref() != Ok("true"),
        "the other-owner checks need root on CI"
    );
    if !root {
        eprintln!("SKIPPED: the other-owner checks need root");
    }
    root
}

fn faults(world: &World) -> Vec<(Fault, Box<dyn Fn()>)> {
    let shm = world.shm.path().to_path_buf();
    let global = shm.join("Global");
    let file = world.file();
    let elsewhere = world.root.join("elsewhere");
    let precious = elsewhere.join(&world.mapping);
    let mut list: Vec<(Fault, Box<dyn Fn()>)> = Vec::new();

    let (g, e, p) = (global.clone(), elsewhere.clone(), precious.clone());
    list.push((
        Fault {
            what: "Global is a link to another folder",
            says: "is a symbolic link; remove it".into(),
            path: global.clone(),
            untouched: Box::new(move || {
                assert_eq!(std::fs::read(&p).unwrap(), b"precious");
                assert_eq!(mode_of(&p), 0o644);
                assert_eq!(std::fs::read_dir(&e).unwrap().count(), 1);
            }),
        },
        Box::new(move || {
            std::fs::create_dir_all(&elsewhere).unwrap();
            std::fs::write(&precious, b"precious").unwrap();
            std::fs::set_permissions(&precious, std::fs::Permissions::from_mode(0o644)).unwrap();
            std::os::unix::fs::symlink(&elsewhere, &g).unwrap();
        }),
    ));
    for (mode, what) in [
        (0o777, "Global is open to everyone"),
        (0o770, "Global is open to its group"),
    ] {
        let g = global.clone();
        let g2 = global.clone();
        list.push((
            Fault {
                what,
                says: "may be written by other users".into(),
                path: global.clone(),
                untouched: Box::new(move || {
                    assert_eq!(mode_of(&g2), mode);
                    assert_eq!(std::fs::read_dir(&g2).unwrap().count(), 0);
                }),
            },
            Box::new(move || {
                std::fs::create_dir(&g).unwrap();
                std::fs::set_permissions(&g, std::fs::Permissions::from_mode(mode)).unwrap();
            }),
        ));
    }
    let root = can_chown();
    let (g, g2) = (global.clone(), global.clone());
    list.push((
        Fault {
            what: "Global is another user's",
            says: format!("belongs to user {OTHER_UID}"),
            path: global.clone(),
            untouched: Box::new(move || {
                let meta = std::fs::metadata(&g2).unwrap();
                assert_eq!((meta.uid(), meta.mode() & 0o7777), (OTHER_UID, 0o700));
                assert_eq!(std::fs::read_dir(&g2).unwrap().count(), 0);
            }),
        },
        Box::new(move || {
            std::fs::create_dir(&g).unwrap();
            std::fs::set_permissions(&g, std::fs::Permissions::from_mode(0o700)).unwrap();
            std::os::unix::fs::chown(&g, Some(OTHER_UID), Some(OTHER_UID)).unwrap();
        }),
    ));
    let (f, f2) = (file.clone(), file.clone());
    list.push((
        Fault {
            what: "a FIFO at the mapping's path",
            says: "is not a regular file".into(),
            path: file.clone(),
            untouched: Box::new(move || {
                let meta = std::fs::symlink_metadata(&f2).unwrap();
                assert!(meta.file_type().is_fifo());
                assert_eq!(meta.mode() & 0o7777, 0o644);
            }),
        },
        Box::new(move || {
            let status = std::process::Command::new("mkfifo")
                .args(["-m", "644"])
                .arg(&f)
                .status()
                .unwrap();
            assert!(status.success());
        }),
    ));
    let (f, f2) = (file.clone(), file.clone());
    list.push((
        Fault {
            what: "a directory at the mapping's path",
            says: "is not a regular file".into(),
            path: file.clone(),
            untouched: Box::new(move || {
                assert_eq!(std::fs::read(f2.join("inside")).unwrap(), b"kept");
            }),
        },
        Box::new(move || {
            std::fs::create_dir(&f).unwrap();
            std::fs::write(f.join("inside"), b"kept").unwrap();
        }),
    ));
    let (f, f2) = (file.clone(), file.clone());
    list.push((
        Fault {
            what: "another user's file at the mapping's path",
            says: format!("belongs to user {OTHER_UID}"),
            path: file.clone(),
            untouched: Box::new(move || {
                let meta = std::fs::metadata(&f2).unwrap();
                assert_eq!(
                    (meta.uid(), meta.mode() & 0o7777, meta.len()),
                    (OTHER_UID, 0o644, 5)
                );
                assert_eq!(std::fs::read(&f2).unwrap(), b"their");
            }),
        },
        Box::new(move || {
            std::fs::write(&f, b"their").unwrap();
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
            std::os::unix::fs::chown(&f, Some(OTHER_UID), Some(OTHER_UID)).unwrap();
        }),
    ));
    if !root {
        list.retain(|(fault, _)| !fault.says.contains("belongs to user"));
    }
    list
}

fn clear(shm: &Path) {
    for entry in std::fs::read_dir(shm).unwrap().flatten() {
        let path = entry.path();
        if path.symlink_metadata().unwrap().is_dir() {
            std::fs::remove_dir_all(&path).unwrap();
        } else {
            std::fs::remove_file(&path).unwrap();
        }
    }
}

#[test]
fn anything_but_a_private_file_of_ours_at_a_mapping_path_is_refused_and_left_alone() {
    let Some(world) = World::new("refused") else {
        return;
    };
    world
        .app
        .profile("fake-sim.toml", &two_mapping_profile(&world));

    // `bridgekeeper run`: the session is refused, the game runs without it,
    // and what the link points to keeps its bytes (the bridge zeroes what
    // it opens).
    let (link, make_link) = faults(&world).remove(0);
    make_link();
    let mut run = world.run_wrapped(&world.game_args(world.size, &["--run-ms", "1500"]), &[]);
    let mut out = Output::of(&mut run);
    out.wait_for("testgame: running");
    let exit = wait_child(&mut run, LONG).expect("the game ends");
    assert_eq!(exit.code(), Some(0), "{}", out.text());
    let log = world.run_log();
    assert!(
        log.contains(&link.path.display().to_string()) && log.contains(&link.says),
        "{log}"
    );
    let session = world.session().expect("the refused session is listed");
    assert_eq!(session["state"], "failed", "{session:#}");
    assert!(pids_of(&world.root, BRIDGE_EXE).is_empty(), "no bridge");
    (link.untouched)();
    world.wine.wineserver_wait();

    // `bridgekeeper attach` (what auto-attach calls too), for each fault.
    let stop = world.root.join("stop");
    let mut game = world.start_game(&long_game(&world, &stop));
    let mut out = Output::of(&mut game);
    out.wait_for("testgame: running");
    for (fault, make) in faults(&world) {
        clear(world.shm.path());
        let _ = std::fs::remove_dir_all(world.root.join("elsewhere"));
        make();
        let attached = world.attach(world.steam.appid);
        let stderr = String::from_utf8_lossy(&attached.stderr);
        assert!(!attached.status.success(), "{}: attached", fault.what);
        assert!(
            stderr.contains(&fault.path.display().to_string()) && stderr.contains(&fault.says),
            "{}: {stderr}",
            fault.what
        );
        (fault.untouched)();
        assert!(
            pids_of(&world.root, BRIDGE_EXE).is_empty(),
            "{}: no bridge",
            fault.what
        );
        eprintln!("refused ({}): {}", fault.what, stderr.trim());
    }
    clear(world.shm.path());
    touch(&stop);
    wait_child(&mut game, LONG).expect("the game ends");
    world.wine.wineserver_wait();
}

/// The Linux side saw the game, but it ended before its bridge looked (here:
/// killed between the scan and the start of the bridge). The bridge must
/// not wait 30 s for it, and the session must say what happened.
#[test]
fn an_attach_bridge_whose_game_is_gone_ends_within_two_seconds() {
    let Some(world) = World::new("game-gone") else {
        return;
    };
    let stop = world.root.join("stop");
    let mut game = world.start_game(&long_game(&world, &stop));
    let mut out = Output::of(&mut game);
    out.wait_for("testgame: running");
    let pid = wait_for(LONG, || pids_of(&world.root, LIVE_EXE).into_iter().next())
        .expect("the game runs");
    // What the watcher's scan (or `attach`'s) reads of the game.
    let seen = ProcessInfo::read(pid as i32).expect("the game's process");
    signal(pid, "KILL");
    wait_for(LONG, || (!pid_alive(pid)).then_some(())).expect("the game is gone");
    let _ = game.wait();

    let profile = bridgekeeper_profiles::check_file(&world.app.profiles.join("fake-sim.toml"))
        .expect("the world's profile")
        .profile;
    let config = SessionConfig {
        registry: Registry::new(&world.app.runtime),
        shm_dir: world.shm.path().to_path_buf(),
        keep_files: false,
        bridge: BridgeFiles::in_dir(&world.wine.bin).expect("the bridge is built"),
    };
    let started = Instant::now();
    let session = attach::attach(&config, &profile, &seen).expect("the bridge starts");
    let ready = started.elapsed();
    let bridge = session.bridge_pid();
    session.detach();
    let lifetime = gone(bridge) - started;
    eprintln!(
        "FIGURE attach bridge of a gone game: ready {ready:?} after its start, gone {lifetime:?} \
         after its start"
    );
    assert!(
        lifetime < Duration::from_secs(2),
        "the bridge lived {lifetime:?} for a game that was gone"
    );
    let status = world.app.status();
    let session = bridgekeeper_testkit::world::session_with(&status, world.steam.appid)
        .expect("the session is listed");
    assert_eq!(session["state"], "ended", "{session:#}");
    assert_eq!(session["reason"], "game-not-found", "{session:#}");
    assert!(!world.file().exists(), "its file is removed");
    world.wine.wineserver_wait();
}
