//! Detecting the Flatpak sandbox from its `/.flatpak-info` file.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where Flatpak describes the sandbox to the programs inside it.
pub const INFO_FILE: &str = "/.flatpak-info";

/// Variable naming another info file; the end-to-end tests use it to run the
/// app as if it were sandboxed.
pub const INFO_FILE_VAR: &str = "BRIDGEKEEPER_FLATPAK_INFO";

/// The sandbox Bridgekeeper runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sandbox {
    /// The app ID (`[Application] name`).
    pub app_id: String,
    /// Host path of the app's `/app` (`[Instance] app-path`), when given.
    pub app_path: Option<PathBuf>,
    /// The instance ID (`[Instance] instance-id`), when given.
    pub instance_id: Option<String>,
}

/// Why an info file was not understood.
#[derive(Debug, thiserror::Error)]
pub enum InfoError {
    #[error("cannot read {file}: {source}")]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file} has no `name=` in its [Application] group, so the app ID is unknown")]
    NoAppId { file: PathBuf },
}

/// The sandbox this process runs in, read once; `None` outside a sandbox.
/// An info file that exists but cannot be understood is logged and treated
/// as no sandbox.
pub fn sandbox() -> Option<&'static Sandbox> {
    static SANDBOX: OnceLock<Option<Sandbox>> = OnceLock::new();
    SANDBOX
        .get_or_init(|| {
            let file = std::env::var_os(INFO_FILE_VAR)
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(INFO_FILE));
            if !file.exists() {
                return None;
            }
            Sandbox::read(&file)
                .inspect_err(|err| tracing::warn!("{err}; assuming no sandbox"))
                .ok()
        })
        .as_ref()
}

impl Sandbox {
    /// Reads a `/.flatpak-info` file.
    pub fn read(file: &Path) -> Result<Sandbox, InfoError> {
        let text = std::fs::read_to_string(file).map_err(|source| InfoError::Read {
            file: file.to_path_buf(),
            source,
        })?;
        Sandbox::parse(&text).ok_or_else(|| InfoError::NoAppId {
            file: file.to_path_buf(),
        })
    }

    /// Parses the key file format of `/.flatpak-info`; `None` without an
    /// app ID.
    pub fn parse(text: &str) -> Option<Sandbox> {
        let mut group = "";
        let mut app_id = None;
        let mut app_path = None;
        let mut instance_id = None;
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                group = name;
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim().to_string();
            match (group, key.trim()) {
                ("Application", "name") => app_id = Some(value),
                ("Instance", "app-path") => app_path = Some(PathBuf::from(value)),
                ("Instance", "instance-id") => instance_id = Some(value),
                _ => {}
            }
        }
        Some(Sandbox {
            app_id: app_id.filter(|id| !id.is_empty())?,
            app_path,
            instance_id,
        })
    }

    /// The app's data folder, which Flatpak shares with the host at the
    /// same absolute path: `~/.var/app/<app-id>/data`.
    pub fn shared_data_dir(&self, home: &Path) -> PathBuf {
        home.join(".var/app").join(&self.app_id).join("data")
    }

    /// The app's runtime folder, shared with the host at the same path:
    /// `$XDG_RUNTIME_DIR/app/<app-id>`.
    pub fn shared_runtime_dir(&self, runtime_dir: &Path) -> PathBuf {
        runtime_dir.join("app").join(&self.app_id)
    }
}

/// The runtime folder for files both Bridgekeeper and host processes use
/// (the session registry, stop files, bridge logs): `$XDG_RUNTIME_DIR`, or
/// its app subfolder inside a sandbox, whose own `$XDG_RUNTIME_DIR` the host
/// does not see. `None` when `$XDG_RUNTIME_DIR` is unset or relative.
pub fn shared_runtime_dir() -> Option<PathBuf> {
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())?;
    Some(match sandbox() {
        Some(sandbox) => sandbox.shared_runtime_dir(&runtime),
        None => runtime,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = "[Application]\n\
        name=io.github.bridgekeeper.Bridgekeeper\n\
        runtime=runtime/org.freedesktop.Platform/x86_64/24.08\n\
        \n\
        [Instance]\n\
        instance-id=1234567890\n\
        app-path=/var/lib/flatpak/app/io.github.bridgekeeper.Bridgekeeper/x86_64/master/abc/files\n\
        branch=master\n\
        flatpak-version=1.14.10\n\
        \n\
        [Context]\n\
        shared=ipc;\n\
        devices=dri;shm;\n";

    #[test]
    fn parses_the_info_file() {
        let sandbox = Sandbox::parse(INFO).unwrap();
        assert_eq!(sandbox.app_id, "io.github.bridgekeeper.Bridgekeeper");
        assert_eq!(sandbox.instance_id.as_deref(), Some("1234567890"));
        assert_eq!(
            sandbox.app_path.unwrap(),
            Path::new(
                "/var/lib/flatpak/app/io.github.bridgekeeper.Bridgekeeper/x86_64/master/abc/files"
            )
        );
    }

    #[test]
    fn an_info_file_without_app_id_is_refused_by_name() {
        assert!(Sandbox::parse("[Instance]\ninstance-id=1\n").is_none());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".flatpak-info");
        std::fs::write(&file, "[Application]\nname=\n").unwrap();
        let err = Sandbox::read(&file).unwrap_err().to_string();
        assert!(err.contains(&file.display().to_string()), "{err}");
        assert!(err.contains("name="), "{err}");
        assert!(
            Sandbox::read(&dir.path().join("missing"))
                .unwrap_err()
                .to_string()
                .starts_with("cannot read")
        );
    }

    #[test]
    fn shared_folders() {
        let sandbox = Sandbox::parse(INFO).unwrap();
        assert_eq!(
            sandbox.shared_data_dir(Path::new("/home/u")),
            Path::new("/home/u/.var/app/io.github.bridgekeeper.Bridgekeeper/data")
        );
        assert_eq!(
            sandbox.shared_runtime_dir(Path::new("/run/user/1000")),
            Path::new("/run/user/1000/app/io.github.bridgekeeper.Bridgekeeper")
        );
    }
}
