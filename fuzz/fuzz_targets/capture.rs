//! Capture files (`crates/capture`): the preamble, JSON header, chunk
//! headers, index and trailer, zstd payloads and the frames inside them.
//!
//! Input: a mode byte, then a capture file. Mode 0 (even): the bytes as
//! they are. Mode 1 (odd): chunk payloads stored uncompressed and checksums
//! left to the target, which compresses each payload and writes every
//! length and CRC-32 before reading, so mutations reach the JSON header and
//! the frames inside chunks instead of stopping at a checksum (seeds of
//! both kinds: small captures, clean, cut and damaged, written by
//! `crates/capture/tests/fuzz_seeds.rs`).
//!
//! Asserts: opening either fails with a message that names the file, or
//! gives a header that passes validation. Stepping through the frames then
//! either fails the same way or yields frames numbered in order, with
//! non-decreasing times, changes that name existing mappings and pages, and
//! every mapping's contents exactly its declared size at every frame; a
//! seek back to the last frame read gives the same contents as stepping
//! did; the figures and the `--info` text never panic.

#![no_main]

use std::path::Path;

use bridgekeeper_capture::format::{CHUNK_HEADER_LEN, ChunkHeader, PREAMBLE_LEN};
use bridgekeeper_capture::{CaptureReader, Change};
use libfuzzer_sys::fuzz_target;

const LABEL: &str = "fuzz.bkcap";
/// Frames stepped through at most, to bound the time per input.
const MAX_FRAMES: u64 = 20_000;

/// Mode 1: recomputes the header CRC, and compresses every chunk payload
/// (stored raw, its length in the header's `payload_len`) with correct
/// lengths and checksums. Bytes after the last whole chunk stay as they are.
fn repair(input: &[u8]) -> Vec<u8> {
    if input.len() < PREAMBLE_LEN {
        return input.to_vec();
    }
    let header_len = u32::from_le_bytes(input[12..16].try_into().unwrap()) as usize;
    let header_end = (PREAMBLE_LEN + header_len).min(input.len());
    let mut out = input[..header_end].to_vec();
    out.extend_from_slice(&crc32fast::hash(&out).to_le_bytes());
    let mut pos = (header_end + 4).min(input.len());
    while input.len() - pos >= CHUNK_HEADER_LEN {
        let bytes: &[u8; CHUNK_HEADER_LEN] = input[pos..pos + CHUNK_HEADER_LEN].try_into().unwrap();
        let field = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let field8 = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
        let start = pos + CHUNK_HEADER_LEN;
        let raw = &input[start..(start + field(8) as usize).min(input.len())];
        let Ok(stored) = zstd::bulk::compress(raw, 1) else {
            break;
        };
        let header = ChunkHeader {
            kind: bytes[4],
            payload_len: stored.len() as u32,
            raw_len: raw.len() as u32,
            first_frame: field8(16),
            frame_count: field(24),
            payload_crc: crc32fast::hash(&stored),
            start_ns: field8(32),
            end_ns: field8(40),
        };
        out.extend_from_slice(&header.encode());
        out.extend_from_slice(&stored);
        pos = start + raw.len();
    }
    out.extend_from_slice(&input[pos..]);
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, input)) = data.split_first() else {
        return;
    };
    let bytes = if mode % 2 == 1 {
        repair(input)
    } else {
        input.to_vec()
    };
    let mut reader = match CaptureReader::from_bytes(Path::new(LABEL), bytes) {
        Ok(reader) => reader,
        Err(err) => {
            let msg = err.to_string();
            assert!(
                msg.starts_with(&format!("{LABEL}: ")) && msg.len() > LABEL.len() + 2,
                "{msg}"
            );
            return;
        }
    };
    let header = reader.header().clone();
    header.validate().expect("an accepted header is valid");
    let sizes: Vec<usize> = header.mappings.iter().map(|m| m.size as usize).collect();
    let mut last: Option<(u64, Vec<Vec<u8>>)> = None;
    let mut time = None;
    for expected in 0..MAX_FRAMES {
        let frame = match reader.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(err) => {
                assert!(err.to_string().starts_with(&format!("{LABEL}: ")), "{err}");
                break;
            }
        };
        assert_eq!(frame.index, expected);
        assert!(time <= Some(frame.time), "time went back");
        time = Some(frame.time);
        for change in &frame.changes {
            let (Change::Page { mapping, .. } | Change::State { mapping, .. }) = *change;
            assert!(mapping < sizes.len());
            if let Change::Page { mapping, page } = *change {
                assert!(page < header.page_count(mapping));
            }
        }
        for (m, size) in sizes.iter().enumerate() {
            assert_eq!(reader.mapping(m).len(), *size);
        }
        last = Some((
            frame.index,
            (0..sizes.len())
                .map(|m| reader.mapping(m).to_vec())
                .collect(),
        ));
    }
    if let Some((index, images)) = last {
        reader
            .seek_frame(index)
            .expect("a frame read once reads again");
        for (m, image) in images.iter().enumerate() {
            assert!(
                reader.mapping(m) == image.as_slice(),
                "seek and step differ"
            );
        }
    }
    let _ = reader.describe();
});
