//! Smoke test: the real `bridgekeeper` binary opens its window under Xvfb
//! against a fixture Steam tree and saves a screenshot to
//! `target/artifacts/ui-smoke.png`; the game cards show Steam's cached
//! header image (a solid colour here, found again in the screenshot).

use std::path::Path;
use std::process::Command;

use bridgekeeper_testkit::art::{HEADER_SIZE, header_jpeg, solid_jpeg};
use bridgekeeper_testkit::desktop::{Xvfb, require};
use bridgekeeper_testkit::steam_fixture::{AppSpec, ArtLayout, SteamFixture};

/// The colour of Assetto Corsa's header image in the fixture.
const ART: [u8; 3] = [200, 30, 160];

#[test]
fn window_opens_under_xvfb_and_saves_a_screenshot() {
    let Some(xvfb) = require(&["Xvfb"], "xvfb").map(|mut t| t.remove(0)) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (w, h) = HEADER_SIZE;
    let fixture = SteamFixture::new(tmp.path().join("Steam"))
        .app(AppSpec::new(244_210, "Assetto Corsa"))
        .app(AppSpec::new(805_550, "Assetto Corsa Competizione"))
        .app(AppSpec::new(4_242_424, "Solitaire"))
        .header_image(244_210, ArtLayout::Folder, &solid_jpeg(ART, w, h))
        .header_image(
            805_550,
            ArtLayout::Hashed("5925343a8312ea07f234d48170963aafae4158bf".into()),
            &header_jpeg(805_550),
        )
        .build();
    let x = Xvfb::start(&xvfb);
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/artifacts");
    let shot = artifacts.join("ui-smoke.png");
    let _ = std::fs::remove_file(&shot);
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_bridgekeeper"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("XDG_RUNTIME_DIR", tmp.path())
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("STEAM_DIR", fixture.root())
        .env("DISPLAY", x.display_var())
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .env("BRIDGEKEEPER_SCREENSHOT", &shot)
        .status();
    drop(x);
    assert!(status.unwrap().success());
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert!(info.width >= 400 && info.height >= 300, "{info:?}");
    let pixels = &buf[..info.buffer_size()];
    let first = &pixels[..4];
    let differing = pixels.chunks(4).filter(|p| p != &first).count();
    assert!(differing > 1000, "the screenshot is blank");
    // The card's image is 330 × 154 points: most of it in the art's colour.
    let channels = info.color_type.samples();
    let art = pixels
        .chunks(channels)
        .filter(|p| (0..3).all(|c| p[c].abs_diff(ART[c]) <= 12))
        .count();
    assert!(
        art > 30_000,
        "Assetto Corsa's header image is not on its card: {art} pixels of its colour"
    );
}
