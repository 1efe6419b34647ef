//! UI tests: the real panels, driven with egui_kittest, against a fixture
//! Steam tree and mapping files written here.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bridgekeeper::state::{DesktopState, Env, lock};
use bridgekeeper::ui::Tab;
use bridgekeeper::ui::inspector::Inspector;
use bridgekeeper::{actions, ui::BridgekeeperApp};
use bridgekeeper_bridge_client::{BridgeFiles, FilesError};
use bridgekeeper_host::program::Program;
use bridgekeeper_profiles::Catalog;
use bridgekeeper_sessions::config::ConfigError;
use bridgekeeper_sessions::settings::Settings;
use bridgekeeper_sessions::{Registry, SessionConfig, SessionKind, SessionMapping, SessionRecord};
use bridgekeeper_steam::DiscoveryOptions;
use bridgekeeper_testkit::art::header_jpeg;
use bridgekeeper_testkit::steam_fixture::{AppSpec, ArtLayout, ProtonSpec, SteamFixture};
use egui::{Key, Modifiers, Role};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

const AC: u32 = 244_210;
const ACC: u32 = 805_550;
const SOLITAIRE: u32 = 4_242_424;
const STARDEW: u32 = 413_150;

fn app(tmp: &Path) -> BridgekeeperApp {
    app_with(tmp, |f| f)
}

/// The app over a fixture Steam tree, which `more` may add to.
fn app_with(tmp: &Path, more: impl FnOnce(SteamFixture) -> SteamFixture) -> BridgekeeperApp {
    let fixture = SteamFixture::new(tmp.join("Steam"))
        .proton(ProtonSpec::valve(2_805_730, "Proton 9.0").version(Some("proton-9.0-3")))
        .app(AppSpec::new(AC, "Assetto Corsa"))
        .app(AppSpec::new(ACC, "Assetto Corsa Competizione"))
        .app(AppSpec::new(SOLITAIRE, "Solitaire"))
        .compat_mapping(AC, "proton_9")
        .prefix(AC, 0, Duration::from_secs(60));
    let fixture = more(fixture).build();
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

/// Steps the harness until `done` holds: mapping files and header images
/// are read on other threads, so what they bring shows a few frames later.
/// Fails after 20 s (a hang, not a speed check).
fn step_until<S>(
    h: &mut Harness<'_, S>,
    what: &str,
    mut done: impl FnMut(&Harness<'_, S>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    h.step();
    while !done(h) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
        h.step();
    }
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
    assert!(
        h.query_by_label("Copy launch option for Assetto Corsa")
            .is_some()
    );
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
    step_until(&mut h, "the first read", |h| has(h, "1234"));
    assert!(h.state().hexdump.drawn.changed.is_empty());
    assert!(has(&h, "packetId"));
    assert!(has(&h, "1234"));
    assert!(has(&h, "0.5"));
    assert!(has(&h, "00000000  d2 04 00 00"), "row 0 in hex");

    page[0..4].copy_from_slice(&1235i32.to_le_bytes());
    page[0x21] = 0xff;
    std::fs::write(&path, &page).unwrap();
    step_until(&mut h, "the changed bytes", |h| {
        h.state().hexdump.drawn.changed.contains(&0x21)
    });
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
    step_until(&mut h, "the empty file", |h| has(h, "empty"));
    std::fs::remove_file(&path).unwrap();
    step_until(&mut h, "the missing file", |h| has(h, "the file is gone"));
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
    step_until(&mut h, "the page", |h| h.state().data().len() == 1_200_000);
    h.run_steps(1);
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
    step_until(&mut h, "the diff", |h| {
        has(h, "1 byte(s) differ from the snapshot")
    });
    assert!(h.state().hexdump.drawn.differs.contains(&0x8001));

    h.get_by_label("Freeze").click();
    h.run_steps(2);
    page[0x8002] = b'Y';
    std::fs::write(&path, &page).unwrap();
    // Ten read periods: a feed that kept reading would have seen it.
    std::thread::sleep(Duration::from_millis(200));
    h.run_steps(2);
    assert_eq!(h.state().data()[0x8002], b'n', "frozen: not re-read");
}

/// Registers a running session of Assetto Corsa (this test process is its
/// owner, so it is live) whose mappings are at `files`.
fn register_session(app: &BridgekeeperApp, files: &[(&str, &Path)]) {
    let registry = lock(&app.shared)
        .env
        .sessions
        .as_ref()
        .unwrap()
        .registry
        .clone();
    let pid = std::process::id();
    let id = format!("test-{pid}");
    let record = SessionRecord {
        id: id.clone(),
        appid: AC,
        game: "Assetto Corsa".into(),
        profile: "assetto-corsa".into(),
        kind: SessionKind::Attach,
        prefix: "/nowhere/pfx".into(),
        proton: None,
        mappings: files
            .iter()
            .map(|(name, file)| SessionMapping {
                name: (*name).into(),
                file: file.to_path_buf(),
                size: 4096,
                mode: Some(bridgekeeper_protocol::MappingMode::Shared),
                error: None,
                dev: None,
                inode: None,
            })
            .collect(),
        bridge_pid: Some(pid),
        owner_pid: pid,
        owner_start_time: bridgekeeper_host::process_info::start_time(pid as i32).unwrap(),
        nonce: "n".into(),
        events_file: registry.events_file(&id),
        started_at: 0,
        keep_files: true,
        failure: None,
        problems: Vec::new(),
        owner_pid_namespace: None,
        backing_dir: None,
    };
    registry.save(&record).unwrap();
    actions::refresh_sessions(&app.shared);
    assert_eq!(lock(&app.shared).sessions.len(), 1);
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path for the call's duration.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// Until dropped: if the test is still running after `after`, opens the
/// FIFO at `path` for writing, which releases a reader stuck in a blocking
/// `open` of it, so a regression fails the test instead of hanging it.
struct FifoWatchdog(std::sync::mpsc::Sender<()>);

impl FifoWatchdog {
    fn start(path: &Path, after: Duration) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let path = path.to_path_buf();
        std::thread::spawn(move || {
            if rx.recv_timeout(after) == Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
                let _ = std::fs::OpenOptions::new().write(true).open(&path);
            }
        });
        FifoWatchdog(tx)
    }
}

