//! Writes the seeds of the `capture` fuzz target (`fuzz/corpus/capture/`):
//! small captures, clean, unfinished, cut and damaged.
//!
//! BRIDGEKEEPER_FUZZ_CORPUS=$PWD/fuzz/corpus cargo test -p bridgekeeper-capture --test fuzz_seeds -- --ignored

mod common;

use std::path::PathBuf;

use bridgekeeper_capture::CaptureReader;
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
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}
