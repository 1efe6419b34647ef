//! The live dashboard, driven with egui_kittest: values written into real
//! mapping files (laid out as ACC writes them) show in the Sessions panel,
//! and "NO DATA" shows once they stop changing, not before.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bridgekeeper::state::{DesktopState, Env, lock};
use bridgekeeper::ui::Tab;
use bridgekeeper::ui::dashboard_source::DashboardSource;
use bridgekeeper::ui::feed::{Feed, FeedConfig, QUIET, Wake};
use bridgekeeper::{actions, ui::BridgekeeperApp};
use bridgekeeper_bridge_client::BridgeFiles;
use bridgekeeper_host::program::Program;
use bridgekeeper_profiles::{Catalog, Gear, Profile};
use bridgekeeper_sessions::settings::Settings;
use bridgekeeper_sessions::{Registry, SessionConfig, SessionKind, SessionMapping, SessionRecord};
use bridgekeeper_steam::DiscoveryOptions;
use bridgekeeper_testkit::steam_fixture::{AppSpec, ProtonSpec, SteamFixture};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

const ACC: u32 = 805_550;

fn acc() -> Profile {
    Catalog::builtin()
        .get("assetto-corsa-competizione")
        .unwrap()
        .profile
        .clone()
}

/// ACC's three pages as files, written field by field by name.
struct Pages {
    profile: Profile,
    files: Vec<(String, PathBuf)>,
}

impl Pages {
    fn new(dir: &Path) -> Pages {
        std::fs::create_dir_all(dir).unwrap();
        let files = ["acpmf_physics", "acpmf_graphics", "acpmf_static"]
            .into_iter()
            .map(|name| {
                let file = dir.join(name);
                std::fs::write(&file, vec![0u8; 4096]).unwrap();
                (name.to_string(), file)
            })
            .collect();
        Pages {
            profile: acc(),
            files,
        }
    }

    fn put(&self, mapping: &str, field: &str, bytes: &[u8]) {
        let m = self.profile.mapping(mapping).unwrap();
        let offset = self
            .profile
            .layout_of(m)
            .unwrap()
            .field(field)
            .unwrap()
            .offset;
        let (_, file) = self.files.iter().find(|(n, _)| n == mapping).unwrap();
        let f = std::fs::OpenOptions::new().write(true).open(file).unwrap();
        f.write_all_at(bytes, offset as u64).unwrap();
    }

    fn f32(&self, mapping: &str, field: &str, v: f32) {
        self.put(mapping, field, &v.to_le_bytes());
    }

    fn i32(&self, mapping: &str, field: &str, v: i32) {
        self.put(mapping, field, &v.to_le_bytes());
    }

    /// A car at speed in 4th gear, on a live session.
    fn a_lap_in_progress(&self) {
        self.f32("acpmf_physics", "speedKmh", 212.4);
        self.i32("acpmf_physics", "rpms", 7450);
        self.i32("acpmf_physics", "gear", 5);
        self.f32("acpmf_physics", "gas", 0.8);
        self.f32("acpmf_physics", "brake", 0.25);
        self.f32("acpmf_physics", "fuel", 42.5);
        self.i32("acpmf_static", "maxRpm", 8000);
        self.f32("acpmf_static", "maxFuel", 120.0);
        self.i32("acpmf_graphics", "iCurrentTime", 83_456);
        self.i32("acpmf_graphics", "iLastTime", 105_678);
        self.i32("acpmf_graphics", "status", 2);
    }
}

