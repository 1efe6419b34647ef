//! How a changed page is stored: XOR with a prediction of its new
//! contents, bytes regrouped by position in their 32-bit lane.
//!
//! Telemetry pages are mostly 32-bit numbers that move smoothly. A plain
//! XOR with the previous contents leaves every low mantissa bit that moved,
//! which zstd cannot shrink: ACC-shaped pages took 3.2 MB a minute that
//! way. Predicting each 32-bit lane from the page's last versions in the
//! chunk (the same value, a straight line, or a parabola through them, in
//! wrapping integer arithmetic) leaves residuals of a few bits, and storing
//! all first bytes of the lanes, then all second bytes and so on, gives
//! zstd long runs of zeros: 1.6 MB a minute (see the `record` bench).
//! The history restarts with every chunk, so chunks stay independent.

use crate::header::CaptureHeader;

/// Highest prediction order: 0 previous contents, 1 linear, 2 quadratic.
pub const MAX_ORDER: u8 = 2;

/// The last versions of every page within the current chunk.
#[derive(Debug, Clone)]
pub(crate) struct Histories {
    /// Per mapping, per page.
    pages: Vec<Vec<PageHistory>>,
    /// Pages whose history is not empty, to reset only those.
    used: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, Default)]
struct PageHistory {
    /// Versions known before the current one (0 to 2).
    depth: u8,
    /// The version before the current one.
    p1: Vec<u8>,
    /// The version before that.
    p2: Vec<u8>,
}

impl Histories {
    /// Empty histories for `header`'s mappings.
    pub fn new(header: &CaptureHeader) -> Histories {
        Histories {
            pages: (0..header.mappings.len())
                .map(|m| vec![PageHistory::default(); header.page_count(m)])
                .collect(),
            used: Vec::new(),
        }
    }

    /// Forgets every page's history (a new chunk starts).
    pub fn reset(&mut self) {
        for (m, p) in self.used.drain(..) {
            self.pages[m][p].depth = 0;
        }
    }

    /// The highest order page `page` of `mapping` can be predicted with.
    pub fn max_order(&self, mapping: usize, page: usize) -> u8 {
        self.pages[mapping][page].depth.min(MAX_ORDER)
    }

    /// Writes the prediction of order `order` for the page whose current
    /// contents are `current` into `out` (same length). `order` must not
    /// exceed [`Histories::max_order`].
    pub fn predict(&self, mapping: usize, page: usize, order: u8, current: &[u8], out: &mut [u8]) {
        let h = &self.pages[mapping][page];
        let lanes = current.len() / 4 * 4;
        out[lanes..].copy_from_slice(&current[lanes..]);
        let lane = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let out = out[..lanes].chunks_exact_mut(4);
        let p0 = current[..lanes].chunks_exact(4);
        match order {
            0 => out.zip(p0).for_each(|(o, a)| o.copy_from_slice(a)),
            1 => out
                .zip(p0.zip(h.p1[..lanes].chunks_exact(4)))
                .for_each(|(o, (a, b))| {
                    let v = lane(a).wrapping_mul(2).wrapping_sub(lane(b));
                    o.copy_from_slice(&v.to_le_bytes());
                }),
            _ => out
                .zip(
                    p0.zip(h.p1[..lanes].chunks_exact(4))
                        .zip(h.p2[..lanes].chunks_exact(4)),
                )
                .for_each(|(o, ((a, b), c))| {
                    let v = lane(a)
                        .wrapping_sub(lane(b))
                        .wrapping_mul(3)
                        .wrapping_add(lane(c));
                    o.copy_from_slice(&v.to_le_bytes());
                }),
        }
    }

    /// Records that the page's contents were `current` before a change.
    pub fn push(&mut self, mapping: usize, page: usize, current: &[u8]) {
        let h = &mut self.pages[mapping][page];
        if h.depth == 0 {
            self.used.push((mapping, page));
        }
        std::mem::swap(&mut h.p1, &mut h.p2);
        h.p1.clear();
        h.p1.extend_from_slice(current);
        h.depth = (h.depth + 1).min(MAX_ORDER);
    }
}

/// Appends `new XOR prediction`, lanes regrouped: byte 0 of every 32-bit
/// lane, then byte 1, 2 and 3, then the bytes after the last whole lane.
pub(crate) fn put_residual(out: &mut Vec<u8>, new: &[u8], prediction: &[u8]) {
    let lanes = new.len() / 4;
    let start = out.len();
    out.resize(start + new.len(), 0);
    let (planes, tail) = out[start..].split_at_mut(4 * lanes);
    let (b0, rest) = planes.split_at_mut(lanes);
    let (b1, rest) = rest.split_at_mut(lanes);
    let (b2, b3) = rest.split_at_mut(lanes);
    let pairs = new.chunks_exact(4).zip(prediction.chunks_exact(4));
    for (l, (n, p)) in pairs.enumerate() {
        b0[l] = n[0] ^ p[0];
        b1[l] = n[1] ^ p[1];
        b2[l] = n[2] ^ p[2];
        b3[l] = n[3] ^ p[3];
    }
    for ((t, n), p) in tail
        .iter_mut()
        .zip(&new[4 * lanes..])
        .zip(&prediction[4 * lanes..])
    {
        *t = n ^ p;
    }
}

/// Undoes [`put_residual`]: `page` holds the prediction and receives the
/// new contents. `residual` has the page's length.
pub(crate) fn apply_residual(page: &mut [u8], residual: &[u8]) {
    let lanes = page.len() / 4;
    let (planes, tail) = residual.split_at(4 * lanes);
    let (b0, rest) = planes.split_at(lanes);
    let (b1, rest) = rest.split_at(lanes);
    let (b2, b3) = rest.split_at(lanes);
    let (whole, page_tail) = page.split_at_mut(4 * lanes);
    for (l, p) in whole.chunks_exact_mut(4).enumerate() {
        p[0] ^= b0[l];
        p[1] ^= b1[l];
        p[2] ^= b2[l];
        p[3] ^= b3[l];
    }
    for (b, x) in page_tail.iter_mut().zip(tail) {
        *b ^= x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residuals_round_trip_for_any_length() {
        for len in [1usize, 3, 4, 7, 256, 4096] {
            let new: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let prediction: Vec<u8> = (0..len).map(|i| (i * 13) as u8).collect();
            let mut out = Vec::new();
            put_residual(&mut out, &new, &prediction);
            assert_eq!(out.len(), len);
            let mut page = prediction.clone();
            apply_residual(&mut page, &out);
            assert_eq!(page, new, "length {len}");
        }
    }

    #[test]
    fn smooth_lanes_predict_exactly() {
        let header = CaptureHeader::new([("a".to_string(), 8)]);
        let mut h = Histories::new(&header);
        let page = |v: u32| [v.to_le_bytes(), (v * v).to_le_bytes()].concat();
        // Versions 10, 20, 30 (and their squares): the next is 40, 1600.
        h.push(0, 0, &page(10));
        h.push(0, 0, &page(20));
        assert_eq!(h.max_order(0, 0), 2);
        let mut out = [0u8; 8];
        h.predict(0, 0, 1, &page(30), &mut out);
        assert_eq!(&out[..4], &40u32.to_le_bytes());
        h.predict(0, 0, 2, &page(30), &mut out);
        assert_eq!(out.to_vec(), page(40));
        h.reset();
        assert_eq!(h.max_order(0, 0), 0);
    }
}
