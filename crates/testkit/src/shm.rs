//! A private directory in `/dev/shm` for one test, removed when dropped.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// A directory under `/dev/shm` that holds one test's backing files.
#[derive(Debug)]
pub struct ShmDir {
    path: PathBuf,
}

impl ShmDir {
    /// Creates an empty directory named after `label`.
    pub fn new(label: &str) -> ShmDir {
        let path = PathBuf::from("/dev/shm").join(crate::unique_name(label));
        std::fs::create_dir_all(&path).expect("creating a directory in /dev/shm");
        ShmDir { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The backing file of a section's file name.
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// The file's bytes, or `None` if it does not exist.
    pub fn read(&self, name: &str) -> Option<Vec<u8>> {
        std::fs::read(self.file(name)).ok()
    }

    /// A little-endian u32 at `offset`, or `None` if the file is missing or
    /// too short.
    pub fn u32_at(&self, name: &str, offset: u64) -> Option<u32> {
        let file = File::open(self.file(name)).ok()?;
        let mut bytes = [0u8; 4];
        file.read_exact_at(&mut bytes, offset).ok()?;
        Some(u32::from_le_bytes(bytes))
    }

    /// Writes a little-endian u32 at `offset` of an existing file.
    pub fn write_u32(&self, name: &str, offset: u64, value: u32) {
        let file = OpenOptions::new()
            .write(true)
            .open(self.file(name))
            .expect("opening the file");
        file.write_all_at(&value.to_le_bytes(), offset)
            .expect("writing the file");
    }

    /// Names of the entries in the directory.
    pub fn entries(&self) -> Vec<String> {
        crate::entry_names(&self.path)
    }
}

impl Drop for ShmDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
