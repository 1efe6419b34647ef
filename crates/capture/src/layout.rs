//! Opening a capture: the preamble and header, then where every frames
//! chunk is, from the index a clean close wrote or, without one, from a
//! scan of the chunk headers.
//!
//! A capture may be cut anywhere (a killed recorder, a full disk, a copy
//! stopped early) or damaged. Nothing read here is trusted before its magic,
//! CRC and bounds are checked, nothing is allocated from an unchecked
//! length, and the scan stops at the first chunk that is incomplete or
//! inconsistent: what comes before it is the readable capture, and
//! [`CaptureEnd`] says where and why it stopped. An index that disagrees
//! with the file is ignored in favour of a scan, and said so.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::chunk::{ChunkEntry, decode_index};
use crate::error::{CaptureError, Problem};
use crate::format::{
    CHUNK_HEADER_LEN, ChunkHeader, FIRST_ANCILLARY_KIND, FORMAT_VERSION, KIND_FRAMES, KIND_INDEX,
    MAGIC, MAX_HEADER_LEN, PREAMBLE_LEN, Preamble, TRAILER_LEN, decode_trailer, hex,
};
use crate::header::CaptureHeader;

/// How a capture file ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureEnd {
    /// Closed by [`crate::CaptureWriter::finish`]: index and trailer present.
    Clean,
    /// Every byte belongs to a complete chunk, but there is no index: the
    /// recorder stopped without finishing (killed between two chunks).
    Unfinished,
    /// The file ends with bytes that are not a complete, valid chunk: it was
    /// cut (killed recorder, full disk, partial copy) or is damaged there.
    /// Everything before `readable_bytes` reads normally.
    Cut {
        /// Bytes from the start that form the readable capture.
        readable_bytes: u64,
        /// Length of the file.
        file_bytes: u64,
        /// What was found at `readable_bytes`.
        reason: String,
    },
}

impl CaptureEnd {
    /// One sentence for `--info`.
    pub fn describe(&self) -> String {
        match self {
            CaptureEnd::Clean => "ended cleanly (index present)".into(),
            CaptureEnd::Unfinished => {
                "ended without an index (the recorder was stopped); every chunk is complete".into()
            }
            CaptureEnd::Cut {
                readable_bytes,
                file_bytes,
                reason,
            } => format!(
                "cut: the last {} bytes (from byte {readable_bytes}) are not a complete chunk ({reason}); everything before reads normally",
                file_bytes - readable_bytes
            ),
        }
    }
}

/// The bytes of a capture: a file read with positional reads, or memory.
#[derive(Debug)]
pub(crate) enum Backing {
    File(File),
    Memory(Vec<u8>),
}

impl Backing {
    pub fn len(&self) -> io::Result<u64> {
        match self {
            Backing::File(f) => Ok(f.metadata()?.len()),
            Backing::Memory(m) => Ok(m.len() as u64),
        }
    }

    pub fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        match self {
            Backing::File(f) => f.read_exact_at(buf, offset),
            Backing::Memory(m) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX);
                match start
                    .checked_add(buf.len())
                    .and_then(|end| m.get(start..end))
                {
                    Some(bytes) => {
                        buf.copy_from_slice(bytes);
                        Ok(())
                    }
                    None => Err(io::ErrorKind::UnexpectedEof.into()),
                }
            }
        }
    }

    pub fn read_vec(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0u8; len];
        self.read_exact_at(&mut buf, offset)?;
        Ok(buf)
    }
}

/// What opening found.
#[derive(Debug)]
pub(crate) struct Layout {
    pub header: CaptureHeader,
    pub file_len: u64,
    pub chunks: Vec<ChunkEntry>,
    pub end: CaptureEnd,
    /// Why the index was not used although the file has a trailer.
    pub index_problem: Option<String>,
}

