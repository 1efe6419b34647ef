//! The `bridgekeeper` program under test, isolated from the machine: its own
//! runtime directory (session registry), profile directory and shm directory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::wine::{Wine, workspace};

/// Names a `bridgekeeper` binary to use as it is, instead of building one
/// (`scripts/bench` sets it to the binary its `cargo bench` built).
pub const BINARY_ENV: &str = "BRIDGEKEEPER_E2E_APP";

/// Builds `bridgekeeper` (a no-op when up to date) and returns its path, or
/// the binary that [`BINARY_ENV`] names.
pub fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(given) = std::env::var_os(BINARY_ENV) {
            let given = PathBuf::from(given);
            assert!(
                given.is_file(),
                "{BINARY_ENV} names {}, which is not a file",
                given.display()
            );
            return given;
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build.current_dir(workspace()).args([
            "build",
            "-q",
            "-p",
            "bridgekeeper",
            "--bin",
            "bridgekeeper",
        ]);
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        let status = build.status().expect("running cargo build");
        assert!(status.success(), "building bridgekeeper failed");
        let profile_dir = std::env::current_exe()
            .unwrap()
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .to_path_buf();
        profile_dir.join("bridgekeeper")
    })
}

/// An isolated environment for `bridgekeeper`.
#[derive(Debug)]
pub struct App {
    /// `XDG_RUNTIME_DIR` (holds the session registry).
    pub runtime: PathBuf,
    /// `BRIDGEKEEPER_PROFILES_DIR`.
    pub profiles: PathBuf,
    /// `BRIDGEKEEPER_SHM_DIR`.
    pub shm: PathBuf,
    bridge_dir: PathBuf,
}

impl App {
    /// Directories under `root` and the shm directory `shm`.
    pub fn new(root: &Path, shm: &Path, wine: &Wine) -> App {
        let app = App {
            runtime: root.join("runtime"),
            profiles: root.join("profiles"),
            shm: shm.to_path_buf(),
            bridge_dir: wine.bin.clone(),
        };
        std::fs::create_dir_all(&app.runtime).unwrap();
        std::fs::create_dir_all(&app.profiles).unwrap();
        app
    }

    /// Adds a user profile.
    pub fn profile(&self, file: &str, toml: &str) {
        std::fs::write(self.profiles.join(file), toml).unwrap();
    }

    /// `bridgekeeper ARGS` in this environment.
    pub fn command(&self) -> Command {
        let mut command = Command::new(binary());
        command
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .env("BRIDGEKEEPER_PROFILES_DIR", &self.profiles)
            .env("BRIDGEKEEPER_SHM_DIR", &self.shm)
            .env("BRIDGEKEEPER_BRIDGE_DIR", &self.bridge_dir)
            .env("WINEDEBUG", "-all")
            .env_remove("DISPLAY")
            // Off the user's session bus (no D-Bus name, no notifications
            // from tests); a test that wants a bus sets its own.
            .env_remove("DBUS_SESSION_BUS_ADDRESS");
        command
    }

    /// `bridgekeeper status --json`, parsed.
    pub fn status(&self) -> serde_json::Value {
        let output = self
            .command()
            .args(["status", "--json"])
            .output()
            .expect("running status");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("status --json prints JSON")
    }
}
