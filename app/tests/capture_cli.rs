//! `bridgekeeper record`, `replay` and `demo` as a user runs them: real
//! processes, a private session registry, files in `/dev/shm`. A live
//! session is stood in for by this test (a registry record owned by a
//! child process, pages written at 333 Hz); the same under Wine is in
//! tests/capture.rs.

use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use bridgekeeper_capture::CaptureReader;
use bridgekeeper_profiles::{Catalog, Gear};
use bridgekeeper_protocol::{Event, MappingMode, StatusLine};
use bridgekeeper_sessions::{Registry, SessionKind, SessionMapping, SessionRecord};
use bridgekeeper_testkit::shm::ShmDir;
use bridgekeeper_testkit::wait_for;
use bridgekeeper_testkit::world::{signal, wait_child};

const WAIT: Duration = Duration::from_secs(20);

/// A private runtime folder (the registry) and a `/dev/shm` folder.
struct Env {
    runtime: tempfile::TempDir,
    shm: ShmDir,
}

impl Env {
    fn new(label: &str) -> Env {
        let runtime = tempfile::tempdir().unwrap();
        std::fs::set_permissions(runtime.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let shm = ShmDir::new(label);
        std::fs::set_permissions(shm.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        Env { runtime, shm }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(bridgekeeper_testkit::app::binary());
        command
            .env("XDG_RUNTIME_DIR", self.runtime.path())
            .env("BRIDGEKEEPER_SHM_DIR", self.shm.path())
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("DISPLAY")
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.command()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn registry(&self) -> Registry {
        Registry::new(self.runtime.path())
    }

    fn status(&self) -> serde_json::Value {
        let out = self.run(&["status", "--json"]);
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn demo_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/demo/acc-demo.bkcap")
}

fn finish(mut child: Child) -> Output {
    wait_child(&mut child, WAIT).expect("the command ends");
    child.wait_with_output().unwrap()
}

/// The demo is a replay session like a game's: files of mode 0600 whose
/// bytes are the recorded frames, decoded to sane values by the profile's
/// dashboard, shown by `status`; Ctrl-C ends it with its files and record.
#[test]
fn the_demo_serves_the_recorded_frames_and_leaves_nothing() {
    let env = Env::new("demo");
    let child = env.spawn(&["demo"]);
    let physics = env.shm.file("acpmf_physics");
    let session = wait_for(WAIT, || {
        let status = env.status();
        let first = status.as_array()?.first()?.clone();
        (first["state"] == "running").then_some(first)
    })
    .expect("the demo shows as a running session");
    assert_eq!(session["kind"], "replay");
    assert_eq!(session["appid"], 805550);
    assert!(session["game"].as_str().unwrap().contains("(demo)"));
    let mode = std::fs::metadata(&physics).unwrap().mode();
    assert_eq!(mode & 0o777, 0o600);

    let mut reader = CaptureReader::open(&demo_file()).unwrap();
    let catalog = Catalog::builtin();
    let dashboard = catalog
        .get("assetto-corsa-competizione")
        .unwrap()
        .profile
        .dashboard
        .clone()
        .unwrap();
    let file = std::fs::File::open(&physics).unwrap();
    let (mut matched, mut moving) = (0, 0);
    let mut page = vec![0u8; 4096];
    for _ in 0..200 {
        file.read_exact_at(&mut page, 0).unwrap();
        let packet = u32::from_le_bytes(page[..4].try_into().unwrap());
        if packet > 1 {
            reader.seek_frame(u64::from(packet) - 1).unwrap();
            if reader.mapping(0) == page.as_slice() {
                matched += 1;
            }
            let graphics = std::fs::read(env.shm.file("acpmf_graphics")).unwrap();
            let statics = std::fs::read(env.shm.file("acpmf_static")).unwrap();
            let values = dashboard.read(|name| match name {
                "acpmf_physics" => Some(page.as_slice()),
                "acpmf_graphics" => Some(graphics.as_slice()),
                "acpmf_static" => Some(statics.as_slice()),
                _ => None,
            });
            assert_eq!(
                values.status.as_ref().unwrap().label.as_deref(),
                Some("live")
            );
            assert_eq!(values.max_rpm, Some(8500.0));
            let speed = values.speed_kmh.unwrap();
            assert!((0.0..=270.0).contains(&speed), "{values:?}");
            if speed > 1.0 {
                moving += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        matched >= 100,
        "{matched} of 200 reads were a recorded frame"
    );
    assert!(moving > 0, "the car moves");

    // A second replay of the same files is refused, naming them and the fix.
    let clash = env.run(&["replay", demo_file().to_str().unwrap()]);
    assert_eq!(clash.status.code(), Some(1), "{}", text(&clash));
    let message = text(&clash);
    assert!(
        message.contains(&physics.display().to_string()) && message.contains("--dir"),
        "{message}"
    );

    signal(child.id(), "INT");
    let out = finish(child);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("files removed"), "{}", text(&out));
    assert!(env.shm.entries().is_empty(), "{:?}", env.shm.entries());
    assert_eq!(env.status(), serde_json::json!([]));
}

/// Every gauge of the ACC profile reads a sane value from the demo, all
/// through its laps.
#[test]
fn the_demo_capture_drives_laps_the_dashboard_reads() {
    let mut reader = CaptureReader::open(&demo_file()).unwrap();
    let catalog = Catalog::builtin();
    let dashboard = catalog
        .get("assetto-corsa-competizione")
        .unwrap()
        .profile
        .dashboard
        .clone()
        .unwrap();
    let (mut top, mut gears) = (0.0f64, Vec::new());
    let (mut last_laps, mut fuel): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    let mut braking = false;
    let mut index = 0;
    while index < reader.frame_count() {
        reader.seek_frame(index).unwrap();
        let pages: Vec<Vec<u8>> = (0..4).map(|m| reader.mapping(m).to_vec()).collect();
        let values = dashboard.read(|name| {
            let at = reader
                .header()
                .mappings
                .iter()
                .position(|m| m.name == name)?;
            Some(pages[at].as_slice())
        });
        top = top.max(values.speed_kmh.unwrap());
        if let Some(Gear::Forward(n)) = values.gear
            && !gears.contains(&n)
        {
            gears.push(n);
        }
        braking |= values.brake.unwrap() > 0.5;
        let last = values.last_lap.map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        if last > 0.0 && !last_laps.contains(&last) {
            last_laps.push(last);
        }
        fuel.push(values.fuel_litres.unwrap());
        assert!(values.rpm.unwrap() <= values.max_rpm.unwrap());
        index += 97;
    }
    assert!((200.0..=265.0).contains(&top), "top speed {top}");
    gears.sort();
    assert_eq!(gears, [1, 2, 3, 4, 5, 6]);
    assert!(braking);
    assert_eq!(last_laps.len(), 2, "{last_laps:?}");
    assert!(
        last_laps.iter().all(|ms| (30_000.0..60_000.0).contains(ms)),
        "{last_laps:?}"
    );
    assert!(fuel.windows(2).all(|w| w[1] <= w[0]) && fuel[0] > *fuel.last().unwrap());
}

/// The bundled capture is what the synthetic sim writes today.
#[test]
fn the_demo_capture_is_reproducible() {
    let (bytes, _) =
        bridgekeeper::demo_sim::write_demo(Vec::new(), Path::new("acc-demo.bkcap")).unwrap();
    let bundled = std::fs::read(demo_file()).unwrap();
    assert!(bundled.len() <= 1 << 20, "{} bytes", bundled.len());
    assert!(
        bytes == bundled,
        "assets/demo/acc-demo.bkcap is out of date: run scripts/make-demo"
    );
}

/// A stand-in for a bridged game: a registry record owned by a child
/// process, and a page whose counter moves at 333 Hz.
struct FakeGame {
    owner: Child,
    record: SessionRecord,
}

impl FakeGame {
    fn start(env: &Env, id: &str, appid: u32) -> FakeGame {
        // Outlives any test run, however loaded the machine (a test that
        // took longer than its owner saw its session end); ended on drop.
        let owner = Command::new("sleep").arg("3600").spawn().unwrap();
        let file = env.shm.file("page");
        let _ = std::fs::remove_file(&file);
        std::fs::write(&file, vec![0u8; 4096]).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let meta = std::fs::metadata(&file).unwrap();
        let registry = env.registry();
        let record = SessionRecord {
            id: id.into(),
            appid,
            game: "Fake Sim".into(),
            profile: "fake-sim".into(),
            kind: SessionKind::Attach,
            prefix: "/fake/compatdata/pfx".into(),
            proton: Some("/fake/Proton 9.0".into()),
            mappings: vec![SessionMapping {
                name: "page".into(),
                file,
                size: 4096,
                mode: Some(MappingMode::Shared),
                error: None,
                dev: Some(meta.dev()),
                inode: Some(meta.ino()),
            }],
            bridge_pid: Some(owner.id()),
            owner_pid: owner.id(),
            owner_start_time: bridgekeeper_host::process_info::start_time(owner.id() as i32)
                .unwrap(),
            owner_pid_namespace: bridgekeeper_host::pid_namespace::own(),
            nonce: format!("n{id}"),
            events_file: registry.events_file(id),
            started_at: 1,
            keep_files: true,
            backing_dir: Some(env.shm.path().to_path_buf()),
            failure: None,
            problems: Vec::new(),
        };
        registry.save(&record).unwrap();
        let line = StatusLine {
            nonce: record.nonce.clone(),
            event: Event::AllReady { shared: 1, copy: 0 },
        };
        std::fs::write(&record.events_file, format!("{}\n", line.to_json())).unwrap();
        FakeGame { owner, record }
    }

    /// Ends the owner, and with it the session (as dropping does).
    fn end(self) {}
}

impl Drop for FakeGame {
    fn drop(&mut self) {
        let _ = self.owner.kill();
        let _ = self.owner.wait();
    }
}

/// Writes the counter into `page` at 333 Hz until stopped.
fn write_counter(file: PathBuf, counter: Arc<AtomicU32>, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let value = counter.fetch_add(1, Ordering::Relaxed) + 1;
            if let Ok(f) = std::fs::OpenOptions::new().write(true).open(&file) {
                let _ = f.write_all_at(&value.to_le_bytes(), 0);
            }
            std::thread::sleep(Duration::from_micros(3000));
        }
    });
}

fn counters(path: &Path) -> Vec<u32> {
    let mut reader = CaptureReader::open(path).unwrap();
    let mut seen = Vec::new();
    while reader.next_frame().unwrap().is_some() {
        seen.push(u32::from_le_bytes(
            reader.mapping(0)[..4].try_into().unwrap(),
        ));
    }
    seen
}

/// `record` follows the game's next session, writes a header with the
/// game, and `record --info` describes the file.
#[test]
fn record_follows_a_restarted_session_and_info_describes_the_file() {
    let env = Env::new("record");
    let first = FakeGame::start(&env, "4321-first", 4321);
    let (counter, stop) = (
        Arc::new(AtomicU32::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    write_counter(env.shm.file("page"), counter.clone(), stop.clone());
    let out_file = env.runtime.path().join("out.bkcap");
    let recorder = env.spawn(&[
        "record",
        "4321",
        "-o",
        out_file.to_str().unwrap(),
        "--duration",
        "3s",
    ]);
    std::thread::sleep(Duration::from_millis(1000));
    // The game restarts its session: a new record, a new file at the path.
    first.end();
    std::thread::sleep(Duration::from_millis(300));
    counter.store(1_000_000, Ordering::Relaxed);
    let second = FakeGame::start(&env, "4321-second", 4321);
    let out = finish(recorder);
    stop.store(true, Ordering::Relaxed);
    second.end();
    let message = text(&out);
    assert!(out.status.success(), "{message}");
    assert!(message.contains("session 4321-first ended"), "{message}");
    assert!(
        message.contains("following the new session 4321-second"),
        "{message}"
    );

    let seen = counters(&out_file);
    // A zero is the second session's fresh file before its first write.
    let before: Vec<u32> = seen
        .iter()
        .copied()
        .filter(|&c| c > 0 && c < 1_000_000)
        .collect();
    let after: Vec<u32> = seen.iter().copied().filter(|&c| c > 1_000_000).collect();
    assert!(
        before.len() > 200,
        "{} frames of the first session",
        before.len()
    );
    assert!(
        after.len() > 200,
        "{} frames of the second session",
        after.len()
    );
    // At 333 Hz polled at 1 kHz, hardly an update is lost.
    let (first, last) = (before[0], before[before.len() - 1]);
    assert!(first <= last, "counters went back: {before:?}");
    let span = last - first + 1;
    assert!(
        before.len() as f64 >= 0.9 * f64::from(span),
        "{} of {span} updates recorded",
        before.len()
    );

    let info = env.run(&["record", "--info", out_file.to_str().unwrap()]);
    let info_text = text(&info);
    assert!(info.status.success(), "{info_text}");
    for expected in [
        "Fake Sim",
        "fake-sim",
        "Proton 9.0",
        "page",
        "ended cleanly",
    ] {
        assert!(info_text.contains(expected), "{expected} in {info_text}");
    }
}

/// A recorder killed with SIGKILL leaves a file that reads back up to its
/// last second.
#[test]
fn a_killed_recorder_leaves_a_readable_file() {
    let env = Env::new("killed");
    let game = FakeGame::start(&env, "77-killed", 77);
    let (counter, stop) = (
        Arc::new(AtomicU32::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    write_counter(env.shm.file("page"), counter, stop.clone());
    let out_file = env.runtime.path().join("killed.bkcap");
    let mut recorder = env.spawn(&["record", &game.record.id, "-o", out_file.to_str().unwrap()]);
    if wait_for(WAIT, || out_file.exists().then_some(())).is_none() {
        let _ = recorder.kill();
        panic!("no recording: {}", text(&finish(recorder)));
    }
    std::thread::sleep(Duration::from_millis(2600));
    signal(recorder.id(), "KILL");
    finish(recorder);
    stop.store(true, Ordering::Relaxed);
    game.end();
    let reader = CaptureReader::open(&out_file).unwrap();
    assert!(
        reader.duration() >= Duration::from_secs(1),
        "{:?}",
        reader.duration()
    );
    let info = env.run(&["record", "--info", out_file.to_str().unwrap()]);
    assert!(info.status.success(), "{}", text(&info));
    assert!(counters(&out_file).len() > 200);
}

/// Bad input gets an error naming the file or the session, and the fix.
#[test]
fn bad_input_is_refused_by_name() {
    let env = Env::new("bad");
    let dir = env.runtime.path();
    let bundled = std::fs::read(demo_file()).unwrap();

    let garbage = dir.join("garbage.bkcap");
    std::fs::write(&garbage, b"this is not a capture at all, just text").unwrap();
    let mut future = bundled.clone();
    future[8] = 9;
    let future_file = dir.join("future.bkcap");
    std::fs::write(&future_file, &future).unwrap();
    let cut = dir.join("cut.bkcap");
    std::fs::write(&cut, &bundled[..20]).unwrap();
    for (file, words) in [
        (&garbage, "not a Bridgekeeper capture"),
        (&future_file, "version 9"),
        (&cut, "cut"),
        (&dir.join("missing.bkcap"), "missing.bkcap"),
    ] {
        for args in [vec!["replay"], vec!["record", "--info"]] {
            let mut args = args.clone();
            args.push(file.to_str().unwrap());
            let out = env.run(&args);
            let message = text(&out);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {message}");
            assert!(
                message.contains(&file.display().to_string()),
                "{args:?}: {message}"
            );
            assert!(
                message.to_lowercase().contains(&words.to_lowercase()),
                "{args:?}: {words} in {message}"
            );
            assert!(!message.contains("panicked"), "{message}");
        }
    }
    assert!(env.shm.entries().is_empty());

    let out = env.run(&["record", "no-such-session"]);
    let message = text(&out);
    assert_eq!(out.status.code(), Some(1), "{message}");
    assert!(
        message.contains("no-such-session") && message.contains("bridgekeeper status"),
        "{message}"
    );
    let out = env.run(&["replay", demo_file().to_str().unwrap(), "--speed", "0"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("0.01 to 100"), "{}", text(&out));
}
