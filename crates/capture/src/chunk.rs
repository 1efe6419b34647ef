//! The decompressed payload of a frames chunk: a base state (every
//! mapping's state and full contents before the chunk's first frame), then
//! the frames, each a time step and a list of entries.
//!
//! A payload comes from a file that may be damaged or hostile, so
//! [`DecodedChunk::parse`] checks every count, index and length once, up
//! front, before anything is applied; later passes over the same bytes
//! ([`Entries`]) can then not fail in ways the parse did not report.

use std::ops::Range;

use crate::format::{ENTRY_PAGE, ENTRY_STATE, MappingState, STATE_LEN, get_varint, put_varint};
use crate::header::CaptureHeader;
use crate::predict::{MAX_ORDER, put_residual};

/// How often one mapping changed, in a chunk or in a whole capture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MappingCounts {
    /// Frames in which at least one of its pages changed.
    pub frames_changed: u64,
    /// Pages stored as changed, summed over the frames.
    pub pages_changed: u64,
    /// Changes of its [`MappingState`] (file gone, back, shortened).
    pub state_changes: u64,
}

impl MappingCounts {
    /// Adds another chunk's counts.
    pub fn add(&mut self, other: &MappingCounts) {
        self.frames_changed += other.frames_changed;
        self.pages_changed += other.pages_changed;
        self.state_changes += other.state_changes;
    }
}

/// Appends the base state of one mapping.
pub(crate) fn put_base(out: &mut Vec<u8>, state: MappingState, image: &[u8]) {
    out.extend_from_slice(&state.encode());
    out.extend_from_slice(image);
}

/// Appends a frame's time step and entry count.
pub(crate) fn put_frame_start(out: &mut Vec<u8>, delta_ns: u64, entries: u64) {
    put_varint(out, delta_ns);
    put_varint(out, entries);
}

/// Appends a state entry.
pub(crate) fn put_state_entry(out: &mut Vec<u8>, mapping: usize, state: MappingState) {
    out.push(ENTRY_STATE);
    put_varint(out, mapping as u64);
    out.extend_from_slice(&state.encode());
}

/// Appends a page entry: the prediction order, then `new XOR prediction`
/// with its lanes regrouped (see [`crate::predict`]).
pub(crate) fn put_page_entry(
    out: &mut Vec<u8>,
    mapping: usize,
    page: usize,
    order: u8,
    new: &[u8],
    prediction: &[u8],
) {
    out.push(ENTRY_PAGE);
    put_varint(out, mapping as u64);
    put_varint(out, page as u64);
    out.push(order);
    put_residual(out, new, prediction);
}

/// One entry of a frame, borrowed from the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry<'a> {
    /// Page `page` of `mapping` changed: predict it with order `order`,
    /// then apply `residual`.
    Page {
        mapping: usize,
        page: usize,
        order: u8,
        residual: &'a [u8],
    },
    /// `mapping` is now in `state`.
    State { mapping: usize, state: MappingState },
}

/// A frame inside a decoded payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrameSpan {
    /// Time since the capture started, in ns.
    pub time_ns: u64,
    /// Number of entries.
    pub entries: u64,
    /// Where the entries are in the payload.
    pub bytes: Range<usize>,
}

/// A frames chunk's payload, checked and split into base and frames.
#[derive(Debug)]
pub(crate) struct DecodedChunk {
    /// The decompressed payload.
    pub raw: Vec<u8>,
    /// Each mapping's state and contents (as a range of `raw`) before the
    /// first frame.
    pub base: Vec<(MappingState, Range<usize>)>,
    /// The frames, in order.
    pub frames: Vec<FrameSpan>,
    /// Changes per mapping in this chunk.
    pub counts: Vec<MappingCounts>,
}