impl Drop for FifoWatchdog {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

#[test]
fn a_fifo_or_a_link_at_a_mapping_path_never_stalls_the_window() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(tmp.path());
    let shm = tmp.path().join("shm");
    std::fs::create_dir_all(&shm).unwrap();
    let fifo = shm.join("acpmf_physics");
    mkfifo(&fifo);
    let target = tmp.path().join("elsewhere");
    std::fs::write(&target, vec![9u8; 4096]).unwrap();
    let link = shm.join("acpmf_graphics");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let page = shm.join("acpmf_static");
    std::fs::write(&page, vec![1u8; 4096]).unwrap();
    register_session(
        &app,
        &[
            ("acpmf_physics", &fifo),
            ("acpmf_graphics", &link),
            ("acpmf_static", &page),
        ],
    );
    // A reader that opens the FIFO the blocking way is stuck until then,
    // after the deadline below: the test fails instead of hanging.
    let _watchdog = FifoWatchdog::start(&fifo, Duration::from_secs(8));
    let mut h = harness(app);
    h.state_mut().tab = Tab::Sessions;
    // Every frame completes promptly: the window never opens the files.
    let bound = Duration::from_secs(2);
    let mut frames = 0;
    let deadline = Instant::now() + Duration::from_secs(5);
    while !(has(&h, "not a regular file (a FIFO)")
        && has(&h, "not a regular file (a symbolic link)"))
    {
        assert!(
            Instant::now() < deadline,
            "the panel never said what is wrong"
        );
        let start = Instant::now();
        h.step();
        frames += 1;
        assert!(
            start.elapsed() < bound,
            "frame {frames} took {:?}",
            start.elapsed()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(has(
        &h,
        &format!("{} is not a regular file (a FIFO)", fifo.display())
    ));
    assert!(has(
        &h,
        &format!("{} is not a regular file (a symbolic link)", link.display())
    ));
    // The static page, read and at rest: steady, not NO DATA (it has no
    // packet counter).
    step_until(&mut h, "the regular file", |h| has(h, "steady"));

    // The inspector on the FIFO says the same, and keeps drawing.
    h.get_by_label("Inspect acpmf_physics").click();
    step_until(&mut h, "the inspector", |h| {
        h.state().tab == Tab::Inspector && has(h, "not a regular file (a FIFO)")
    });
    assert!(
        h.state().inspector.as_ref().unwrap().data().is_empty(),
        "nothing was read from the FIFO"
    );
}

#[test]
fn cards_show_steams_header_images_in_both_cache_layouts_and_generated_ones_otherwise() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app_with(tmp.path(), |f| {
        f.app(AppSpec::new(STARDEW, "Stardew Valley"))
            .header_image(AC, ArtLayout::Flat, &header_jpeg(AC))
            .header_image(
                ACC,
                ArtLayout::Hashed("5925343a8312ea07f234d48170963aafae4158bf".into()),
                &header_jpeg(ACC),
            )
            .header_image(
                SOLITAIRE,
                ArtLayout::Folder,
                b"\xff\xd8\xff this is no JPEG",
            )
    });
    let rows = lock(&app.shared).game_rows();
    let art_of = |appid: u32| {
        rows.iter()
            .find(|r| r.appid == appid)
            .unwrap()
            .header_image
            .clone()
    };
    assert!(
        art_of(AC)
            .unwrap()
            .ends_with("librarycache/244210_header.jpg")
    );
    assert!(
        art_of(ACC)
            .unwrap()
            .ends_with("805550/5925343a8312ea07f234d48170963aafae4158bf/header.jpg")
    );
    assert!(
        art_of(SOLITAIRE)
            .unwrap()
            .ends_with("librarycache/4242424/header.jpg")
    );
    assert_eq!(art_of(STARDEW), None);
    let mut h = harness(app);
    step_until(&mut h, "the header images", |h| {
        h.state().games.art.settled()
    });
    h.run_steps(2);
    for name in ["Assetto Corsa", "Assetto Corsa Competizione"] {
        let label = format!("{name} header image");
        let image = h.get_by_role_and_label(Role::Image, &label);
        assert!(image.rect().width() > 300.0, "{name}: {:?}", image.rect());
    }
    assert!(
        h.query_by_role_and_label(
            Role::Image,
            "Stardew Valley (generated card: no header image in Steam's cache)"
        )
        .is_some()
    );
    assert!(
        h.query_by_role_and_label(
            Role::Image,
            "Solitaire (generated card: the header image cannot be shown)"
        )
        .is_some(),
        "a broken JPEG falls back to the generated card"
    );
    // Chips tell the state in words, to a screen reader too.
    assert!(
        h.query_by_role_and_label(Role::Status, "Assetto Corsa: ready")
            .is_some()
    );
    assert!(
        h.query_by_role_and_label(
            Role::Status,
            "Assetto Corsa Competizione: never ran (no prefix)"
        )
        .is_some()
    );
    assert!(
        h.query_by_role_and_label(Role::Status, "Solitaire: no profile")
            .is_some()
    );
    // Supported games come first, with their one-click actions.
    for label in [
        "Attach Assetto Corsa",
        "Verify Assetto Corsa",
        "Copy launch option for Assetto Corsa",
        "Attach Assetto Corsa Competizione",
        "Give Solitaire a profile",
        "Give Stardew Valley a profile",
    ] {
        assert!(h.query_by_label(label).is_some(), "{label}");
    }
    let y = |label: &str| h.get_by_label(label).rect().top();
    assert!(y("Attach Assetto Corsa") < y("Give Solitaire a profile"));
    assert!(h.query_by_label("Attach Solitaire").is_none());
}

/// Presses Tab until the node labelled `label` has the focus.
fn tab_to<S>(h: &mut Harness<'_, S>, label: &str) {
    for _ in 0..300 {
        if h.query_by_label(label).is_some_and(|n| n.is_focused()) {
            return;
        }
        h.key_press(Key::Tab);
        h.run_steps(1);
    }
    panic!("Tab never reached {label}");
}

#[test]
fn keyboard_alone_attaches_copies_and_gives_a_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = harness(app(tmp.path()));
    h.run_steps(2);

