//! UI tests: the real panels, driven with egui_kittest, against a fixture
//! Steam tree and mapping files written here.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bridgekeeper::state::{DesktopState, Env, lock};
use bridgekeeper::ui::inspector::Inspector;
use bridgekeeper::{actions, ui::BridgekeeperApp};
use bridgekeeper_bridge_client::{BridgeFiles, FilesError};
use bridgekeeper_host::program::Program;
use bridgekeeper_profiles::Catalog;
use bridgekeeper_sessions::config::ConfigError;
use bridgekeeper_sessions::settings::Settings;
use bridgekeeper_sessions::{Registry, SessionConfig};
use bridgekeeper_steam::DiscoveryOptions;
use bridgekeeper_testkit::steam_fixture::{AppSpec, ProtonSpec, SteamFixture};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

const AC: u32 = 244_210;
const ACC: u32 = 805_550;
const SOLITAIRE: u32 = 4_242_424;

fn app(tmp: &Path) -> BridgekeeperApp {
    let fixture = SteamFixture::new(tmp.join("Steam"))
        .proton(ProtonSpec::valve(2_805_730, "Proton 9.0").version(Some("proton-9.0-3")))
        .app(AppSpec::new(AC, "Assetto Corsa"))
        .app(AppSpec::new(ACC, "Assetto Corsa Competizione"))
        .app(AppSpec::new(SOLITAIRE, "Solitaire"))
        .compat_mapping(AC, "proton_9")
        .prefix(AC, 0, Duration::from_secs(60))
        .build();
    let settings_file = tmp.join("config/settings.toml");
    Settings {
        profiles_dir: Some(tmp.join("profiles")),
        auto_attach: false,
        ..Settings::default()
    }
    .save(&settings_file)
    .unwrap();
    let env = Env {
        discovery: DiscoveryOptions::with_steam_dir(fixture.root()),
        sessions: Ok(SessionConfig {
            registry: Registry::new(&tmp.join("run")),
            shm_dir: tmp.join("shm"),
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

fn harness(app: BridgekeeperApp) -> Harness<'static, BridgekeeperApp> {
    Harness::builder()
        .with_size(egui::vec2(1200.0, 2000.0))
        .build_ui_state(|ui, app: &mut BridgekeeperApp| app.show(ui), app)
}

fn has(h: &Harness<'_, impl Sized>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

#[test]
fn game_list_shows_supported_games_first_with_their_state() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = harness(app(tmp.path()));
    h.run_steps(3);
    assert!(has(&h, "Assetto Corsa Competizione"));
    assert!(has(&h, "never ran (no prefix)"), "ACC has no prefix");
    assert!(has(&h, "start it once from Steam"));
    let rows = lock(&h.state().shared).game_rows();
    let proton = rows[0].proton.clone().unwrap_or_default();
    assert!(has(&h, &format!("Proton: {proton}")));
    assert!(has(&h, "Prefix: "));
    assert!(has(&h, "Profile: assetto-corsa"));
    assert!(has(&h, "bridgekeeper run %command%"));
    assert!(
        has(&h, "zero copy"),
        "the sentence on why the launch option is best"
    );
    assert!(h.query_by_label("Copy launch option").is_some());
    assert!(h.query_by_label("Give Solitaire a profile").is_some());
    assert!(h.query_by_label("Verify Assetto Corsa").is_some());
    let rows = lock(&h.state().shared).game_rows();
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["Assetto Corsa", "Assetto Corsa Competizione", "Solitaire"]
    );
}

#[test]
fn attach_goes_through_the_session_code_and_shows_the_refusal() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = harness(app(tmp.path()));
    h.run_steps(2);
    h.get_by_label("Attach Assetto Corsa").click();
    h.run_steps(3);
    assert!(has(&h, "Refused:"));
    assert!(has(&h, "Assetto Corsa (appid 244210) is not running"));
    assert!(has(&h, "acs.exe"), "names the exes it looked for");
    let state = lock(&h.state().shared);
    assert!(state.refusals.get(&AC).unwrap().contains("not running"));
    assert!(state.log.back().unwrap().contains("attach refused"));
}

#[test]
fn an_unsupported_game_gets_a_profile_from_the_window() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = harness(app(tmp.path()));
    h.run_steps(2);
    h.get_by_label("Give Solitaire a profile").click();
    h.run_steps(2);
    {
        let editor = h.state_mut().games.editor.as_mut().expect("editor open");
        assert_eq!(editor.id, "solitaire");
        editor.exes = "Solitaire.exe".into();
        editor.mappings[0].name = "SolitaireTelemetry".into();
        editor.mappings[0].size = "4096".into();
    }
    h.run_steps(1);
    h.get_by_label("Save profile").click();
    h.run_steps(3);
    assert!(has(&h, "Saved as"));
    assert!(tmp.path().join("profiles/solitaire.toml").is_file());
    assert!(h.query_by_label("Attach Solitaire").is_some());
    let catalog = Catalog::load(Some(&tmp.path().join("profiles")));
    assert_eq!(
        catalog.by_appid(SOLITAIRE).unwrap().profile.mappings.len(),
        1
    );
}

#[test]
fn a_bad_profile_says_what_to_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = harness(app(tmp.path()));
    h.run_steps(2);
    h.get_by_label("Give Solitaire a profile").click();
    h.run_steps(2);
    h.state_mut().games.editor.as_mut().unwrap().mappings[0].size = "0".into();
    h.get_by_label("Save profile").click();
    h.run_steps(3);
    assert!(!tmp.path().join("profiles/solitaire.toml").exists());
    let outcome = h.state().games.editor.as_ref().unwrap().outcome.clone();
    assert!(matches!(outcome, Some(Err(_))), "{outcome:?}");
}

