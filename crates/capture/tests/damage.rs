//! Bad input: cut, damaged, foreign and future files give a clear error
//! naming the file, or read back exactly the frames they still hold.

mod common;

use std::path::Path;

use bridgekeeper_capture::format::{CHUNK_HEADER_LEN, PREAMBLE_LEN};
use bridgekeeper_capture::{CaptureEnd, CaptureReader};
use common::{Expected, assert_at, small_capture};

/// Offsets of the chunk headers of a clean capture, frames chunks first,
/// the index last, found by following the lengths.
fn chunk_offsets(bytes: &[u8]) -> Vec<usize> {
    let header_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let mut pos = PREAMBLE_LEN + header_len + 4;
    let mut offsets = Vec::new();
    while pos + CHUNK_HEADER_LEN <= bytes.len() - 16 {
        offsets.push(pos);
        let payload = u32::from_le_bytes(bytes[pos + 8..pos + 12].try_into().unwrap()) as usize;
        pos += CHUNK_HEADER_LEN + payload;
    }
    assert_eq!(pos, bytes.len() - 16, "the chunks end at the trailer");
    offsets
}

fn read_all(reader: &mut CaptureReader, expected: &[Expected]) -> usize {
    let mut n = 0;
    while let Some(frame) = reader.next_frame().unwrap() {
        assert_eq!(frame.index, n as u64);
        assert_at(reader, &expected[n], &format!("frame {n}"));
        n += 1;
    }
    n
}

#[test]
fn a_capture_cut_at_every_byte_errors_clearly_or_reads_a_prefix_exactly() {
    let (bytes, expected) = small_capture();
    let offsets = chunk_offsets(&bytes);
    let data_start = offsets[0];
    let index_offset = *offsets.last().unwrap();
    let mut last_count = 0;
    for cut in 0..=bytes.len() {
        let label = format!("cut-at-{cut}.bkcap");
        match CaptureReader::from_bytes(Path::new(&label), bytes[..cut].to_vec()) {
            Err(err) => {
                let msg = err.to_string();
                assert!(cut < data_start, "cut at {cut}: {msg}");
                assert!(msg.starts_with(&label), "the error names the file: {msg}");
                assert!(
                    msg.contains("ends inside its header")
                        || (cut == 0 && msg.contains("not a Bridgekeeper capture")),
                    "cut at {cut}: {msg}"
                );
            }
            Ok(mut reader) => {
                assert!(cut >= data_start, "cut at {cut} opened");
                let n = read_all(&mut reader, &expected);
                assert_eq!(n as u64, reader.frame_count());
                assert!(n >= last_count, "a longer prefix never reads fewer frames");
                last_count = n;
                if cut >= index_offset {
                    assert_eq!(n, expected.len(), "cut at {cut} loses no frame");
                }
                let end = reader.end().clone();
                match cut {
                    c if c == bytes.len() => assert_eq!(end, CaptureEnd::Clean),
                    c if offsets.contains(&c) => assert_eq!(end, CaptureEnd::Unfinished),
                    c if c == data_start => assert_eq!(end, CaptureEnd::Unfinished),
                    _ => assert!(
                        matches!(end, CaptureEnd::Cut { file_bytes, .. } if file_bytes == cut as u64),
                        "cut at {cut}: {end:?}"
                    ),
                }
                let stats = reader.stats().unwrap();
                assert_eq!(stats.frames, n as u64);
                assert!(reader.describe().unwrap().contains(&label));
            }
        }
    }
    assert_eq!(last_count, expected.len());
}

#[test]
fn a_damaged_chunk_is_an_error_naming_the_chunk_and_the_file() {
    let (bytes, expected) = small_capture();
    let offsets = chunk_offsets(&bytes);
    let mut damaged = bytes.clone();
    let target = offsets[2] + CHUNK_HEADER_LEN + 5;
    damaged[target] ^= 0x40;
    for (what, bytes) in [
        ("with index", damaged.clone()),
        ("scanned", damaged[..*offsets.last().unwrap()].to_vec()),
    ] {
        let mut reader = CaptureReader::from_bytes(Path::new("lap.bkcap"), bytes).unwrap();
        let mut n = 0;
        let err = loop {
            match reader.next_frame() {
                Ok(Some(_)) => {
                    assert_at(&reader, &expected[n], what);
                    n += 1;
                }
                Ok(None) => panic!("{what}: the damage was not noticed"),
                Err(err) => break err.to_string(),
            }
        };
        assert!(
            err.starts_with("lap.bkcap: chunk 2 at byte"),
            "{what}: {err}"
        );
        assert!(err.contains("payload checksum mismatch"), "{what}: {err}");
        // The cursor stays on the last good frame, and the frames after the
        // damaged chunk are still reachable.
        assert_eq!(reader.position(), Some(n as u64 - 1));
        assert_at(&reader, &expected[n - 1], what);
        let last = expected.len() as u64 - 1;
        reader.seek_frame(last).unwrap();
        assert_at(&reader, &expected[last as usize], what);
        // Figures come from the index, or from decoding every chunk.
        match (what, reader.stats()) {
            ("with index", stats) => assert_eq!(stats.unwrap().frames, last + 1),
            (_, stats) => assert!(stats.unwrap_err().to_string().contains("chunk 2")),
        }
    }
}

