//! The simd-like reader does to real files in /dev/shm what simd does:
//! truncation, zeroing and deletion in memmap mode; in nomemmap mode an
//! empty file created for a missing page and death by SIGBUS. Each test runs
//! the real binary against its own directory under /dev/shm and checks the
//! files' bytes, sizes and modes and the process's exit.

#![cfg(target_os = "linux")]

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::Value;

const READER: &str = env!("CARGO_BIN_EXE_bridgekeeper-simlike-reader");
const WAIT: Duration = Duration::from_secs(20);

/// A directory of its own under /dev/shm, removed at the end.
fn shm_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("bk-simlike-")
        .tempdir_in("/dev/shm")
        .expect("a temporary directory under /dev/shm")
}

/// A running reader and the JSON lines it printed so far.
struct Reader {
    child: Child,
    lines: Receiver<Value>,
    seen: Vec<Value>,
}

impl Reader {
    fn start(dir: &Path, args: &[&str]) -> Reader {
        let mut child = Command::new(READER)
            .arg("--dir")
            .arg(dir)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the reader starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let value: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not a JSON line: {line:?}: {e}"));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        Reader {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for the first event (seen before or arriving) that matches.
    fn wait_for(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        if let Some(v) = self.seen.iter().find(|v| matches(v)) {
            return v.clone();
        }
        let deadline = Instant::now() + WAIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if matches(&v) {
                        return v;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = self.child.kill();
        panic!("no {what} event within {WAIT:?}; saw {:#?}", self.seen);
    }

    fn event(&mut self, name: &str) -> Value {
        self.wait_for(name, |v| v["event"] == name)
    }

    fn sample_of(&mut self, file: &str, matches: impl Fn(&Value) -> bool) -> Value {
        self.wait_for(&format!("sample of {file}"), |v| {
            v["event"] == "sample" && v["file"] == file && matches(v)
        })
    }

    fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid fits");
        // SAFETY: kill has no memory-safety preconditions.
        assert_eq!(
            unsafe { libc::kill(pid, signal) },
            0,
            "kill({pid}, {signal})"
        );
    }

    /// Waits for the process to end and collects its remaining lines.
    fn finish(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                while let Ok(v) = self.lines.recv_timeout(Duration::from_millis(500)) {
                    self.seen.push(v);
                }
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "the reader did not exit within {WAIT:?}; saw {:#?}",
                    self.seen
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn size(path: &Path) -> u64 {
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("{path:?}: {e}"))
        .len()
}

/// Writes in place, as a game does: never truncates, so a mapped reader
/// never sees the file shrink.
fn write_at(path: &Path, offset: u64, bytes: &[u8]) {
    let file = fs::OpenOptions::new().write(true).open(path).unwrap();
    file.write_all_at(bytes, offset).unwrap();
}

/// A bridge's Kunos pages: `len` bytes each, filled with 0xAB, with known
/// physics values (packetId 77, gear 3, rpms 6500, speedKmh 123.5).
fn bridged_kunos_pages(dir: &Path, len: usize) -> Vec<PathBuf> {
    let pages: Vec<PathBuf> = ["acpmf_physics", "acpmf_graphics", "acpmf_static"]
        .iter()
        .map(|name| dir.join(name))
        .collect();
    for page in &pages {
        fs::write(page, vec![0xAB; len]).unwrap();
        fs::set_permissions(page, fs::Permissions::from_mode(0o600)).unwrap();
    }
    let physics = &pages[0];
    write_at(physics, 0, &77i32.to_le_bytes());
    write_at(physics, 16, &3i32.to_le_bytes());
    write_at(physics, 20, &6500i32.to_le_bytes());
    write_at(physics, 28, &123.5f32.to_le_bytes());
    pages
}

const SIMD_SIZES: [(&str, u64); 6] = [
    ("$pcars2$", 102_288),
    ("$R3E", 64_000),
    ("acpmf_physics", 2048),
    ("acpmf_graphics", 2048),
    ("acpmf_static", 2048),
    ("acpmf_crewchief", 16_000),
];

#[test]
fn memmap_truncates_the_bridges_8192_byte_pages_and_a_game_mapping_8192_then_dies() {
    let dir = shm_dir();
    bridged_kunos_pages(dir.path(), 8192);
    let mut reader = Reader::start(dir.path(), &[]);

    let sample = reader.sample_of("acpmf_physics", |_| true);
    assert_eq!(sample["packetId"], 77);
    assert_eq!(sample["gear"], 3);
    assert_eq!(sample["rpms"], 6500);
    assert_eq!(sample["speedKmh"], 123.5);
    let physics = reader.wait_for("compat acpmf_physics", |v| {
        v["event"] == "compat" && v["file"] == "acpmf_physics"
    });
    assert_eq!(physics["size_before"], 8192);
    assert_eq!(physics["size"], 2048);
    assert_eq!(physics["created"], false);

    for (name, expected) in SIMD_SIZES {
        let path = dir.path().join(name);
        assert_eq!(size(&path), expected, "{name} after simd-like start");
        let mode = fs::metadata(&path).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name} mode");
    }
    // The bytes below the cut survive; the truncated tail is gone for good.
    let data = fs::read(dir.path().join("acpmf_graphics")).unwrap();
    assert!(data.iter().all(|&b| b == 0xAB));

    // The game still maps its 8192 bytes: touching its second page now
    // raises SIGBUS (here a second reader stands in for the game's view).
    let mut game_view = Reader::start(
        dir.path(),
        &["--mode", "nomemmap", "--read", "acpmf_physics=8192"],
    );
    let status = game_view.finish();
    assert_eq!(status.signal(), Some(libc::SIGBUS), "{status:?}");

    reader.signal(libc::SIGTERM);
    assert_eq!(reader.finish().code(), Some(0));
}

#[test]
fn memmap_zeroes_every_compat_file_when_a_session_ends() {
    let dir = shm_dir();
    bridged_kunos_pages(dir.path(), 4096);
    let mut reader = Reader::start(dir.path(), &[]);
    reader.sample_of("acpmf_physics", |v| v["packetId"] == 77);

    // The game keeps writing; then simd decides the session ended.
    write_at(&dir.path().join("$R3E"), 100, &[7; 16]);
    write_at(&dir.path().join("acpmf_crewchief"), 15_000, &[9; 16]);
    reader.signal(libc::SIGUSR1);
    let ended = reader.event("session-ended");
    let zeroed: Vec<&str> = ended["zeroed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(zeroed, SIMD_SIZES.map(|(name, _)| name));
    for (name, expected) in SIMD_SIZES {
        let data = fs::read(dir.path().join(name)).unwrap();
        assert_eq!(data.len() as u64, expected, "{name} size");
        assert!(data.iter().all(|&b| b == 0), "{name} is not all zeros");
    }
    reader.sample_of("acpmf_physics", |v| v["packetId"] == 0);

    reader.signal(libc::SIGTERM);
    assert_eq!(reader.finish().code(), Some(0));
}

#[test]
fn memmap_session_end_can_be_timed_instead_of_signalled() {
    let dir = shm_dir();
    bridged_kunos_pages(dir.path(), 2048);
    let mut reader = Reader::start(dir.path(), &["--session-end-after-ms", "300"]);
    reader.event("session-ended");
    let physics = fs::read(dir.path().join("acpmf_physics")).unwrap();
    assert!(physics.iter().all(|&b| b == 0));
    reader.signal(libc::SIGINT);
    assert_eq!(reader.finish().code(), Some(0));
    assert_eq!(reader.event("exit")["reason"], "SIGINT");
}

#[test]
fn memmap_deletes_the_compat_files_at_exit_while_the_game_would_still_run() {
    let dir = shm_dir();
    bridged_kunos_pages(dir.path(), 4096);
    let pid_file = dir.path().join("simd.pid");
    let mut reader = Reader::start(dir.path(), &["--pid-file", pid_file.to_str().unwrap()]);
    reader.sample_of("acpmf_physics", |_| true);
    assert!(pid_file.exists());
    // A "game" holding the file open keeps its inode; the name goes away.
    let held = fs::File::open(dir.path().join("acpmf_physics")).unwrap();

    reader.signal(libc::SIGTERM);
    let status = reader.finish();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert_eq!(reader.event("exit")["reason"], "SIGTERM");
    for (name, _) in SIMD_SIZES {
        assert!(!dir.path().join(name).exists(), "{name} still exists");
        reader.wait_for(&format!("deleted {name}"), |v| {
            v["event"] == "deleted" && v["file"] == name
        });
    }
    assert_eq!(held.metadata().unwrap().nlink(), 0);
    assert!(!pid_file.exists(), "a clean exit removes the pid file");
}

#[test]
fn nomemmap_creates_the_missing_crewchief_page_empty_and_dies_of_sigbus() {
    let dir = shm_dir();
    bridged_kunos_pages(dir.path(), 4096);
    let pid_file = dir.path().join("simd.pid");
    let mut reader = Reader::start(
        dir.path(),
        &[
            "--mode",
            "nomemmap",
            "--pid-file",
            pid_file.to_str().unwrap(),
        ],
    );
    let status = reader.finish();
    assert_eq!(status.signal(), Some(libc::SIGBUS), "{status:?}");

    let crewchief = dir.path().join("acpmf_crewchief");
    let opened = reader.wait_for("opened acpmf_crewchief", |v| {
        v["event"] == "opened" && v["file"] == "acpmf_crewchief"
    });
    assert_eq!(opened["created"], true);
    assert_eq!(opened["file_size"], 0);
    assert_eq!(opened["map_len"], 15_660);
    let last = reader.seen.last().unwrap();
    assert_eq!(last["event"], "touching");
    assert_eq!(last["file"], "acpmf_crewchief");
    assert_eq!(size(&crewchief), 0);
    assert_eq!(fs::metadata(&crewchief).unwrap().mode() & 0o777, 0o600);
    // nomemmap left the bridge's pages alone.
    for name in ["acpmf_physics", "acpmf_graphics", "acpmf_static"] {
        assert_eq!(size(&dir.path().join(name)), 4096, "{name}");
    }
    for (name, _) in &SIMD_SIZES[..2] {
        assert!(!dir.path().join(name).exists(), "{name} was created");
    }

    // Like simd's /tmp/simd.pid, the stale pid file blocks the next start.
    assert!(pid_file.exists(), "a crash leaves the pid file behind");
    let mut again = Reader::start(
        dir.path(),
        &[
            "--mode",
            "nomemmap",
            "--pid-file",
            pid_file.to_str().unwrap(),
        ],
    );
    assert_eq!(again.finish().code(), Some(0));
    again.event("already-running");
    assert!(!again.seen.iter().any(|v| v["event"] == "opened"));
}

#[test]
fn nomemmap_dies_on_a_page_that_is_only_partly_there() {
    let dir = shm_dir();
    bridged_kunos_pages(dir.path(), 4096);
    fs::write(dir.path().join("acpmf_crewchief"), vec![0u8; 4096]).unwrap();
    let mut reader = Reader::start(dir.path(), &["--mode", "nomemmap"]);
    assert_eq!(reader.finish().signal(), Some(libc::SIGBUS));
    assert_eq!(size(&dir.path().join("acpmf_crewchief")), 4096);
}

#[test]
fn nomemmap_with_every_page_there_reads_and_leaves_the_files_alone() {
    let dir = shm_dir();
    bridged_kunos_pages(dir.path(), 4096);
    let crewchief = dir.path().join("acpmf_crewchief");
    fs::write(&crewchief, vec![0x5A; 16_384]).unwrap();
    let mut reader = Reader::start(dir.path(), &["--mode", "nomemmap"]);
    let sample = reader.sample_of("acpmf_physics", |_| true);
    assert_eq!(sample["rpms"], 6500);

    write_at(&dir.path().join("acpmf_physics"), 0, &78i32.to_le_bytes());
    reader.sample_of("acpmf_physics", |v| v["packetId"] == 78);
    reader.signal(libc::SIGUSR1);
    assert_eq!(
        reader.event("session-ended")["zeroed"],
        serde_json::json!([])
    );
    reader.signal(libc::SIGTERM);
    assert_eq!(reader.finish().code(), Some(0));

    assert_eq!(size(&crewchief), 16_384);
    assert!(fs::read(&crewchief).unwrap().iter().all(|&b| b == 0x5A));
    for name in ["acpmf_physics", "acpmf_graphics", "acpmf_static"] {
        assert_eq!(size(&dir.path().join(name)), 4096, "{name}");
    }
    assert!(!reader.seen.iter().any(|v| v["event"] == "deleted"));
}

#[test]
fn a_directory_that_does_not_exist_is_an_error_naming_the_file() {
    let dir = shm_dir();
    let missing = dir.path().join("nope");
    let out = Command::new(READER)
        .arg("--dir")
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nope/$pcars2$") && err.contains("must exist"),
        "{err}"
    );
}
