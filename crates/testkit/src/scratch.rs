//! A test's scratch directory under the system's temporary directory.
//!
//! Failure mode: a directory named only by a counter tells nobody which
//! test left it, and one removed on failure takes the evidence with it
//! (the run logs, the Steam tree, the status files). So the directory's
//! name starts with `bke2e_<label>_` (tempfile adds a random tail, so
//! parallel tests and earlier runs never collide), it is removed when the
//! test passes, and kept, with its path printed, when the test panics.

use std::path::{Path, PathBuf};

/// A temporary directory removed on drop, unless the thread is panicking.
#[derive(Debug)]
pub struct ScratchDir {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl ScratchDir {
    /// Creates `<tmp>/bke2e_<label>_XXXXXX`. Panics when it cannot (a test
    /// cannot go on without it).
    pub fn new(label: &str) -> ScratchDir {
        let dir = tempfile::Builder::new()
            .prefix(&format!("bke2e_{label}_"))
            .tempdir()
            .unwrap_or_else(|err| panic!("creating a scratch directory for {label}: {err}"));
        ScratchDir {
            path: dir.path().to_path_buf(),
            dir: Some(dir),
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let Some(dir) = self.dir.take() else { return };
        if std::thread::panicking() {
            let kept = dir.keep();
            eprintln!("kept {} for diagnosis", kept.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ScratchDir;

    #[test]
    fn is_named_after_its_label_and_removed_after_a_pass() {
        let scratch = ScratchDir::new("label with spaces");
        let path = scratch.path().to_path_buf();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("bke2e_label with spaces_"), "{name}");
        std::fs::write(path.join("log"), b"x").unwrap();
        drop(scratch);
        assert!(!path.exists());
    }

    #[test]
    fn is_kept_when_the_test_panics() {
        let path = std::thread::spawn(|| {
            let scratch = ScratchDir::new("kept");
            let path = scratch.path().to_path_buf();
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
                let _scratch = scratch;
                panic!("a failing test");
            }));
            assert!(result.is_err());
            path
        })
        .join()
        .unwrap();
        assert!(path.is_dir(), "{} was removed", path.display());
        std::fs::remove_dir_all(&path).unwrap();
    }
}
