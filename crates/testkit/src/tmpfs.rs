//! A small tmpfs mounted for one test, to fill `/dev/shm`'s place (needs
//! root, which CI has); unmounted on drop.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A mounted tmpfs.
#[derive(Debug)]
pub struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`mount -o size=...`) on a new directory
    /// `dir`. `None` (test skipped) when mounting is not allowed and `CI` is
    /// not `true`; panics otherwise.
    pub fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).expect("creating the mount point");
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0755")])
            .arg("tmpfs")
            .arg(dir)
            .output()
            .expect("running mount");
        if !output.status.success() {
            let why = String::from_utf8_lossy(&output.stderr);
            crate::skip(&format!(
                "cannot mount a tmpfs on {} ({}); run as root, as CI does",
                dir.display(),
                why.trim()
            ));
            return None;
        }
        Some(Tmpfs {
            path: dir.to_path_buf(),
        })
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Names of the entries in it.
    pub fn entries(&self) -> Vec<String> {
        crate::entry_names(&self.path)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        let _ = std::fs::remove_dir(&self.path);
    }
}
