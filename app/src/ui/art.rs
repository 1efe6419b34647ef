//! Game art for the cards: Steam's cached header images, decoded off the
//! window's thread, and a generated card when there is none.
//!
//! A header image is a file in Steam's cache (found by discovery, see
//! `bridgekeeper_steam::art`). Reading and decoding a JPEG takes
//! milliseconds, and the path could be anything (a FIFO would block a plain
//! read forever), so [`ArtCache`] hands each path once to a loader thread
//! that opens it with `open_regular` (no waiting, regular files only), reads
//! at most [`MAX_BYTES`], decodes JPEG or PNG with the `image` crate within
//! size limits, and wakes the window. The window then uploads the pixels as
//! a texture, kept for the life of the cache. Until then, and whenever the
//! image is missing or broken, the card shows [`paint_generated`]: the
//! game's initials on a colour derived from its appid.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Sender};

use egui::{Color32, ColorImage, FontId, Rect, TextureHandle, TextureOptions};
use parking_lot::Mutex;

use bridgekeeper_shm::{Links, open_regular};

/// Largest header file read (Steam's are about 30 KiB).
pub const MAX_BYTES: u64 = 8 << 20;

/// Largest width or height decoded.
const MAX_SIDE: u32 = 4096;

/// Images wider than this are scaled down to it (a card is narrower).
const KEEP_WIDTH: u32 = 920;

