//! [`CaptureWriter`]: frames in, an append-only capture file out.
//!
//! The recorder may be killed at any instant (`kill -9`, a crash, a full
//! disk), so the file is only ever appended to, and each chunk is written
//! whole once it is complete: a file cut anywhere still reads back up to its
//! last complete chunk. Chunks close at least once a second of capture time
//! ([`WriterOptions::chunk_span`]), on a new frame or on [`CaptureWriter::tick`],
//! which bounds what a kill loses. Each chunk starts with the full state of
//! every mapping, so a reader seeking anywhere decodes one chunk only.
//!
//! The writer keeps the current contents of every mapping: it turns the
//! pages it is given into XOR deltas against them, drops pages that did not
//! change, and a [`crate::Sampler`] compares fresh reads with
//! [`CaptureWriter::image`] instead of keeping a copy of its own.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::chunk::{
    ChunkEntry, MappingCounts, encode_index, put_base, put_frame_start, put_page_entry,
    put_state_entry,
};
use crate::error::{CaptureError, Problem};
use crate::format::{
    ChunkHeader, FORMAT_VERSION, KIND_FRAMES, KIND_INDEX, MAX_HEADER_LEN, MAX_RAW_CHUNK,
    MappingState, Preamble, encode_trailer,
};
use crate::header::CaptureHeader;
use crate::predict::Histories;

/// How the writer cuts and compresses chunks.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// zstd level (1–22). 1, the default, is both the fastest and (on
    /// prediction residuals) the smallest of the low levels: ACC-shaped
    /// pages take about 1.8 MB a minute for 0.2 % of a core (the `record`
    /// bench); higher levels cost more time for little.
    pub zstd_level: i32,
    /// A chunk is written once its first frame is this old. It bounds what
    /// a killed recorder loses, and how much a seek decodes.
    pub chunk_span: Duration,
    /// A chunk is also written once its decompressed payload reaches this
    /// many bytes (mappings of several MiB changing fast).
    pub max_chunk_bytes: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            zstd_level: 1,
            chunk_span: Duration::from_secs(1),
            max_chunk_bytes: 32 << 20,
        }
    }
}

/// One change given to [`CaptureWriter::write_frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update<'a> {
    /// The new contents of one page of a mapping. `bytes` is exactly the
    /// page's length ([`CaptureHeader::page_len`]).
    Page {
        /// Mapping number (its position in the header).
        mapping: usize,
        /// Page number within the mapping.
        page: usize,
        /// The page's new contents.
        bytes: &'a [u8],
    },
    /// A mapping's backing file went missing, came back or changed length.
    State {
        /// Mapping number.
        mapping: usize,
        /// Its new state.
        state: MappingState,
    },
}

/// What a finished capture holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteSummary {
    /// Frames written.
    pub frames: u64,
    /// Frame chunks written.
    pub chunks: usize,
    /// Bytes of the file.
    pub bytes: u64,
    /// Time of the last frame.
    pub duration: Duration,
}

/// Where a capture goes: a file, or memory (tests, tools).
pub trait CaptureOutput: Write {
    /// Makes what was written durable (a file's `fsync`); nothing for memory.
    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl CaptureOutput for File {
    fn sync(&mut self) -> io::Result<()> {
        self.sync_data()
    }
}

impl CaptureOutput for Vec<u8> {}

/// Writes a capture: create it, give it frames, finish it.
///
/// ```no_run
/// use std::time::Duration;
/// use bridgekeeper_capture::{CaptureHeader, CaptureWriter, MappingState, Update};
///
/// let header = CaptureHeader::new([("acpmf_physics".to_string(), 4096)]);
/// let mut writer = CaptureWriter::create("lap.bkcap".as_ref(), header)?;
/// let page = [0u8; 4096];
/// writer.write_frame(Duration::ZERO, &[
///     Update::State { mapping: 0, state: MappingState::Live },
///     Update::Page { mapping: 0, page: 0, bytes: &page },
/// ])?;
/// writer.finish()?;
/// # Ok::<(), bridgekeeper_capture::CaptureError>(())
/// ```
#[derive(Debug)]
pub struct CaptureWriter<W: CaptureOutput = File> {
    path: PathBuf,
    /// Always `Some` until [`CaptureWriter::finish_into_inner`] takes it.
    out: Option<W>,
    header: CaptureHeader,
    options: WriterOptions,
    compressor: Compressor,
    origin: Instant,
    images: Vec<Vec<u8>>,
    states: Vec<MappingState>,
    pending: Pending,
    history: Histories,
    prediction: Vec<u8>,
    frame_bytes: Vec<u8>,
    touched: Vec<bool>,
    /// Per mapping and page, the serial of the last frame that named it.
    named: Vec<Vec<u64>>,
    /// Per mapping, the serial of the last frame that gave it a state.
    named_state: Vec<u64>,
    /// Frames checked so far.
    check_serial: u64,
    frames: u64,
    last_ns: u64,
    offset: u64,
    chunks: Vec<ChunkEntry>,
    compressed: Vec<u8>,
    finished: bool,
}

/// The chunk being filled.
#[derive(Debug, Default)]
struct Pending {
    raw: Vec<u8>,
    frames: u32,
    first_frame: u64,
    start_ns: u64,
    last_ns: u64,
    counts: Vec<MappingCounts>,
}

/// zstd's compressor, which does not implement `Debug`.
struct Compressor(zstd::bulk::Compressor<'static>);

impl std::fmt::Debug for Compressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Compressor")
    }
}

