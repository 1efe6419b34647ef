//! Linux readers next to a bridged game under real Wine: a reader that
//! behaves like simd (`tests/simlike-reader`, run as `simd` so that its
//! process looks like simd's) in its fighting memmap mode and in nomemmap
//! mode, started after and before the bridge, in shared and copy mode. The
//! game never crashes; each fight shows in `status --json` within a second
//! and names simd; a shortened file is back at its size; in nomemmap mode
//! the reader reads the game's values and nothing is reported.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bridgekeeper_testkit::world::{LONG, Output, World, lines_of, signal, wait_child};
use bridgekeeper_testkit::{GAME_MAGIC, wait_for};
use serde_json::Value;

/// The size of the game's page: simd's 2048-byte cut keeps the game's
/// only page (the profiles' size rule).
const PAGE: u64 = 4096;

/// What simd truncates the Kunos pages to.
const SIMD_CUT: u64 = 2048;

/// Builds the simlike reader (a no-op when up to date) and returns its path.
fn reader_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .current_dir(bridgekeeper_testkit::wine::workspace())
            .args(["build", "-q", "-p", "bridgekeeper-simlike-reader"]);
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        assert!(
            build.status().expect("running cargo build").success(),
            "building the simlike reader failed"
        );
        let profile_dir = std::env::current_exe()
            .unwrap()
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .to_path_buf();
        profile_dir.join("bridgekeeper-simlike-reader")
    })
}

/// A reader process, killed when the test ends (passed or not).
struct Reader(Child);

impl Drop for Reader {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until the game's counter (offset 4) moves: the game writes it on
/// every tick, unlike its magic number, which it writes once.
fn counter_moves_at(file: &Path) -> bool {
    let first = wait_for(LONG, || bridgekeeper_testkit::world::u32_at(file, 4));
    first.is_some_and(|first| {
        wait_for(LONG, || {
            bridgekeeper_testkit::world::u32_at(file, 4).filter(|&c| c != first)
        })
        .is_some()
    })
}

/// The reader, started as `simd` (its `comm` is then simd's), on the
/// world's mapping: `--compat MAPPING=2048` in memmap mode, and a read map
/// of the first 32 bytes.
fn start_simd(world: &World, mode: &str, extra: &[&str]) -> Reader {
    let bin = world.root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let simd = bin.join("simd");
    if !simd.exists() {
        std::os::unix::fs::symlink(reader_binary(), &simd).unwrap();
    }
    Command::new(simd)
        .args(["--mode", mode, "--dir"])
        .arg(world.shm.path())
        .arg("--compat")
        .arg(format!("{}={SIMD_CUT}", world.mapping))
        .arg("--read")
        .arg(format!("{}=32", world.mapping))
        .arg("--physics")
        .arg(&world.mapping)
        .args(["--interval-ms", "50"])
        .args(extra)
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .map(Reader)
        .expect("starting the simlike reader")
}

/// The session's problem of `kind` (`shortened`, `deleted`) for the
/// world's file, waiting up to `timeout`; with how long it took.
fn problem_within(world: &World, kind: &str, timeout: Duration) -> Option<(Value, Duration)> {
    let started = Instant::now();
    wait_for(timeout, || {
        let session = world.session()?;
        session["problems"]
            .as_array()?
            .iter()
            .find(|p| p["problem"] == kind && p["file"] == world.file().to_str().unwrap())
            .cloned()
    })
    .map(|p| (p, started.elapsed()))
}

fn assert_names_simd(problem: &Value) {
    let by = problem["by"].as_array().expect("who held the file");
    assert!(
        by.iter()
            .any(|u| u["reader"] == "simd" && u["comm"] == "simd"),
        "{problem:#}"
    );
    let fix = problem["fix"].as_str().unwrap();
    assert!(fix.contains("--nomemmap"), "{fix}");
}

/// The game's arguments: it runs until `stop` appears (at most a minute),
/// however slow the machine, then exits with code 0.
fn long_game(world: &World, stop: &Path) -> Vec<String> {
    world.game_args(
        PAGE,
        &["--run-ms", "60000", "--stop-file", stop.to_str().unwrap()],
    )
}

fn end_game(stop: &Path, game: &mut Child) -> std::process::ExitStatus {
    std::fs::write(stop, b"").unwrap();
    wait_child(game, LONG).expect("the game ends")
}

fn exit_reader(reader: &mut Reader) {
    signal(reader.0.id(), "TERM");
    wait_child(&mut reader.0, LONG).expect("the reader exits");
}

/// simd in memmap mode started next to a running zero-copy session: its
/// cut is reported within a second and undone, its writable map is shown
/// as a fighting reader, its deletion at exit is reported; the game runs
/// on to its own end with exit code 0.
#[test]
fn memmap_simd_after_the_bridge_is_reported_and_the_game_survives() {
    reader_binary();
    let Some(world) = World::new("readers-after") else {
        return;
    };
    world.write_profile(PAGE);
    let stop = world.root.join("stop");
    let mut game = world.run_wrapped(&long_game(&world, &stop), &[]);
    let mut game_out = Output::of(&mut game);
    assert!(world.counter_moves().is_some(), "the game's data flows");
    assert_eq!(world.mapping_mode(), "shared");

    let mut reader = start_simd(&world, "memmap", &[]);
    let (shortened, took) = problem_within(&world, "shortened", LONG).expect("the cut is reported");
    assert!(took < Duration::from_secs(1), "reported after {took:?}");
    assert_eq!(shortened["length"], SIMD_CUT, "{shortened:#}");
    assert_eq!(shortened["size"], PAGE);
    assert_eq!(shortened["restored"], true);
    assert_names_simd(&shortened);
    assert_eq!(std::fs::metadata(world.file()).unwrap().len(), PAGE);

    // simd maps the file writable: `status` names it as a fighting reader
    // (it zeroes the file when it thinks a session ended).
    let session = world.session().unwrap();
    let readers = session["readers"].as_array().expect("fighting readers");
    assert_eq!(readers[0]["process"]["pid"], reader.0.id(), "{session:#}");
    assert!(
        readers[0]["message"].as_str().unwrap().contains("zeroes"),
        "{session:#}"
    );
    let text = world.app.command().arg("status").output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("PROBLEM:") && text.contains("WARNING:"),
        "{text}"
    );

