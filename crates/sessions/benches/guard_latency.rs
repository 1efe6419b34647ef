//! How long the guard takes from a reader's blow to the problem in the
//! session's registry record: a file cut short (and extended back), and a
//! file deleted. The clock runs from just before the `ftruncate` or
//! `unlink` to the first read of the record that shows the problem (the
//! record is read every 2 ms, so figures include up to 2 ms of that); a
//! `tail -f` holds the file, so each report includes the `/proc` scan for
//! who held it. Prints median, minimum and maximum over the runs.
//!
//! `cargo bench -p bridgekeeper-sessions --bench guard_latency [-- RUNS]`

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

use bridgekeeper_protocol::MappingMode;
use bridgekeeper_sessions::guard::Guard;
use bridgekeeper_sessions::{Registry, SessionKind, SessionMapping, SessionRecord};

const SIZE: u64 = 8192;

fn record(dir: &Path, shm: &Path, owner: u32, run: usize) -> SessionRecord {
    let path = shm.join(format!("page{run}"));
    std::fs::write(&path, vec![1u8; SIZE as usize]).unwrap();
    let meta = std::fs::metadata(&path).unwrap();
    SessionRecord {
        id: format!("bench-{run}"),
        appid: 1,
        game: "Bench".into(),
        profile: "bench".into(),
        kind: SessionKind::Attach,
        prefix: dir.join("pfx"),
        proton: None,
        mappings: vec![SessionMapping {
            name: format!("page{run}"),
            file: path,
            size: SIZE,
            mode: Some(MappingMode::Shared),
            error: None,
            dev: Some(meta.dev()),
            inode: Some(meta.ino()),
        }],
        bridge_pid: Some(owner),
        owner_pid: owner,
        owner_start_time: bridgekeeper_host::process_info::start_time(owner as i32).unwrap(),
        owner_pid_namespace: None,
        nonce: String::new(),
        events_file: Registry::new(dir).events_file(&format!("bench-{run}")),
        started_at: 1,
        keep_files: false,
        backing_dir: Some(shm.to_path_buf()),
        failure: None,
        problems: Vec::new(),
    }
}

fn until_reported(registry: &Registry, id: &str, count: usize, from: Instant) -> Duration {
    loop {
        if registry.get(id).is_some_and(|r| r.problems.len() >= count) {
            return from.elapsed();
        }
        assert!(from.elapsed() < Duration::from_secs(5), "never reported");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn summary(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: median {:.1} ms, min {:.1} ms, max {:.1} ms over {} runs",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1]),
        times.len()
    );
}

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(30);
    let dir = tempfile::tempdir().unwrap();
    let shm = tempfile::tempdir_in("/dev/shm").unwrap();
    let registry = Registry::new(dir.path());
    let mut owner = std::process::Command::new("sleep")
        .arg("600")
        .spawn()
        .unwrap();
    let (mut cut, mut deleted) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let record = record(dir.path(), shm.path(), owner.id(), run);
        registry.save(&record).unwrap();
        let file = &record.mappings[0].file;
        let mut holder = std::process::Command::new("tail")
            .arg("-f")
            .arg(file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let guard = Guard::start(&registry, &record).unwrap();
        let from = Instant::now();
        std::fs::OpenOptions::new()
            .write(true)
            .open(file)
            .unwrap()
            .set_len(2048)
            .unwrap();
        cut.push(until_reported(&registry, &record.id, 1, from));
        assert_eq!(std::fs::metadata(file).unwrap().len(), SIZE);
        let from = Instant::now();
        std::fs::remove_file(file).unwrap();
        deleted.push(until_reported(&registry, &record.id, 2, from));
        drop(guard);
        holder.kill().unwrap();
        holder.wait().unwrap();
        registry.remove(&record.id);
    }
    owner.kill().unwrap();
    owner.wait().unwrap();
    summary("shortened -> recorded and extended back", cut);
    summary(
        "deleted -> recorded (includes the 250 ms end-of-session grace)",
        deleted,
    );
}
