//! The tray icon's pixels, drawn in code: a ring whose colour tells the
//! state, filled when a game is bridged.

use super::menu_model::TrayLook;

/// Icon width and height in pixels.
pub const SIZE: u32 = 32;

/// The colour of a look (RGB).
pub fn color(look: TrayLook) -> [u8; 3] {
    match look {
        TrayLook::Idle => [128, 128, 128],
        TrayLook::Watching => [60, 130, 220],
        TrayLook::BridgedZeroCopy => [40, 180, 70],
        TrayLook::BridgedCopy => [230, 160, 20],
        TrayLook::Problem => [220, 50, 50],
    }
}

/// RGBA pixels, `SIZE` × `SIZE`.
pub fn rgba(look: TrayLook) -> Vec<u8> {
    let [r, g, b] = color(look);
    let filled = matches!(look, TrayLook::BridgedZeroCopy | TrayLook::BridgedCopy);
    let c = (SIZE as f32 - 1.0) / 2.0;
    let mut out = Vec::with_capacity((SIZE * SIZE * 4) as usize);
    for y in 0..SIZE {
        for x in 0..SIZE {
            let d = ((x as f32 - c).powi(2) + (y as f32 - c).powi(2)).sqrt();
            let ring = (11.0..=15.0).contains(&d);
            let inside = d < 11.0;
            // A bar across the middle: the bridge.
            let bar = (y as f32 - c).abs() < 2.0 && d < 15.0;
            let on = ring || bar || (filled && inside);
            let alpha = if on { 255 } else { 0 };
            let (pr, pg, pb) = if bar && filled {
                (255, 255, 255)
            } else {
                (r, g, b)
            };
            out.extend_from_slice(&[pr, pg, pb, alpha]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_look_has_its_own_pixels() {
        let looks = [
            TrayLook::Idle,
            TrayLook::Watching,
            TrayLook::BridgedZeroCopy,
            TrayLook::BridgedCopy,
            TrayLook::Problem,
        ];
        let images: Vec<Vec<u8>> = looks.iter().map(|l| rgba(*l)).collect();
        for (i, a) in images.iter().enumerate() {
            assert_eq!(a.len(), (SIZE * SIZE * 4) as usize);
            assert!(a.chunks(4).any(|p| p[3] == 255));
            for b in &images[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