    tab_to(&mut h, "Attach Assetto Corsa");
    h.key_press(Key::Enter);
    h.run_steps(3);
    assert!(
        lock(&h.state().shared)
            .refusals
            .get(&AC)
            .unwrap()
            .contains("not running"),
        "Enter pressed the focused Attach button"
    );
    assert!(has(&h, "Refused:"));

    tab_to(&mut h, "Copy launch option for Assetto Corsa");
    h.key_press(Key::Space);
    h.run_steps(2);
    assert_eq!(h.state().games.copied, Some(AC), "Space pressed Copy");
    assert!(has(&h, "Copied: paste it in the game's Properties"));

    tab_to(&mut h, "Give Solitaire a profile");
    h.key_press(Key::Enter);
    h.run_steps(2);
    assert!(h.state().games.editor.is_some(), "the editor opened");
    tab_to(&mut h, "Exe names (comma-separated)");
    h.get_by_label("Exe names (comma-separated)")
        .type_text("Solitaire.exe");
    tab_to(&mut h, "Mapping 1 name");
    h.get_by_label("Mapping 1 name")
        .type_text("SolitaireTelemetry");
    tab_to(&mut h, "size");
    h.get_by_label("size").type_text("4096");
    // In a text field, Escape only gives the focus up.
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(h.state().games.editor.is_some(), "still open");
    assert!(!h.get_by_label("size").is_focused());
    tab_to(&mut h, "Save profile");
    h.key_press(Key::Enter);
    step_until(&mut h, "the saved profile", |h| has(h, "Saved as"));
    assert!(tmp.path().join("profiles/solitaire.toml").is_file());
    let saved = std::fs::read_to_string(tmp.path().join("profiles/solitaire.toml")).unwrap();
    assert!(
        saved.contains("Solitaire.exe") && saved.contains("size = 4096"),
        "{saved}"
    );

