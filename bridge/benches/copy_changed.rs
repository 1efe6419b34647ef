//! Cost of one copy-mode pass over a mapping whose bytes did not change
//! (the common case: most of a large mapping stays put between passes),
//! with the volatile copy the bridge uses, next to the byte-slice compare
//! it replaced (undefined behaviour on shared memory, kept here only as the
//! yardstick). The copier makes about 1000 passes a second, so 1 µs per
//! pass is 0.1 % of one core.
//!
//! `cargo bench -p bridgekeeper-bridge --bench copy_changed`

use std::hint::black_box;

use bridgekeeper_bridge::volatile_copy::copy_changed;
use criterion::{Criterion, criterion_group, criterion_main};

/// The old copy: compare each 4 KiB page as a slice, copy it if it differs.
fn slice_pages(src: &[u8], dst: &mut [u8]) {
    for (s, d) in src.chunks(4096).zip(dst.chunks_mut(4096)) {
        if s != d {
            d.copy_from_slice(s);
        }
    }
}

fn unchanged_pass(c: &mut Criterion) {
    // 8 KiB: the test game's mapping; 240 KiB: rFactor 2's telemetry buffer.
    for len in [8 * 1024, 240 * 1024] {
        // u128 elements: 16-byte aligned, as views (64 KiB aligned) are.
        let src: Vec<u128> = (0..len / 16).map(|i| i as u128 * 0x0123_4567).collect();
        let mut dst = src.clone();
        let (src, dst) = (src.as_ptr().cast::<u8>(), dst.as_mut_ptr().cast::<u8>());
        c.bench_function(
            &format!("volatile copy, {} KiB unchanged", len / 1024),
            |b| {
                // SAFETY: both buffers are 16-byte aligned, `len` long and distinct.
                b.iter(|| unsafe { copy_changed(black_box(src), dst, len) })
            },
        );
        c.bench_function(
            &format!("slice compare, {} KiB unchanged", len / 1024),
            |b| {
                // SAFETY: as above; nothing else touches the buffers here.
                b.iter(|| unsafe {
                    slice_pages(
                        std::slice::from_raw_parts(black_box(src), len),
                        std::slice::from_raw_parts_mut(dst, len),
                    )
                })
            },
        );
    }
}

criterion_group!(benches, unchanged_pass);
criterion_main!(benches);
