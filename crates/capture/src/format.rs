//! The fixed binary parts of a capture file: the preamble, chunk headers,
//! the trailer, mapping states and varints. docs/capture-format.md is the
//! specification; this module is its byte layout, and nothing here does I/O.
//!
//! Every multi-byte integer is little-endian. Every fixed-size structure
//! carries a magic and a CRC-32 (IEEE, as `crc32fast` computes it) so a
//! reader can tell a cut or damaged file from a valid one without trusting
//! any length it has not checked.

/// The first 8 bytes of every capture. The high first byte catches 7-bit
/// transfers, `\r\n` catches newline conversion (as PNG's signature does).
pub const MAGIC: [u8; 8] = *b"\x89BKCAP\r\n";

/// The format version this crate writes, and the newest it reads.
pub const FORMAT_VERSION: u16 = 1;

/// Bytes in the preamble: magic, version, flags, header length.
pub const PREAMBLE_LEN: usize = 16;

/// Longest JSON header accepted, in bytes.
pub const MAX_HEADER_LEN: u32 = 1 << 20;

/// Magic of a chunk header.
pub const CHUNK_MAGIC: [u8; 4] = *b"BKCH";

/// Bytes in a chunk header.
pub const CHUNK_HEADER_LEN: usize = 52;

/// Chunk kind: frames (a base state, then frames).
pub const KIND_FRAMES: u8 = 1;

/// Chunk kind: the index written at a clean close.
pub const KIND_INDEX: u8 = 2;

/// Chunk kinds from this value up are ancillary: a reader that does not
/// know one skips it. Unknown kinds below it are an error.
pub const FIRST_ANCILLARY_KIND: u8 = 0x80;

/// Magic at the very end of a cleanly closed capture.
pub const TRAILER_MAGIC: [u8; 8] = *b"BKCAPEND";

/// Bytes in the trailer: index offset, magic.
pub const TRAILER_LEN: usize = 16;

/// Largest decompressed chunk payload accepted, in bytes.
pub const MAX_RAW_CHUNK: u32 = 256 << 20;

/// Largest sum of all mapping sizes a capture may declare, in bytes.
pub const MAX_TOTAL_MAPPING_BYTES: u64 = 64 << 20;

/// Bytes of one encoded [`MappingState`].
pub const STATE_LEN: usize = 5;

/// Frame entry tag: a page stored as XOR with a prediction of its new
/// contents (see docs/capture-format.md).
pub const ENTRY_PAGE: u8 = 1;

/// Frame entry tag: a mapping's state changed.
pub const ENTRY_STATE: u8 = 2;

/// The start of a capture: magic, format version, header length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preamble {
    /// Format version (see [`FORMAT_VERSION`]).
    pub version: u16,
    /// Bytes of the JSON header that follows.
    pub header_len: u32,
}

impl Preamble {
    /// The 16 preamble bytes.
    pub fn encode(&self) -> [u8; PREAMBLE_LEN] {
        let mut out = [0u8; PREAMBLE_LEN];
        out[..8].copy_from_slice(&MAGIC);
        out[8..10].copy_from_slice(&self.version.to_le_bytes());
        // Bytes 10..12 are flags, zero in version 1.
        out[12..16].copy_from_slice(&self.header_len.to_le_bytes());
        out
    }

    /// Reads the fields of 16 bytes already known to start with [`MAGIC`].
    pub fn decode(bytes: &[u8; PREAMBLE_LEN]) -> Preamble {
        Preamble {
            version: u16::from_le_bytes([bytes[8], bytes[9]]),
            header_len: u32::from_le_bytes(le4(&bytes[12..16])),
        }
    }
}

/// The fixed header in front of every chunk's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkHeader {
    /// [`KIND_FRAMES`], [`KIND_INDEX`] or an ancillary kind.
    pub kind: u8,
    /// Bytes of the stored (zstd-compressed) payload that follows.
    pub payload_len: u32,
    /// Bytes of the payload once decompressed.
    pub raw_len: u32,
    /// Number of the chunk's first frame in the whole capture.
    pub first_frame: u64,
    /// Frames in the chunk.
    pub frame_count: u32,
    /// CRC-32 of the stored payload.
    pub payload_crc: u32,
    /// Time of the first frame, in ns since the capture started.
    pub start_ns: u64,
    /// Time of the last frame, in ns since the capture started.
    pub end_ns: u64,
}