impl DecodedChunk {
    /// Checks and splits a payload that should hold `frame_count` frames
    /// from `start_ns` to `end_ns`.
    pub fn parse(
        raw: Vec<u8>,
        header: &CaptureHeader,
        frame_count: u32,
        start_ns: u64,
        end_ns: u64,
    ) -> Result<DecodedChunk, String> {
        let mut pos = 0usize;
        let mut base = Vec::with_capacity(header.mappings.len());
        for (i, m) in header.mappings.iter().enumerate() {
            let size = m.size as usize;
            let Some(state_bytes) = raw.get(pos..pos + STATE_LEN) else {
                return Err(format!("the base state of mapping {i} is cut"));
            };
            let state = MappingState::decode(state_bytes, m.size)
                .map_err(|e| format!("base state of mapping {i}: {e}"))?;
            pos += STATE_LEN;
            if raw.len() - pos < size {
                return Err(format!("the base contents of mapping {i} are cut"));
            }
            base.push((state, pos..pos + size));
            pos += size;
        }
        if frame_count == 0 {
            return Err("a frames chunk with no frame".into());
        }
        // Each frame takes at least two bytes (time step, entry count).
        if frame_count as usize > (raw.len() - pos) / 2 {
            return Err(format!(
                "{frame_count} frames cannot fit in the {} bytes after the base state",
                raw.len() - pos
            ));
        }
        let mut frames = Vec::with_capacity(frame_count as usize);
        let mut counts = vec![MappingCounts::default(); header.mappings.len()];
        let mut touched = vec![false; header.mappings.len()];
        // Changes of each page so far: the prediction orders allowed.
        let mut depth: Vec<Vec<u8>> = (0..header.mappings.len())
            .map(|m| vec![0u8; header.page_count(m)])
            .collect();
        let mut time = start_ns;
        for f in 0..frame_count {
            let delta = get_varint(&raw, &mut pos).map_err(|e| format!("frame {f}: {e}"))?;
            if f == 0 && delta != 0 {
                return Err(format!(
                    "the first frame is {delta} ns after the chunk's start"
                ));
            }
            time = time
                .checked_add(delta)
                .filter(|t| *t <= end_ns)
                .ok_or_else(|| format!("frame {f} is later than the chunk's end ({end_ns} ns)"))?;
            let entries = get_varint(&raw, &mut pos).map_err(|e| format!("frame {f}: {e}"))?;
            let start = pos;
            touched.fill(false);
            for _ in 0..entries {
                match parse_entry(&raw, &mut pos, header).map_err(|e| format!("frame {f}: {e}"))? {
                    Entry::Page {
                        mapping,
                        page,
                        order,
                        ..
                    } => {
                        let known = &mut depth[mapping][page];
                        if order > *known {
                            return Err(format!(
                                "frame {f}: page {page} of mapping {mapping} is predicted with order {order} but has {known} earlier versions in the chunk"
                            ));
                        }
                        *known = (*known + 1).min(MAX_ORDER);
                        counts[mapping].pages_changed += 1;
                        if !std::mem::replace(&mut touched[mapping], true) {
                            counts[mapping].frames_changed += 1;
                        }
                    }
                    Entry::State { mapping, .. } => counts[mapping].state_changes += 1,
                }
            }
            frames.push(FrameSpan {
                time_ns: time,
                entries,
                bytes: start..pos,
            });
        }
        if time != end_ns {
            return Err(format!(
                "the last frame is at {time} ns but the chunk says it ends at {end_ns} ns"
            ));
        }
        if pos != raw.len() {
            return Err(format!("{} bytes follow the last frame", raw.len() - pos));
        }
        Ok(DecodedChunk {
            raw,
            base,
            frames,
            counts,
        })
    }

    /// The entries of frame `frame` (an index into [`DecodedChunk::frames`]).
    pub fn entries<'a>(&'a self, frame: usize, header: &'a CaptureHeader) -> Entries<'a> {
        let span = &self.frames[frame];
        Entries {
            raw: &self.raw,
            pos: span.bytes.start,
            left: span.entries,
            header,
        }
    }
}

/// The entries of one frame, already checked by [`DecodedChunk::parse`].
#[derive(Debug)]
pub(crate) struct Entries<'a> {
    raw: &'a [u8],
    pos: usize,
    left: u64,
    header: &'a CaptureHeader,
}

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // The parse checked these bytes; a failure here cannot happen, and
        // would only end the frame early.
        parse_entry(self.raw, &mut self.pos, self.header).ok()
    }
}