#[test]
fn a_damaged_chunk_header_ends_a_scanned_capture_there() {
    let (bytes, expected) = small_capture();
    let offsets = chunk_offsets(&bytes);
    let mut damaged = bytes[..*offsets.last().unwrap()].to_vec();
    damaged[offsets[3] + 20] ^= 1;
    let mut reader = CaptureReader::from_bytes(Path::new("x"), damaged).unwrap();
    let CaptureEnd::Cut {
        readable_bytes,
        reason,
        ..
    } = reader.end().clone()
    else {
        panic!("{:?}", reader.end());
    };
    assert_eq!(readable_bytes, offsets[3] as u64);
    assert!(
        reason.contains("chunk header checksum mismatch"),
        "{reason}"
    );
    let n = read_all(&mut reader, &expected);
    assert!(n > 0 && n < expected.len());
}

#[test]
fn a_damaged_index_is_ignored_for_a_scan_and_said_so() {
    let (bytes, expected) = small_capture();
    let offsets = chunk_offsets(&bytes);
    let mut damaged = bytes.clone();
    damaged[*offsets.last().unwrap() + CHUNK_HEADER_LEN + 2] ^= 0xff;
    let mut reader = CaptureReader::from_bytes(Path::new("x"), damaged).unwrap();
    let problem = reader.index_problem().unwrap().to_string();
    assert!(problem.contains("checksum"), "{problem}");
    assert_eq!(read_all(&mut reader, &expected), expected.len());
    assert!(
        matches!(reader.end(), CaptureEnd::Cut { reason, .. } if reason.contains("index is damaged"))
    );
    assert!(reader.describe().unwrap().contains("index:        ignored"));
}

#[test]
fn foreign_files_are_refused_with_what_they_start_with() {
    for (bytes, needle) in [
        (&b"\x89PNG\r\n\x1a\n0000000000000000"[..], "89 50 4E 47"),
        (&b"hello, world\n"[..], "68 65 6C 6C"),
        (&b""[..], "starts with nothing"),
    ] {
        let err = CaptureReader::from_bytes(Path::new("f.bkcap"), bytes.to_vec())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("f.bkcap: not a Bridgekeeper capture"),
            "{err}"
        );
        assert!(err.contains(needle), "{err}");
    }
}

#[test]
fn future_and_zero_versions_are_refused() {
    let (bytes, _) = small_capture();
    let mut future = bytes.clone();
    future[8..10].copy_from_slice(&7u16.to_le_bytes());
    let err = CaptureReader::from_bytes(Path::new("new.bkcap"), future)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "new.bkcap: capture format version 7 is newer than this Bridgekeeper reads (up to version 1); update Bridgekeeper to read it"
    );
    let mut zero = bytes;
    zero[8..10].copy_from_slice(&0u16.to_le_bytes());
    let err = CaptureReader::from_bytes(Path::new("z"), zero)
        .unwrap_err()
        .to_string();
    assert!(err.contains("version 0 does not exist"), "{err}");
}

/// A capture whose header is `json`, with a correct checksum.
fn with_header(json: &str) -> Vec<u8> {
    let mut bytes = b"\x89BKCAP\r\n\x01\x00\x00\x00".to_vec();
    bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
    bytes.extend_from_slice(json.as_bytes());
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes
}

#[test]
fn bad_headers_are_refused_with_the_reason() {
    let ok = r#"{"bridgekeeper_version":"9.9","started_at_unix_ms":1,"page_size":4096,"mappings":[{"name":"a","size":10}],"new_key":[1,2]}"#;
    let reader = CaptureReader::from_bytes(Path::new("h"), with_header(ok)).unwrap();
    assert_eq!(reader.frame_count(), 0);
    assert!(reader.header().extra.contains_key("new_key"));

    for (json, needle) in [
        (r#"{"mappings":[]}"#, "its JSON is not a capture header"),
        ("not json", "its JSON is not a capture header"),
        (
            r#"{"bridgekeeper_version":"1","started_at_unix_ms":1,"page_size":4096,"mappings":[{"name":"../../etc/passwd","size":10}]}"#,
            "\"../../etc/passwd\"",
        ),
        (
            r#"{"bridgekeeper_version":"1","started_at_unix_ms":1,"page_size":4096,"mappings":[{"name":"a","size":4000000000}]}"#,
            "mapping 0",
        ),
        (
            r#"{"bridgekeeper_version":"1","started_at_unix_ms":1,"page_size":4096,"mappings":[]}"#,
            "lists no mappings",
        ),
    ] {
        let err = CaptureReader::from_bytes(Path::new("h.bkcap"), with_header(json))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("h.bkcap: bad header: "), "{err}");
        assert!(err.contains(needle), "{needle}: {err}");
    }

    let mut damaged = with_header(ok);
    damaged[30] ^= 1;
    let err = CaptureReader::from_bytes(Path::new("h"), damaged)
        .unwrap_err()
        .to_string();
    assert!(err.contains("checksum mismatch"), "{err}");
}

#[test]
fn missing_and_unreadable_files_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.bkcap");
    let err = CaptureReader::open(&missing).unwrap_err().to_string();
    assert!(err.contains("nope.bkcap: cannot open it"), "{err}");
    let err = CaptureReader::open(dir.path()).unwrap_err().to_string();
    assert!(err.starts_with(&dir.path().display().to_string()), "{err}");
}
