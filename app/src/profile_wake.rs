//! Wakes the window and the tray after the profile catalog reloads.
//!
//! `profiles::CatalogReloader` replaces the catalog on its own thread when a
//! profile file changes, and tells no one; the window, which draws only when
//! told, would show the old profiles until the next click. This watches the
//! same folders: after a change it waits (off the window's thread) until the
//! reloader's count of reloads moves, or a few seconds pass, then wakes
//! the window and the tray. It knows the app's state only through the two
//! functions it is given, so it depends on nothing above it.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

/// Longest wait for the reloader after a change (its debounce is shorter).
const PATIENCE: Duration = Duration::from_secs(3);

/// Watches the profile folders for as long as it lives.
pub struct ProfileWake {
    _watcher: RecommendedWatcher,
}

impl std::fmt::Debug for ProfileWake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProfileWake")
    }
}

impl ProfileWake {
    /// Starts watching `dirs`. After a change it polls `reloads` (the
    /// reloader's count, `None` once the app's state is gone) until it
    /// moves, then calls `wake` (false once the state is gone). The thread
    /// ends with the state or with this value.
    pub fn start(
        dirs: &[PathBuf],
        reloads: impl Fn() -> Option<u64> + Send + 'static,
        wake: impl Fn() -> bool + Send + 'static,
    ) -> notify::Result<Self> {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut watcher = notify::recommended_watcher(tx)?;
        for dir in dirs.iter().filter(|d| d.is_dir()) {
            watcher.watch(dir, RecursiveMode::NonRecursive)?;
        }
        std::thread::Builder::new()
            .name("profile-wake".into())
            .spawn(move || {
                while let Ok(event) = rx.recv() {
                    if matches!(event, Ok(ref e) if matches!(e.kind, EventKind::Access(_))) {
                        continue;
                    }
                    if !wait_for_reload(&reloads, &wake) {
                        return;
                    }
                    // The reload that just happened covers what came meanwhile.
                    while rx.try_recv().is_ok() {}
                }
            })
            .map_err(|e| notify::Error::generic(&e.to_string()))?;
        Ok(ProfileWake { _watcher: watcher })
    }
}

/// Waits until the reloader has reloaded (or [`PATIENCE`] passed), then
/// wakes the listeners. False when the state is gone.
fn wait_for_reload(reloads: &impl Fn() -> Option<u64>, wake: &impl Fn() -> bool) -> bool {
    let Some(before) = reloads() else {
        return false;
    };
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        match reloads() {
            None => return false,
            Some(now) if now != before => break,
            Some(_) => {}
        }
    }
    wake()
}