/// Why a header image is not shown.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ArtError {
    /// It could not be opened (missing, not a regular file …).
    #[error(transparent)]
    Open(Arc<bridgekeeper_shm::OpenError>),
    /// It could not be read.
    #[error("cannot read {}: {message}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// Bigger than [`MAX_BYTES`].
    #[error("{} is larger than {} MiB; not a header image", .0.display(), MAX_BYTES >> 20)]
    TooLarge(PathBuf),
    /// Not a JPEG or PNG that decodes within the limits.
    #[error("cannot decode {}: {message}", .path.display())]
    Decode {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// Reads and decodes a header image (what the loader thread does).
pub fn load(path: &Path) -> Result<ColorImage, ArtError> {
    let file = open_regular(path, Links::Follow).map_err(|e| ArtError::Open(Arc::new(e)))?;
    let read_error = |e: std::io::Error| ArtError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    if file.metadata().map_err(read_error)?.len() > MAX_BYTES {
        return Err(ArtError::TooLarge(path.to_path_buf()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(ArtError::TooLarge(path.to_path_buf()));
    }
    decode(path, &bytes)
}

fn decode(path: &Path, bytes: &[u8]) -> Result<ColorImage, ArtError> {
    let error = |message: String| ArtError::Decode {
        path: path.to_path_buf(),
        message,
    };
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| error(e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(256 << 20);
    reader.limits(limits);
    let mut image = reader.decode().map_err(|e| error(e.to_string()))?;
    if image.width() > KEEP_WIDTH {
        let height = (u64::from(image.height()) * u64::from(KEEP_WIDTH) / u64::from(image.width()))
            .max(1) as u32;
        image = image.thumbnail_exact(KEEP_WIDTH, height);
    }
    let rgba = image.to_rgba8();
    let size = [rgba.width() as usize, rgba.height() as usize];
    Ok(ColorImage::from_rgba_unmultiplied(size, rgba.as_raw()))
}

/// What the cache has for a path.
#[derive(Clone)]
pub enum Art {
    /// Being read and decoded.
    Loading,
    /// Ready to draw.
    Ready(TextureHandle),
    /// Not to be shown, and why.
    Failed(ArtError),
}

impl std::fmt::Debug for Art {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Art::Loading => f.write_str("Loading"),
            Art::Ready(texture) => write!(f, "Ready({:?})", texture.id()),
            Art::Failed(e) => write!(f, "Failed({e})"),
        }
    }
}

type Done = Arc<Mutex<Vec<(PathBuf, Result<ColorImage, ArtError>)>>>;

/// Header images by path: loaded once, off the window's thread.
#[derive(Debug, Default)]
pub struct ArtCache {
    slots: HashMap<PathBuf, Art>,
    loader: Option<Sender<PathBuf>>,
    done: Done,
}

impl ArtCache {
    /// The art for `path`: asks the loader the first time, then returns
    /// what it has.
    pub fn get(&mut self, ctx: &egui::Context, path: &Path) -> &Art {
        self.receive(ctx);
        if !self.slots.contains_key(path) {
            let sent = self
                .loader(ctx)
                .is_some_and(|tx| tx.send(path.to_path_buf()).is_ok());
            let slot = if sent {
                Art::Loading
            } else {
                Art::Failed(ArtError::Read {
                    path: path.to_path_buf(),
                    message: "the image loader thread is not running".into(),
                })
            };
            self.slots.insert(path.to_path_buf(), slot);
        }
        &self.slots[path]
    }

    /// Whether every image asked for has been loaded or has failed.
    pub fn settled(&self) -> bool {
        self.done.lock().is_empty() && !self.slots.values().any(|a| matches!(a, Art::Loading))
    }

    /// Uploads what the loader finished.
    fn receive(&mut self, ctx: &egui::Context) {
        let finished: Vec<_> = std::mem::take(&mut *self.done.lock());
        for (path, result) in finished {
            let art = match result {
                Ok(image) => Art::Ready(ctx.load_texture(
                    format!("header {}", path.display()),
                    image,
                    TextureOptions::LINEAR,
                )),
                Err(e) => {
                    tracing::debug!("no header image: {e}");
                    Art::Failed(e)
                }
            };
            self.slots.insert(path, art);
        }
    }

    fn loader(&mut self, ctx: &egui::Context) -> Option<&Sender<PathBuf>> {
        if self.loader.is_none() {
            let (tx, rx) = mpsc::channel::<PathBuf>();
            let (done, ctx) = (self.done.clone(), ctx.clone());
            std::thread::Builder::new()
                .name("header-images".into())
                .spawn(move || {
                    for path in rx {
                        let result = load(&path);
                        done.lock().push((path, result));
                        ctx.request_repaint();
                    }
                })
                .ok()?;
            self.loader = Some(tx);
        }
        self.loader.as_ref()
    }
}

/// The initials shown on a generated card: the first letter or digit of up
/// to three words ("Assetto Corsa Competizione" → "ACC").
pub fn initials(name: &str) -> String {
    let letters: String = name
        .split(|c: char| !c.is_alphanumeric())
        .filter_map(|word| word.chars().next())
        .take(3)
        .flat_map(char::to_uppercase)
        .collect();
    if letters.is_empty() {
        "?".into()
    } else {
        letters
    }
}

/// The colour of a generated card, derived from the appid: the same game
/// always gets the same colour, neighbours get different ones.
pub fn card_colour(appid: u32) -> Color32 {
    // The golden ratio spreads successive appids around the colour wheel.
    let hue = (f64::from(appid) * 0.618_033_988_75).fract() as f32;
    egui::ecolor::Hsva::new(hue, 0.55, 0.50, 1.0).into()
}

/// Paints the generated card for a game without a header image.
pub fn paint_generated(painter: &egui::Painter, rect: Rect, appid: u32, name: &str) {
    let colour = card_colour(appid);
    painter.rect_filled(rect, 4.0, colour);
    let darker = colour.gamma_multiply(0.6);
    let band = Rect::from_min_max(
        egui::pos2(rect.left(), rect.bottom() - rect.height() * 0.28),
        rect.max,
    );
    painter.rect_filled(band, 4.0, darker);
    painter.text(
        rect.center() - egui::vec2(0.0, rect.height() * 0.1),
        egui::Align2::CENTER_CENTER,
        initials(name),
        FontId::proportional(rect.height() * 0.38),
        Color32::WHITE,
    );
    painter.text(
        egui::pos2(rect.left() + 10.0, band.center().y),
        egui::Align2::LEFT_CENTER,
        name,
        FontId::proportional(14.0),
        Color32::from_white_alpha(230),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_and_colours_are_stable() {
        assert_eq!(initials("Assetto Corsa Competizione"), "ACC");
        assert_eq!(initials("rFactor 2"), "R2");
        assert_eq!(initials("iRacing.com Motorsport Simulation"), "ICM");
        assert_eq!(initials("  "), "?");
        assert_eq!(card_colour(244_210), card_colour(244_210));
        assert_ne!(card_colour(244_210), card_colour(805_550));
    }

    #[test]
    fn a_real_jpeg_decodes_and_anything_else_is_an_error_not_a_panic() {
        let tmp = tempfile::tempdir().unwrap();
        let jpeg = tmp.path().join("header.jpg");
        std::fs::write(&jpeg, bridgekeeper_testkit::art::header_jpeg(1)).unwrap();
        let image = load(&jpeg).unwrap();
        assert_eq!(image.size, [460, 215]);

        let broken = tmp.path().join("broken.jpg");
        std::fs::write(&broken, b"\xff\xd8\xff not really").unwrap();
        assert!(matches!(load(&broken), Err(ArtError::Decode { .. })));

        let fifo = tmp.path().join("fifo.jpg");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path for the call's duration.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = load(&fifo).unwrap_err();
        assert!(
            err.to_string().contains("not a regular file (a FIFO)"),
            "{err}"
        );
    }
}