impl CaptureWriter<File> {
    /// Creates `path` (it must not exist; mode 0600) and writes the header,
    /// with the default [`WriterOptions`]. Frame times count from now.
    pub fn create(path: &Path, header: CaptureHeader) -> Result<Self, CaptureError> {
        Self::create_with(path, header, WriterOptions::default())
    }

    /// [`CaptureWriter::create`] with chosen options.
    pub fn create_with(
        path: &Path,
        header: CaptureHeader,
        options: WriterOptions,
    ) -> Result<Self, CaptureError> {
        // Check before creating, so a bad header leaves no file behind.
        header
            .validate()
            .map_err(|e| CaptureError::new(path, Problem::InvalidHeader(e)))?;
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|source| {
                CaptureError::new(
                    path,
                    Problem::Io {
                        action: "cannot create it (it must not exist yet)",
                        source,
                    },
                )
            })?;
        Self::new(file, path, header, options)
    }
}

impl<W: CaptureOutput> CaptureWriter<W> {
    /// Writes a capture into `out`; `label` names it in errors.
    pub fn new(
        out: W,
        label: &Path,
        header: CaptureHeader,
        options: WriterOptions,
    ) -> Result<Self, CaptureError> {
        let fail = |problem| CaptureError::new(label, problem);
        header
            .validate()
            .map_err(|e| fail(Problem::InvalidHeader(e)))?;
        if !(1..=22).contains(&options.zstd_level) {
            return Err(fail(Problem::InvalidHeader(format!(
                "zstd level {} is not from 1 to 22",
                options.zstd_level
            ))));
        }
        let mut header = header;
        if header.started_at_unix_ms == 0 {
            header.started_at_unix_ms = CaptureHeader::new([]).started_at_unix_ms;
        }
        let compressor = zstd::bulk::Compressor::new(options.zstd_level).map_err(|source| {
            fail(Problem::Io {
                action: "cannot start zstd",
                source,
            })
        })?;
        let images: Vec<Vec<u8>> = header
            .mappings
            .iter()
            .map(|m| vec![0u8; m.size as usize])
            .collect();
        let base_len: usize = images.iter().map(|i| i.len() + 5).sum();
        if base_len > MAX_RAW_CHUNK as usize / 2 {
            return Err(fail(Problem::InvalidHeader(format!(
                "the mappings need {base_len} bytes per chunk; the limit is {}",
                MAX_RAW_CHUNK / 2
            ))));
        }
        let mut writer = CaptureWriter {
            path: label.to_path_buf(),
            out: Some(out),
            states: vec![MappingState::Missing; header.mappings.len()],
            touched: vec![false; header.mappings.len()],
            history: Histories::new(&header),
            named: (0..header.mappings.len())
                .map(|m| vec![0; header.page_count(m)])
                .collect(),
            named_state: vec![0; header.mappings.len()],
            check_serial: 0,
            prediction: Vec::new(),
            images,
            header,
            options,
            compressor: Compressor(compressor),
            origin: Instant::now(),
            pending: Pending::default(),
            frame_bytes: Vec::new(),
            frames: 0,
            last_ns: 0,
            offset: 0,
            chunks: Vec::new(),
            compressed: Vec::new(),
            finished: false,
        };
        writer.write_header()?;
        Ok(writer)
    }

