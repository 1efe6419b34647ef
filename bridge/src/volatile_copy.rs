//! Copying changed bytes between memory that other processes write
//! concurrently: copy mode's inner loop.
//!
//! Both sides are views that other processes (the game, a tool, Linux
//! readers) read and write at any time. A Rust reference over such memory
//! (`&[u8]`, `&mut [u8]`) promises the compiler that nothing else changes
//! it while the reference lives, so comparing or copying through one is
//! undefined behaviour, whatever the hardware does. So this code touches
//! the memory only through raw pointers, with volatile reads and writes,
//! which the compiler must perform exactly as written and never merges,
//! splits or elides.
//!
//! Each pass reads both sides and writes only the units that differ, so an
//! unchanged mapping costs reads only, and bytes that did not change are
//! never rewritten under a concurrent writer. A unit whose writer changes
//! it mid-pass may be copied old or new (the same tearing the game's own
//! readers see); the next pass copies it again.
//!
//! The units are aligned 16-byte SSE2 vectors on x86_64 (every x86_64 CPU
//! has SSE2), compared four at a time: as fast as the byte-slice compare
//! they replace, where `u64` words took about twice as long per pass over a
//! large mapping. What is left over is copied in `u64` words, then bytes.
//!
//! Plain Rust with no Windows calls, so it is tested on Linux.

/// Writes into `dst` every unit of `src` that differs from it; returns how
/// many bytes were written.
///
/// # Safety
/// `src` and `dst` must be 16-byte aligned, valid for `len` bytes of reads
/// (and `dst` of writes), and not overlap. Other processes may write both.
pub unsafe fn copy_changed(src: *const u8, dst: *mut u8, len: usize) -> usize {
    debug_assert!((src as usize).is_multiple_of(16) && (dst as usize).is_multiple_of(16));
    // SAFETY: the caller's promise, passed on to each step with the offset
    // where the previous one stopped.
    unsafe {
        let (mut done, mut written) = vectors(src, dst, len);
        let (words, w) = words(src.add(done), dst.add(done), len - done);
        done += words;
        written += w;
        written + bytes(src.add(done), dst.add(done), len - done)
    }
}

/// Copies whole 64-byte groups of SSE2 vectors; returns (bytes covered,
/// bytes written).
///
/// # Safety
/// As [`copy_changed`].
#[cfg(target_arch = "x86_64")]
unsafe fn vectors(src: *const u8, dst: *mut u8, len: usize) -> (usize, usize) {
    use std::arch::x86_64::{__m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_movemask_epi8};
    const GROUP: usize = 4;
    let (s, d) = (src.cast::<__m128i>(), dst.cast::<__m128i>());
    let count = len / 16 / GROUP * GROUP;
    let mut written = 0;
    let mut i = 0;
    // SAFETY: `i + k < count` keeps every access inside both ranges, 16-byte
    // aligned as the caller promised; SSE2 is part of x86_64.
    unsafe {
        while i < count {
            let a: [__m128i; GROUP] = std::array::from_fn(|k| s.add(i + k).read_volatile());
            let b: [__m128i; GROUP] = std::array::from_fn(|k| d.add(i + k).read_volatile());
            let same: [__m128i; GROUP] = std::array::from_fn(|k| _mm_cmpeq_epi8(a[k], b[k]));
            let all = _mm_and_si128(
                _mm_and_si128(same[0], same[1]),
                _mm_and_si128(same[2], same[3]),
            );
            if _mm_movemask_epi8(all) != 0xFFFF {
                for k in 0..GROUP {
                    if _mm_movemask_epi8(same[k]) != 0xFFFF {
                        d.add(i + k).write_volatile(a[k]);
                        written += 16;
                    }
                }
            }
            i += GROUP;
        }
    }
    (count * 16, written)
}

/// Elsewhere: nothing here, the words do it all.
#[cfg(not(target_arch = "x86_64"))]
unsafe fn vectors(_src: *const u8, _dst: *mut u8, _len: usize) -> (usize, usize) {
    (0, 0)
}

/// Copies whole `u64` words; returns (bytes covered, bytes written).
///
/// # Safety
/// As [`copy_changed`], with 8-byte alignment.
unsafe fn words(src: *const u8, dst: *mut u8, len: usize) -> (usize, usize) {
    let (s, d) = (src.cast::<u64>(), dst.cast::<u64>());
    let count = len / 8;
    let mut written = 0;
    // SAFETY: `i < count` keeps every access inside both ranges, aligned.
    unsafe {
        for i in 0..count {
            let a = s.add(i).read_volatile();
            if a != d.add(i).read_volatile() {
                d.add(i).write_volatile(a);
                written += 8;
            }
        }
    }
    (count * 8, written)
}

/// Copies single bytes; returns bytes written.
///
/// # Safety
/// As [`copy_changed`], with no alignment needed.
unsafe fn bytes(src: *const u8, dst: *mut u8, len: usize) -> usize {
    let mut written = 0;
    // SAFETY: `j < len` keeps every access inside both ranges.
    unsafe {
        for j in 0..len {
            let a = src.add(j).read_volatile();
            if a != dst.add(j).read_volatile() {
                dst.add(j).write_volatile(a);
                written += 1;
            }
        }
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 64-byte aligned memory, like a view's start.
    #[repr(C, align(64))]
    #[derive(Clone, PartialEq, Debug)]
    struct Page([u8; 512]);

    fn copy(src: &Page, dst: &mut Page, len: usize) -> usize {
        // SAFETY: both are aligned, long enough and distinct.
        unsafe { copy_changed(src.0.as_ptr(), dst.0.as_mut_ptr(), len) }
    }

    #[test]
    fn copies_only_what_differs_in_vectors_words_and_a_ragged_tail() {
        let src = Page(std::array::from_fn(|i| (i * 7 + 1) as u8));
        let mut dst = src.clone();
        // 317 bytes: four 64-byte groups (256), seven words (56), 5 bytes.
        assert_eq!(copy(&src, &mut dst, 317), 0, "nothing differs");
        for at in [3, 20, 21, 255, 256, 300, 312, 316, 317, 400] {
            dst.0[at] ^= 0xFF;
        }
        let written = copy(&src, &mut dst, 317);
        // Vectors 0, 1 and 15 (16 bytes each), words at 256 and 296, bytes
        // 312 and 316.
        assert_eq!(written, 3 * 16 + 2 * 8 + 2);
        assert_eq!(&dst.0[..317], &src.0[..317]);
        assert_eq!(
            dst.0[317],
            src.0[317] ^ 0xFF,
            "bytes past len are not touched"
        );
        assert_eq!(dst.0[400], src.0[400] ^ 0xFF);
        assert_eq!(copy(&src, &mut dst, 317), 0, "a second pass finds nothing");
    }
}
