//! The tray icon's pixels and the window icon, embedded from `assets/`
//! (the SVG sources and their rendered PNGs live there; `assets/render-icons`
//! renders them): a ring whose colour tells the state, filled when a game is
//! bridged.

use crate::look::TrayLook;

/// Tray icon width and height in pixels (`assets/render-icons` renders them
/// at this size).
pub const SIZE: u32 = 64;

/// The PNG of a look, as committed in `assets/icons/tray/`.
pub fn png(look: TrayLook) -> &'static [u8] {
    match look {
        TrayLook::Idle => include_bytes!("../../../assets/icons/tray/idle.png"),
        TrayLook::Watching => include_bytes!("../../../assets/icons/tray/watching.png"),
        TrayLook::BridgedZeroCopy => include_bytes!("../../../assets/icons/tray/zero-copy.png"),
        TrayLook::BridgedCopy => include_bytes!("../../../assets/icons/tray/copy.png"),
        TrayLook::Problem => include_bytes!("../../../assets/icons/tray/problem.png"),
    }
}

/// The app icon at 128 × 128, for the window.
pub const APP_ICON_PNG: &[u8] = include_bytes!(
    "../../../assets/icons/hicolor/128x128/apps/io.github.bridgekeeper.Bridgekeeper.png"
);

/// RGBA pixels of a look, `SIZE` × `SIZE`.
pub fn rgba(look: TrayLook) -> Result<Vec<u8>, IconError> {
    let image = decode(png(look))?;
    if (image.width, image.height) != (SIZE, SIZE) {
        return Err(IconError::WrongSize {
            look,
            width: image.width,
            height: image.height,
        });
    }
    Ok(image.rgba)
}

/// A decoded image: 8-bit RGBA rows, top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgba {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 4` bytes.
    pub rgba: Vec<u8>,
}

/// Why an embedded icon cannot be used. The icons are built into the
/// program, so each of these is a build problem, fixed by re-rendering them.
#[derive(Debug, thiserror::Error)]
pub enum IconError {
    /// Not a PNG the decoder accepts.
    #[error("bad icon PNG: {0}; run assets/render-icons")]
    Decode(#[from] png::DecodingError),
    /// A PNG too large to hold in memory.
    #[error("bad icon PNG: too large; run assets/render-icons")]
    TooLarge,
    /// A palette PNG that was not expanded to RGB.
    #[error("bad icon PNG: palette not expanded; run assets/render-icons")]
    Palette,
    /// A tray icon of the wrong size.
    #[error(
        "the tray icon for {look:?} is {width}×{height}, not {SIZE}×{SIZE}; run assets/render-icons"
    )]
    WrongSize {
        /// Which icon.
        look: TrayLook,
        /// Its width.
        width: u32,
        /// Its height.
        height: u32,
    },
}

/// Decodes a PNG of any colour type into 8-bit RGBA.
pub fn decode(bytes: &[u8]) -> Result<Rgba, IconError> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info()?;
    let size = reader.output_buffer_size().ok_or(IconError::TooLarge)?;
    let mut buf = vec![0; size];
    let info = reader.next_frame(&mut buf)?;
    buf.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        png::ColorType::GrayscaleAlpha => buf
            .chunks(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::Indexed => return Err(IconError::Palette),
    };
    Ok(Rgba {
        width: info.width,
        height: info.height,
        rgba,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOOKS: [TrayLook; 5] = [
        TrayLook::Idle,
        TrayLook::Watching,
        TrayLook::BridgedZeroCopy,
        TrayLook::BridgedCopy,
        TrayLook::Problem,
    ];

    /// The mean colour of the opaque pixels.
    fn mean_opaque(rgba: &[u8]) -> [u32; 3] {
        let opaque: Vec<&[u8]> = rgba.chunks(4).filter(|p| p[3] == 255).collect();
        let n = opaque.len() as u32;
        [0, 1, 2].map(|c| opaque.iter().map(|p| u32::from(p[c])).sum::<u32>() / n)
    }

    #[test]
    fn each_look_has_its_own_pixels_at_the_right_size() {
        let images: Vec<Vec<u8>> = LOOKS.iter().map(|l| rgba(*l).unwrap()).collect();
        for (i, a) in images.iter().enumerate() {
            assert_eq!(a.len(), (SIZE * SIZE * 4) as usize);
            let opaque = a.chunks(4).filter(|p| p[3] == 255).count();
            let clear = a.chunks(4).filter(|p| p[3] == 0).count();
            assert!(opaque > 400, "{:?} has {opaque} opaque pixels", LOOKS[i]);
            assert!(clear > 400, "{:?} has no transparent corners", LOOKS[i]);
            for b in &images[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn colours_tell_the_state() {
        let [r, g, b] = mean_opaque(&rgba(TrayLook::Problem).unwrap());
        assert!(r > g + 60 && r > b + 60, "problem is red: {r} {g} {b}");
        let [r, g, b] = mean_opaque(&rgba(TrayLook::BridgedZeroCopy).unwrap());
        assert!(g > r + 60 && g > b + 60, "zero copy is green: {r} {g} {b}");
        let [r, g, b] = mean_opaque(&rgba(TrayLook::Watching).unwrap());
        assert!(b > r + 60, "watching is blue: {r} {g} {b}");
        let [r, g, b] = mean_opaque(&rgba(TrayLook::Idle).unwrap());
        assert!(
            r.abs_diff(g) < 8 && g.abs_diff(b) < 8,
            "idle is grey: {r} {g} {b}"
        );
    }

    #[test]
    fn the_app_icon_decodes_at_128() {
        let icon = decode(APP_ICON_PNG).unwrap();
        assert_eq!((icon.width, icon.height), (128, 128));
        assert_eq!(icon.rgba.len(), 128 * 128 * 4);
        assert_eq!(icon.rgba[3], 0, "rounded corners are transparent");
        let centre = ((64 * 128 + 64) * 4) as usize;
        assert_eq!(icon.rgba[centre + 3], 255);
    }

    #[test]
    fn decode_names_a_broken_file() {
        let err = decode(b"not a png").unwrap_err();
        assert!(err.to_string().starts_with("bad icon PNG"), "{err}");
    }
}