    signal(reader.0.id(), "USR1"); // simd zeroes its files
    let lines = lines_of(&mut reader.0);
    wait_for(LONG, || {
        lines
            .try_iter()
            .any(|l| l.contains("session-ended"))
            .then_some(())
    })
    .expect("the reader zeroed");
    assert!(counter_moves_at(&world.file()), "the game writes on");

    let deleting = Instant::now();
    exit_reader(&mut reader);
    let (deleted, _) = problem_within(&world, "deleted", LONG).expect("the deletion is reported");
    let took = deleting.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "reported {took:?} after SIGTERM"
    );
    assert_names_simd(&deleted);
    assert!(
        deleted["fix"].as_str().unwrap().contains("start it again"),
        "{deleted:#}"
    );

    let exit = end_game(&stop, &mut game);
    assert_eq!(exit.code(), Some(0), "{}", game_out.text());
}

/// simd in memmap mode started before the game, which then runs without
/// the wrapper and is attached by the watcher in copy mode: simd's 2048-byte
/// file is taken over and grown, the watcher prints the deletion as a
/// problem, the game ends with exit code 0.
#[test]
fn memmap_simd_before_a_copy_mode_session_is_reported_and_the_game_survives() {
    reader_binary();
    let Some(world) = World::new("readers-before") else {
        return;
    };
    world.write_profile(PAGE);
    let mut reader = start_simd(&world, "memmap", &[]);
    let created = wait_for(LONG, || {
        std::fs::metadata(world.file())
            .ok()
            .filter(|m| m.len() == SIMD_CUT)
    });
    assert!(created.is_some(), "the reader made the file first");

    // The game makes its section before any bridge runs: copy mode.
    let stop = world.root.join("stop");
    let mut game = world.start_game(&long_game(&world, &stop));
    world.game_pid();
    std::thread::sleep(Duration::from_millis(500));
    let watch = world.watcher();
    let attached = watch.next("attached", LONG).expect("the watcher attaches");
    assert_eq!(
        attached["session"]["mappings"][0]["mode"], "copy",
        "{attached:#}"
    );
    assert!(world.counter_moves().is_some(), "the game's data flows");
    assert_eq!(std::fs::metadata(world.file()).unwrap().len(), PAGE);
    let session = world.session().unwrap();
    assert_eq!(
        session["readers"][0]["process"]["reader"], "simd",
        "{session:#}"
    );

    exit_reader(&mut reader);
    let problem = watch.next("problem", LONG).expect("the watcher reports it");
    assert_eq!(problem["problem"]["problem"], "deleted", "{problem:#}");
    let (deleted, _) = problem_within(&world, "deleted", LONG).expect("in status too");
    assert_names_simd(&deleted);

    let exit = end_game(&stop, &mut game);
    assert_eq!(exit.code(), Some(0));
}

