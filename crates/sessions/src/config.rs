//! Settings every session shares.

use std::path::{Path, PathBuf};

use super::Registry;
use bridgekeeper_bridge_client::placement;
use bridgekeeper_bridge_client::{BridgeFiles, FilesError};

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
    /// `BRIDGEKEEPER_SHM_DIR` is a path the bridge cannot take.
    #[error(
        "BRIDGEKEEPER_SHM_DIR {0}; set it to an absolute directory such as /dev/shm, or unset it"
    )]
    ShmDir(bridgekeeper_protocol::BridgePathError),
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
    /// files (see [`BridgeFiles::locate`]): copied where the host sees them
    /// when sandboxed, and out of an AppImage's folder.
    pub fn from_env() -> Result<SessionConfig, ConfigError> {
        Ok(SessionConfig {
            registry: Registry::for_user(),
            shm_dir: shm_dir(std::env::var_os("BRIDGEKEEPER_SHM_DIR"))?,
            keep_files: std::env::var("BRIDGEKEEPER_KEEP_FILES").is_ok_and(|v| v == "1"),
            bridge: kept_outside_appimage(bridgekeeper_bridge_client::host_copy::host_visible(
                BridgeFiles::locate()?,
            )?),
        })
    }
}

/// The backing-file directory: `/dev/shm` unless `value` names another,
/// which must be a path the bridge can take (checked before any session
/// starts, so a bad value is one clear error instead of a failing bridge).
fn shm_dir(value: Option<std::ffi::OsString>) -> Result<PathBuf, ConfigError> {
    let Some(value) = value else {
        return Ok(PathBuf::from("/dev/shm"));
    };
    let dir = PathBuf::from(value);
    bridgekeeper_protocol::check_bridge_os_path(&dir).map_err(ConfigError::ShmDir)?;
    Ok(dir)
}

/// Inside an AppImage the bundled bridge lives in the AppImage's mount or
/// extraction folder, which goes away when that AppImage process ends; an
/// extracted one is even shared and removed by whichever instance ends
/// first. Such files are copied once to
/// `$XDG_CACHE_HOME/bridgekeeper/bridge-<version>/` and used from there.
fn kept_outside_appimage(bridge: BridgeFiles) -> BridgeFiles {
    let appdir = std::env::var_os("APPDIR").map(PathBuf::from);
    let cache = directories::BaseDirs::new().map(|d| d.cache_dir().join("bridgekeeper"));
    match keep_dir(&bridge, appdir.as_deref(), cache.as_deref()) {
        Some(dir) => placement::place(&bridge, &dir).unwrap_or_else(|err| {
            tracing::warn!("cannot copy the bridge to {}: {err}", dir.display());
            bridge
        }),
        None => bridge,
    }
}

/// Where to keep `bridge` when it lies inside `appdir`.
fn keep_dir(bridge: &BridgeFiles, appdir: Option<&Path>, cache: Option<&Path>) -> Option<PathBuf> {
    let appdir = appdir.filter(|d| !d.as_os_str().is_empty())?;
    bridge
        .exe
        .starts_with(appdir)
        .then(|| cache.map(|c| c.join(format!("bridge-{}", env!("CARGO_PKG_VERSION")))))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files_in(dir: &Path) -> BridgeFiles {
        BridgeFiles {
            exe: dir.join("bridgekeeper-bridge.exe"),
            dll: dir.join("bcryptprimitives.dll"),
        }
    }

    #[test]
    fn the_shm_dir_must_be_a_path_the_bridge_takes() {
        assert_eq!(shm_dir(None).unwrap(), Path::new("/dev/shm"));
        assert_eq!(
            shm_dir(Some("/run/user/1000/tele".into())).unwrap(),
            Path::new("/run/user/1000/tele")
        );
        for bad in ["tele", "/dev/shm/../tmp", "/dev/shm\\x"] {
            let err = shm_dir(Some(bad.into())).unwrap_err().to_string();
            assert!(err.starts_with("BRIDGEKEEPER_SHM_DIR "), "{err}");
            assert!(err.contains("set it to an absolute directory"), "{err}");
        }
    }

    #[test]
    fn a_bridge_inside_the_appimage_is_kept_in_the_cache() {
        let inside = files_in(Path::new("/tmp/.mount_Bridge1/usr/lib/bridgekeeper"));
        let kept = keep_dir(
            &inside,
            Some(Path::new("/tmp/.mount_Bridge1")),
            Some(Path::new("/home/me/.cache/bridgekeeper")),
        );
        assert_eq!(
            kept,
            Some(PathBuf::from(format!(
                "/home/me/.cache/bridgekeeper/bridge-{}",
                env!("CARGO_PKG_VERSION")
            )))
        );
    }

    #[test]
    fn an_installed_bridge_stays_where_it_is() {
        let installed = files_in(Path::new("/usr/lib/bridgekeeper"));
        let cache = Some(Path::new("/home/me/.cache/bridgekeeper"));
        assert_eq!(keep_dir(&installed, None, cache), None);
        assert_eq!(
            keep_dir(&installed, Some(Path::new("/tmp/.mount_X")), cache),
            None
        );
        assert_eq!(keep_dir(&installed, Some(Path::new("")), cache), None);
    }

    #[test]
    fn the_kept_copy_outlives_the_appimage_folder() {
        let appdir = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let lib = appdir.path().join("usr/lib/bridgekeeper");
        std::fs::create_dir_all(&lib).unwrap();
        let bundled = files_in(&lib);
        std::fs::write(&bundled.exe, b"MZ bridge").unwrap();
        std::fs::write(&bundled.dll, b"MZ dll").unwrap();
        let dir = keep_dir(&bundled, Some(appdir.path()), Some(cache.path())).unwrap();
        let kept = placement::place(&bundled, &dir).unwrap();
        drop(appdir);
        assert_eq!(std::fs::read(&kept.exe).unwrap(), b"MZ bridge");
        assert_eq!(std::fs::read(&kept.dll).unwrap(), b"MZ dll");
    }
}
