//! A stand-in for a bridged game, for `scripts/bench-app` and manual checks
//! of the window: without Wine, it registers a running session of Assetto
//! Corsa in this user's session registry (`$XDG_RUNTIME_DIR`), with its
//! mapping files in a folder, and writes the physics page (its `packetId`
//! counter and a few floats) at a fixed rate until it is killed.
//!
//! ```text
//! cargo run --release -p bridgekeeper --example fake_session -- <shm-dir> [rate-hz]
//! ```
//!
//! The record names this process as the session's owner, so the app sees
//! a live, running session; when the process dies the session shows as
//! crashed. The default rate, 333 Hz, is Assetto Corsa's physics rate.

use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bridgekeeper_profiles::Catalog;
use bridgekeeper_protocol::{Event, MappingMode, StatusLine};
use bridgekeeper_sessions::{Registry, SessionKind, SessionMapping, SessionRecord};

const ASSETTO_CORSA: u32 = 244_210;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fake_session: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        bail!("usage: fake_session <shm-dir> [rate-hz]");
    };
    let rate: f64 = match args.next() {
        Some(r) => r
            .to_str()
            .and_then(|r| r.parse().ok())
            .filter(|r: &f64| *r > 0.0 && *r <= 10_000.0)
            .context("the rate must be a number of updates per second, 1 to 10000")?,
        None => 333.0,
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let catalog = Catalog::builtin();
    let profile = &catalog
        .by_appid(ASSETTO_CORSA)
        .context("the built-in Assetto Corsa profile")?
        .profile;
    let mut mappings = Vec::new();
    for m in profile.mappings.iter().filter(|m| !m.opt_in) {
        let file = dir.join(m.name.file_name());
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&file)
            .with_context(|| format!("creating {}", file.display()))?;
        f.set_len(m.size.bytes())?;
        mappings.push((
            f,
            SessionMapping {
                name: m.name.win32().to_string(),
                file,
                size: m.size.bytes(),
                mode: Some(MappingMode::Shared),
                error: None,
                dev: None,
                inode: None,
            },
        ));
    }
    let pid = std::process::id();
    let registry = Registry::for_user();
    let id = format!("fake-{pid}");
    let nonce = format!("fake{pid}");
    let events_file = registry.events_file(&id);
    let record = SessionRecord {
        id: id.clone(),
        appid: ASSETTO_CORSA,
        game: profile.name.clone(),
        profile: profile.id.clone(),
        kind: SessionKind::Attach,
        prefix: dir.join("pfx"),
        proton: None,
        mappings: mappings.iter().map(|(_, m)| m.clone()).collect(),
        bridge_pid: Some(pid),
        owner_pid: pid,
        owner_start_time: bridgekeeper_host::process_info::start_time(pid as i32).unwrap_or(0),
        nonce: nonce.clone(),
        events_file: events_file.clone(),
        started_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        keep_files: false,
        failure: None,
        problems: Vec::new(),
        owner_pid_namespace: bridgekeeper_host::pid_namespace::own(),
        backing_dir: None,
    };
    registry
        .save(&record)
        .context("writing the session record")?;
    let mut lines = String::new();
    for (_, m) in &mappings {
        let ready = Event::Ready {
            name: m.name.clone(),
            file: m.file.display().to_string(),
            size: m.size,
            mode: MappingMode::Shared,
            note: None,
        };
        lines.push_str(&line(&nonce, ready));
    }
    let all = Event::AllReady {
        shared: mappings.len(),
        copy: 0,
    };
    lines.push_str(&line(&nonce, all));
    std::fs::write(&events_file, lines).context("writing the events file")?;
    eprintln!(
        "fake_session: {} registered in {}; writing {} at {rate} Hz",
        profile.name,
        registry.dir().display(),
        mappings[0].1.file.display()
    );

    let (physics, _) = &mappings[0];
    let period = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now();
    let mut next = start;
    for packet in 1u32.. {
        let t = start.elapsed().as_secs_f32();
        physics.write_all_at(&packet.to_le_bytes(), 0)?;
        let speed = 100.0 + 50.0 * (t * 0.5).sin();
        physics.write_all_at(&speed.to_le_bytes(), 28)?;
        next += period;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    Ok(())
}

fn line(nonce: &str, event: Event) -> String {
    let mut text = StatusLine {
        nonce: nonce.to_string(),
        event,
    }
    .to_json();
    text.push('\n');
    text
}
