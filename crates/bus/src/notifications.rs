//! Desktop notifications through the freedesktop Notifications D-Bus API
//! (`org.freedesktop.Notifications.Notify`): a game bridged (zero copy, or
//! copy and why), a game not bridged (why), a mapping's file in trouble.
//!
//! Failure mode: a notification server may show body markup, so a path
//! with `&` or `<` would garble it or be dropped; one without markup shows
//! entities as they are. Design: the server's capabilities are asked once
//! (after the first success) and the body is escaped only for a server that
//! says `body-markup`. A missing server is not an error of the session: the
//! notification is dropped with a warning.

use std::collections::HashMap;

use bridgekeeper_protocol::MappingMode;
use bridgekeeper_sessions::SessionStatus;
use bridgekeeper_sessions::events::{MappingProblem, ProblemKind, Refusal, SessionEvent};
use zbus::zvariant::Value;

/// How pressing a notification is (the spec's `urgency` hint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Informational.
    Normal = 1,
    /// Something needs doing now.
    Critical = 2,
}

/// A notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The one-line summary.
    pub summary: String,
    /// The body: what happened and what to do.
    pub body: String,
    /// How pressing it is.
    pub urgency: Urgency,
}

/// The notification for `event`, if it deserves one (the end of a session
/// does not: the person ended the game).
pub fn of(event: &SessionEvent) -> Option<Notification> {
    match event {
        SessionEvent::Started(status) => Some(bridged(status)),
        SessionEvent::Ended(_) => None,
        SessionEvent::Refused(refusal) => Some(refused(refusal)),
        SessionEvent::MappingProblem(problem) => Some(mapping_problem(problem)),
    }
}

fn bridged(status: &SessionStatus) -> Notification {
    let failed: Vec<String> = status
        .mappings
        .iter()
        .filter_map(|m| Some(format!("{}: {}", m.name, m.error.as_ref()?)))
        .collect();
    let copied: Vec<&str> = status
        .mappings
        .iter()
        .filter(|m| m.error.is_none() && m.mode == Some(MappingMode::Copy))
        .map(|m| m.name.as_str())
        .collect();
    let game = &status.game;
    if !failed.is_empty() {
        return Notification {
            summary: format!("{game} is partly bridged"),
            body: format!("Not bridged: {}.", failed.join("; ")),
            urgency: Urgency::Critical,
        };
    }
    if !copied.is_empty() {
        return Notification {
            summary: format!("{game} is bridged (copy mode)"),
            body: format!(
                "Copied: {}. {}",
                copied.join(", "),
                status.advice.as_deref().unwrap_or_default()
            )
            .trim_end()
            .to_string(),
            urgency: Urgency::Normal,
        };
    }
    let files: Vec<String> = status
        .mappings
        .iter()
        .map(|m| m.file.display().to_string())
        .collect();
    Notification {
        summary: format!("{game} is bridged (zero copy)"),
        body: format!(
            "The bridge created the game's shared memory before the game, so readers map the \
             game's own memory: {}.",
            files.join(", ")
        ),
        urgency: Urgency::Normal,
    }
}

fn refused(refusal: &Refusal) -> Notification {
    Notification {
        summary: format!("{} is not bridged", refusal.game),
        body: refusal.reason.clone(),
        urgency: Urgency::Critical,
    }
}

fn mapping_problem(problem: &MappingProblem) -> Notification {
    let what = match problem.what {
        ProblemKind::Deleted => "file deleted",
        ProblemKind::Replaced => "file replaced",
        ProblemKind::Shortened { .. } => "file shortened",
        ProblemKind::Clash { .. } => "file clash",
    };
    Notification {
        summary: format!("{}: {} {what}", problem.game, problem.mapping),
        body: format!("{problem} {}", problem.fix),
        urgency: Urgency::Critical,
    }
}

