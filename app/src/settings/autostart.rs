//! Start at login: an XDG autostart entry,
//! `$XDG_CONFIG_HOME/autostart/bridgekeeper.desktop`, that starts the app in
//! the tray.

use std::path::{Path, PathBuf};

/// The entry's file name.
pub const FILE_NAME: &str = "bridgekeeper.desktop";

/// The autostart directory: `$XDG_CONFIG_HOME/autostart`.
pub fn default_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.config_dir().join("autostart"))
}

/// The entry's text for the executable `exe`.
pub fn entry_text(exe: &Path) -> String {
    format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Name=Bridgekeeper\n\
         Comment=Bridges Windows games' shared memory to Linux telemetry tools\n\
         Exec=env BRIDGEKEEPER_HIDDEN=1 \"{}\"\n\
         Icon=bridgekeeper\n\
         Terminal=false\n\
         Categories=Game;Utility;\n\
         X-GNOME-Autostart-enabled=true\n",
        exe.display()
    )
}

/// Whether `dir` holds the entry.
pub fn is_enabled(dir: &Path) -> bool {
    dir.join(FILE_NAME).is_file()
}

/// Writes or removes the entry in `dir`.
pub fn set_enabled(dir: &Path, enabled: bool, exe: &Path) -> std::io::Result<()> {
    let file = dir.join(FILE_NAME);
    if enabled {
        std::fs::create_dir_all(dir)?;
        std::fs::write(file, entry_text(exe))
    } else {
        match std::fs::remove_file(file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_removes_the_entry() {
        let dir = tempfile::tempdir().unwrap();
        let auto = dir.path().join("autostart");
        assert!(!is_enabled(&auto));
        set_enabled(&auto, true, Path::new("/usr/bin/bridgekeeper")).unwrap();
        assert!(is_enabled(&auto));
        let text = std::fs::read_to_string(auto.join(FILE_NAME)).unwrap();
        assert!(text.contains("Exec=env BRIDGEKEEPER_HIDDEN=1 \"/usr/bin/bridgekeeper\""));
        set_enabled(&auto, false, Path::new("x")).unwrap();
        assert!(!is_enabled(&auto));
        set_enabled(&auto, false, Path::new("x")).unwrap();
    }
}