    fn write_header(&mut self) -> Result<(), CaptureError> {
        let json = serde_json::to_vec(&self.header)
            .map_err(|e| CaptureError::new(&self.path, Problem::InvalidHeader(e.to_string())))?;
        if json.len() > MAX_HEADER_LEN as usize {
            return Err(CaptureError::new(
                &self.path,
                Problem::InvalidHeader(format!(
                    "its JSON is {} bytes; the limit is {MAX_HEADER_LEN}",
                    json.len()
                )),
            ));
        }
        let preamble = Preamble {
            version: FORMAT_VERSION,
            header_len: json.len() as u32,
        }
        .encode();
        let mut crc = crc32fast::Hasher::new();
        crc.update(&preamble);
        crc.update(&json);
        let mut bytes = preamble.to_vec();
        bytes.extend_from_slice(&json);
        bytes.extend_from_slice(&crc.finalize().to_le_bytes());
        self.write_out(&bytes, "cannot write the header")
    }

    /// The header as written (with its start time filled in).
    pub fn header(&self) -> &CaptureHeader {
        &self.header
    }

    /// Time since the writer was created: the clock frame times should use.
    pub fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }

    /// The current contents of mapping `mapping`, as the next frame's
    /// deltas will be computed against.
    pub fn image(&self, mapping: usize) -> &[u8] {
        &self.images[mapping]
    }

    /// The current state of mapping `mapping`.
    pub fn state(&self, mapping: usize) -> MappingState {
        self.states[mapping]
    }

    /// Frames written so far (including the chunk not yet on disk).
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Bytes on disk so far.
    pub fn bytes_written(&self) -> u64 {
        self.offset
    }

    /// Records a frame at `time` (since the start, never earlier than the
    /// last frame). Updates that change nothing are dropped; a frame left
    /// empty is not written. Returns whether a frame was written.
    pub fn write_frame(
        &mut self,
        time: Duration,
        updates: &[Update],
    ) -> Result<bool, CaptureError> {
        self.check_frame(time, updates)
            .map_err(|what| CaptureError::new(&self.path, Problem::InvalidFrame(what)))?;
        let time_ns = time.as_nanos() as u64;
        if self.pending.frames > 0
            && (time_ns - self.pending.start_ns >= self.options.chunk_span.as_nanos() as u64
                || self.pending.raw.len() >= self.options.max_chunk_bytes)
        {
            self.flush()?;
        }
        if self.pending.frames == 0 {
            self.begin_chunk(time_ns);
        }

        self.frame_bytes.clear();
        self.touched.fill(false);
        let mut entries = 0u64;
        // States first: a reader applies a frame's entries in order.
        for update in updates {
            if let Update::State { mapping, state } = *update
                && self.states[mapping] != state
            {
                put_state_entry(&mut self.frame_bytes, mapping, state);
                self.states[mapping] = state;
                self.pending.counts[mapping].state_changes += 1;
                entries += 1;
            }
        }
        let page_size = self.header.page_size as usize;
        for update in updates {
            if let Update::Page {
                mapping,
                page,
                bytes,
            } = *update
            {
                let range = page * page_size..page * page_size + bytes.len();
                let old = &self.images[mapping][range.clone()];
                if old == bytes {
                    continue;
                }
                let order = self.history.max_order(mapping, page);
                self.prediction.resize(bytes.len(), 0);
                self.history
                    .predict(mapping, page, order, old, &mut self.prediction);
                put_page_entry(
                    &mut self.frame_bytes,
                    mapping,
                    page,
                    order,
                    bytes,
                    &self.prediction,
                );
                self.history.push(mapping, page, old);
                self.images[mapping][range].copy_from_slice(bytes);
                let counts = &mut self.pending.counts[mapping];
                counts.pages_changed += 1;
                if !std::mem::replace(&mut self.touched[mapping], true) {
                    counts.frames_changed += 1;
                }
                entries += 1;
            }
        }
        if entries == 0 {
            return Ok(false);
        }
        let delta = if self.pending.frames == 0 {
            0
        } else {
            time_ns - self.pending.last_ns
        };
        put_frame_start(&mut self.pending.raw, delta, entries);
        self.pending.raw.extend_from_slice(&self.frame_bytes);
        self.pending.frames += 1;
        self.pending.last_ns = time_ns;
        self.last_ns = time_ns;
        self.frames += 1;
        Ok(true)
    }

    fn check_frame(&mut self, time: Duration, updates: &[Update]) -> Result<(), String> {
        let fail = Err;
        // Serial numbers start at 1, so 0 is "never named".
        self.check_serial += 1;
        let serial = self.check_serial;
        let time_ns = time.as_nanos();
        if time_ns > u64::MAX as u128 {
            return fail(format!("time {time:?} is too late"));
        }
        if (time_ns as u64) < self.last_ns {
            return fail(format!(
                "time {time:?} is before the previous frame's ({:?})",
                Duration::from_nanos(self.last_ns)
            ));
        }
        let count = self.header.mappings.len();
        for update in updates {
            match *update {
                Update::Page {
                    mapping,
                    page,
                    bytes,
                } => {
                    if mapping >= count {
                        return fail(format!(
                            "mapping {mapping} does not exist ({count} mappings)"
                        ));
                    }
                    let pages = self.header.page_count(mapping);
                    if page >= pages {
                        return fail(format!(
                            "page {page} of mapping {mapping} does not exist ({pages} pages)"
                        ));
                    }
                    if std::mem::replace(&mut self.named[mapping][page], serial) == serial {
                        return fail(format!(
                            "page {page} of mapping {mapping} is given twice in one frame"
                        ));
                    }
                    let len = self.header.page_len(mapping, page);
                    if bytes.len() != len {
                        return fail(format!(
                            "page {page} of mapping {mapping} has {len} bytes, not {}",
                            bytes.len()
                        ));
                    }
                }
                Update::State { mapping, state } => {
                    if mapping >= count {
                        return fail(format!(
                            "mapping {mapping} does not exist ({count} mappings)"
                        ));
                    }
                    if std::mem::replace(&mut self.named_state[mapping], serial) == serial {
                        return fail(format!(
                            "mapping {mapping} is given two states in one frame"
                        ));
                    }
                    let size = self.header.mappings[mapping].size;
                    if let MappingState::Short { len } = state
                        && u64::from(len) >= size
                    {
                        return fail(format!(
                            "mapping {mapping} cannot be short at {len} bytes: it has {size}"
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    fn begin_chunk(&mut self, time_ns: u64) {
        self.history.reset();
        let pending = &mut self.pending;
        pending.raw.clear();
        for (state, image) in self.states.iter().zip(&self.images) {
            put_base(&mut pending.raw, *state, image);
        }
        pending.frames = 0;
        pending.first_frame = self.frames;
        pending.start_ns = time_ns;
        pending.last_ns = time_ns;
        pending.counts = vec![MappingCounts::default(); self.images.len()];
    }

    /// Writes the pending chunk if its first frame is at least
    /// [`WriterOptions::chunk_span`] older than `now` (time since the start).
    /// Call it regularly while recording so a quiet stretch after a burst
    /// still reaches the disk within a second.
    pub fn tick(&mut self, now: Duration) -> Result<(), CaptureError> {
        let now_ns = now.as_nanos().min(u64::MAX as u128) as u64;
        if self.pending.frames > 0
            && now_ns.saturating_sub(self.pending.start_ns)
                >= self.options.chunk_span.as_nanos() as u64
        {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the pending chunk now, if it holds a frame.
    pub fn flush(&mut self) -> Result<(), CaptureError> {
        if self.pending.frames == 0 {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        let entry = ChunkEntry {
            offset: self.offset,
            payload_len: 0,
            frame_count: pending.frames,
            first_frame: pending.first_frame,
            start_ns: pending.start_ns,
            end_ns: pending.last_ns,
            counts: Some(pending.counts),
        };
        let payload_len = self.write_chunk(KIND_FRAMES, &pending.raw, &entry)?;
        self.chunks.push(ChunkEntry {
            payload_len,
            ..entry
        });
        // Keep the buffer's allocation for the next chunk.
        self.pending.raw = pending.raw;
        Ok(())
    }

    /// Compresses `raw` and appends it as one chunk; returns the stored
    /// payload length.
    fn write_chunk(
        &mut self,
        kind: u8,
        raw: &[u8],
        entry: &ChunkEntry,
    ) -> Result<u32, CaptureError> {
        let fail = |action, source| CaptureError::new(&self.path, Problem::Io { action, source });
        if raw.len() > MAX_RAW_CHUNK as usize {
            return Err(fail(
                "cannot write a chunk",
                io::Error::other(format!(
                    "{} bytes before compression; the limit is {MAX_RAW_CHUNK}",
                    raw.len()
                )),
            ));
        }
        self.compressed.clear();
        self.compressed
            .reserve(zstd::zstd_safe::compress_bound(raw.len()));
        self.compressor
            .0
            .compress_to_buffer(raw, &mut self.compressed)
            .map_err(|e| fail("cannot compress a chunk", e))?;
        let header = ChunkHeader {
            kind,
            payload_len: self.compressed.len() as u32,
            raw_len: raw.len() as u32,
            first_frame: entry.first_frame,
            frame_count: entry.frame_count,
            payload_crc: crc32fast::hash(&self.compressed),
            start_ns: entry.start_ns,
            end_ns: entry.end_ns,
        };
        let compressed = std::mem::take(&mut self.compressed);
        // One buffer, one write: a kill leaves a whole chunk or a cut one.
        let mut bytes = Vec::with_capacity(header.total_len() as usize);
        bytes.extend_from_slice(&header.encode());
        bytes.extend_from_slice(&compressed);
        self.compressed = compressed;
        self.write_out(&bytes, "cannot write a chunk")?;
        Ok(header.payload_len)
    }

    fn write_out(&mut self, bytes: &[u8], action: &'static str) -> Result<(), CaptureError> {
        let Some(out) = self.out.as_mut() else {
            return Err(self.gone());
        };
        out.write_all(bytes)
            .and_then(|()| out.flush())
            .map_err(|source| CaptureError::new(&self.path, Problem::Io { action, source }))?;
        self.offset += bytes.len() as u64;
        Ok(())
    }

    /// Writes the pending chunk, the index and the trailer, and syncs the
    /// file. A capture not finished (killed, dropped) still reads back up
    /// to its last chunk; finishing makes opening and seeking faster.
    pub fn finish(self) -> Result<WriteSummary, CaptureError> {
        self.finish_into_inner().map(|(_, summary)| summary)
    }

    /// [`CaptureWriter::finish`], giving the output back (an in-memory
    /// capture's bytes).
    pub fn finish_into_inner(mut self) -> Result<(W, WriteSummary), CaptureError> {
        self.flush()?;
        let index_offset = self.offset;
        let raw = encode_index(&self.chunks, self.header.mappings.len());
        let entry = ChunkEntry {
            offset: index_offset,
            payload_len: 0,
            frame_count: self.frames.min(u64::from(u32::MAX)) as u32,
            first_frame: 0,
            start_ns: self.chunks.first().map_or(0, |c| c.start_ns),
            end_ns: self.last_ns,
            counts: None,
        };
        self.write_chunk(KIND_INDEX, &raw, &entry)?;
        self.write_out(&encode_trailer(index_offset), "cannot write the trailer")?;
        let gone = self.gone();
        self.out.as_mut().ok_or(gone)?.sync().map_err(|source| {
            CaptureError::new(
                &self.path,
                Problem::Io {
                    action: "cannot sync it to disk",
                    source,
                },
            )
        })?;
        self.finished = true;
        let summary = WriteSummary {
            frames: self.frames,
            chunks: self.chunks.len(),
            bytes: self.offset,
            duration: Duration::from_nanos(self.last_ns),
        };
        // `self` implements Drop, so the output is taken, not moved out.
        let out = self.out.take().ok_or_else(|| self.gone())?;
        Ok((out, summary))
    }
}

impl<W: CaptureOutput> CaptureWriter<W> {
    fn gone(&self) -> CaptureError {
        CaptureError::new(
            &self.path,
            Problem::Io {
                action: "cannot write",
                source: io::Error::other("the writer was already finished"),
            },
        )
    }
}

impl<W: CaptureOutput> Drop for CaptureWriter<W> {
    fn drop(&mut self) {
        if !self.finished {
            // Best effort: what is buffered reaches the file, without an
            // index (the reader then scans). Errors have nowhere to go.
            let _ = self.flush();
        }
    }
}
