//! The service on a private session bus: one owner at a time, signals with
//! the session's appid, game, mappings and files, and notifications sent to
//! a stand-in notification server (or not, with the setting off).
//!
//! Sessions here are registry records of a fake live session owned by a
//! sleeping process, with the status lines a bridge would write; killing
//! the process ends it, as a crash would.

use std::io::Write;
use std::path::Path;
use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bridgekeeper_bridge_client::BridgeFiles;
use bridgekeeper_bus::wire::MappingInfo;
use bridgekeeper_bus::{Backend, Bus, INTERFACE, Service};
use bridgekeeper_profiles::{Catalog, SharedCatalog};
use bridgekeeper_sessions::config::ConfigError;
use bridgekeeper_sessions::events::{Culprit, MappingProblem, ProblemKind, Refusal, SessionEvents};
use bridgekeeper_sessions::{Registry, SessionConfig, SessionKind, SessionMapping, SessionRecord};
use bridgekeeper_testkit::dbus::{NotificationServer, PrivateBus, SignalRecorder};
use bridgekeeper_testkit::wait_for;

const WAIT: Duration = Duration::from_secs(10);
const BUS_NAME: &str = bridgekeeper_bus::BUS_NAME;

struct TestBackend {
    name: &'static str,
    registry: Registry,
    notifications: AtomicBool,
    catalog: SharedCatalog,
}

impl TestBackend {
    fn new(name: &'static str, registry: &Registry) -> Arc<TestBackend> {
        Arc::new(TestBackend {
            name,
            registry: registry.clone(),
            notifications: AtomicBool::new(true),
            catalog: SharedCatalog::default(),
        })
    }
}

impl Backend for TestBackend {
    fn served_by(&self) -> &str {
        self.name
    }
    fn registry(&self) -> Registry {
        self.registry.clone()
    }
    fn sessions(&self) -> Result<SessionConfig, Arc<ConfigError>> {
        Ok(SessionConfig {
            registry: self.registry.clone(),
            shm_dir: self.registry.dir().join("shm"),
            keep_files: false,
            bridge: BridgeFiles {
                exe: "/nonexistent/bridge.exe".into(),
                dll: "/nonexistent/bridge.dll".into(),
            },
        })
    }
    fn catalog(&self) -> SharedCatalog {
        Arc::clone(&self.catalog)
    }
    fn watching(&self) -> bool {
        true
    }
    fn notifications(&self) -> bool {
        self.notifications.load(Ordering::Relaxed)
    }
}

fn start(backend: Arc<TestBackend>, bus: &PrivateBus) -> Service {
    let events = SessionEvents::start(backend.registry.clone());
    Service::start(backend, events, &Bus::Address(bus.address().into())).expect("serving")
}

/// A fake live session: a record owned by a sleeping process.
struct FakeSession {
    owner: Child,
    record: SessionRecord,
}

impl FakeSession {
    fn new(registry: &Registry, id: &str, files: &Path) -> FakeSession {
        let owner = std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .unwrap();
        let pid = owner.id();
        let record = SessionRecord {
            id: id.into(),
            appid: 4321,
            game: "Bus Sim".into(),
            profile: "bus-sim".into(),
            kind: SessionKind::Attach,
            prefix: "/pfx".into(),
            proton: None,
            mappings: ["bus_physics", "bus_graphics"]
                .iter()
                .map(|name| SessionMapping {
                    name: name.to_string(),
                    file: files.join(name),
                    size: 4096,
                    mode: None,
                    error: None,
                    dev: None,
                    inode: None,
                })
                .collect(),
            bridge_pid: Some(pid),
            owner_pid: pid,
            owner_start_time: bridgekeeper_host::process_info::start_time(pid as i32).unwrap(),
            owner_pid_namespace: None,
            nonce: "n".into(),
            events_file: registry.events_file(id),
            started_at: 1,
            keep_files: false,
            backing_dir: None,
            failure: None,
            problems: Vec::new(),
        };
        registry.save(&record).unwrap();
        FakeSession { owner, record }
    }