impl ChunkHeader {
    /// The 52 header bytes, the last 4 being the CRC-32 of the first 48.
    pub fn encode(&self) -> [u8; CHUNK_HEADER_LEN] {
        let mut out = [0u8; CHUNK_HEADER_LEN];
        out[0..4].copy_from_slice(&CHUNK_MAGIC);
        out[4] = self.kind;
        // 5..8 reserved, zero.
        out[8..12].copy_from_slice(&self.payload_len.to_le_bytes());
        out[12..16].copy_from_slice(&self.raw_len.to_le_bytes());
        out[16..24].copy_from_slice(&self.first_frame.to_le_bytes());
        out[24..28].copy_from_slice(&self.frame_count.to_le_bytes());
        out[28..32].copy_from_slice(&self.payload_crc.to_le_bytes());
        out[32..40].copy_from_slice(&self.start_ns.to_le_bytes());
        out[40..48].copy_from_slice(&self.end_ns.to_le_bytes());
        let crc = crc32fast::hash(&out[..48]);
        out[48..52].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// Checks the magic and the header CRC, then reads the fields.
    pub fn decode(bytes: &[u8; CHUNK_HEADER_LEN]) -> Result<ChunkHeader, String> {
        if bytes[0..4] != CHUNK_MAGIC {
            return Err(format!(
                "no chunk header here (found {}, expected \"BKCH\")",
                hex(&bytes[0..4])
            ));
        }
        let stored = u32::from_le_bytes(le4(&bytes[48..52]));
        let computed = crc32fast::hash(&bytes[..48]);
        if stored != computed {
            return Err(format!(
                "chunk header checksum mismatch (stored {stored:08x}, computed {computed:08x})"
            ));
        }
        let header = ChunkHeader {
            kind: bytes[4],
            payload_len: u32::from_le_bytes(le4(&bytes[8..12])),
            raw_len: u32::from_le_bytes(le4(&bytes[12..16])),
            first_frame: u64::from_le_bytes(le8(&bytes[16..24])),
            frame_count: u32::from_le_bytes(le4(&bytes[24..28])),
            payload_crc: u32::from_le_bytes(le4(&bytes[28..32])),
            start_ns: u64::from_le_bytes(le8(&bytes[32..40])),
            end_ns: u64::from_le_bytes(le8(&bytes[40..48])),
        };
        if header.raw_len > MAX_RAW_CHUNK {
            return Err(format!(
                "chunk claims {} decompressed bytes; the limit is {MAX_RAW_CHUNK}",
                header.raw_len
            ));
        }
        if header.start_ns > header.end_ns {
            return Err(format!(
                "chunk starts at {} ns, after it ends at {} ns",
                header.start_ns, header.end_ns
            ));
        }
        Ok(header)
    }

    /// Bytes the chunk takes in the file, header included.
    pub fn total_len(&self) -> u64 {
        CHUNK_HEADER_LEN as u64 + u64::from(self.payload_len)
    }
}

/// The 16 bytes that end a cleanly closed capture.
pub fn encode_trailer(index_offset: u64) -> [u8; TRAILER_LEN] {
    let mut out = [0u8; TRAILER_LEN];
    out[..8].copy_from_slice(&index_offset.to_le_bytes());
    out[8..].copy_from_slice(&TRAILER_MAGIC);
    out
}

/// The index offset of a trailer, or `None` when its magic is missing.
pub fn decode_trailer(bytes: &[u8; TRAILER_LEN]) -> Option<u64> {
    (bytes[8..] == TRAILER_MAGIC).then(|| u64::from_le_bytes(le8(&bytes[..8])))
}

/// Whether a mapping's backing file was there, and how much of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MappingState {
    /// The file is missing (or unreadable): a gap, e.g. while the game
    /// restarts its session. The last contents are kept.
    Missing,
    /// The file holds at least the declared size.
    Live,
    /// The file is shorter than declared: its first `len` bytes are the
    /// contents, the rest reads as zeros.
    Short {
        /// Bytes present.
        len: u32,
    },
}