/// simd whose --nomemmap works, started before the game, on a file a
/// reader made first at the wrong size and mode (32 bytes, 0644, as
/// TinyPedal makes a missing file). The session takes that very file (same
/// inode), makes it private and grows it; the reader then reads the game's magic and moving counter, and nothing is reported.
/// Then a FIFO at the path: the next session is refused with the path and
/// the fix, the FIFO stays, and the game runs without a bridge.
#[test]
fn nomemmap_simd_reads_the_games_values_and_bad_files_are_refused_clearly() {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    reader_binary();
    let Some(world) = World::new("readers-nomemmap") else {
        return;
    };
    world.write_profile(PAGE);
    // As TinyPedal makes a missing file: mode 0666 minus the umask, its own
    // struct's length in zeros.
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(world.file())
            .unwrap();
        file.set_permissions(std::fs::Permissions::from_mode(0o644))
            .unwrap();
        file.set_len(32).unwrap();
    }
    let created = std::fs::metadata(world.file()).unwrap();
    let mut reader = start_simd(&world, "nomemmap", &[]);
    let lines = lines_of(&mut reader.0);

    let stop = world.root.join("stop");
    let mut game = world.run_wrapped(&long_game(&world, &stop), &[]);
    assert!(world.counter_moves().is_some(), "the game's data flows");
    let taken = std::fs::metadata(world.file()).unwrap();
    assert_eq!(taken.ino(), created.ino(), "the reader's file is used");
    assert_eq!((taken.len(), taken.mode() & 0o777), (PAGE, 0o600));
    let mut counters = Vec::new();
    wait_for(LONG, || {
        for line in lines.try_iter() {
            let Ok(value) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if value["event"] == "sample" && value["words"][0] == GAME_MAGIC {
                counters.push(value["words"][1].as_u64().unwrap());
            }
        }
        (counters.len() >= 2 && counters.first() != counters.last()).then_some(())
    })
    .expect("the reader sees the game's magic and a moving counter");
    let session = world.session().unwrap();
    assert!(session.get("problems").is_none(), "{session:#}");
    assert!(session.get("readers").is_none(), "{session:#}");
    exit_reader(&mut reader);
    let exit = end_game(&stop, &mut game);
    assert_eq!(exit.code(), Some(0));

    // A FIFO where the file goes (a reader or a script made it).
    let _ = std::fs::remove_file(world.file());
    let made = Command::new("mkfifo")
        .args(["-m", "600"])
        .arg(world.file())
        .status()
        .unwrap();
    assert!(made.success());
    let mut game = world.run_wrapped(&world.game_args(PAGE, &["--run-ms", "1500"]), &[]);
    let failed = wait_for(LONG, || world.session().filter(|s| s["state"] == "failed"))
        .expect("the session is shown as failed");
    let message = failed["message"].as_str().unwrap();
    assert!(
        message.contains(world.file().to_str().unwrap()) && message.contains("remove it"),
        "{message}"
    );
    let exit = wait_child(&mut game, LONG).expect("the game ends");
    assert_eq!(exit.code(), Some(0), "the game runs without a bridge");
    let meta = std::fs::symlink_metadata(world.file()).unwrap();
    assert!(meta.file_type().is_fifo(), "the FIFO is left alone");
    std::fs::remove_file(world.file()).unwrap();
}

