//! D-Bus for tests: a private session bus (`dbus-daemon`) per test, a
//! stand-in notification server that records what it is sent, and a
//! recorder of the signals of one interface.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zbus::blocking::{Connection, MessageIterator};
use zbus::message::Message;
use zbus::zvariant::OwnedValue;

/// A private session bus, stopped on drop.
#[derive(Debug)]
pub struct PrivateBus {
    daemon: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl PrivateBus {
    /// Starts `dbus-daemon --session` on a socket of its own, or `None`
    /// when dbus-daemon is not installed (a failure when `CI=true`).
    pub fn start() -> Option<PrivateBus> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let spawned = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!(
                "--address=unix:path={}",
                dir.path().join("bus").display()
            ))
            .stdout(Stdio::piped())
            // It warns that it cannot raise its fd limit, unprivileged.
            .stderr(Stdio::null())
            .spawn();
        let mut daemon = match spawned {
            Ok(child) => child,
            Err(err) => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "dbus-daemon cannot start ({err}); install the dbus package (scripts/test does)"
                );
                eprintln!("skipped: dbus-daemon cannot start ({err})");
                return None;
            }
        };
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().expect("stdout is piped"))
            .read_line(&mut address)
            .expect("reading the bus address");
        let address = address.trim().to_string();
        assert!(
            address.starts_with("unix:"),
            "dbus-daemon printed {address:?}"
        );
        Some(PrivateBus {
            daemon,
            address,
            _dir: dir,
        })
    }

    /// The bus address, for `DBUS_SESSION_BUS_ADDRESS` or `--address=`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// A new connection to the bus.
    pub fn connect(&self) -> Connection {
        zbus::blocking::connection::Builder::address(self.address.as_str())
            .and_then(|b| b.build())
            .expect("connecting to the private bus")
    }

    /// The unique name owning `name`, if any.
    pub fn owner_of(&self, name: &str) -> Option<String> {
        let connection = self.connect();
        let bus = zbus::blocking::fdo::DBusProxy::new(&connection).ok()?;
        bus.get_name_owner(name.try_into().ok()?)
            .ok()
            .map(|n| n.to_string())
    }

    /// The Linux pid of the process owning `name`, if any.
    pub fn owner_pid(&self, name: &str) -> Option<u32> {
        let connection = self.connect();
        let bus = zbus::blocking::fdo::DBusProxy::new(&connection).ok()?;
        bus.get_connection_unix_process_id(name.try_into().ok()?)
            .ok()
    }

    /// `tool` (busctl, dbus-send, dbus-monitor) with this bus's address,
    /// given the way the tool takes it.
    pub fn tool(&self, tool: &str) -> Command {
        let mut command = Command::new(tool);
        match tool {
            "dbus-send" => command.arg(format!("--bus={}", self.address)),
            "dbus-monitor" => command.args(["--address", &self.address]),
            _ => command.arg(format!("--address={}", self.address)),
        };
        command
    }

    /// The names on the bus, as `dbus-send` prints them.
    pub fn names(&self) -> String {
        let out = self
            .tool("dbus-send")
            .args([
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/",
                "org.freedesktop.DBus.ListNames",
            ])
            .output()
            .expect("running dbus-send");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits up to `timeout` for the StatusNotifierItem of process `pid`
    /// and returns its bus name.
    pub fn status_notifier_item(&self, pid: u32, timeout: Duration) -> Option<String> {
        let wanted = format!("org.kde.StatusNotifierItem-{pid}-");
        let start = Instant::now();
        while start.elapsed() < timeout {
            let names = self.names();
            if let Some(at) = names.find(&wanted) {
                return Some(names[at..].chars().take_while(|c| *c != '"').collect());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// One `Notify` call the stand-in server received.
#[derive(Debug, Clone, PartialEq)]
pub struct Notified {
    /// `app_name`.
    pub app_name: String,
    /// `app_icon`.
    pub app_icon: String,
    /// `summary`.
    pub summary: String,
    /// `body`.
    pub body: String,
    /// The `urgency` hint (0 low, 1 normal, 2 critical).
    pub urgency: Option<u8>,
    /// The `desktop-entry` hint.
    pub desktop_entry: Option<String>,
}

/// The stand-in server's interface.
#[derive(Debug)]
struct Server {
    calls: Arc<Mutex<Vec<Notified>>>,
    capabilities: Vec<String>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Server {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let urgency = hints.get("urgency").and_then(|v| u8::try_from(v).ok());
        let desktop_entry = hints
            .get("desktop-entry")
            .and_then(|v| String::try_from(v.clone()).ok());
        let mut calls = self.calls.lock().unwrap();
        calls.push(Notified {
            app_name,
            app_icon,
            summary,
            body,
            urgency,
            desktop_entry,
        });
        calls.len() as u32
    }

    fn get_capabilities(&self) -> Vec<String> {
        self.capabilities.clone()
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "stand-in".into(),
            "bridgekeeper tests".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}
}

/// A stand-in `org.freedesktop.Notifications` server that records every
/// notification; it leaves the bus when dropped.
#[derive(Debug)]
pub struct NotificationServer {
    _connection: Connection,
    calls: Arc<Mutex<Vec<Notified>>>,
}

impl NotificationServer {
    /// Serves on `bus`, saying `body-markup` among its capabilities when
    /// `markup` is set.
    pub fn start(bus: &PrivateBus, markup: bool) -> NotificationServer {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let mut capabilities = vec!["body".to_string()];
        if markup {
            capabilities.push("body-markup".into());
        }
        let server = Server {
            calls: Arc::clone(&calls),
            capabilities,
        };
        let connection = zbus::blocking::connection::Builder::address(bus.address())
            .and_then(|b| b.serve_at("/org/freedesktop/Notifications", server))
            .and_then(|b| b.name("org.freedesktop.Notifications"))
            .and_then(|b| b.build())
            .expect("serving the stand-in notification server");
        NotificationServer {
            _connection: connection,
            calls,
        }
    }

    /// Every notification so far.
    pub fn received(&self) -> Vec<Notified> {
        self.calls.lock().unwrap().clone()
    }

    /// Waits up to `timeout` for at least `count` notifications; all so far.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Notified> {
        let deadline = Instant::now() + timeout;
        while self.received().len() < count && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.received()
    }
}

/// The signals of one interface on a bus, as they arrive.
#[derive(Debug)]
pub struct SignalRecorder {
    messages: Receiver<Message>,
}

impl SignalRecorder {
    /// Starts recording the signals of `interface` on `bus`.
    pub fn start(bus: &PrivateBus, interface: &str) -> SignalRecorder {
        let connection = bus.connect();
        let rule = zbus::MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .interface(interface.to_string())
            .expect("a valid interface name")
            .build();
        let iterator = MessageIterator::for_match_rule(rule, &connection, Some(64))
            .expect("subscribing to the signals");
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let _connection = connection;
            for message in iterator.flatten() {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        SignalRecorder { messages }
    }

    /// The next signal named `member` within `timeout`, skipping others.
    pub fn next(&self, member: &str, timeout: Duration) -> Option<Message> {
        let deadline = Instant::now() + timeout;
        while let Ok(message) = self
            .messages
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            if message
                .header()
                .member()
                .is_some_and(|m| m.as_str() == member)
            {
                return Some(message);
            }
            eprintln!("signal (skipped): {:?}", message.header().member());
        }
        None
    }

    /// Every signal that arrives within `timeout`, by member name.
    pub fn drain(&self, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut members = Vec::new();
        while let Ok(message) = self
            .messages
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            members.extend(message.header().member().map(|m| m.to_string()));
        }
        members
    }
}