/// The app with a live ACC session whose mappings are `pages`.
fn app_with_session(tmp: &Path, pages: &Pages) -> BridgekeeperApp {
    let fixture = SteamFixture::new(tmp.join("Steam"))
        .proton(ProtonSpec::valve(2_805_730, "Proton 9.0").version(Some("proton-9.0-3")))
        .app(AppSpec::new(ACC, "Assetto Corsa Competizione"))
        .build();
    let settings_file = tmp.join("config/settings.toml");
    Settings {
        profiles_dir: Some(tmp.join("profiles")),
        auto_attach: false,
        ..Settings::default()
    }
    .save(&settings_file)
    .unwrap();
    let registry = Registry::new(&tmp.join("run"));
    let env = Env {
        discovery: DiscoveryOptions::with_steam_dir(fixture.root()),
        sessions: Ok(SessionConfig {
            registry: registry.clone(),
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
    let pid = std::process::id();
    let id = format!("dash-{pid}");
    let record = SessionRecord {
        id: id.clone(),
        appid: ACC,
        game: "Assetto Corsa Competizione".into(),
        profile: "assetto-corsa-competizione".into(),
        kind: SessionKind::Attach,
        prefix: "/nowhere/pfx".into(),
        proton: None,
        mappings: pages
            .files
            .iter()
            .map(|(name, file)| SessionMapping {
                name: name.clone(),
                file: file.clone(),
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
    actions::refresh_sessions(&shared);
    assert_eq!(lock(&shared).sessions.len(), 1);
    let mut app = BridgekeeperApp::new(shared);
    app.tab = Tab::Sessions;
    app
}

fn has(h: &Harness<'_, impl Sized>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

/// Steps until `done`; fails after 20 s (a hang, not a speed check).
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
fn the_dashboard_shows_the_values_written_and_no_data_once_they_stop_changing() {
    let tmp = tempfile::tempdir().unwrap();
    let pages = Pages::new(&tmp.path().join("shm"));
    pages.a_lap_in_progress();
    let app = app_with_session(tmp.path(), &pages);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 1000.0))
        .build_ui_state(|ui, app: &mut BridgekeeperApp| app.show(ui), app);
    step_until(&mut h, "the values", |h| has(h, "212 km/h"));
    for shown in [
        "7450 rpm of 8000",
        "Throttle 80 %",
        "Brake 25 %",
        "Clutch 0 %",
        "42.5 l of 120 l",
        "1:23.456",
        "1:45.678",
        "live",
    ] {
        assert!(has(&h, shown), "{shown} is not shown");
    }
    assert!(h.query_by_label("Gear 4").is_some(), "gear 4 (raw 5)");
    assert!(h.query_by_label("Speed 212 km/h").is_some());

    // The game drives on: the lap clock and the revs move for a while.
    let start = Instant::now();
    let mut t = 83_456;
    let mut last_write = Instant::now();
    while start.elapsed() < QUIET + Duration::from_millis(500) {
        t += 20;
        pages.i32("acpmf_graphics", "iCurrentTime", t);
        pages.i32("acpmf_physics", "rpms", 7000 + t % 1000);
        last_write = Instant::now();
        std::thread::sleep(Duration::from_millis(20));
        h.step();
        assert!(!has(&h, "NO DATA since"), "NO DATA while the values change");
    }
    step_until(&mut h, "the last lap clock", |h| {
        has(
            h,
            &bridgekeeper::ui::dashboard::lap_text(Duration::from_millis(t as u64)),
        )
    });

    // The game stops writing: NO DATA, with the time, after QUIET.
    step_until(&mut h, "NO DATA", |h| has(h, "NO DATA since"));
    assert!(
        last_write.elapsed() >= QUIET,
        "NO DATA after {:?}, before {QUIET:?} without a change",
        last_write.elapsed()
    );
    assert!(has(&h, "212 km/h"), "the last values stay, greyed");

    // And it flows again when the game writes again.
    pages.f32("acpmf_physics", "speedKmh", 95.0);
    step_until(&mut h, "the new speed", |h| {
        has(h, "95 km/h") && !has(h, "NO DATA since")
    });
}

#[test]
fn the_source_decodes_and_wakes_only_when_a_value_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let pages = Pages::new(tmp.path());
    pages.a_lap_in_progress();
    let ctx = egui::Context::default();
    let feeds: Vec<(String, Feed)> = pages
        .files
        .iter()
        .map(|(name, file)| {
            let feed = Feed::start(
                FeedConfig {
                    path: file.clone(),
                    limit: 4096,
                    period: Duration::from_millis(5),
                    wake: Wake::AtOnce,
                    counter: None,
                    layout: None,
                },
                ctx.clone(),
            );
            (name.clone(), feed)
        })
        .collect();
    let dashboard = acc().dashboard.unwrap();
    let source = DashboardSource::new(
        dashboard,
        feeds
            .iter()
            .map(|(n, f)| (n.clone(), f.shared_page()))
            .collect(),
        ctx,
    );
    for (_, feed) in &feeds {
        feed.set_listener(Some(source.listener()));
    }
    // What the feeds read before they had the listener (as the panel does).
    source.update(Instant::now());
    let wait = |what: &str, done: &dyn Fn(&DashboardSource) -> bool| {
        bridgekeeper_testkit::wait_for(Duration::from_secs(10), || done(&source).then_some(()))
            .unwrap_or_else(|| panic!("timed out waiting for {what}"));
    };
    wait("every page", &|s| {
        let r = s.reading();
        r.values.gear == Some(Gear::Forward(4)) && r.values.max_rpm == Some(8000.0)
    });
    let (wakes, decodes) = {
        let r = source.reading();
        (r.wakes, r.decodes)
    };
    // Forty reads of each unchanged page: no decode, no wake.
    std::thread::sleep(Duration::from_millis(200));
    {
        let r = source.reading();
        assert_eq!((r.wakes, r.decodes), (wakes, decodes), "nothing changed");
    }
    pages.i32("acpmf_physics", "rpms", 7777);
    wait("the new rpm", &|s| s.reading().values.rpm == Some(7777.0));
    assert_eq!(source.reading().wakes, wakes + 1, "one change, one wake");
    // Bytes no gauge reads change: decoded, but no wake.
    pages.f32("acpmf_physics", "steerAngle", 0.3);
    let decodes = source.reading().decodes;
    wait("the decode", &|s| s.reading().decodes > decodes);
    assert_eq!(source.reading().wakes, wakes + 1);
}
