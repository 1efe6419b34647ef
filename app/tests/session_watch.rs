//! The desktop app follows the session registry through inotify: a record
//! written or removed shows at once, and the window and the tray are told,
//! with no timer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bridgekeeper::session_watch::SessionWatch;
use bridgekeeper::state::{DesktopState, Env, lock};
use bridgekeeper_bridge_client::BridgeFiles;
use bridgekeeper_host::program::Program;
use bridgekeeper_sessions::{Registry, SessionConfig, SessionKind, SessionRecord};
use bridgekeeper_steam::DiscoveryOptions;
use bridgekeeper_testkit::wait_for;

#[test]
fn records_written_and_removed_show_at_once_and_wake_the_listeners() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = Registry::new(&tmp.path().join("run"));
    let env = Env {
        discovery: DiscoveryOptions::with_steam_dir(tmp.path().join("Steam")),
        sessions: Ok(SessionConfig {
            registry: registry.clone(),
            shm_dir: tmp.path().join("shm"),
            keep_files: false,
            bridge: BridgeFiles {
                exe: tmp.path().join("bridge/bridgekeeper-bridge.exe"),
                dll: tmp.path().join("bridge/bcryptprimitives.dll"),
            },
        }),
        settings_file: tmp.path().join("settings.toml"),
        autostart_dir: tmp.path().join("autostart"),
        program: Program::installed("/usr/bin/bridgekeeper"),
        inline: false,
    };
    let mut state = DesktopState::new(env);
    let wakes = Arc::new(AtomicUsize::new(0));
    let counter = wakes.clone();
    state.listeners.main_loop = Some(Box::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    }));
    let shared = state.shared();
    let _watch = SessionWatch::start(&shared);
    assert!(
        wait_for(Duration::from_secs(10), || registry
            .dir()
            .is_dir()
            .then_some(()))
        .is_some(),
        "the registry folder is created to be watched"
    );
    std::thread::sleep(Duration::from_millis(200));
    let quiet = wakes.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        wakes.load(Ordering::SeqCst),
        quiet,
        "nothing changes: no wake"
    );

    let pid = std::process::id();
    let record = SessionRecord {
        id: "watched".into(),
        appid: 244_210,
        game: "Assetto Corsa".into(),
        profile: "assetto-corsa".into(),
        kind: SessionKind::Attach,
        prefix: tmp.path().join("pfx"),
        proton: None,
        mappings: Vec::new(),
        bridge_pid: Some(pid),
        owner_pid: pid,
        owner_start_time: bridgekeeper_host::process_info::start_time(pid as i32).unwrap(),
        nonce: "n".into(),
        events_file: registry.events_file("watched"),
        started_at: 0,
        keep_files: false,
        failure: None,
        problems: Vec::new(),
        owner_pid_namespace: None,
        backing_dir: None,
    };
    registry.save(&record).unwrap();
    let seen = wait_for(Duration::from_secs(10), || {
        let s = lock(&shared);
        (s.sessions.len() == 1).then(|| s.sessions[0].game.clone())
    });
    assert_eq!(seen.as_deref(), Some("Assetto Corsa"));
    assert!(wakes.load(Ordering::SeqCst) > quiet, "the tray was told");

    registry.remove("watched");
    assert!(
        wait_for(Duration::from_secs(10), || lock(&shared)
            .sessions
            .is_empty()
            .then_some(()))
        .is_some(),
        "the removed session went"
    );
}
