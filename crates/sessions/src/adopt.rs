//! Following a session that another process started: an earlier watcher or
//! desktop app that was closed or killed, `bridgekeeper attach`, or
//! `bridgekeeper run`. Its bridge runs on its own and ends with its game;
//! the follower only watches the registry record's owner and reports the
//! end, so a restarted watcher shows running sessions without starting a
//! second bridge.

use std::fs::File;
use std::io::{Read, Seek};
use std::time::Duration;

use super::clash::is_live;
use super::status::{SessionState, SessionStatus, parse_events};
use super::{Registry, SessionRecord};

/// How often a followed session's owner is checked.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How often it is checked from a sandbox, where each check is a host call
/// (`flatpak-spawn --host find …`).
pub const HOST_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// A session started elsewhere, watched until it ends.
#[derive(Debug)]
pub struct FollowedSession {
    /// Its registry record.
    pub record: SessionRecord,
    registry: Registry,
    /// The events file, opened now so that its lines can still be read
    /// after `bridgekeeper stop` removes it.
    events: Option<File>,
}

impl FollowedSession {
    /// Starts following `record`.
    pub fn new(record: SessionRecord, registry: &Registry) -> FollowedSession {
        let events = bridgekeeper_host::owned_files::open_regular(&record.events_file).ok();
        FollowedSession {
            record,
            registry: registry.clone(),
            events,
        }
    }

    /// The session's status now.
    pub fn status(&mut self) -> SessionStatus {
        let Some(file) = &mut self.events else {
            self.events =
                bridgekeeper_host::owned_files::open_regular(&self.record.events_file).ok();
            return SessionStatus::of(&self.record);
        };
        let mut bytes = Vec::new();
        if file.rewind().is_err()
            || (&mut *file)
                .take(super::status::MAX_EVENTS_BYTES)
                .read_to_end(&mut bytes)
                .is_err()
        {
            return SessionStatus::of(&self.record);
        }
        let text = String::from_utf8_lossy(&bytes);
        SessionStatus::with_events(&self.record, parse_events(&text, &self.record.nonce))
    }

    /// Waits for the session's owner to end, then cleans up like the
    /// session's own starter would: an ended session leaves the registry, a
    /// crashed one stays for `status` to show until the next sweep.
    pub fn wait(mut self) -> SessionStatus {
        let interval = if bridgekeeper_host::processes::through_host() {
            HOST_POLL_INTERVAL
        } else {
            POLL_INTERVAL
        };
        // Guarded here unless its starter (or another follower) does it.
        let guard = super::guard::Guard::start(&self.registry, &self.record);
        while is_live(&self.record) {
            std::thread::sleep(interval);
        }
        drop(guard);
        let status = self.status();
        if !matches!(status.state, SessionState::Crashed) {
            self.registry.remove_session(&self.record);
        }
        status
    }
}

/// The live sessions of `registry` that serve files, to follow.
pub fn running(registry: &Registry) -> Vec<SessionRecord> {
    super::clash::live_sessions(registry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SessionKind, SessionMapping};

    fn record(dir: &std::path::Path, owner: &std::process::Child) -> SessionRecord {
        let pid = owner.id();
        SessionRecord {
            id: "4321-n".into(),
            appid: 4321,
            game: "Followed Sim".into(),
            profile: "followed".into(),
            kind: SessionKind::Attach,
            prefix: dir.join("pfx"),
            proton: None,
            mappings: vec![SessionMapping {
                name: "page".into(),
                file: dir.join("page"),
                size: 4096,
                mode: None,
                error: None,
                dev: None,
                inode: None,
            }],
            bridge_pid: Some(pid),
            owner_pid: pid,
            owner_start_time: bridgekeeper_host::process_info::start_time(pid as i32).unwrap(),
            owner_pid_namespace: None,
            nonce: "n".into(),
            events_file: Registry::new(dir).events_file("4321-n"),
            started_at: 1,
            keep_files: false,
            backing_dir: None,
            failure: None,
            problems: Vec::new(),
        }
    }

    #[test]
    fn reports_the_end_even_when_stop_removed_the_events_file() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(dir.path());
        registry.ensure().unwrap();
        let mut owner = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let record = record(dir.path(), &owner);
        std::fs::write(
            &record.events_file,
            "{\"nonce\":\"n\",\"event\":\"all-ready\",\"shared\":1,\"copy\":0}\n",
        )
        .unwrap();
        registry.save(&record).unwrap();
        assert_eq!(running(&registry), vec![record.clone()]);

        let mut followed = FollowedSession::new(record.clone(), &registry);
        assert_eq!(followed.status().state, SessionState::Running);
        let waiter = std::thread::spawn(move || followed.wait());
        use std::io::Write;
        std::fs::OpenOptions::new()
            .append(true)
            .open(&record.events_file)
            .unwrap()
            .write_all(b"{\"nonce\":\"n\",\"event\":\"stopping\",\"reason\":\"stop-requested\",\"exit_code\":0}\n")
            .unwrap();
        std::fs::remove_file(&record.events_file).unwrap();
        owner.kill().unwrap();
        owner.wait().unwrap();
        let ended = waiter.join().unwrap();
        assert_eq!(
            ended.state,
            SessionState::Ended {
                reason: "stop-requested".into(),
                exit_code: 0
            }
        );
        assert!(registry.list().0.is_empty(), "the ended record is removed");
    }
}