fn parse_entry<'a>(
    raw: &'a [u8],
    pos: &mut usize,
    header: &CaptureHeader,
) -> Result<Entry<'a>, String> {
    let Some(&tag) = raw.get(*pos) else {
        return Err("an entry is cut".into());
    };
    *pos += 1;
    let mapping = get_varint(raw, pos)?;
    let Some(info) = header.mappings.get(mapping as usize) else {
        return Err(format!(
            "an entry names mapping {mapping}; the capture has {}",
            header.mappings.len()
        ));
    };
    let mapping = mapping as usize;
    match tag {
        ENTRY_PAGE => {
            let page = get_varint(raw, pos)?;
            let pages = header.page_count(mapping) as u64;
            if page >= pages {
                return Err(format!(
                    "an entry names page {page} of mapping {mapping}, which has {pages} pages"
                ));
            }
            let Some(&order) = raw.get(*pos) else {
                return Err(format!("page {page} of mapping {mapping} is cut"));
            };
            if order > MAX_ORDER {
                return Err(format!(
                    "page {page} of mapping {mapping} has prediction order {order}; the highest is {MAX_ORDER}"
                ));
            }
            *pos += 1;
            let len = header.page_len(mapping, page as usize);
            let Some(residual) = raw.get(*pos..*pos + len) else {
                return Err(format!("page {page} of mapping {mapping} is cut"));
            };
            *pos += len;
            Ok(Entry::Page {
                mapping,
                page: page as usize,
                order,
                residual,
            })
        }
        ENTRY_STATE => {
            let Some(bytes) = raw.get(*pos..*pos + STATE_LEN) else {
                return Err(format!("the state of mapping {mapping} is cut"));
            };
            *pos += STATE_LEN;
            let state = MappingState::decode(bytes, info.size)
                .map_err(|e| format!("mapping {mapping}: {e}"))?;
            Ok(Entry::State { mapping, state })
        }
        other => Err(format!("unknown entry kind {other}")),
    }
}

/// Where one frames chunk is in the file and what it holds, from the index
/// or from a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChunkEntry {
    /// Byte offset of the chunk header.
    pub offset: u64,
    /// Bytes of the stored payload.
    pub payload_len: u32,
    /// Frames in the chunk.
    pub frame_count: u32,
    /// Number of its first frame.
    pub first_frame: u64,
    /// Time of its first frame, ns.
    pub start_ns: u64,
    /// Time of its last frame, ns.
    pub end_ns: u64,
    /// Changes per mapping, when the index gave them.
    pub counts: Option<Vec<MappingCounts>>,
}

/// Fixed bytes of an index entry before the per-mapping counts.
const INDEX_ENTRY_FIXED: usize = 40;

/// Bytes of the per-mapping counts of an index entry.
const INDEX_COUNTS_LEN: usize = 12;

/// The index payload: one fixed-size entry per frames chunk.
pub(crate) fn encode_index(entries: &[ChunkEntry], mappings: usize) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(entries.len() * (INDEX_ENTRY_FIXED + INDEX_COUNTS_LEN * mappings));
    for e in entries {
        out.extend_from_slice(&e.offset.to_le_bytes());
        out.extend_from_slice(&e.payload_len.to_le_bytes());
        out.extend_from_slice(&e.frame_count.to_le_bytes());
        out.extend_from_slice(&e.first_frame.to_le_bytes());
        out.extend_from_slice(&e.start_ns.to_le_bytes());
        out.extend_from_slice(&e.end_ns.to_le_bytes());
        for m in 0..mappings {
            let c = e
                .counts
                .as_ref()
                .and_then(|c| c.get(m))
                .copied()
                .unwrap_or_default();
            for v in [c.frames_changed, c.pages_changed, c.state_changes] {
                out.extend_from_slice(&(v.min(u64::from(u32::MAX)) as u32).to_le_bytes());
            }
        }
    }
    out
}

/// Reads an index payload written by [`encode_index`]. Only the layout is
/// checked here; how entries fit the file is the reader's business.
pub(crate) fn decode_index(raw: &[u8], mappings: usize) -> Result<Vec<ChunkEntry>, String> {
    let size = INDEX_ENTRY_FIXED + INDEX_COUNTS_LEN * mappings;
    if !raw.len().is_multiple_of(size) {
        return Err(format!(
            "its {} bytes are not a whole number of {size}-byte entries",
            raw.len()
        ));
    }
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes(crate::format::le4(&b[at..]));
    let u64_at = |b: &[u8], at: usize| u64::from_le_bytes(crate::format::le8(&b[at..]));
    Ok(raw
        .chunks_exact(size)
        .map(|b| ChunkEntry {
            offset: u64_at(b, 0),
            payload_len: u32_at(b, 8),
            frame_count: u32_at(b, 12),
            first_frame: u64_at(b, 16),
            start_ns: u64_at(b, 24),
            end_ns: u64_at(b, 32),
            counts: Some(
                (0..mappings)
                    .map(|m| {
                        let at = INDEX_ENTRY_FIXED + m * INDEX_COUNTS_LEN;
                        MappingCounts {
                            frames_changed: u64::from(u32_at(b, at)),
                            pages_changed: u64::from(u32_at(b, at + 4)),
                            state_changes: u64::from(u32_at(b, at + 8)),
                        }
                    })
                    .collect(),
            ),
        })
        .collect())
}
