//! [`Sampler`]: reads the backing files of a live session and hands what
//! changed to a [`CaptureWriter`].
//!
//! The files belong to someone else (the bridge, the game) and change under
//! us: a session restart removes them and creates new ones (new inodes), a
//! file may be shorter than its mapping, or missing for a while. So files
//! are never mapped (a truncated mapping raises `SIGBUS`), only read with
//! positional reads into buffers kept between polls; the open file is
//! checked every [`IDENTITY_CHECK`] to see whether it was removed, and the
//! path every [`PATH_CHECK`] to see whether it still names the open file
//! (reopened otherwise); and every such condition is a
//! [`MappingState`] recorded in the capture, never an error. Only the
//! writer can fail a poll (a full disk).
//!
//! Cost: on a loaded 2-core machine a 4 KiB read is about 1 µs and a path
//! check about 2 µs (a look at the open file, with no path to walk, is a
//! fraction of that; checking every path every 10 ms was a sixth of the
//! recorder's CPU), and the wake-ups of the poll loop already cost about
//! 1 % of a core there, so reading every file at every poll would blow the
//! recorder's budget. A file is read at every poll only while it
//! keeps changing: after four reads without a change it is read every
//! second poll, after four more every third, and so on up to every
//! [`MAX_READ_INTERVAL`]th; the first change seen brings it back to every
//! poll. And a page that changes at a steady rate is not read before it
//! can have changed again ([`Cadence`]). ACC's physics page is read at
//! every poll, its graphics page (60 Hz) from three quarters of its
//! interval after each change, its static page 50 times a second at 1 kHz
//! polls. What this can lose: updates
//! in the first [`MAX_READ_INTERVAL`] polls after a page that was quiet for
//! a while starts changing again, and for up to [`IDENTITY_CHECK`] after a
//! session restart replaced a file (the old copy is read meanwhile; a
//! session's files are removed and made anew, which the look at the open
//! file sees; a file moved away rather than removed is seen within
//! [`PATH_CHECK`]).

use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::PathBuf;
use std::time::Duration;

use crate::cadence::Cadence;
use crate::error::{CaptureError, Problem};

/// A file that stopped changing is still read at least every this many
/// polls.
pub const MAX_READ_INTERVAL: u32 = 20;

/// Reads without a change before a file's read interval grows by a poll.
const QUIET_READS_PER_STEP: u32 = 4;

/// How long an open file is read without checking that it was not removed.
pub const IDENTITY_CHECK: Duration = Duration::from_millis(50);

/// How long an open file is read without checking that its path still
/// names it.
pub const PATH_CHECK: Duration = Duration::from_millis(250);
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
    /// When the open file was last checked to be still linked.
    checked_at: Option<Duration>,
    /// When the path was last checked to name the open file.
    path_checked_at: Option<Duration>,
    /// Polls to let pass before the next read.
    wait: u32,
    /// Reads in a row that found nothing new.
    quiet: u32,
    /// Whether the current poll read the file.
    due: bool,
    /// When the file's page can next change.
    cadence: Cadence,
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
                    checked_at: None,
                    path_checked_at: None,
                    wait: 0,
                    quiet: 0,
                    due: false,
                    cadence: Cadence::default(),
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

    /// Reads the files that are due (see the module documentation) and
    /// writes a frame at `time` with the pages and states that differ from
    /// what `writer` holds. The writer must have been created with
    /// [`Sampler::mappings`].
    pub fn sample<W: CaptureOutput>(
        &mut self,
        writer: &mut CaptureWriter<W>,
        time: Duration,
    ) -> Result<SampleReport, CaptureError> {
        self.check_matches(writer)?;
        for w in &mut self.watched {
            w.due = w.wait == 0 && w.cadence.may_have_changed(time);
            if w.due {
                w.read(time);
            } else {
                w.wait = w.wait.saturating_sub(1);
            }
        }
        let page_size = writer.header().page_size as usize;
        let mut updates = Vec::new();
        for (m, w) in self.watched.iter().enumerate() {
            if !w.due {
                continue;
            }
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
        let mut changed = vec![false; self.watched.len()];
        for u in &updates {
            let (Update::Page { mapping, .. } | Update::State { mapping, .. }) = *u;
            changed[mapping] = true;
        }
        let frame_written = writer.write_frame(time, &updates)?;
        drop(updates);
        for (w, changed) in self.watched.iter_mut().zip(changed) {
            if w.due {
                if changed {
                    w.cadence.changed(time);
                }
                w.quiet = if changed {
                    0
                } else {
                    w.quiet.saturating_add(1)
                };
                w.wait = (w.quiet / QUIET_READS_PER_STEP).min(MAX_READ_INTERVAL - 1);
            }
        }
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
    fn read(&mut self, now: Duration) {
        self.error = None;
        self.state = match self.read_file(now) {
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

    fn read_file(&mut self, now: Duration) -> std::io::Result<MappingState> {
        let within =
            |at: Option<Duration>, limit| at.is_some_and(|at| now.saturating_sub(at) < limit);
        let mut check_path = self.file.is_none() || !within(self.path_checked_at, PATH_CHECK);
        if !check_path && !within(self.checked_at, IDENTITY_CHECK) {
            self.checked_at = Some(now);
            check_path = self.open_file_removed();
        }
        if check_path {
            self.checked_at = Some(now);
            self.path_checked_at = Some(now);
            self.check_identity()?;
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

    /// Whether the open file is no longer linked (removed, or replaced by
    /// a rename), or cannot be looked at.
    fn open_file_removed(&self) -> bool {
        self.file
            .as_ref()
            .is_none_or(|(file, _)| !file.metadata().is_ok_and(|m| m.nlink() > 0))
    }

    /// Opens the file at the path unless it is the one already open. The
    /// path, not the open file, is the truth: a session restart puts a new
    /// inode there.
    fn check_identity(&mut self) -> std::io::Result<()> {
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
            // A new session's page may change at another rate.
            self.cadence.reset();
        }
        Ok(())
    }
}
