//! [`CaptureReader`]: a capture opened for reading, with a cursor.
//!
//! The cursor stands on a frame (or before the first) and the reader holds
//! the full contents and state of every mapping there. Seeking decodes one
//! chunk: each starts with the complete state, so a seek loads the chunk
//! that holds the frame, starts from its base and applies frames up to the
//! target. Entering a chunk always restarts from its base, whether by
//! stepping or by seeking, so both give the same bytes even for a file
//! whose chunks disagree with each other. A damaged chunk is an error when
//! it is reached, and the cursor stays where it was.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::chunk::{ChunkEntry, DecodedChunk, Entry, MappingCounts};
use crate::error::{CaptureError, Problem};
use crate::format::{KIND_FRAMES, MappingState};
use crate::header::CaptureHeader;
use crate::layout::{self, Backing, CaptureEnd, Layout, read_chunk_header, read_payload};
use crate::predict::{Histories, apply_residual};
use crate::stats::{CaptureStats, MappingStats};

/// One change in a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A page's contents changed.
    Page {
        /// Mapping number.
        mapping: usize,
        /// Page number within the mapping.
        page: usize,
    },
    /// A mapping's state changed (file gone, back, shortened).
    State {
        /// Mapping number.
        mapping: usize,
        /// Its new state.
        state: MappingState,
    },
}

/// A frame: when it happened and what changed. The contents after it are
/// [`CaptureReader::mapping`] while the cursor is on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Frame number, from 0.
    pub index: u64,
    /// Time since the capture started.
    pub time: Duration,
    /// What changed, in the order the frame applies it.
    pub changes: Vec<Change>,
}

/// A capture opened for reading. See the crate documentation for an
/// example.
#[derive(Debug)]
pub struct CaptureReader {
    path: PathBuf,
    source: Backing,
    layout: Layout,
    frame_count: u64,
    images: Vec<Vec<u8>>,
    states: Vec<MappingState>,
    /// The versions of pages within the loaded chunk, for predictions.
    history: Histories,
    prediction: Vec<u8>,
    /// Frames applied: the cursor is on frame `applied - 1`.
    applied: u64,
    loaded: Option<(usize, DecodedChunk)>,
    stats: Option<CaptureStats>,
}

impl CaptureReader {
    /// Opens a capture file: checks its preamble and header, and finds its
    /// chunks (from the index, or by a scan when the file was not closed
    /// cleanly). The cursor starts before the first frame.
    pub fn open(path: &Path) -> Result<CaptureReader, CaptureError> {
        // Non-blocking: a FIFO given by mistake must not hang the open.
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .map_err(|source| {
                CaptureError::new(
                    path,
                    Problem::Io {
                        action: "cannot open it",
                        source,
                    },
                )
            })?;
        Self::with_backing(path, Backing::File(file))
    }

    /// Reads a capture held in memory; `label` names it in errors.
    pub fn from_bytes(label: &Path, bytes: Vec<u8>) -> Result<CaptureReader, CaptureError> {
        Self::with_backing(label, Backing::Memory(bytes))
    }

    fn with_backing(path: &Path, source: Backing) -> Result<CaptureReader, CaptureError> {
        let layout = layout::open(path, &source)?;
        let frame_count = layout
            .chunks
            .last()
            .map_or(0, |c| c.first_frame + u64::from(c.frame_count));
        let mut reader = CaptureReader {
            path: path.to_path_buf(),
            source,
            frame_count,
            images: Vec::new(),
            states: Vec::new(),
            history: Histories::new(&layout.header),
            prediction: Vec::new(),
            applied: 0,
            loaded: None,
            stats: None,
            layout,
        };
        reader.reset_to_start();
        Ok(reader)
    }

    /// The capture's file (or label).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The capture's header.
    pub fn header(&self) -> &CaptureHeader {
        &self.layout.header
    }

    /// How the file ends: cleanly, unfinished, or cut.
    pub fn end(&self) -> &CaptureEnd {
        &self.layout.end
    }

    /// Why the index was ignored, when the file has one that is damaged.
    pub fn index_problem(&self) -> Option<&str> {
        self.layout.index_problem.as_deref()
    }

    /// Frames in the (readable part of the) capture.
    pub fn frame_count(&self) -> u64 {
        self.frame_count
    }

    /// Frame chunks in the capture.
    pub fn chunk_count(&self) -> usize {
        self.layout.chunks.len()
    }

    /// Time of the last frame.
    pub fn duration(&self) -> Duration {
        Duration::from_nanos(self.layout.chunks.last().map_or(0, |c| c.end_ns))
    }

    /// Bytes of the file.
    pub fn file_len(&self) -> u64 {
        self.layout.file_len
    }

