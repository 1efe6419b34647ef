//! [`Sampler`]: reads the backing files of a live session and hands what
//! changed to a [`CaptureWriter`].
//!
//! The files belong to someone else (the bridge, the game) and change under
//! us: a session restart removes them and creates new ones (new inodes), a
//! file may be shorter than its mapping, or missing for a while. So files
//! are never mapped (a truncated mapping raises `SIGBUS`), only read with
//! positional reads into buffers kept between polls; each poll checks that
//! the open file is still the one at the path and reopens it otherwise;
//! and every such condition is a [`MappingState`] recorded in the capture,
//! never an error. Only the writer can fail a poll (a full disk).

use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{CaptureError, Problem};
use crate::format::MappingState;
use crate::writer::{CaptureOutput, CaptureWriter, Update};

/// One file to sample: the mapping's name, its backing file and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The Win32 section name (as in the capture header).
    pub name: String,
    /// The backing file, e.g. `/dev/shm/acpmf_physics`.
    pub path: PathBuf,
    /// The mapping's size in bytes.
    pub size: u64,
}

/// What one poll found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleReport {
    /// Whether the poll wrote a frame (something changed).
    pub frame_written: bool,
    /// Pages found changed.
    pub pages_changed: usize,
}

/// One watched file, its open handle and its last read.
#[derive(Debug)]
struct Watched {
    source: SourceFile,
    /// The open file and its (device, inode).
    file: Option<(File, (u64, u64))>,
    buf: Vec<u8>,
    state: MappingState,
    error: Option<String>,
}

/// Polls a set of backing files. Create it, build the capture header from
/// [`Sampler::mappings`], then call [`Sampler::sample`] at the poll rate
/// (or let [`crate::record`] do it).
#[derive(Debug)]
pub struct Sampler {
    watched: Vec<Watched>,
}

impl Sampler {
    /// A sampler of `sources`, in the order the capture header lists them.
    pub fn new(sources: Vec<SourceFile>) -> Sampler {
        Sampler {
            watched: sources
                .into_iter()
                .map(|source| Watched {
                    buf: vec![0; source.size as usize],
                    source,
                    file: None,
                    state: MappingState::Missing,
                    error: None,
                })
                .collect(),
        }
    }

    /// The (name, size) pairs for [`crate::CaptureHeader::new`].
    pub fn mappings(&self) -> impl Iterator<Item = (String, u64)> + '_ {
        self.watched
            .iter()
            .map(|w| (w.source.name.clone(), w.source.size))
    }

    /// The state each file was in at the last poll.
    pub fn states(&self) -> impl Iterator<Item = MappingState> + '_ {
        self.watched.iter().map(|w| w.state)
    }

    /// Why file `mapping` could not be read at the last poll, when it was
    /// there but unreadable (it is then recorded as missing).
    pub fn error(&self, mapping: usize) -> Option<&str> {
        self.watched[mapping].error.as_deref()
    }

    /// The bytes read from file `mapping` at the last poll (zeros past a
    /// short file's end).
    pub fn contents(&self, mapping: usize) -> &[u8] {
        &self.watched[mapping].buf
    }

    /// Reads every file and writes a frame at `time` with the pages and
    /// states that differ from what `writer` holds. The writer must have
    /// been created with [`Sampler::mappings`].
    pub fn sample<W: CaptureOutput>(
        &mut self,
        writer: &mut CaptureWriter<W>,
        time: Duration,
    ) -> Result<SampleReport, CaptureError> {
        self.check_matches(writer)?;
        for w in &mut self.watched {
            w.read();
        }
        let page_size = writer.header().page_size as usize;
        let mut updates = Vec::new();
        for (m, w) in self.watched.iter().enumerate() {
            if w.state != writer.state(m) {
                updates.push(Update::State {
                    mapping: m,
                    state: w.state,
                });
            }
            if w.state == MappingState::Missing {
                continue;
            }
            let image = writer.image(m);
            for (page, (new, old)) in w
                .buf
                .chunks(page_size)
                .zip(image.chunks(page_size))
                .enumerate()
            {
                if new != old {
                    updates.push(Update::Page {
                        mapping: m,
                        page,
                        bytes: new,
                    });
                }
            }
        }
        let pages_changed = updates
            .iter()
            .filter(|u| matches!(u, Update::Page { .. }))
            .count();
        let frame_written = writer.write_frame(time, &updates)?;
        Ok(SampleReport {
            frame_written,
            pages_changed,
        })
    }

    fn check_matches<W: CaptureOutput>(
        &self,
        writer: &CaptureWriter<W>,
    ) -> Result<(), CaptureError> {
        let header = writer.header();
        let same = header.mappings.len() == self.watched.len()
            && header
                .mappings
                .iter()
                .zip(&self.watched)
                .all(|(m, w)| m.name == w.source.name && m.size == w.source.size);
        if same {
            return Ok(());
        }
        Err(CaptureError::new(
            &self
                .watched
                .first()
                .map(|w| w.source.path.clone())
                .unwrap_or_default(),
            Problem::InvalidFrame(
                "the sampler's files are not the mappings of the capture header; build the header from Sampler::mappings".into(),
            ),
        ))
    }
}

impl Watched {
    /// Reads the file into the buffer and sets the state.
    fn read(&mut self) {
        self.error = None;
        self.state = match self.read_file() {
            Ok(state) => state,
            Err(error) => {
                self.file = None;
                if error.kind() != ErrorKind::NotFound {
                    self.error = Some(error.to_string());
                }
                MappingState::Missing
            }
        };
    }

    fn read_file(&mut self) -> std::io::Result<MappingState> {
        // The path, not the open file, is the truth: a session restart
        // puts a new inode there.
        let meta = std::fs::symlink_metadata(&self.source.path)?;
        if !meta.file_type().is_file() {
            return Err(std::io::Error::other(
                "not a regular file (a directory, link or device is never read)",
            ));
        }
        let identity = (meta.dev(), meta.ino());
        if self.file.as_ref().is_none_or(|(_, id)| *id != identity) {
            let file = OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
                .open(&self.source.path)?;
            let m = file.metadata()?;
            self.file = Some((file, (m.dev(), m.ino())));
        }
        let Some((file, _)) = &self.file else {
            return Err(ErrorKind::NotFound.into());
        };
        let mut filled = 0;
        while filled < self.buf.len() {
            match file.read_at(&mut self.buf[filled..], filled as u64) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if filled == self.buf.len() {
            return Ok(MappingState::Live);
        }
        self.buf[filled..].fill(0);
        Ok(MappingState::Short { len: filled as u32 })
    }
}