    // Then, with a button focused, Escape closes the editor.
    assert!(h.get_by_label("Save profile").is_focused());
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(h.state().games.editor.is_none(), "Escape closed the editor");
    step_until(&mut h, "Solitaire's new profile", |h| {
        h.query_by_label("Attach Solitaire").is_some()
    });
}

#[test]
fn keyboard_alone_switches_tabs_changes_settings_and_inspects_a_mapping() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(tmp.path());
    let physics = tmp.path().join("shm/acpmf_physics");
    std::fs::create_dir_all(physics.parent().unwrap()).unwrap();
    let mut page = vec![0u8; 4096];
    page[0..4].copy_from_slice(&0x0403_0201u32.to_le_bytes());
    std::fs::write(&physics, &page).unwrap();
    register_session(&app, &[("acpmf_physics", &physics)]);
    let mut h = harness(app);
    h.run_steps(2);

    h.key_press_modifiers(Modifiers::COMMAND, Key::Num4);
    h.run_steps(2);
    assert_eq!(h.state().tab, Tab::Settings);
    tab_to(&mut h, "Attach to supported games when they start");
    h.key_press(Key::Space);
    h.run_steps(2);
    assert!(
        lock(&h.state().shared).settings.auto_attach,
        "Space ticked the box"
    );
    let settings = std::fs::read_to_string(tmp.path().join("config/settings.toml")).unwrap();
    assert!(settings.contains("auto_attach = true"), "{settings}");

    h.key_press_modifiers(Modifiers::COMMAND, Key::Num1);
    h.run_steps(2);
    assert_eq!(h.state().tab, Tab::Games);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num2);
    h.run_steps(2);
    assert_eq!(h.state().tab, Tab::Sessions);

    tab_to(&mut h, "Inspect acpmf_physics");
    h.key_press(Key::Enter);
    step_until(&mut h, "the inspector", |h| {
        h.state().tab == Tab::Inspector
            && h.state()
                .inspector
                .as_ref()
                .is_some_and(|i| i.data().len() == 4096)
    });
    // The hexdump is one Tab stop; the arrows select, Shift extends.
    let hexdump_focused = |h: &Harness<'_, BridgekeeperApp>| {
        h.query_by(|n| {
            n.role() == Role::Grid && n.label().is_some_and(|l| l.starts_with("Hexdump"))
        })
        .is_some_and(|n| n.is_focused())
    };
    for _ in 0..300 {
        if hexdump_focused(&h) {
            break;
        }
        h.key_press(Key::Tab);
        h.run_steps(1);
    }
    assert!(hexdump_focused(&h), "Tab reached the hexdump");
    h.key_press(Key::End);
    h.run_steps(1);
    assert_eq!(
        h.state().inspector.as_ref().unwrap().hexdump.selected,
        Some(4095)
    );
    h.key_press(Key::Home);
    h.run_steps(1);
    h.key_press(Key::ArrowRight);
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::SHIFT, Key::ArrowRight);
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::SHIFT, Key::ArrowRight);
    h.run_steps(1);
    assert_eq!(
        h.state().inspector.as_ref().unwrap().hexdump.selection(),
        Some((1, 3))
    );
    assert!(hexdump_focused(&h), "the arrows kept the focus");
    tab_to(&mut h, "Copy selection as hex");
    h.key_press(Key::Enter);
    h.run_steps(2);
    assert_eq!(
        h.state().inspector.as_ref().unwrap().copied.as_deref(),
        Some("02 03 04")
    );

    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(h.state().inspector.is_none(), "Escape closed the inspector");
    assert_eq!(h.state().tab, Tab::Sessions);
}
