//! What is written reads back exactly: every frame's time, contents and
//! states, stepping forward and back and seeking by frame and by time, with
//! and without the index; and the header, statistics and files on disk.

mod common;

use std::path::Path;
use std::time::Duration;

use bridgekeeper_capture::{
    CaptureEnd, CaptureHeader, CaptureReader, CaptureWriter, Change, MappingState, Update,
    WriterOptions,
};
use common::{Expected, Op, assert_at, small_capture, small_header, write_model};
use proptest::prelude::*;

fn check_all_frames(bytes: Vec<u8>, expected: &[Expected]) -> CaptureReader {
    let mut reader = CaptureReader::from_bytes(Path::new("test"), bytes).unwrap();
    assert_eq!(reader.frame_count(), expected.len() as u64);
    for (i, e) in expected.iter().enumerate() {
        let frame = reader.next_frame().unwrap().expect("a frame");
        assert_eq!(frame.index, i as u64);
        assert_eq!(frame.time, e.time);
        assert_at(&reader, e, &format!("frame {i} stepping forward"));
    }
    assert!(reader.next_frame().unwrap().is_none());
    for i in (0..expected.len()).rev() {
        assert_at(&reader, &expected[i], &format!("frame {i} stepping back"));
        let back = reader.step_back().unwrap();
        assert_eq!(back.map(|f| f.index), i.checked_sub(1).map(|i| i as u64));
    }
    assert_eq!(reader.position(), None);
    for m in 0..reader.header().mappings.len() {
        assert_eq!(reader.state(m), MappingState::Missing);
        assert!(reader.mapping(m).iter().all(|b| *b == 0));
    }
    reader
}

fn check_seeks(reader: &mut CaptureReader, expected: &[Expected], picks: &[usize]) {
    for &pick in picks {
        let i = pick % expected.len();
        let frame = reader.seek_frame(i as u64).unwrap();
        assert_eq!(frame.index, i as u64);
        assert_at(reader, &expected[i], &format!("seek to frame {i}"));
        // The last frame at or before the time: frames may share a time.
        let t = expected[i].time;
        let last_at_t = expected.iter().rposition(|e| e.time <= t).unwrap();
        let frame = reader.seek_time(t).unwrap().unwrap();
        assert_eq!(frame.index, last_at_t as u64, "seek to {t:?}");
        assert_at(reader, &expected[last_at_t], &format!("seek to {t:?}"));
    }
    let n = expected.len() as u64;
    let err = reader.seek_frame(n).unwrap_err().to_string();
    assert!(err.contains(&format!("frame {n} does not exist")), "{err}");
}

/// Removes the index and trailer from a clean capture: what a recorder
/// killed between two chunks leaves.
fn without_index(bytes: &[u8]) -> Vec<u8> {
    let tail: [u8; 8] = bytes[bytes.len() - 16..bytes.len() - 8].try_into().unwrap();
    let index_offset = u64::from_le_bytes(tail) as usize;
    bytes[..index_offset].to_vec()
}

fn op_strategy(sizes: Vec<u64>) -> impl Strategy<Value = Op> {
    let n = sizes.len();
    prop_oneof![
        8 => (0..n, any::<u64>(), 0usize..40).prop_flat_map(move |(mapping, seed, flips)| {
            let pages = sizes[mapping].div_ceil(256) as usize;
            (0..pages).prop_map(move |page| Op::Page { mapping, page, seed, flips })
        }),
        1 => (0..n, 0u8..3, 0u32..1000).prop_map(|(mapping, tag, len)| Op::State {
            mapping,
            state: match tag {
                0 => MappingState::Missing,
                1 => MappingState::Live,
                // Sizes are at least 1000 bytes, so this is short.
                _ => MappingState::Short { len },
            },
        }),
    ]
}