/// The real simd next to a bridged ACC-shaped session. Not run by default:
/// simd has no directory option (it always uses `/dev/shm`, `/tmp/simd.pid`
/// and the passwd home's `~/.config/simd`), so this runs only inside a
/// private mount namespace, with the simd binary named by
/// `BRIDGEKEEPER_E2E_SIMD` (and its flags, space-separated, in
/// `BRIDGEKEEPER_E2E_SIMD_ARGS`); see README, "Works with".
///
/// The test game writes a magic number at offset 0 and a counter at offset
/// 4 of each page; the counter reads to simd as the graphics page's status
/// "live". simd finds games by `comm`, and Wine names the test game's
/// process after its main thread, so a Linux stand-in named
/// `AC2-Win64-Shipping.exe` runs next to it.
#[test]
#[ignore = "needs a simd binary and a private /dev/shm: see README, Works with"]
fn real_simd_next_to_a_bridged_session() {
    let simd = std::env::var_os("BRIDGEKEEPER_E2E_SIMD").expect("BRIDGEKEEPER_E2E_SIMD");
    let simd_args = std::env::var("BRIDGEKEEPER_E2E_SIMD_ARGS").unwrap_or_default();
    // simd truncates, zeroes and deletes files in /dev/shm: only a private,
    // empty one (a fresh tmpfs in a mount namespace of this test's own).
    assert!(
        std::fs::read_dir("/dev/shm").unwrap().next().is_none(),
        "run me with a private, empty /dev/shm (see README, Works with)"
    );
    let Some(world) = World::new("real-simd") else {
        return;
    };
    let shm = Path::new("/dev/shm");
    let pages = [
        ("acpmf_physics", 4096),
        ("acpmf_graphics", 4096),
        ("acpmf_static", 4096),
        ("acpmf_crewchief", 16384),
    ];
    let mut profile = format!(
        "id = \"acc-like\"\nname = \"ACC-like\"\nappids = [{}]\n\
         launcher_exes = [\"FakeLauncher.exe\"]\nlive_exes = [\"FakeSimAVX.exe\"]\n",
        world.steam.appid
    );
    let mut game_args = vec![world.steam.exe("FakeSimAVX.exe"), "game".to_string()];
    for (name, size) in pages {
        profile.push_str(&format!(
            "\n[[mapping]]\nname = \"{name}\"\nsize = {size}\nsource = \"test\"\n"
        ));
        game_args.extend(["--map".to_string(), format!("{name}={size}")]);
    }
    game_args.extend(["--run-ms".to_string(), "20000".to_string()]);
    world.app.profile("fake-sim.toml", &profile);
    let mut game = world
        .app
        .command()
        .env("BRIDGEKEEPER_SHM_DIR", shm)
        .arg("run")
        .args(world.steam.launch_command(&game_args))
        .envs(world.steam.game_env())
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let mut game_out = Output::of(&mut game);
    assert!(
        bridgekeeper_testkit::world::counter_moves_in(&shm.join("acpmf_physics")).is_some(),
        "the game's data flows"
    );
    let status = |app: &bridgekeeper_testkit::app::App| -> Value {
        let out = app
            .command()
            .env("BRIDGEKEEPER_SHM_DIR", shm)
            .args(["status", "--json"])
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()[0].clone()
    };
    let stand_in_dir = world.root.join("stand-in");
    std::fs::create_dir_all(&stand_in_dir).unwrap();
    let stand_in = stand_in_dir.join("AC2-Win64-Shipping.exe");
    std::fs::copy("/bin/sleep", &stand_in).unwrap();
    let mut stand_in = Command::new(stand_in).arg("60").spawn().unwrap();

    let started = Instant::now();
    let mut simd = Command::new(&simd)
        .args(["--nodaemon", "--nonotify", "-v"])
        .args(simd_args.split_whitespace())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let simd_lines = lines_of(&mut simd);
    // simd maps SIMAPI.DAT and fills it once it has found the game.
    let detected = wait_for(Duration::from_secs(10), || {
        simd_lines
            .try_iter()
            .any(|l| l.contains("Shared memory looks good"))
            .then_some(started.elapsed())
    });
    eprintln!("simd detected the game after {detected:?}");
    std::thread::sleep(Duration::from_secs(2));
    let during = status(&world.app);
    eprintln!("status during simd: {during:#}");
    for (name, size) in pages {
        let len = std::fs::metadata(shm.join(name)).map(|m| m.len());
        eprintln!("{name}: {len:?} (profile {size})");
    }
    signal(simd.id(), "TERM");
    let simd_exit = wait_child(&mut simd, LONG);
    eprintln!("simd exit: {simd_exit:?}");
    std::thread::sleep(Duration::from_secs(1));
    let after = status(&world.app);
    eprintln!("status after simd exit: {after:#}");
    stand_in.kill().unwrap();
    stand_in.wait().unwrap();
    let exit = wait_child(&mut game, LONG).expect("the game ends");
    eprintln!("game exit: {exit:?}");
    assert!(detected.is_some(), "simd detected the game");
    assert_eq!(exit.code(), Some(0), "{}", game_out.text());
    if !simd_args.contains("nomemmap") {
        let problems = during["problems"].as_array().expect("problems");
        assert!(
            problems
                .iter()
                .any(|p| p["problem"] == "shortened" && p["restored"] == true),
            "{during:#}"
        );
    }
}