/// Reads the preamble and header and finds the chunks.
pub(crate) fn open(path: &Path, source: &Backing) -> Result<Layout, CaptureError> {
    let fail = |problem| CaptureError::new(path, problem);
    let io_fail = |action| move |source| CaptureError::new(path, Problem::Io { action, source });
    let file_len = source.len().map_err(io_fail("cannot read its length"))?;

    let mut preamble = [0u8; PREAMBLE_LEN];
    let have = file_len.min(PREAMBLE_LEN as u64) as usize;
    source
        .read_exact_at(&mut preamble[..have], 0)
        .map_err(io_fail("cannot read it"))?;
    let magic_len = have.min(MAGIC.len());
    if preamble[..magic_len] != MAGIC[..magic_len] || have == 0 {
        return Err(fail(Problem::Foreign {
            found: hex(&preamble[..magic_len]),
        }));
    }
    let needed = PREAMBLE_LEN as u64;
    if have < PREAMBLE_LEN {
        return Err(fail(Problem::TruncatedHeader {
            len: file_len,
            needed,
        }));
    }
    let preamble_fields = Preamble::decode(&preamble);
    match preamble_fields.version {
        0 => return Err(fail(Problem::ZeroVersion)),
        v if v > FORMAT_VERSION => return Err(fail(Problem::FutureVersion { found: v })),
        _ => {}
    }
    let header_len = preamble_fields.header_len;
    if header_len > MAX_HEADER_LEN {
        return Err(fail(Problem::BadHeader(format!(
            "it claims {header_len} bytes; the limit is {MAX_HEADER_LEN}"
        ))));
    }
    let data_start = PREAMBLE_LEN as u64 + u64::from(header_len) + 4;
    if file_len < data_start {
        return Err(fail(Problem::TruncatedHeader {
            len: file_len,
            needed: data_start,
        }));
    }
    let rest = source
        .read_vec(PREAMBLE_LEN as u64, header_len as usize + 4)
        .map_err(io_fail("cannot read its header"))?;
    let (json, crc) = rest.split_at(header_len as usize);
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&preamble);
    hasher.update(json);
    let computed = hasher.finalize();
    let stored = u32::from_le_bytes(crate::format::le4(crc));
    if stored != computed {
        return Err(fail(Problem::BadHeader(format!(
            "checksum mismatch (stored {stored:08x}, computed {computed:08x}); the file is damaged"
        ))));
    }
    let header: CaptureHeader = serde_json::from_slice(json).map_err(|e| {
        fail(Problem::BadHeader(format!(
            "its JSON is not a capture header: {e}"
        )))
    })?;
    header.validate().map_err(|e| fail(Problem::BadHeader(e)))?;

    let mut layout = Layout {
        header,
        file_len,
        chunks: Vec::new(),
        end: CaptureEnd::Unfinished,
        index_problem: None,
    };
    match read_index(source, &layout.header, data_start, file_len) {
        Ok(Some(chunks)) => {
            layout.chunks = chunks;
            layout.end = CaptureEnd::Clean;
        }
        Ok(None) => scan(source, data_start, &mut layout),
        Err(problem) => {
            layout.index_problem = Some(problem);
            scan(source, data_start, &mut layout);
        }
    }
    Ok(layout)
}

/// The chunks listed by the index, `None` without a trailer, or why the
/// index cannot be used.
fn read_index(
    source: &Backing,
    header: &CaptureHeader,
    data_start: u64,
    file_len: u64,
) -> Result<Option<Vec<ChunkEntry>>, String> {
    let min_len = data_start + (CHUNK_HEADER_LEN + TRAILER_LEN) as u64;
    if file_len < min_len {
        return Ok(None);
    }
    let mut trailer = [0u8; TRAILER_LEN];
    source
        .read_exact_at(&mut trailer, file_len - TRAILER_LEN as u64)
        .map_err(|e| format!("cannot read the trailer: {e}"))?;
    let Some(index_offset) = decode_trailer(&trailer) else {
        return Ok(None);
    };
    let index_end = file_len - TRAILER_LEN as u64;
    if index_offset < data_start || index_offset > index_end - CHUNK_HEADER_LEN as u64 {
        return Err(format!(
            "the trailer points to byte {index_offset}, outside the chunks"
        ));
    }
    let ch = read_chunk_header(source, index_offset)?;
    if ch.kind != KIND_INDEX {
        return Err(format!("the chunk at byte {index_offset} is not an index"));
    }
    if index_offset + ch.total_len() != index_end {
        return Err("the index does not end where the trailer starts".into());
    }
    let raw = read_payload(source, index_offset, &ch)?;
    let entries = decode_index(&raw, header.mappings.len())?;
    check_index(&entries, data_start, index_offset, &ch)?;
    Ok(Some(entries))
}

/// Checks that index entries describe non-overlapping chunks in file order,
/// with frame numbers and times that follow on.
fn check_index(
    entries: &[ChunkEntry],
    data_start: u64,
    index_offset: u64,
    index: &ChunkHeader,
) -> Result<(), String> {
    let mut next_offset = data_start;
    let mut next_frame = 0u64;
    let mut last_ns = 0u64;
    for (i, e) in entries.iter().enumerate() {
        let end = e.offset + CHUNK_HEADER_LEN as u64 + u64::from(e.payload_len);
        if e.offset < next_offset || end > index_offset {
            return Err(format!(
                "entry {i} places a chunk at byte {} out of order",
                e.offset
            ));
        }
        check_follows(e, next_frame, last_ns).map_err(|what| format!("entry {i}: {what}"))?;
        next_offset = end;
        next_frame += u64::from(e.frame_count);
        last_ns = e.end_ns;
    }
    let total = next_frame.min(u64::from(u32::MAX)) as u32;
    if total != index.frame_count {
        return Err(format!(
            "it lists {next_frame} frames but its header says {}",
            index.frame_count
        ));
    }
    Ok(())
}

