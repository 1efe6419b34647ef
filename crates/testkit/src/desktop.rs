//! Desktop services for tests: finding tools (a missing one skips the
//! test, except under `CI=true`), an Xvfb display, and processes killed
//! when the test ends. The private session bus is [`crate::dbus`].

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A program: `name` itself when it is a path, else the first `name` on
/// `PATH`.
pub fn tool(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return Some(PathBuf::from(name)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The tools, or `None` when one is missing and the test is skipped. With
/// `CI=true` a missing tool fails the test instead ([`crate::skip`]).
pub fn require(tools: &[&str], package: &str) -> Option<Vec<PathBuf>> {
    let found: Option<Vec<PathBuf>> = tools.iter().map(|t| tool(t)).collect();
    if found.is_none() {
        crate::skip(&format!(
            "{tools:?} missing; install the {package} package (scripts/test does)"
        ));
    }
    found
}

/// A child process killed and reaped on drop.
#[derive(Debug)]
pub struct Kill(pub Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running Xvfb with one 1280×900 screen, stopped on drop.
#[derive(Debug)]
pub struct Xvfb {
    _server: Kill,
    /// Its display number (`DISPLAY=:N`).
    pub display: u32,
}

impl Xvfb {
    /// Starts `program` (an Xvfb) on a free display and waits up to 10 s
    /// for its socket; panics when it does not come up.
    pub fn start(program: &Path) -> Xvfb {
        let display = free_display();
        let server = Kill(
            Command::new(program)
                .args([&format!(":{display}"), "-screen", "0", "1280x900x24"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|err| panic!("starting {}: {err}", program.display())),
        );
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{display}"));
        crate::wait_for(Duration::from_secs(10), || socket.exists().then_some(()))
            .unwrap_or_else(|| panic!("Xvfb did not open {}", socket.display()));
        Xvfb {
            _server: server,
            display,
        }
    }

    /// The `DISPLAY` value for it.
    pub fn display_var(&self) -> String {
        format!(":{}", self.display)
    }
}

/// An X display number with neither a socket nor a lock file.
fn free_display() -> u32 {
    (90..200)
        .find(|n| {
            !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })
        .expect("a free X display number")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_are_found_on_path_or_by_their_own_path() {
        assert_eq!(tool("sh").map(|p| p.is_file()), Some(true));
        assert_eq!(tool("/bin/sh"), Some(PathBuf::from("/bin/sh")));
        assert_eq!(tool("/nonexistent/tool"), None);
        assert_eq!(tool("no-such-tool-anywhere"), None);
    }
}