    /// The bridge's lines for every mapping in `mode`, then all-ready.
    fn ready(&self, mode: &str) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.record.events_file)
            .unwrap();
        for m in &self.record.mappings {
            writeln!(
                file,
                r#"{{"nonce":"n","event":"ready","name":"{}","file":"{}","mode":"{mode}","size":4096}}"#,
                m.name,
                m.file.display()
            )
            .unwrap();
        }
        writeln!(
            file,
            r#"{{"nonce":"n","event":"all-ready","shared":2,"copy":0}}"#
        )
        .unwrap();
    }

    fn crash(&mut self) {
        self.owner.kill().unwrap();
        self.owner.wait().unwrap();
    }
}

impl Drop for FakeSession {
    fn drop(&mut self) {
        let _ = self.owner.kill();
        let _ = self.owner.wait();
    }
}

fn property(bus: &PrivateBus, name: &str) -> String {
    let out = bus
        .tool("busctl")
        .args([
            "get-property",
            BUS_NAME,
            bridgekeeper_bus::OBJECT_PATH,
            INTERFACE,
            name,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn one_owner_at_a_time_and_the_second_takes_over_when_the_first_exits() {
    let Some(bus) = PrivateBus::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new(dir.path());
    let notifications = NotificationServer::start(&bus, false);
    let first = start(TestBackend::new("first", &registry), &bus);
    let second = start(TestBackend::new("second", &registry), &bus);
    assert!(first.is_owner());
    assert!(!second.is_owner(), "the second waits in the queue");
    assert_eq!(bus.owner_of(BUS_NAME), first.unique_name());
    assert_eq!(property(&bus, "ServedBy"), r#"s "first""#);

    let signals = SignalRecorder::start(&bus, INTERFACE);
    let one = FakeSession::new(&registry, "4321-one", dir.path());
    one.ready("shared");
    assert!(signals.next("SessionStarted", WAIT).is_some());
    let sent = notifications.wait_for(1, WAIT);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        notifications.received(),
        sent,
        "both see the session; only the owner notifies"
    );
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert!(
        !signals
            .drain(Duration::from_secs(1))
            .contains(&"SessionStarted".to_string()),
        "only the owner emits the signal"
    );

    let second_name = second.unique_name();
    drop(first);
    let owner = wait_for(WAIT, || {
        let owner = bus.owner_of(BUS_NAME);
        (owner == second_name).then_some(owner)
    });
    assert!(
        owner.is_some(),
        "the second owns the name once the first is gone"
    );
    assert!(second.is_owner());
    assert_eq!(property(&bus, "ServedBy"), r#"s "second""#);

    let two = FakeSession::new(&registry, "4321-two", dir.path());
    two.ready("shared");
    let started = signals
        .next("SessionStarted", WAIT)
        .expect("the new owner signals");
    let (_, _, session, _, _): (u32, String, String, String, Vec<MappingInfo>) =
        started.body().deserialize().unwrap();
    assert_eq!(session, "4321-two");
    assert_eq!(notifications.wait_for(2, WAIT).len(), 2, "and notifies");
}

#[test]
fn signals_carry_the_appid_game_mappings_and_files() {
    let Some(bus) = PrivateBus::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new(dir.path());
    let service = start(TestBackend::new("test", &registry), &bus);
    let signals = SignalRecorder::start(&bus, INTERFACE);
    let mut session = FakeSession::new(&registry, "4321-sig", dir.path());
    session.ready("shared");

    let started = signals
        .next("SessionStarted", WAIT)
        .expect("SessionStarted");
    let started: (u32, String, String, String, Vec<MappingInfo>) =
        started.body().deserialize().unwrap();
    let mappings: Vec<MappingInfo> = ["bus_physics", "bus_graphics"]
        .iter()
        .map(|name| MappingInfo {
            name: name.to_string(),
            file: dir.path().join(name).display().to_string(),
            size: 4096,
            mode: "shared".into(),
            error: String::new(),
        })
        .collect();
    assert_eq!(
        started,
        (
            4321,
            "Bus Sim".into(),
            "4321-sig".into(),
            "attach".into(),
            mappings.clone()
        )
    );

    session.crash();
    let ended = signals.next("SessionEnded", WAIT).expect("SessionEnded");
    let ended: (u32, String, String, String, String, Vec<MappingInfo>) =
        ended.body().deserialize().unwrap();
    assert_eq!((ended.0, ended.2.as_str()), (4321, "4321-sig"));
    assert_eq!(ended.3, "crashed");
    assert!(ended.4.contains("killed or crashed"), "{}", ended.4);
    assert_eq!(ended.5, mappings);

    drop(service);
}

#[test]
fn problems_and_refusals_from_elsewhere_become_signals_and_notifications() {
    let Some(bus) = PrivateBus::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new(dir.path());
    let notifications = NotificationServer::start(&bus, true);
    let events = SessionEvents::start(registry.clone());
    let sender = events.sender();
    let _service = Service::start(
        TestBackend::new("test", &registry),
        events,
        &Bus::Address(bus.address().into()),
    )
    .unwrap();
    let signals = SignalRecorder::start(&bus, INTERFACE);

    sender.mapping_problem(MappingProblem {
        appid: 4321,
        game: "Bus Sim".into(),
        session: "4321-p".into(),
        mapping: "bus_physics".into(),
        file: "/dev/shm/R&D/bus_physics".into(),
        what: ProblemKind::Shortened {
            length: 100,
            size: 4096,
        },
        culprit: Some(Culprit {
            pid: 77,
            exe: Some("/usr/bin/truncate".into()),
        }),
        fix: "Quit the program that shortens it, then restart the game.".into(),
    });
    let problem = signals
        .next("MappingProblem", WAIT)
        .expect("MappingProblem");
    #[allow(clippy::type_complexity)]
    let problem: (
        u32,
        String,
        String,
        String,
        String,
        String,
        u64,
        u32,
        String,
        String,
        String,
    ) = problem.body().deserialize().unwrap();
    assert_eq!(
        problem,
        (
            4321,
            "Bus Sim".into(),
            "4321-p".into(),
            "bus_physics".into(),
            "/dev/shm/R&D/bus_physics".into(),
            "shortened".into(),
            100,
            77,
            "/usr/bin/truncate".into(),
            "Quit the program that shortens it, then restart the game.".into(),
            "/dev/shm/R&D/bus_physics (mapping bus_physics of Bus Sim) was shortened to 100 of \
             its 4096 bytes by /usr/bin/truncate (pid 77)."
                .into(),
        )
    );
    let sent = notifications.wait_for(1, WAIT);
    assert_eq!(sent[0].summary, "Bus Sim: bus_physics file shortened");
    assert_eq!(
        sent[0].body,
        "/dev/shm/R&amp;D/bus_physics (mapping bus_physics of Bus Sim) was shortened to 100 of \
         its 4096 bytes by /usr/bin/truncate (pid 77). Quit the program that shortens it, then \
         restart the game.",
        "escaped for a server that shows markup"
    );
    assert_eq!(sent[0].urgency, Some(2));

    sender.refused(Refusal {
        appid: 4321,
        game: "Bus Sim".into(),
        pid: Some(99),
        reason: "no Proton found; set STEAM_COMPAT_TOOL_PATHS".into(),
    });
    let refused = signals.next("AttachRefused", WAIT).expect("AttachRefused");
    let refused: (u32, String, String) = refused.body().deserialize().unwrap();
    assert_eq!(
        refused,
        (
            4321,
            "Bus Sim".into(),
            "no Proton found; set STEAM_COMPAT_TOOL_PATHS".into()
        )
    );
    let sent = notifications.wait_for(2, WAIT);
    assert_eq!(sent[1].summary, "Bus Sim is not bridged");
    assert_eq!(sent[1].body, "no Proton found; set STEAM_COMPAT_TOOL_PATHS");
}

#[test]
fn notifications_say_zero_copy_or_copy_and_why() {
    let Some(bus) = PrivateBus::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new(dir.path());
    let notifications = NotificationServer::start(&bus, false);
    let _service = start(TestBackend::new("test", &registry), &bus);

    let shared = FakeSession::new(&registry, "4321-shared", dir.path());
    shared.ready("shared");
    let sent = notifications.wait_for(1, WAIT);
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0].summary, "Bus Sim is bridged (zero copy)");
    assert_eq!(
        sent[0].body,
        format!(
            "The bridge created the game's shared memory before the game, so readers map the \
             game's own memory: {0}/bus_physics, {0}/bus_graphics.",
            dir.path().display()
        )
    );
    assert_eq!(sent[0].app_name, "Bridgekeeper");
    assert_eq!(sent[0].app_icon, bridgekeeper_host::program::APP_ID);
    assert_eq!(
        sent[0].desktop_entry.as_deref(),
        Some(bridgekeeper_host::program::APP_ID)
    );
    assert_eq!(sent[0].urgency, Some(1));

    let copied = FakeSession::new(&registry, "4321-copy", dir.path());
    copied.ready("copy");
    let sent = notifications.wait_for(2, WAIT);
    assert_eq!(sent[1].summary, "Bus Sim is bridged (copy mode)");
    assert_eq!(
        sent[1].body,
        "Copied: bus_physics, bus_graphics. The game created some sections before the bridge, so \
         they are copied (about 1 ms behind, game to Linux only). Set the game's launch options \
         to `bridgekeeper run %command%` for zero copy."
    );

    let mut failed = FakeSession::new(&registry, "4321-failed", dir.path());
    failed.record.failure = Some("Bus Sim is not bridged: /dev/shm is full".into());
    registry.save(&failed.record).unwrap();
    let sent = notifications.wait_for(3, WAIT);
    assert_eq!(sent[2].summary, "Bus Sim is not bridged");
    assert_eq!(sent[2].body, "Bus Sim is not bridged: /dev/shm is full");
    failed.crash();
}

#[test]
fn with_notifications_off_none_is_sent_but_signals_are() {
    let Some(bus) = PrivateBus::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new(dir.path());
    let notifications = NotificationServer::start(&bus, false);
    let backend = TestBackend::new("test", &registry);
    backend.notifications.store(false, Ordering::Relaxed);
    let _service = start(Arc::clone(&backend), &bus);
    assert_eq!(property(&bus, "Notifications"), "b false");
    let signals = SignalRecorder::start(&bus, INTERFACE);

    let session = FakeSession::new(&registry, "4321-quiet", dir.path());
    session.ready("copy");
    assert!(signals.next("SessionStarted", WAIT).is_some());
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        notifications.received().is_empty(),
        "{:#?}",
        notifications.received()
    );

    backend.notifications.store(true, Ordering::Relaxed);
    let again = FakeSession::new(&registry, "4321-loud", dir.path());
    again.ready("shared");
    assert_eq!(
        notifications.wait_for(1, WAIT).len(),
        1,
        "turned on again, it applies at once"
    );
}

#[test]
fn without_a_catalog_entry_attach_says_no_profile() {
    let Some(bus) = PrivateBus::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new(dir.path());
    let backend = TestBackend::new("test", &registry);
    *backend.catalog.write() = Catalog::default();
    let _service = start(backend, &bus);
    let out = bus
        .tool("dbus-send")
        .args([
            "--print-reply",
            &format!("--dest={BUS_NAME}"),
            bridgekeeper_bus::OBJECT_PATH,
            &format!("{INTERFACE}.Attach"),
            "uint32:4321",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "io.github.bridgekeeper.Bridgekeeper1.Error.NoProfile: no profile for appid 4321"
        ),
        "{stderr}"
    );
}

/// The `<interface>` element of `xml` for the interface, line by line.
fn interface_element(xml: &str) -> Vec<String> {
    let start = format!("<interface name=\"{INTERFACE}\">");
    xml.lines()
        .skip_while(|l| l.trim() != start)
        .take_while(|l| l.trim() != "</interface>")
        .map(|l| l.trim_end().to_string())
        .collect()
}

#[test]
fn the_introspection_in_docs_dbus_md_is_what_the_service_serves() {
    let Some(bus) = PrivateBus::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let _service = start(TestBackend::new("test", &Registry::new(dir.path())), &bus);
    let connection = bus.connect();
    let served = zbus::blocking::fdo::IntrospectableProxy::builder(&connection)
        .destination(BUS_NAME)
        .unwrap()
        .path(bridgekeeper_bus::OBJECT_PATH)
        .unwrap()
        .build()
        .unwrap()
        .introspect()
        .unwrap();
    let docs_file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/dbus.md");
    let docs = std::fs::read_to_string(docs_file).unwrap();
    let served = interface_element(&served);
    assert!(served.len() > 50, "{served:#?}");
    assert_eq!(
        interface_element(&docs),
        served,
        "docs/dbus.md's introspection differs from the interface; paste the new one there"
    );
}
