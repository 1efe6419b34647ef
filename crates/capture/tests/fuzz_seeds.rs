//! Writes the seeds of the `capture` fuzz target (`fuzz/corpus/capture/`):
//! small captures, clean, unfinished, cut and damaged, each after a mode
//! byte: 0 for the file as it is, 1 for the form whose payloads are stored
//! uncompressed (the target compresses them and writes the checksums).
//!
//! BRIDGEKEEPER_FUZZ_CORPUS=$PWD/fuzz/corpus cargo test -p bridgekeeper-capture --test fuzz_seeds -- --ignored

mod common;

use std::path::PathBuf;

use bridgekeeper_capture::CaptureReader;
use bridgekeeper_capture::format::{CHUNK_HEADER_LEN, PREAMBLE_LEN};
use common::small_capture;

#[test]
#[ignore = "writes fuzz/corpus/capture; run by hand after a format change"]
fn write_capture_seeds() {
    let dir = PathBuf::from(
        std::env::var_os("BRIDGEKEEPER_FUZZ_CORPUS")
            .expect("set BRIDGEKEEPER_FUZZ_CORPUS to the fuzz/corpus directory"),
    )
    .join("capture");
    std::fs::create_dir_all(&dir).unwrap();
    let (clean, _) = small_capture();
    let index_offset =
        u64::from_le_bytes(clean[clean.len() - 16..clean.len() - 8].try_into().unwrap()) as usize;
    let mut damaged = clean.clone();
    damaged[index_offset / 2] ^= 0x10;
    let seeds = [
        ("clean.bkcap", clean.clone()),
        ("unfinished.bkcap", clean[..index_offset].to_vec()),
        ("cut.bkcap", clean[..index_offset * 2 / 3].to_vec()),
        ("damaged.bkcap", damaged),
    ];
    for (name, bytes) in seeds {
        // Every seed opens: the fuzzer starts from readable captures.
        CaptureReader::from_bytes(name.as_ref(), bytes.clone()).unwrap();
        std::fs::write(dir.join(name), [&[0u8][..], &bytes].concat()).unwrap();
    }
    std::fs::write(
        dir.join("clean-uncompressed.bkcap"),
        [&[1u8][..], &uncompressed(&clean[..index_offset])].concat(),
    )
    .unwrap();
}

/// The frames chunks of a capture with their payloads decompressed and
/// `payload_len` set to the raw length (checksums are left as they were).
fn uncompressed(capture: &[u8]) -> Vec<u8> {
    let header_len = u32::from_le_bytes(capture[12..16].try_into().unwrap()) as usize;
    let mut pos = PREAMBLE_LEN + header_len + 4;
    let mut out = capture[..pos].to_vec();
    while pos < capture.len() {
        let mut header = capture[pos..pos + CHUNK_HEADER_LEN].to_vec();
        let stored_len = u32::from_le_bytes(header[8..12].try_into().unwrap()) as usize;
        let start = pos + CHUNK_HEADER_LEN;
        let raw = zstd::bulk::decompress(&capture[start..start + stored_len], 1 << 24).unwrap();
        header[8..12].copy_from_slice(&(raw.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&raw);
        pos = start + stored_len;
    }
    out
}
