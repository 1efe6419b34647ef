//! Reloads the catalog when files in the user profile directory change.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use super::catalog::{Catalog, SharedCatalog, is_profile_file};

/// Quiet time after the last change before reloading, so that an editor's
/// write-rename-chmod sequence causes one reload.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// Longest a stream of changes can delay a reload.
const MAX_DELAY: Duration = Duration::from_secs(2);

/// Why watching could not start.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The directory could not be created.
    #[error("cannot create the profile directory {dir}: {source}")]
    CreateDir {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file watcher could not be set up.
    #[error("cannot watch the profile directory {dir}: {source}")]
    Notify {
        /// The directory.
        dir: PathBuf,
        /// The watcher's error.
        source: notify::Error,
    },
}

/// Keeps a [`SharedCatalog`] in step with a user profile directory.
/// Watching stops when it is dropped.
#[derive(Debug)]
pub struct CatalogReloader {
    watcher: Option<RecommendedWatcher>,
    thread: Option<JoinHandle<()>>,
    reloads: Arc<AtomicU64>,
}

impl CatalogReloader {
    /// Creates `dir` if needed, loads the catalog from it into `catalog`,
    /// then reloads it there whenever a `*.toml` file in `dir` changes.
    pub fn start(dir: &Path, catalog: SharedCatalog) -> Result<Self, ReloadError> {
        Self::start_dirs(&[dir.to_path_buf()], catalog)
    }

    /// Like [`CatalogReloader::start`] for several directories, loaded with
    /// [`Catalog::load_dirs`] in order; a change in any reloads them all.
    pub fn start_dirs(dirs: &[PathBuf], catalog: SharedCatalog) -> Result<Self, ReloadError> {
        let dirs = dirs.to_vec();
        let (tx, rx) = mpsc::channel();
        let mut watcher = None;
        for dir in &dirs {
            std::fs::create_dir_all(dir).map_err(|source| ReloadError::CreateDir {
                dir: dir.clone(),
                source,
            })?;
            let notify_err = |source| ReloadError::Notify {
                dir: dir.clone(),
                source,
            };
            let w = match &mut watcher {
                Some(w) => w,
                None => {
                    watcher.insert(notify::recommended_watcher(tx.clone()).map_err(notify_err)?)
                }
            };
            w.watch(dir, RecursiveMode::NonRecursive)
                .map_err(notify_err)?;
        }
        drop(tx);
        store(
            &catalog,
            Catalog::load_dirs(dirs.iter().map(PathBuf::as_path)),
        );
        let reloads = Arc::new(AtomicU64::new(0));
        let thread = {
            let reloads = Arc::clone(&reloads);
            std::thread::Builder::new()
                .name("profile-watch".into())
                .spawn(move || run(&dirs, &rx, &catalog, &reloads))
                .ok()
        };
        Ok(CatalogReloader {
            watcher,
            thread,
            reloads,
        })
    }

    /// How many times the catalog was reloaded after a change.
    pub fn reloads(&self) -> u64 {
        self.reloads.load(Ordering::Acquire)
    }
}

impl Drop for CatalogReloader {
    fn drop(&mut self) {
        // Dropping the watcher drops the channel's sender, which ends the thread.
        self.watcher = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn store(catalog: &SharedCatalog, fresh: Catalog) {
    *catalog.write() = fresh;
}

fn run(
    dirs: &[PathBuf],
    rx: &Receiver<notify::Result<Event>>,
    catalog: &SharedCatalog,
    reloads: &AtomicU64,
) {
    while let Ok(first) = rx.recv() {
        if !relevant(&first) {
            continue;
        }
        let started = Instant::now();
        loop {
            match rx.recv_timeout(DEBOUNCE) {
                Ok(_) if started.elapsed() < MAX_DELAY => {}
                Ok(_) | Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        store(
            catalog,
            Catalog::load_dirs(dirs.iter().map(PathBuf::as_path)),
        );
        reloads.fetch_add(1, Ordering::AcqRel);
        tracing::debug!(dirs = ?dirs, "profiles reloaded");
    }
}

/// Whether an event may have changed a profile: not a mere read, and about
/// a `*.toml` file (or about nothing in particular, as after an overflow).
fn relevant(event: &notify::Result<Event>) -> bool {
    let Ok(event) = event else {
        return true;
    };
    let read_only = matches!(event.kind, EventKind::Access(kind) if kind != AccessKind::Close(AccessMode::Write));
    !read_only && (event.paths.is_empty() || event.paths.iter().any(|p| is_profile_file(p)))
}
