//! What goes over the bus: sessions and mappings as D-Bus structs, built
//! from the library's [`SessionStatus`] so every view says the same.

use bridgekeeper_sessions::status::MappingStatus;
use bridgekeeper_sessions::{SessionState, SessionStatus};
use serde::{Deserialize, Serialize};
use zbus::zvariant::Type;

/// One mapping: `(name s, file s, size t, mode s, error s)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct MappingInfo {
    /// Win32 name.
    pub name: String,
    /// Backing file.
    pub file: String,
    /// Size in bytes.
    pub size: u64,
    /// `shared` (zero copy), `copy`, `pending` or `failed`.
    pub mode: String,
    /// Why it failed; empty when it did not.
    pub error: String,
}

impl From<&MappingStatus> for MappingInfo {
    fn from(m: &MappingStatus) -> MappingInfo {
        MappingInfo {
            name: m.name.clone(),
            file: m.file.display().to_string(),
            size: m.size,
            mode: mode_word(m).to_string(),
            error: m.error.clone().unwrap_or_default(),
        }
    }
}

/// The mode of a mapping in one word.
pub fn mode_word(m: &MappingStatus) -> &'static str {
    match (m.mode, &m.error) {
        (_, Some(_)) => "failed",
        (Some(mode), None) => mode.as_str(),
        (None, None) => "pending",
    }
}

/// A session's state in one word, as `status --json` writes it:
/// `starting`, `running`, `ended`, `crashed` or `failed`.
pub fn state_word(state: &SessionState) -> &'static str {
    match state {
        SessionState::Starting => "starting",
        SessionState::Running => "running",
        SessionState::Ended { .. } => "ended",
        SessionState::Crashed => "crashed",
        SessionState::Failed { .. } => "failed",
    }
}

/// One session: `(appid u, game s, session s, profile s, kind s, state s,
/// bridge_pid u, mappings a(sstss))`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct SessionInfo {
    /// Steam appid.
    pub appid: u32,
    /// The game's name.
    pub game: String,
    /// The session's id.
    pub session: String,
    /// Profile id.
    pub profile: String,
    /// `launcher` or `attach`.
    pub kind: String,
    /// See [`state_word`].
    pub state: String,
    /// Linux pid of the bridge; 0 when unknown.
    pub bridge_pid: u32,
    /// The mappings.
    pub mappings: Vec<MappingInfo>,
}

impl From<&SessionStatus> for SessionInfo {
    fn from(s: &SessionStatus) -> SessionInfo {
        SessionInfo {
            appid: s.appid,
            game: s.game.clone(),
            session: s.id.clone(),
            profile: s.profile.clone(),
            kind: s.kind.to_string(),
            state: state_word(&s.state).to_string(),
            bridge_pid: s.bridge_pid.unwrap_or(0),
            mappings: mappings(s),
        }
    }
}

/// The mappings of a session.
pub fn mappings(s: &SessionStatus) -> Vec<MappingInfo> {
    s.mappings.iter().map(MappingInfo::from).collect()
}