fn stream_strategy() -> impl Strategy<Value = (Vec<u64>, Vec<(Duration, Vec<Op>)>)> {
    prop::collection::vec(1000u64..3000, 1..4).prop_flat_map(|sizes| {
        let step = (
            0u64..4_000_000,
            prop::collection::vec(op_strategy(sizes.clone()), 0..5),
        )
            .prop_map(|(ns, ops)| (Duration::from_nanos(ns), ops));
        (Just(sizes), prop::collection::vec(step, 1..120))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_page_streams_read_back_frame_by_frame(
        (sizes, steps) in stream_strategy(),
        span_ms in 1u64..20,
        picks in prop::collection::vec(any::<usize>(), 8),
    ) {
        let header = small_header(&sizes);
        let options = WriterOptions {
            chunk_span: Duration::from_millis(span_ms),
            zstd_level: 1,
            ..WriterOptions::default()
        };
        let (bytes, expected) = write_model(&header, options, &steps);
        let unfinished = without_index(&bytes);
        let mut reader = check_all_frames(bytes, &expected);
        prop_assert_eq!(reader.end(), &CaptureEnd::Clean);
        if !expected.is_empty() {
            check_seeks(&mut reader, &expected, &picks);
        }
        let mut scanned = check_all_frames(unfinished, &expected);
        prop_assert_eq!(scanned.end(), &CaptureEnd::Unfinished);
        // The index's figures and those of a full decode agree.
        let from_index = reader.stats().unwrap();
        let from_scan = scanned.stats().unwrap();
        prop_assert_eq!(&from_index.mappings, &from_scan.mappings);
        prop_assert_eq!(from_index.frames, expected.len() as u64);
    }
}

#[test]
fn a_small_capture_reads_back_with_its_gaps_and_figures() {
    let (bytes, expected) = small_capture();
    let mut reader = check_all_frames(bytes, &expected);
    check_seeks(&mut reader, &expected, &[0, 5, 23, 11, 12, 3]);
    assert!(reader.chunk_count() > 3, "{} chunks", reader.chunk_count());

    // Frame 10 has mapping 2 go missing; its contents stay as they were.
    let frame = reader.seek_frame(10).unwrap();
    assert!(frame.changes.contains(&Change::State {
        mapping: 2,
        state: MappingState::Missing
    }));
    assert_eq!(reader.state(2), MappingState::Missing);

    let stats = reader.stats().unwrap();
    assert_eq!(stats.frames, 24);
    assert_eq!(stats.duration, Duration::from_millis(48));
    assert_eq!(stats.end, CaptureEnd::Clean);
    let physics = &stats.mappings[0];
    assert_eq!(physics.counts.frames_changed, 24);
    assert_eq!(physics.counts.pages_changed, 24);
    assert_eq!(stats.mappings[1].counts.frames_changed, 6);
    // Mapping 2: live, missing, short.
    assert_eq!(stats.mappings[2].counts.state_changes, 3);
    assert!((physics.changes_per_second - 500.0).abs() < 1.0);

    let text = reader.describe().unwrap();
    for needle in [
        "frames:       24",
        "ended cleanly",
        "map0",
        "24 changes (500.0/s)",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
}

#[test]
fn the_header_reads_back_and_unknown_keys_are_kept() {
    let mut header = CaptureHeader::new([
        ("acpmf_physics".to_string(), 4096),
        ("Local\\acpmf_graphics".to_string(), 4096),
    ]);
    header.game = Some("Assetto Corsa Competizione".into());
    header.appid = Some(805550);
    header.profile = Some("acc".into());
    header.proton = Some("Proton 9.0-4".into());
    header
        .extra
        .insert("weather".into(), serde_json::json!("rain"));
    let writer = CaptureWriter::new(
        Vec::new(),
        Path::new("h"),
        header.clone(),
        Default::default(),
    )
    .unwrap();
    let (bytes, summary) = writer.finish_into_inner().unwrap();
    assert_eq!(summary.frames, 0);
    let reader = CaptureReader::from_bytes(Path::new("h"), bytes).unwrap();
    assert_eq!(reader.header(), &header);
    assert_eq!(reader.frame_count(), 0);
    assert_eq!(reader.end(), &CaptureEnd::Clean);
    assert!(header.started_at_rfc3339().ends_with('Z'));
}

#[test]
fn a_capture_file_is_created_new_and_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.bkcap");
    let header = small_header(&[300]);
    let mut writer = CaptureWriter::create(&path, header.clone()).unwrap();
    let page = [7u8; 256];
    writer
        .write_frame(
            Duration::from_millis(1),
            &[
                Update::State {
                    mapping: 0,
                    state: MappingState::Live,
                },
                Update::Page {
                    mapping: 0,
                    page: 0,
                    bytes: &page,
                },
            ],
        )
        .unwrap();
    let summary = writer.finish().unwrap();
    assert_eq!(summary.frames, 1);
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(meta.len(), summary.bytes);

    // An existing file is never overwritten.
    let err = CaptureWriter::create(&path, header).unwrap_err();
    assert!(err.to_string().contains("must not exist yet"), "{err}");
    assert!(err.to_string().contains("s.bkcap"), "{err}");

    let mut reader = CaptureReader::open(&path).unwrap();
    reader.next_frame().unwrap().unwrap();
    assert_eq!(&reader.mapping(0)[..256], &page);
    assert!(reader.mapping(0)[256..].iter().all(|b| *b == 0));
}

#[test]
fn bad_frames_and_headers_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let bad = small_header(&[0]);
    let err = CaptureWriter::create(&dir.path().join("x"), bad).unwrap_err();
    assert!(
        err.to_string().contains("cannot record with this header"),
        "{err}"
    );
    assert!(
        !dir.path().join("x").exists(),
        "no file for a refused header"
    );

    let mut writer = CaptureWriter::new(
        Vec::new(),
        Path::new("w"),
        small_header(&[300]),
        Default::default(),
    )
    .unwrap();
    let short = [1u8; 10];
    let twice = [
        Update::Page {
            mapping: 0,
            page: 0,
            bytes: &[0u8; 256],
        },
        Update::Page {
            mapping: 0,
            page: 0,
            bytes: &[1u8; 256],
        },
    ];
    let cases: [(&[Update], &str); 5] = [
        (&twice, "page 0 of mapping 0 is given twice in one frame"),
        (
            &[Update::Page {
                mapping: 3,
                page: 0,
                bytes: &short,
            }],
            "mapping 3 does not exist",
        ),
        (
            &[Update::Page {
                mapping: 0,
                page: 2,
                bytes: &short,
            }],
            "page 2 of mapping 0 does not exist",
        ),
        (
            &[Update::Page {
                mapping: 0,
                page: 1,
                bytes: &short,
            }],
            "has 44 bytes, not 10",
        ),
        (
            &[Update::State {
                mapping: 0,
                state: MappingState::Short { len: 300 },
            }],
            "cannot be short at 300 bytes",
        ),
    ];
    for (updates, needle) in cases {
        let err = writer
            .write_frame(Duration::from_secs(1), updates)
            .unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
    }
    writer
        .write_frame(
            Duration::from_secs(2),
            &[Update::State {
                mapping: 0,
                state: MappingState::Live,
            }],
        )
        .unwrap();
    let err = writer.write_frame(Duration::from_secs(1), &[]).unwrap_err();
    assert!(
        err.to_string().contains("before the previous frame"),
        "{err}"
    );
}
