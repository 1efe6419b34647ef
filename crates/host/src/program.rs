//! How the desktop and Steam start this program again: the app ID that ties
//! the window to `assets/io.github.bridgekeeper.Bridgekeeper.desktop`, and
//! the program to name in an autostart entry or a Steam launch option (the
//! AppImage itself when running from one, not its temporary mount).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// The application ID, spelt once: every other name is built from it.
macro_rules! app_id {
    () => {
        "io.github.bridgekeeper.Bridgekeeper"
    };
}

/// The application ID: desktop file, icon, AppStream metainfo, Wayland
/// `app_id`, X11 `WM_CLASS` and the Flatpak.
pub const APP_ID: &str = app_id!();

/// The desktop file's name (`assets/` holds it), also the name of the
/// autostart entry.
pub const DESKTOP_FILE: &str = concat!(app_id!(), ".desktop");

/// The environment variable that makes an AppImage run without FUSE.
pub const EXTRACT_AND_RUN_ENV: &str = "APPIMAGE_EXTRACT_AND_RUN";

/// The program that starts Bridgekeeper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The executable, or the `.AppImage` file.
    pub path: PathBuf,
    /// It is an AppImage that could not be mounted here (no FUSE), so it
    /// must be started with `APPIMAGE_EXTRACT_AND_RUN=1`.
    pub extract_and_run: bool,
}

impl Program {
    /// A program installed at `path` (not an AppImage).
    pub fn installed(path: impl Into<PathBuf>) -> Program {
        Program {
            path: path.into(),
            extract_and_run: false,
        }
    }

    /// This process's program, from the environment.
    pub fn current() -> Program {
        let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("bridgekeeper"));
        let var = |name: &str| std::env::var_os(name);
        Program::from_parts(
            exe,
            var("APPIMAGE"),
            var("APPDIR"),
            var(EXTRACT_AND_RUN_ENV),
        )
    }

    /// The program for an executable `exe`, given the `APPIMAGE`, `APPDIR`
    /// and `APPIMAGE_EXTRACT_AND_RUN` variables the AppImage runtime sets:
    /// the AppImage when `exe` lies inside its `APPDIR`, else `exe`.
    pub fn from_parts(
        exe: PathBuf,
        appimage: Option<OsString>,
        appdir: Option<OsString>,
        extract_var: Option<OsString>,
    ) -> Program {
        let (Some(appimage), Some(appdir)) = (appimage, appdir) else {
            return Program::installed(exe);
        };
        if appimage.is_empty() || appdir.is_empty() || !exe.starts_with(&appdir) {
            return Program::installed(exe);
        }
        let extracted = Path::new(&appdir)
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("appimage_extracted_"));
        Program {
            path: PathBuf::from(appimage),
            extract_and_run: extracted || extract_var.is_some_and(|v| v == "1"),
        }
    }

    /// The `VAR=value ` words that must stand before the program.
    pub fn env_prefix(&self) -> &'static str {
        if self.extract_and_run {
            "APPIMAGE_EXTRACT_AND_RUN=1 "
        } else {
            ""
        }
    }

    /// The Steam launch option that runs a game through this program:
    /// `bridgekeeper run %command%` when the first `bridgekeeper` on
    /// `path_var` (the `PATH`) is this one, else the quoted full path.
    pub fn launch_option(&self, path_var: Option<&OsStr>) -> String {
        let name = if self.is_first_on_path(path_var) {
            "bridgekeeper".to_string()
        } else {
            quote(&self.path.to_string_lossy())
        };
        format!("{}{name} run %command%", self.env_prefix())
    }

    fn is_first_on_path(&self, path_var: Option<&OsStr>) -> bool {
        let (Some(dir), Some(name)) = (self.path.parent(), self.path.file_name()) else {
            return false;
        };
        if name != "bridgekeeper" || self.extract_and_run {
            return false;
        }
        let Some(path_var) = path_var else {
            return false;
        };
        std::env::split_paths(path_var)
            .find(|d| d == dir || d.join(name).is_file())
            .is_some_and(|d| d == dir)
    }
}

