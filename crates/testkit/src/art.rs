//! Header images for fake Steam trees: real JPEGs, so the window decodes
//! them as it decodes Steam's own.

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};

/// The size of Steam's header images.
pub const HEADER_SIZE: (u32, u32) = (460, 215);

/// A 460×215 JPEG that looks like a store header: a diagonal gradient
/// between two colours picked by `seed`, a dark band and a light bar (a
/// stand-in for a logo). Different seeds give different pictures.
pub fn header_jpeg(seed: u32) -> Vec<u8> {
    let (w, h) = HEADER_SIZE;
    let hue = |k: u32| {
        let x = seed.wrapping_mul(2_654_435_761).rotate_left(k * 7);
        [
            (x & 0xff) as u8,
            ((x >> 8) & 0xff) as u8,
            ((x >> 16) & 0xff) as u8,
        ]
    };
    let (a, b) = (hue(0), hue(1));
    let image = RgbImage::from_fn(w, h, |x, y| {
        let t = (x + y) as f32 / (w + h) as f32;
        let mut p = [0u8; 3];
        for c in 0..3 {
            p[c] = (f32::from(a[c]) * (1.0 - t) + f32::from(b[c]) * t) as u8;
        }
        if (150..190).contains(&y) {
            p = p.map(|v| v / 3);
        }
        if (40..70).contains(&y) && (40..300).contains(&x) {
            p = [240, 240, 240];
        }
        Rgb(p)
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&image)
        .expect("encoding a JPEG in memory");
    out
}

/// A `width`×`height` JPEG of one colour, easy to find again in a
/// screenshot.
pub fn solid_jpeg(rgb: [u8; 3], width: u32, height: u32) -> Vec<u8> {
    let image = RgbImage::from_pixel(width, height, Rgb(rgb));
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 95)
        .encode_image(&image)
        .expect("encoding a JPEG in memory");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_jpegs_are_jpegs_and_differ_by_seed() {
        let a = header_jpeg(244_210);
        assert_eq!(&a[..3], &[0xff, 0xd8, 0xff], "JPEG start of image");
        assert_ne!(a, header_jpeg(805_550));
    }
}
