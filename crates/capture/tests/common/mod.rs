//! What the capture tests share: a model of what a capture should read
//! back (every frame's contents and states), and small captures.

// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use bridgekeeper_capture::{
    CaptureHeader, CaptureReader, CaptureWriter, MappingState, Update, WriterOptions,
};

/// One change a test asks the writer for.
#[derive(Debug, Clone)]
pub enum Op {
    /// Set page `page` of mapping `mapping` to bytes made from `seed`,
    /// differing from the current contents in `flips` bytes.
    Page {
        mapping: usize,
        page: usize,
        seed: u64,
        flips: usize,
    },
    /// Put mapping `mapping` in `state`.
    State { mapping: usize, state: MappingState },
}

/// What the reader must show after one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    pub time: Duration,
    pub images: Vec<Vec<u8>>,
    pub states: Vec<MappingState>,
}

/// Writes `steps` (time step, ops) into an in-memory capture and returns its
/// bytes and the frames a reader must see: steps that change nothing are
/// not frames.
pub fn write_model(
    header: &CaptureHeader,
    options: WriterOptions,
    steps: &[(Duration, Vec<Op>)],
) -> (Vec<u8>, Vec<Expected>) {
    let mut writer =
        CaptureWriter::new(Vec::new(), Path::new("model"), header.clone(), options).unwrap();
    let mut images: Vec<Vec<u8>> = header
        .mappings
        .iter()
        .map(|m| vec![0u8; m.size as usize])
        .collect();
    let mut states = vec![MappingState::Missing; images.len()];
    let mut expected = Vec::new();
    let mut time = Duration::ZERO;
    let page_size = header.page_size as usize;
    for (step, ops) in steps {
        time += *step;
        let before = (images.clone(), states.clone());
        let mut pages: Vec<(usize, usize, Vec<u8>)> = Vec::new();
        for op in ops {
            match *op {
                Op::Page {
                    mapping,
                    page,
                    seed,
                    flips,
                } => {
                    let start = page * page_size;
                    let len = header.page_len(mapping, page);
                    let mut bytes = images[mapping][start..start + len].to_vec();
                    let mut x = seed | 1;
                    for _ in 0..flips {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let at = (x as usize) % len;
                        bytes[at] = (x >> 32) as u8;
                    }
                    images[mapping][start..start + len].copy_from_slice(&bytes);
                    // A page is given once a frame, with its last contents.
                    pages.retain(|(m, p, _)| (*m, *p) != (mapping, page));
                    pages.push((mapping, page, bytes));
                }
                Op::State { mapping, state } => states[mapping] = state,
            }
        }
        // A mapping is given one state a frame, its last.
        let mut updates: Vec<Update> = Vec::new();
        for op in ops {
            if let Op::State { mapping, state } = *op {
                updates.retain(|u| !matches!(u, Update::State { mapping: m, .. } if *m == mapping));
                updates.push(Update::State { mapping, state });
            }
        }
        updates.extend(pages.iter().map(|(mapping, page, bytes)| Update::Page {
            mapping: *mapping,
            page: *page,
            bytes,
        }));
        let written = writer.write_frame(time, &updates).unwrap();
        let changed = before != (images.clone(), states.clone());
        assert_eq!(
            written, changed,
            "a frame is written exactly when something changed"
        );
        if changed {
            expected.push(Expected {
                time,
                images: images.clone(),
                states: states.clone(),
            });
        }
    }
    let (bytes, summary) = writer.finish_into_inner().unwrap();
    assert_eq!(summary.frames, expected.len() as u64);
    (bytes, expected)
}

/// Asserts that the reader's cursor shows `expected`.
pub fn assert_at(reader: &CaptureReader, expected: &Expected, what: &str) {
    assert_eq!(reader.time(), Some(expected.time), "{what}: time");
    for (m, image) in expected.images.iter().enumerate() {
        assert_eq!(
            reader.state(m),
            expected.states[m],
            "{what}: state of mapping {m}"
        );
        assert!(
            reader.mapping(m) == image.as_slice(),
            "{what}: contents of mapping {m} differ"
        );
    }
}

/// A header of mappings with these sizes and a 256-byte page, so small
/// mappings have several pages.
pub fn small_header(sizes: &[u64]) -> CaptureHeader {
    let mut header = CaptureHeader::new(
        sizes
            .iter()
            .enumerate()
            .map(|(i, size)| (format!("map{i}"), *size)),
    );
    header.page_size = 256;
    header
}

/// A small capture of three mappings with gaps, several chunks and an
/// index: the steps and what they must read back as.
pub fn small_capture() -> (Vec<u8>, Vec<Expected>) {
    let header = small_header(&[600, 256, 100]);
    let options = WriterOptions {
        chunk_span: Duration::from_millis(5),
        ..WriterOptions::default()
    };
    let mut steps = Vec::new();
    for i in 0..24u64 {
        let mut ops = vec![Op::Page {
            mapping: 0,
            page: (i % 3) as usize,
            seed: i + 1,
            flips: 3,
        }];
        if i == 0 {
            for m in 0..3 {
                ops.insert(
                    0,
                    Op::State {
                        mapping: m,
                        state: MappingState::Live,
                    },
                );
            }
        }
        if i % 4 == 1 {
            ops.push(Op::Page {
                mapping: 1,
                page: 0,
                seed: 100 + i,
                flips: 2,
            });
        }
        if i == 10 {
            ops.push(Op::State {
                mapping: 2,
                state: MappingState::Missing,
            });
        }
        if i == 14 {
            ops.push(Op::State {
                mapping: 2,
                state: MappingState::Short { len: 40 },
            });
        }
        steps.push((Duration::from_millis(2), ops));
    }
    write_model(&header, options, &steps)
}
