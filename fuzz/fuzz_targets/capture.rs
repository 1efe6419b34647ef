//! Capture files (`crates/capture`): the preamble, JSON header, chunk
//! headers, index and trailer, zstd payloads and the frames inside them.
//!
//! Input: the bytes of a capture file (seeds: small captures, clean, cut
//! and damaged, written by `crates/capture/tests/fuzz_seeds.rs`).
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

use bridgekeeper_capture::{CaptureReader, Change};
use libfuzzer_sys::fuzz_target;

const LABEL: &str = "fuzz.bkcap";
/// Frames stepped through at most, to bound the time per input.
const MAX_FRAMES: u64 = 20_000;

fuzz_target!(|data: &[u8]| {
    let mut reader = match CaptureReader::from_bytes(Path::new(LABEL), data.to_vec()) {
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