/// Checks a chunk's frame numbers and times against the chunk before.
fn check_follows(e: &ChunkEntry, next_frame: u64, last_ns: u64) -> Result<(), String> {
    if e.frame_count == 0 {
        return Err("a frames chunk with no frame".into());
    }
    if e.first_frame != next_frame {
        return Err(format!(
            "it starts at frame {}, expected {next_frame}",
            e.first_frame
        ));
    }
    if e.start_ns < last_ns || e.start_ns > e.end_ns {
        return Err(format!(
            "its time range {}..{} ns does not follow the previous chunk's end ({last_ns} ns)",
            e.start_ns, e.end_ns
        ));
    }
    Ok(())
}

/// Walks the chunk headers from the first; stops at the index, the end of
/// the file, or the first chunk that is incomplete or inconsistent.
fn scan(source: &Backing, data_start: u64, layout: &mut Layout) {
    let file_len = layout.file_len;
    let mut pos = data_start;
    let mut next_frame = 0u64;
    let mut last_ns = 0u64;
    let cut = |pos: u64, reason: String| CaptureEnd::Cut {
        readable_bytes: pos,
        file_bytes: file_len,
        reason,
    };
    layout.end = loop {
        if pos == file_len {
            break CaptureEnd::Unfinished;
        }
        if file_len - pos < CHUNK_HEADER_LEN as u64 {
            break cut(pos, "the file ends inside a chunk header".into());
        }
        let ch = match read_chunk_header(source, pos) {
            Ok(ch) => ch,
            Err(reason) => break cut(pos, reason),
        };
        if ch.total_len() > file_len - pos {
            break cut(
                pos,
                format!(
                    "the chunk needs {} bytes, the file has {} left",
                    ch.total_len(),
                    file_len - pos
                ),
            );
        }
        match ch.kind {
            KIND_FRAMES => {
                let entry = ChunkEntry {
                    offset: pos,
                    payload_len: ch.payload_len,
                    frame_count: ch.frame_count,
                    first_frame: ch.first_frame,
                    start_ns: ch.start_ns,
                    end_ns: ch.end_ns,
                    counts: None,
                };
                if let Err(what) = check_follows(&entry, next_frame, last_ns) {
                    break cut(pos, format!("a chunk that does not follow on: {what}"));
                }
                next_frame += u64::from(ch.frame_count);
                last_ns = ch.end_ns;
                layout.chunks.push(entry);
            }
            KIND_INDEX => {
                break cut(
                    pos,
                    match &layout.index_problem {
                        Some(problem) => format!("the index is damaged: {problem}"),
                        None => "an index without its trailer".into(),
                    },
                );
            }
            kind if kind >= FIRST_ANCILLARY_KIND => {}
            kind => {
                break cut(
                    pos,
                    format!("unknown chunk kind {kind} (written by a newer version, or damaged)"),
                );
            }
        }
        pos += ch.total_len();
    };
}

/// Reads and checks the chunk header at `offset`.
pub(crate) fn read_chunk_header(source: &Backing, offset: u64) -> Result<ChunkHeader, String> {
    let mut bytes = [0u8; CHUNK_HEADER_LEN];
    source
        .read_exact_at(&mut bytes, offset)
        .map_err(|e| format!("cannot read the chunk header: {e}"))?;
    ChunkHeader::decode(&bytes)
}

/// Reads, checks and decompresses the payload of the chunk at `offset`.
pub(crate) fn read_payload(
    source: &Backing,
    offset: u64,
    ch: &ChunkHeader,
) -> Result<Vec<u8>, String> {
    let stored = source
        .read_vec(offset + CHUNK_HEADER_LEN as u64, ch.payload_len as usize)
        .map_err(|e| format!("cannot read its {} payload bytes: {e}", ch.payload_len))?;
    let computed = crc32fast::hash(&stored);
    if computed != ch.payload_crc {
        return Err(format!(
            "payload checksum mismatch (stored {:08x}, computed {computed:08x})",
            ch.payload_crc
        ));
    }
    let mut raw = Vec::with_capacity(ch.raw_len as usize);
    let mut decompressor =
        zstd::bulk::Decompressor::new().map_err(|e| format!("cannot start zstd: {e}"))?;
    let len = decompressor
        .decompress_to_buffer(&stored, &mut raw)
        .map_err(|e| format!("its payload is not valid zstd of {} bytes: {e}", ch.raw_len))?;
    if len != ch.raw_len as usize {
        return Err(format!(
            "its payload decompresses to {len} bytes, not the {} its header says",
            ch.raw_len
        ));
    }
    Ok(raw)
}