    /// The number of the frame the cursor is on; `None` before the first.
    pub fn position(&self) -> Option<u64> {
        self.applied.checked_sub(1)
    }

    /// The time of the frame the cursor is on; `None` before the first.
    pub fn time(&self) -> Option<Duration> {
        let frame = self.position()?;
        let (index, chunk) = self.loaded.as_ref()?;
        let first = self.layout.chunks[*index].first_frame;
        let span = chunk.frames.get((frame - first) as usize)?;
        Some(Duration::from_nanos(span.time_ns))
    }

    /// The full contents of mapping `mapping` at the cursor (its declared
    /// size; zeros where nothing was recorded yet).
    pub fn mapping(&self, mapping: usize) -> &[u8] {
        &self.images[mapping]
    }

    /// The state of mapping `mapping` at the cursor ([`MappingState::Missing`]
    /// before its first frame).
    pub fn state(&self, mapping: usize) -> MappingState {
        self.states[mapping]
    }

    /// Moves the cursor to the next frame and returns it; `None` at the end.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, CaptureError> {
        if self.applied >= self.frame_count {
            return Ok(None);
        }
        self.goto(self.applied + 1).map(Some)
    }

    /// Moves the cursor back one frame and returns the frame it is then on;
    /// `None` when that is before the first frame.
    pub fn step_back(&mut self) -> Result<Option<Frame>, CaptureError> {
        match self.applied {
            0 | 1 => {
                self.reset_to_start();
                Ok(None)
            }
            applied => self.goto(applied - 1).map(Some),
        }
    }

    /// Puts the cursor on frame `index`.
    pub fn seek_frame(&mut self, index: u64) -> Result<Frame, CaptureError> {
        if index >= self.frame_count {
            return Err(self.fail(Problem::NoSuchFrame {
                requested: index,
                count: self.frame_count,
            }));
        }
        self.goto(index + 1)
    }

    /// Puts the cursor on the last frame at or before `time` and returns it;
    /// `None` (cursor before the first frame) when `time` is earlier than
    /// every frame.
    pub fn seek_time(&mut self, time: Duration) -> Result<Option<Frame>, CaptureError> {
        let t = time.as_nanos().min(u128::from(u64::MAX)) as u64;
        let chunk = self.layout.chunks.partition_point(|c| c.start_ns <= t);
        let Some(chunk) = chunk.checked_sub(1) else {
            self.reset_to_start();
            return Ok(None);
        };
        self.load(chunk)?;
        let Some((_, decoded)) = &self.loaded else {
            return Ok(None);
        };
        let within = decoded.frames.partition_point(|f| f.time_ns <= t);
        let first = self.layout.chunks[chunk].first_frame;
        // The chunk starts at or before `t`, so `within` is at least 1.
        self.goto(first + within.max(1) as u64).map(Some)
    }

    /// Puts the cursor before the first frame: every mapping missing and
    /// all zeros.
    pub fn rewind(&mut self) {
        self.reset_to_start();
    }

    fn reset_to_start(&mut self) {
        let mappings = &self.layout.header.mappings;
        self.images = mappings
            .iter()
            .map(|m| vec![0u8; m.size as usize])
            .collect();
        self.states = vec![MappingState::Missing; mappings.len()];
        self.history.reset();
        self.applied = 0;
    }

    /// Applies frames so that `target` frames are applied (`target` ≥ 1,
    /// at most the frame count), and returns the last one.
    fn goto(&mut self, target: u64) -> Result<Frame, CaptureError> {
        let frame = target - 1;
        let chunk = self
            .layout
            .chunks
            .partition_point(|c| c.first_frame <= frame)
            - 1;
        let first = self.layout.chunks[chunk].first_frame;
        let loaded = matches!(&self.loaded, Some((i, _)) if *i == chunk);
        if !(loaded && self.applied > first && self.applied <= target) {
            self.load(chunk)?;
            self.reset_to_base();
            self.applied = first;
        }
        let mut changes = Vec::new();
        while self.applied < target {
            let last = self.applied + 1 == target;
            self.apply(
                (self.applied - first) as usize,
                last.then_some(&mut changes),
            );
            self.applied += 1;
        }
        Ok(Frame {
            index: frame,
            time: self.time().unwrap_or_default(),
            changes,
        })
    }

    /// Decodes chunk `chunk` unless it is the one loaded.
    fn load(&mut self, chunk: usize) -> Result<(), CaptureError> {
        if matches!(&self.loaded, Some((i, _)) if *i == chunk) {
            return Ok(());
        }
        let entry = self.layout.chunks[chunk].clone();
        let decoded = self.decode(&entry).map_err(|what| {
            self.fail(Problem::BadChunk {
                chunk,
                offset: entry.offset,
                what,
            })
        })?;
        self.loaded = Some((chunk, decoded));
        Ok(())
    }

    fn decode(&self, entry: &ChunkEntry) -> Result<DecodedChunk, String> {
        let ch = read_chunk_header(&self.source, entry.offset)?;
        let listed = (
            KIND_FRAMES,
            entry.payload_len,
            entry.frame_count,
            entry.first_frame,
            entry.start_ns,
            entry.end_ns,
        );
        let found = (
            ch.kind,
            ch.payload_len,
            ch.frame_count,
            ch.first_frame,
            ch.start_ns,
            ch.end_ns,
        );
        if listed != found {
            return Err(format!(
                "its header (kind, length, frames, first, start, end) {found:?} differs from the index's {listed:?}"
            ));
        }
        let raw = read_payload(&self.source, entry.offset, &ch)?;
        DecodedChunk::parse(
            raw,
            &self.layout.header,
            ch.frame_count,
            ch.start_ns,
            ch.end_ns,
        )
    }

    fn reset_to_base(&mut self) {
        self.history.reset();
        let Some((_, chunk)) = &self.loaded else {
            return;
        };
        for (m, (state, range)) in chunk.base.iter().enumerate() {
            self.states[m] = *state;
            self.images[m].copy_from_slice(&chunk.raw[range.clone()]);
        }
    }

    /// Applies frame `frame` of the loaded chunk, noting its changes.
    fn apply(&mut self, frame: usize, mut changes: Option<&mut Vec<Change>>) {
        let Some((_, chunk)) = &self.loaded else {
            return;
        };
        let page_size = self.layout.header.page_size as usize;
        for entry in chunk.entries(frame, &self.layout.header) {
            let change = match entry {
                Entry::Page {
                    mapping,
                    page,
                    order,
                    residual,
                } => {
                    let start = page * page_size;
                    let current = &mut self.images[mapping][start..start + residual.len()];
                    self.prediction.resize(residual.len(), 0);
                    self.history
                        .predict(mapping, page, order, current, &mut self.prediction);
                    self.history.push(mapping, page, current);
                    current.copy_from_slice(&self.prediction);
                    apply_residual(current, residual);
                    Change::Page { mapping, page }
                }
                Entry::State { mapping, state } => {
                    self.states[mapping] = state;
                    Change::State { mapping, state }
                }
            };
            if let Some(changes) = changes.as_deref_mut() {
                changes.push(change);
            }
        }
    }

    /// Figures for `--info`: from the index when there is one, otherwise by
    /// decoding every chunk once (slower on long captures). Cached.
    pub fn stats(&mut self) -> Result<CaptureStats, CaptureError> {
        if let Some(stats) = &self.stats {
            return Ok(stats.clone());
        }
        let mut counts = vec![MappingCounts::default(); self.layout.header.mappings.len()];
        for (i, entry) in self.layout.chunks.iter().enumerate() {
            if let Some(chunk_counts) = &entry.counts {
                counts
                    .iter_mut()
                    .zip(chunk_counts)
                    .for_each(|(t, c)| t.add(c));
                continue;
            }
            let decoded = self.decode(entry).map_err(|what| {
                self.fail(Problem::BadChunk {
                    chunk: i,
                    offset: entry.offset,
                    what,
                })
            })?;
            counts
                .iter_mut()
                .zip(&decoded.counts)
                .for_each(|(t, c)| t.add(c));
        }
        let duration = self.duration();
        let seconds = duration.as_secs_f64();
        let per_second = |n: u64| {
            if seconds > 0.0 {
                n as f64 / seconds
            } else {
                0.0
            }
        };
        let stats = CaptureStats {
            frames: self.frame_count,
            chunks: self.layout.chunks.len(),
            duration,
            file_bytes: self.layout.file_len,
            bytes_per_minute: if seconds > 0.0 {
                self.layout.file_len as f64 * 60.0 / seconds
            } else {
                0.0
            },
            end: self.layout.end.clone(),
            index_problem: self.layout.index_problem.clone(),
            mappings: self
                .layout
                .header
                .mappings
                .iter()
                .zip(counts)
                .map(|(info, counts)| MappingStats {
                    name: info.name.clone(),
                    size: info.size,
                    changes_per_second: per_second(counts.frames_changed),
                    counts,
                })
                .collect(),
        };
        self.stats = Some(stats.clone());
        Ok(stats)
    }

    fn fail(&self, problem: Problem) -> CaptureError {
        CaptureError::new(&self.path, problem)
    }
}
