//! [`Sink`]: where the [`crate::Player`] puts frames, and [`FileSink`], a
//! simple one that writes each mapping into a file with `pwrite`.
//!
//! Recreating a game's pages for other programs safely (names, ownership,
//! a bridge that may be running) is the app's job; [`FileSink`] exists for
//! tests, benchmarks and tools. It still follows the project's rules: files
//! are created new (never through an existing file or link) with mode
//! 0600, names go through the protocol's [`MappingName`] rules first, and
//! a mapping that goes missing in the capture is removed, as a session
//! restart removes it, and created again when it comes back.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use bridgekeeper_protocol::MappingName;

use crate::format::MappingState;
use crate::header::CaptureHeader;

/// Receives a replay: bytes of mappings and their states.
pub trait Sink {
    /// Writes `bytes` at `offset` of mapping `mapping`.
    fn write(&mut self, mapping: usize, offset: usize, bytes: &[u8]) -> io::Result<()>;

    /// Mapping `mapping` is now in `state`. When it becomes present, the
    /// player then writes its whole contents.
    fn state(&mut self, mapping: usize, state: MappingState) -> io::Result<()>;
}

/// A [`Sink`] that keeps one file per mapping in a directory, named as the
/// bridge names backing files (`acpmf_physics`, `Global/name`).
#[derive(Debug)]
pub struct FileSink {
    files: Vec<(PathBuf, u64, Option<File>)>,
}

impl FileSink {
    /// A sink for `header`'s mappings in `dir`. No file is created until
    /// the player says a mapping is present; none may exist yet.
    pub fn new(dir: &Path, header: &CaptureHeader) -> io::Result<FileSink> {
        let mut files = Vec::new();
        for m in &header.mappings {
            let name = MappingName::parse(&m.name)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            files.push((dir.join(name.file_name()), m.size, None));
        }
        Ok(FileSink { files })
    }

    /// The file of mapping `mapping`.
    pub fn path(&self, mapping: usize) -> &Path {
        &self.files[mapping].0
    }

    fn open(&mut self, mapping: usize) -> io::Result<&File> {
        let (path, size, file) = &mut self.files[mapping];
        if file.is_none() {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let new = OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&*path)?;
            new.set_len(*size)?;
            *file = Some(new);
        }
        file.as_ref()
            .ok_or_else(|| io::Error::other("the file could not be opened"))
    }
}

impl Sink for FileSink {
    fn write(&mut self, mapping: usize, offset: usize, bytes: &[u8]) -> io::Result<()> {
        self.open(mapping)?.write_all_at(bytes, offset as u64)
    }

    fn state(&mut self, mapping: usize, state: MappingState) -> io::Result<()> {
        match state {
            MappingState::Missing => {
                let (path, _, file) = &mut self.files[mapping];
                if file.take().is_some() {
                    std::fs::remove_file(path)?;
                }
                Ok(())
            }
            MappingState::Live | MappingState::Short { .. } => self.open(mapping).map(|_| ()),
        }
    }
}

impl Drop for FileSink {
    fn drop(&mut self) {
        // The files this sink created go with it, as a bridge's do when it
        // stops. Errors have nowhere to go.
        for (path, _, file) in &mut self.files {
            if file.take().is_some() {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}