/// `text` as one word for Steam's launch options, in double quotes when it
/// holds anything but letters, digits and `/._+-`.
pub fn quote(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._+-".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        return text.to_string();
    }
    let mut out = String::from("\"");
    for c in text.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> Option<OsString> {
        Some(OsString::from(s))
    }

    #[test]
    fn an_installed_program_on_the_path_is_named_plainly() {
        let p = Program::installed("/usr/bin/bridgekeeper");
        assert_eq!(
            p.launch_option(Some(OsStr::new("/usr/local/bin:/usr/bin:/bin"))),
            "bridgekeeper run %command%"
        );
    }

    #[test]
    fn a_program_off_the_path_or_shadowed_is_named_by_its_full_path() {
        let p = Program::installed("/home/me/My Tools/bridgekeeper");
        assert_eq!(
            p.launch_option(Some(OsStr::new("/usr/bin"))),
            "\"/home/me/My Tools/bridgekeeper\" run %command%"
        );
        let shadow = tempfile::tempdir().unwrap();
        std::fs::write(shadow.path().join("bridgekeeper"), b"other").unwrap();
        let path = std::env::join_paths([shadow.path(), Path::new("/usr/bin")]).unwrap();
        let p = Program::installed("/usr/bin/bridgekeeper");
        assert_eq!(
            p.launch_option(Some(&path)),
            "/usr/bin/bridgekeeper run %command%"
        );
        assert_eq!(p.launch_option(None), "/usr/bin/bridgekeeper run %command%");
    }

    #[test]
    fn inside_a_mounted_appimage_the_appimage_is_the_program() {
        let p = Program::from_parts(
            "/tmp/.mount_BridgeAbc/usr/bin/bridgekeeper".into(),
            os("/home/me/Apps/Bridgekeeper-0.1.0-x86_64.AppImage"),
            os("/tmp/.mount_BridgeAbc"),
            None,
        );
        assert_eq!(
            p,
            Program {
                path: "/home/me/Apps/Bridgekeeper-0.1.0-x86_64.AppImage".into(),
                extract_and_run: false
            }
        );
        assert_eq!(
            p.launch_option(Some(OsStr::new("/usr/bin"))),
            "/home/me/Apps/Bridgekeeper-0.1.0-x86_64.AppImage run %command%"
        );
    }

    #[test]
    fn an_extracted_appimage_asks_for_extract_and_run() {
        let p = Program::from_parts(
            "/tmp/appimage_extracted_0123abcd/usr/bin/bridgekeeper".into(),
            os("/home/me/Apps/Bridge keeper.AppImage"),
            os("/tmp/appimage_extracted_0123abcd"),
            None,
        );
        assert!(p.extract_and_run);
        assert_eq!(
            p.launch_option(None),
            "APPIMAGE_EXTRACT_AND_RUN=1 \"/home/me/Apps/Bridge keeper.AppImage\" run %command%"
        );
        let by_var = Program::from_parts(
            "/somewhere/usr/bin/bridgekeeper".into(),
            os("/a/B.AppImage"),
            os("/somewhere"),
            os("1"),
        );
        assert!(by_var.extract_and_run);
    }

    #[test]
    fn stray_appimage_variables_are_ignored() {
        let p = Program::from_parts(
            "/usr/bin/bridgekeeper".into(),
            os("/a/B.AppImage"),
            os("/tmp/.mount_other"),
            None,
        );
        assert_eq!(p, Program::installed("/usr/bin/bridgekeeper"));
    }

    #[test]
    fn quoting_escapes_what_the_shell_would_expand() {
        assert_eq!(quote("/a/b-c_1.AppImage"), "/a/b-c_1.AppImage");
        assert_eq!(
            quote("/a/$HOME \"x\"`y`\\"),
            "\"/a/\\$HOME \\\"x\\\"\\`y\\`\\\\\""
        );
        assert_eq!(quote(""), "\"\"");
    }
}