#[test]
fn no_steam_says_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(tmp.path());
    {
        let mut s = lock(&app.shared);
        s.env.discovery = DiscoveryOptions::with_steam_dir(tmp.path().join("nowhere"));
        s.env.sessions = Err(Arc::new(ConfigError::Files(FilesError {
            searched: vec![tmp.path().join("nowhere")],
        })));
    }
    actions::refresh_discovery(&app.shared);
    let mut h = harness(app);
    h.run_steps(2);
    assert!(has(&h, "No Steam found"));
    assert!(has(&h, "set STEAM_DIR"));
    assert!(has(&h, "The bridge is missing"));
}

fn ac_physics_layout() -> bridgekeeper_profiles::Layout {
    let catalog = Catalog::builtin();
    let p = &catalog.by_appid(AC).unwrap().profile;
    p.layout_of(p.mapping("acpmf_physics").unwrap())
        .unwrap()
        .clone()
}

fn inspector_harness(path: &Path) -> Harness<'static, Inspector> {
    let inspector = Inspector::new("acpmf_physics", path, Some(ac_physics_layout()));
    Harness::builder()
        .with_size(egui::vec2(1200.0, 900.0))
        .build_ui_state(|ui, i: &mut Inspector| i.ui(ui), inspector)
}

#[test]
fn inspector_highlights_changed_bytes_and_decodes_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("acpmf_physics");
    let mut page = vec![0u8; 4096];
    page[0..4].copy_from_slice(&1234i32.to_le_bytes());
    page[4..8].copy_from_slice(&0.5f32.to_le_bytes());
    std::fs::write(&path, &page).unwrap();
    let mut h = inspector_harness(&path);
    h.run_steps(2);
    assert!(h.state().hexdump.drawn.changed.is_empty());
    assert!(has(&h, "packetId"));
    assert!(has(&h, "1234"));
    assert!(has(&h, "0.5"));
    assert!(has(&h, "00000000  d2 04 00 00"), "row 0 in hex");

    page[0..4].copy_from_slice(&1235i32.to_le_bytes());
    page[0x21] = 0xff;
    std::fs::write(&path, &page).unwrap();
    h.run_steps(2);
    let changed = &h.state().hexdump.drawn.changed;
    assert!(
        changed.contains(&0) && changed.contains(&0x21),
        "{changed:?}"
    );
    assert!(!changed.contains(&0x22));
    assert!(has(&h, "1235"));
    assert!(has(&h, "updates/s"));

    // The file shrinks to nothing, then vanishes: no crash, a message.
    std::fs::write(&path, []).unwrap();
    h.run_steps(1);
    assert!(has(&h, "empty"));
    std::fs::remove_file(&path).unwrap();
    h.run_steps(1);
    assert!(has(&h, "the file is gone"));
}

#[test]
fn inspector_jumps_searches_and_diffs() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("Local-IRSDKMemMapFileName");
    let mut page = vec![0u8; 1_200_000];
    page[0x10_0040..0x10_0044].copy_from_slice(&987_654i32.to_le_bytes());
    page[0x8000..0x8006].copy_from_slice(b"Monza!");
    std::fs::write(&path, &page).unwrap();
    let mut h = inspector_harness(&path);
    h.run_steps(2);
    assert_eq!(h.state().hexdump.drawn.first_row, 0);
    assert!(
        h.state().hexdump.drawn.rows < 200,
        "only visible rows are drawn"
    );

    h.state_mut().jump_text = "0x10000".into();
    h.get_by_label("Jump").click();
    h.run_steps(3);
    assert!(has(&h, "00010000  "), "the jumped-to row is shown");
    assert_eq!(h.state().hexdump.selected, Some(0x10000));
    assert!(h.state().hexdump.drawn.first_row >= 0x1000 - 2);

    h.state_mut().search.kind = bridgekeeper_shm::search::SearchKind::Number;
    h.state_mut().search.text = "987654".into();
    h.get_by_label("Find next").click();
    h.run_steps(3);
    assert!(has(&h, "Found at 0x00100040 as i32"));
    assert_eq!(h.state().hexdump.selected, Some(0x10_0040));
    assert!(has(&h, "00100040  "));
    assert!(
        has(&h, "987654"),
        "the value list reads the selected offset"
    );

    h.state_mut().search.kind = bridgekeeper_shm::search::SearchKind::Text;
    h.state_mut().search.text = "Monza".into();
    h.get_by_label("Find next").click();
    h.run_steps(3);
    assert!(has(&h, "Found at 0x00008000 as ascii"));

    h.get_by_label("Copy selection as hex").click();
    h.run_steps(1);
    assert_eq!(h.state().copied.as_deref(), Some("4d"));

    h.get_by_label("Snapshot").click();
    h.run_steps(1);
    page[0x8001] = b'X';
    std::fs::write(&path, &page).unwrap();
    h.run_steps(2);
    assert!(has(&h, "1 byte(s) differ from the snapshot"));
    assert!(h.state().hexdump.drawn.differs.contains(&0x8001));

    h.get_by_label("Freeze").click();
    h.run_steps(1);
    page[0x8002] = b'Y';
    std::fs::write(&path, &page).unwrap();
    h.run_steps(2);
    assert_eq!(h.state().data()[0x8002], b'n', "frozen: not re-read");
}
