//! UI tests of the demo and the Replays tab: the real panels driven with
//! egui_kittest; the replay writes real files in /dev/shm, read back here.

use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Duration;

use bridgekeeper::actions;
use bridgekeeper::state::{DesktopState, Env, lock};
use bridgekeeper::ui::{BridgekeeperApp, Tab};
use bridgekeeper_bridge_client::BridgeFiles;
use bridgekeeper_host::program::Program;
use bridgekeeper_sessions::settings::Settings;
use bridgekeeper_sessions::{Registry, SessionConfig};
use bridgekeeper_steam::DiscoveryOptions;
use bridgekeeper_testkit::shm::ShmDir;
use bridgekeeper_testkit::wait_for;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

const WAIT: Duration = Duration::from_secs(20);

/// The app with no Steam at all, sessions in `tmp` and files in `shm`.
fn app(tmp: &Path, shm: &Path) -> BridgekeeperApp {
    let settings_file = tmp.join("config/settings.toml");
    Settings {
        auto_attach: false,
        ..Settings::default()
    }
    .save(&settings_file)
    .unwrap();
    let env = Env {
        discovery: DiscoveryOptions::with_steam_dir(tmp.join("no-steam")),
        sessions: Ok(SessionConfig {
            registry: Registry::new(&tmp.join("run")),
            shm_dir: shm.to_path_buf(),
            keep_files: false,
            bridge: BridgeFiles {
                exe: tmp.join("bridge/bridgekeeper-bridge.exe"),
                dll: tmp.join("bridge/bcryptprimitives.dll"),
            },
        }),
        settings_file,
        autostart_dir: tmp.join("autostart"),
        program: Program::installed("/usr/bin/bridgekeeper"),
        inline: true,
    };
    let shared = DesktopState::new(env).shared();
    actions::refresh_discovery(&shared);
    BridgekeeperApp::new(shared)
}

fn has(h: &Harness<'_, impl Sized>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

fn packet_id(file: &Path) -> Option<u32> {
    let file = std::fs::File::open(file).ok()?;
    let mut bytes = [0u8; 4];
    file.read_exact_at(&mut bytes, 0).ok()?;
    Some(u32::from_le_bytes(bytes))
}

/// With no Steam and no game, "Try the demo" starts a replay session that
/// the Sessions tab lists; on the Replays tab, Pause and the frame steps
/// move the files one frame at a time, and so do the steps over the
/// Inspector, which decodes the page; Stop removes them.
#[test]
fn the_demo_starts_from_the_games_tab_and_steps_frame_by_frame() {
    let tmp = tempfile::tempdir().unwrap();
    let shm = ShmDir::new("ui-demo");
    let mut h = Harness::builder()
        .with_size(egui::vec2(1200.0, 1600.0))
        .build_ui_state(
            |ui, app: &mut BridgekeeperApp| app.show(ui),
            app(tmp.path(), shm.path()),
        );
    h.run_steps(2);
    h.get_by_label("Try the demo").click();
    h.run_steps(2);
    h.state_mut().replays.wait_started(WAIT);
    assert!(
        h.state().replays.playing.is_some(),
        "{:?}",
        h.state().replays.error
    );
    assert_eq!(h.state().tab, Tab::Sessions);
    actions::refresh_sessions(&h.state().shared);
    h.run_steps(2);
    assert!(
        has(&h, "Assetto Corsa Competizione (demo)"),
        "the Sessions tab lists it"
    );
    assert!(has(&h, "replay session"));
    {
        let state = lock(&h.state().shared);
        assert_eq!(state.sessions[0].state.to_string(), "running");
    }

    let physics = shm.file("acpmf_physics");
    wait_for(WAIT, || packet_id(&physics).filter(|&p| p > 10)).expect("the demo plays");
    h.state_mut().tab = Tab::Replays;
    h.run_steps(2);
    h.get_by_label("Pause").click();
    h.run_steps(2);
    std::thread::sleep(Duration::from_millis(200));
    let paused = packet_id(&physics).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(packet_id(&physics).unwrap(), paused, "paused");
    for step in 1..=3 {
        h.get_by_label("Next frame").click();
        h.run_steps(2);
        wait_for(WAIT, || packet_id(&physics).filter(|&p| p == paused + step))
            .unwrap_or_else(|| panic!("step {step}: {:?}", packet_id(&physics)));
    }
    h.get_by_label("Previous frame").click();
    h.run_steps(2);
    wait_for(WAIT, || packet_id(&physics).filter(|&p| p == paused + 2)).expect("a step back");

    // The Inspector shows the replay's page and steps it frame by frame.
    h.state_mut().tab = Tab::Sessions;
    h.run_steps(2);
    h.get_by_label("Inspect acpmf_physics").click();
    h.run_steps(2);
    assert_eq!(h.state().tab, Tab::Inspector);
    let before = packet_id(&physics).unwrap();
    h.get_by_label("Next frame").click();
    h.run_steps(2);
    wait_for(WAIT, || packet_id(&physics).filter(|&p| p == before + 1))
        .expect("a step from the Inspector");
    wait_for(WAIT, || {
        h.run_steps(1);
        has(&h, "speedKmh").then_some(())
    })
    .expect("the Inspector decodes the replay's fields");

    h.state_mut().tab = Tab::Replays;
    h.run_steps(2);
    h.get_by_label("Stop replay").click();
    h.run_steps(2);
    wait_for(WAIT, || {
        h.run_steps(1);
        h.state().replays.playing.is_none().then_some(())
    })
    .expect("the replay ends");
    assert!(shm.entries().is_empty(), "{:?}", shm.entries());
    assert!(has(&h, "ended"));
}