impl MappingState {
    /// The 5 bytes: a tag (0 missing, 1 live, 2 short) and a length.
    pub fn encode(self) -> [u8; STATE_LEN] {
        let (tag, len) = match self {
            MappingState::Missing => (0u8, 0u32),
            MappingState::Live => (1, 0),
            MappingState::Short { len } => (2, len),
        };
        let mut out = [0u8; STATE_LEN];
        out[0] = tag;
        out[1..].copy_from_slice(&len.to_le_bytes());
        out
    }

    /// Reads 5 bytes written by [`MappingState::encode`] for a mapping of
    /// `size` bytes.
    pub fn decode(bytes: &[u8], size: u64) -> Result<MappingState, String> {
        let len = u32::from_le_bytes(le4(&bytes[1..5]));
        match (bytes[0], len) {
            (0, 0) => Ok(MappingState::Missing),
            (1, 0) => Ok(MappingState::Live),
            (2, len) if u64::from(len) < size => Ok(MappingState::Short { len }),
            (2, len) => Err(format!(
                "a short mapping state of {len} bytes is not shorter than the mapping ({size} bytes)"
            )),
            (tag, len) => Err(format!("unknown mapping state {tag} (length {len})")),
        }
    }

    /// Whether the file was there.
    pub fn is_present(self) -> bool {
        !matches!(self, MappingState::Missing)
    }
}

/// Appends `value` as an unsigned LEB128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads an unsigned LEB128 varint at `*pos`, advancing it.
pub fn get_varint(bytes: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let Some(&byte) = bytes.get(*pos) else {
            return Err(format!("a number is cut at byte {pos} of the payload"));
        };
        *pos += 1;
        let bits = u64::from(byte & 0x7f);
        if shift == 63 && bits > 1 {
            return Err(format!("a number overflows 64 bits at byte {pos}"));
        }
        value |= bits << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(format!("a number is longer than 10 bytes at byte {pos}"))
}

/// Bytes as space-separated hex, for messages.
pub fn hex(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
    if parts.is_empty() {
        "nothing".into()
    } else {
        parts.join(" ")
    }
}

pub(crate) fn le4(bytes: &[u8]) -> [u8; 4] {
    let mut out = [0u8; 4];
    out.copy_from_slice(&bytes[..4]);
    out
}

pub(crate) fn le8(bytes: &[u8]) -> [u8; 8] {
    let mut out = [0u8; 8];
    out.copy_from_slice(&bytes[..8]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_refuse_overflow() {
        for value in [0, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            let mut pos = 0;
            assert_eq!(get_varint(&out, &mut pos).unwrap(), value);
            assert_eq!(pos, out.len());
        }
        let mut pos = 0;
        assert!(get_varint(&[0xff; 10], &mut pos).is_err());
        let mut pos = 0;
        assert!(get_varint(&[0x80], &mut pos).unwrap_err().contains("cut"));
    }

    #[test]
    fn chunk_headers_round_trip_and_catch_damage() {
        let header = ChunkHeader {
            kind: KIND_FRAMES,
            payload_len: 1234,
            raw_len: 99999,
            first_frame: 77,
            frame_count: 333,
            payload_crc: 0xdeadbeef,
            start_ns: 5,
            end_ns: 1_000_000_005,
        };
        let mut bytes = header.encode();
        assert_eq!(ChunkHeader::decode(&bytes).unwrap(), header);
        bytes[20] ^= 1;
        assert!(
            ChunkHeader::decode(&bytes)
                .unwrap_err()
                .contains("checksum")
        );
        bytes[0] = b'X';
        assert!(ChunkHeader::decode(&bytes).unwrap_err().contains("BKCH"));
    }

    #[test]
    fn states_round_trip_and_refuse_nonsense() {
        for state in [
            MappingState::Missing,
            MappingState::Live,
            MappingState::Short { len: 10 },
        ] {
            assert_eq!(MappingState::decode(&state.encode(), 4096).unwrap(), state);
        }
        let long = MappingState::Short { len: 4096 }.encode();
        assert!(MappingState::decode(&long, 4096).is_err());
        assert!(MappingState::decode(&[7, 0, 0, 0, 0], 4096).is_err());
    }
}
