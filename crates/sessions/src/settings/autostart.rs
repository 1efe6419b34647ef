//! Start at login: an XDG autostart entry,
//! `$XDG_CONFIG_HOME/autostart/io.github.bridgekeeper.Bridgekeeper.desktop`,
//! that starts the app in the tray. It matches the installed desktop file
//! (`assets/io.github.bridgekeeper.Bridgekeeper.desktop`) but names this
//! program by its full path, so it works for any install.

use std::path::{Path, PathBuf};

use bridgekeeper_host::program::{APP_ID, DESKTOP_FILE, Program};

/// The entry in the autostart folder `dir`: named like the desktop file.
pub fn entry_file(dir: &Path) -> PathBuf {
    dir.join(DESKTOP_FILE)
}

/// The autostart directory: `$XDG_CONFIG_HOME/autostart`.
pub fn default_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.config_dir().join("autostart"))
}

/// The entry's text for `program`.
pub fn entry_text(program: &Program) -> String {
    format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Name=Bridgekeeper\n\
         Comment=Let Linux telemetry tools read Windows games' shared memory under Proton\n\
         Exec=env BRIDGEKEEPER_HIDDEN=1 {}{}\n\
         Icon={APP_ID}\n\
         Terminal=false\n\
         Categories=Game;Utility;\n\
         StartupWMClass={APP_ID}\n\
         X-GNOME-Autostart-enabled=true\n",
        program.env_prefix(),
        exec_quote(&program.path),
    )
}

/// A path as one argument of a desktop entry's `Exec=` key: in double
/// quotes, with `"`, `` ` ``, `$` and `\` escaped, and `%` doubled
/// (Desktop Entry Specification, "The Exec key").
fn exec_quote(path: &Path) -> String {
    let mut out = String::from("\"");
    for c in path.to_string_lossy().chars() {
        match c {
            '"' | '`' | '$' | '\\' => {
                // Escaped once for the quoting rule and once more because
                // the key's value is itself a string with escapes.
                out.push_str("\\\\");
                out.push(c);
            }
            '%' => out.push_str("%%"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `dir` holds the entry.
pub fn is_enabled(dir: &Path) -> bool {
    entry_file(dir).is_file()
}

/// Writes or removes the entry in `dir`.
pub fn set_enabled(dir: &Path, enabled: bool, program: &Program) -> std::io::Result<()> {
    let file = entry_file(dir);
    if enabled {
        // A desktop entry is UTF-8 lines: a path that is not, or that holds
        // a line break, would write a broken or a different entry.
        let shown = program.path.to_string_lossy();
        if program.path.to_str().is_none() || shown.chars().any(char::is_control) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "cannot start {shown:?} at login: its path is not UTF-8 or holds a control \
                     character, which a desktop entry cannot hold; move the program to a plain \
                     path"
                ),
            ));
        }
        std::fs::create_dir_all(dir)?;
        bridgekeeper_host::files::write_atomic(&file, entry_text(program).as_bytes())
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
        let program = Program::installed("/usr/bin/bridgekeeper");
        set_enabled(&auto, true, &program).unwrap();
        assert!(is_enabled(&auto));
        let text = std::fs::read_to_string(entry_file(&auto)).unwrap();
        assert!(text.contains("Exec=env BRIDGEKEEPER_HIDDEN=1 \"/usr/bin/bridgekeeper\"\n"));
        assert!(text.contains("Icon=io.github.bridgekeeper.Bridgekeeper\n"));
        set_enabled(&auto, false, &program).unwrap();
        assert!(!is_enabled(&auto));
        set_enabled(&auto, false, &program).unwrap();
    }

    #[test]
    fn a_path_with_a_line_break_is_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let program = Program::installed("/tmp/x\nExec=evil");
        let err = set_enabled(dir.path(), true, &program).unwrap_err();
        assert!(err.to_string().contains("control character"), "{err}");
        assert!(!is_enabled(dir.path()));
    }

    #[test]
    fn an_appimage_without_fuse_starts_with_extract_and_run() {
        let program = Program {
            path: "/home/me/100% $real/B.AppImage".into(),
            extract_and_run: true,
        };
        let text = entry_text(&program);
        assert!(
            text.contains(
                "Exec=env BRIDGEKEEPER_HIDDEN=1 APPIMAGE_EXTRACT_AND_RUN=1 \
                 \"/home/me/100%% \\\\$real/B.AppImage\"\n"
            ),
            "{text}"
        );
    }

    /// The installed desktop file and the autostart entry say the same about
    /// the app.
    #[test]
    fn agrees_with_the_desktop_file() {
        let desktop =
            include_str!("../../../../assets/io.github.bridgekeeper.Bridgekeeper.desktop");
        let entry = entry_text(&Program::installed("/usr/bin/bridgekeeper"));
        for key in [
            "Name=",
            "Icon=",
            "Categories=",
            "StartupWMClass=",
            "Comment=",
        ] {
            let line = |text: &str| {
                text.lines()
                    .find(|l| l.starts_with(key))
                    .map(str::to_string)
            };
            assert_eq!(line(desktop), line(&entry), "{key}");
        }
    }

    /// `desktop-file-validate` accepts the entry when it is installed.
    #[test]
    fn the_entry_is_a_valid_desktop_file() {
        let dir = tempfile::tempdir().unwrap();
        let program = Program {
            path: "/opt/My Apps/Bridgekeeper.AppImage".into(),
            extract_and_run: true,
        };
        set_enabled(dir.path(), true, &program).unwrap();
        let out = match std::process::Command::new("desktop-file-validate")
            .arg(entry_file(dir.path()))
            .output()
        {
            Ok(out) => out,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "desktop-file-validate is missing (apt-get install desktop-file-utils)"
                );
                return;
            }
            Err(e) => panic!("cannot run desktop-file-validate: {e}"),
        };
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && !text.contains("error"), "{text}");
    }
}
