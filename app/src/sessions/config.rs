//! Settings every session shares.

use std::path::PathBuf;

use super::Registry;
use crate::bridge::{BridgeFiles, FilesError};

/// Why sessions cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The bridge files are missing.
    #[error(transparent)]
    Files(#[from] FilesError),
    /// Inside a sandbox, the bridge could not be copied where the host sees
    /// it.
    #[error(transparent)]
    HostCopy(#[from] std::io::Error),
}

/// Where sessions keep their files, and how.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The session registry.
    pub registry: Registry,
    /// Directory of the backing files: `/dev/shm`, or
    /// `$BRIDGEKEEPER_SHM_DIR`.
    pub shm_dir: PathBuf,
    /// Keep the backing files when a session ends.
    pub keep_files: bool,
    /// The bridge to start.
    pub bridge: BridgeFiles,
}

impl SessionConfig {
    /// The configuration from the environment: `XDG_RUNTIME_DIR`,
    /// `BRIDGEKEEPER_SHM_DIR`, `BRIDGEKEEPER_KEEP_FILES=1` and the bridge
    /// files (see [`BridgeFiles::locate`]), copied where the host sees them
    /// when sandboxed.
    pub fn from_env() -> Result<SessionConfig, ConfigError> {
        Ok(SessionConfig {
            registry: Registry::for_user(),
            shm_dir: std::env::var_os("BRIDGEKEEPER_SHM_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/dev/shm")),
            keep_files: std::env::var("BRIDGEKEEPER_KEEP_FILES").is_ok_and(|v| v == "1"),
            bridge: crate::host::files::host_visible(BridgeFiles::locate()?)?,
        })
    }
}