#[zbus::proxy(
    interface = "org.freedesktop.Notifications",
    default_service = "org.freedesktop.Notifications",
    default_path = "/org/freedesktop/Notifications",
    gen_async = false,
    blocking_name = "NotificationsProxy"
)]
trait Notifications {
    /// Shows a notification; its id.
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: &str,
        replaces_id: u32,
        app_icon: &str,
        summary: &str,
        body: &str,
        actions: &[&str],
        hints: HashMap<&str, Value<'_>>,
        expire_timeout: i32,
    ) -> zbus::Result<u32>;

    /// What the server can do (`body-markup` …).
    fn get_capabilities(&self) -> zbus::Result<Vec<String>>;
}

/// Sends notifications to the session's notification server.
#[derive(Debug)]
pub struct Notifier {
    proxy: NotificationsProxy<'static>,
    markup: Option<bool>,
}

impl Notifier {
    /// A notifier on `connection`.
    pub fn new(connection: &zbus::blocking::Connection) -> zbus::Result<Notifier> {
        Ok(Notifier {
            proxy: NotificationsProxy::new(connection)?,
            markup: None,
        })
    }

    /// Shows `notification`; the server's id for it.
    pub fn send(&mut self, notification: &Notification) -> zbus::Result<u32> {
        let markup = match self.markup {
            Some(markup) => markup,
            None => {
                let caps = self.proxy.get_capabilities()?;
                let markup = caps.iter().any(|c| c == "body-markup");
                self.markup = Some(markup);
                markup
            }
        };
        let body = if markup {
            escape(&notification.body)
        } else {
            notification.body.clone()
        };
        let app_id = bridgekeeper_host::program::APP_ID;
        let hints = HashMap::from([
            ("urgency", Value::U8(notification.urgency as u8)),
            ("desktop-entry", Value::from(app_id)),
        ]);
        self.proxy.notify(
            "Bridgekeeper",
            0,
            app_id,
            &notification.summary,
            &body,
            &[],
            hints,
            -1,
        )
    }
}

/// `text` with the characters of the spec's markup escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    use bridgekeeper_protocol::Event;
    use bridgekeeper_sessions::{SessionKind, SessionMapping, SessionRecord};

    #[test]
    fn markup_is_escaped() {
        assert_eq!(escape("a<b>&c"), "a&lt;b&gt;&amp;c");
    }

    fn record() -> SessionRecord {
        SessionRecord {
            id: "1-n".into(),
            appid: 1,
            game: "Part Sim".into(),
            profile: "part".into(),
            kind: SessionKind::Launcher,
            prefix: "/pfx".into(),
            proton: None,
            mappings: ["part_a", "part_b"]
                .iter()
                .map(|name| SessionMapping {
                    name: name.to_string(),
                    file: format!("/dev/shm/{name}").into(),
                    size: 4096,
                    mode: None,
                    error: None,
                    dev: None,
                    inode: None,
                })
                .collect(),
            bridge_pid: None,
            owner_pid: std::process::id(),
            owner_start_time:
                bridgekeeper_host::process_info::start_time(std::process::id() as i32).unwrap_or(0),
            owner_pid_namespace: None,
            nonce: "n".into(),
            events_file: "/nonexistent".into(),
            started_at: 1,
            keep_files: false,
            backing_dir: None,
            failure: None,
            problems: Vec::new(),
        }
    }

    #[test]
    fn failed_mappings_make_a_partly_bridged_game_and_an_end_says_nothing() {
        let status = SessionStatus::with_events(
            &record(),
            vec![
                Event::Ready {
                    name: "part_a".into(),
                    file: "/dev/shm/part_a".into(),
                    size: 4096,
                    mode: MappingMode::Shared,
                    note: None,
                },
                Event::Failed {
                    name: "part_b".into(),
                    error: 5,
                    message: "access denied".into(),
                },
                Event::SetupIncomplete {
                    shared: 1,
                    copy: 0,
                    failed: 1,
                },
            ],
        );
        let started = SessionEvent::Started(Box::new(status.clone()));
        assert_eq!(
            of(&started),
            Some(Notification {
                summary: "Part Sim is partly bridged".into(),
                body: "Not bridged: part_b: access denied.".into(),
                urgency: Urgency::Critical,
            })
        );
        assert_eq!(of(&SessionEvent::Ended(Box::new(status))), None);
    }
}
