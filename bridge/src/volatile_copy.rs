//! Copying changed bytes between memory that other processes write
//! concurrently: copy mode's inner loop.
//!
//! Both sides are views that other processes (the game, a tool, Linux
//! readers) read and write at any time. A Rust reference over such memory
//! (`&[u8]`, `&mut [u8]`) promises the compiler that nothing else changes
//! it while the reference lives, so comparing or copying through one is
//! undefined behaviour, whatever the hardware does. So this code touches
//! the memory only through raw pointers, with volatile reads and writes of
//! aligned `u64` words (bytes for a tail that is not a whole word), which
//! the compiler must perform exactly as written and never merges, splits
//! or elides.
//!
//! Each pass reads both sides and writes only the words that differ, so an
//! unchanged mapping costs reads only, and bytes that did not change are
//! never rewritten under a concurrent writer. A word whose writer changes
//! it mid-pass may be copied old or new (the same tearing the game's own
//! readers see); the next pass copies it again.
//!
//! Plain Rust with no Windows calls, so it is tested on Linux.

/// Words compared at once before looking at each one.
const GROUP: usize = 4;

/// Writes into `dst` every word of `src` that differs from it; returns how
/// many bytes were written.
///
/// # Safety
/// `src` and `dst` must be 8-byte aligned, valid for `len` bytes of reads
/// (and `dst` of writes), and not overlap. Other processes may write both.
pub unsafe fn copy_changed(src: *const u8, dst: *mut u8, len: usize) -> usize {
    debug_assert!(src.cast::<u64>().is_aligned() && dst.cast::<u64>().is_aligned());
    let words = len / 8;
    let (s, d) = (src.cast::<u64>(), dst.cast::<u64>());
    let mut written = 0;
    let mut i = 0;
    // SAFETY (every access below): `i + k < words` and `j < len` keep the
    // accesses inside both ranges, aligned as the caller promised; they are
    // volatile because other processes share the memory.
    unsafe {
        while i + GROUP <= words {
            let a: [u64; GROUP] = std::array::from_fn(|k| s.add(i + k).read_volatile());
            let b: [u64; GROUP] = std::array::from_fn(|k| d.add(i + k).read_volatile());
            if a.iter().zip(&b).fold(0, |acc, (x, y)| acc | (x ^ y)) != 0 {
                for k in 0..GROUP {
                    if a[k] != b[k] {
                        d.add(i + k).write_volatile(a[k]);
                        written += 8;
                    }
                }
            }
            i += GROUP;
        }
        while i < words {
            let a = s.add(i).read_volatile();
            if a != d.add(i).read_volatile() {
                d.add(i).write_volatile(a);
                written += 8;
            }
            i += 1;
        }
        for j in words * 8..len {
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

    /// Copies `src` over `dst` (both 8-byte aligned); returns bytes written.
    fn copy(src: &[u64], dst: &mut [u64], len: usize) -> usize {
        // SAFETY: both slices are aligned, long enough and distinct.
        unsafe { copy_changed(src.as_ptr().cast(), dst.as_mut_ptr().cast(), len) }
    }

    #[test]
    fn copies_only_what_differs_including_a_ragged_tail() {
        let src: Vec<u64> = (0..40).map(|i| i * 0x0101_0101).collect();
        let mut dst = src.clone();
        assert_eq!(copy(&src, &mut dst, 317), 0, "nothing differs");
        dst[0] = 7;
        dst[5] = 7;
        dst[38] = 0xFFFF_FFFF_FFFF_FFFF;
        dst[39] = 0xFFFF_FFFF_FFFF_FFFF;
        // 317 bytes: 39 whole words and 5 tail bytes of word 39.
        let written = copy(&src, &mut dst, 317);
        assert_eq!(written, 3 * 8 + 5);
        assert_eq!(&dst[..39], &src[..39]);
        let tail = dst[39].to_le_bytes();
        assert_eq!(&tail[..5], &src[39].to_le_bytes()[..5]);
        assert_eq!(&tail[5..], &[0xFF; 3], "bytes past len are not touched");
    }
}
