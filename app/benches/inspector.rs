//! The inspector's two halves on a 1.2 MB mapping (iRacing's size) that
//! changes every time:
//!
//! - a read on the feed's thread (positional read + change tracking + the
//!   plotted field), what the inspector costs 60 times a second off the
//!   window's thread;
//! - a frame on the window's thread (hexdump of the visible rows,
//!   decoded-field panels, tessellation), with the feed's thread running.
//!
//! Headless: `egui::Context` with no window, so it measures the app's own
//! work, not the GPU.
//!
//! `cargo bench -p bridgekeeper --bench inspector`

use std::os::unix::fs::FileExt;
use std::time::Instant;

use bridgekeeper::ui::feed::{FeedConfig, Page, Sampler, Wake};
use bridgekeeper::ui::inspector::Inspector;
use bridgekeeper_shm::ChangeTracker;
use criterion::{Criterion, criterion_group, criterion_main};

const SIZE: usize = 1_200_000;

fn input() -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1200.0, 900.0),
        )),
        ..Default::default()
    }
}

fn frame(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("Local-IRSDKMemMapFileName");
    std::fs::write(&path, vec![0u8; SIZE]).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    let catalog = bridgekeeper_profiles::Catalog::builtin();
    let profile = &catalog.by_appid(244_210).unwrap().profile;
    let layout = profile
        .layout_of(profile.mapping("acpmf_physics").unwrap())
        .cloned();
    let mut inspector = Inspector::new("iRacing page", &path, layout.clone());
    let ctx = egui::Context::default();
    let mut tick: u32 = 0;
    // A game writing its page: a counter, and a block of telemetry spread
    // over the page, every frame.
    let mut write = move || {
        tick = tick.wrapping_add(1);
        file.write_all_at(&tick.to_le_bytes(), 0).unwrap();
        for k in 0..64 {
            file.write_all_at(&tick.to_le_bytes(), (k * 18_000 + 64) as u64)
                .unwrap();
        }
    };
    let config = FeedConfig {
        path: path.clone(),
        limit: SIZE as u64,
        period: std::time::Duration::from_millis(16),
        wake: Wake::AtOnce,
        counter: None,
        layout,
    };
    let mut sampler = Sampler::new(&config);
    let mut page = Page::default();
    page.plot.field = Some("packetId".into());
    c.bench_function(
        "inspector read on its thread, 1.2 MB page changing each read",
        |b| {
            b.iter(|| {
                write();
                let read = sampler.read();
                sampler.store(read, &mut page, Instant::now())
            })
        },
    );

    let frame = |inspector: &mut Inspector| {
        let out = ctx.run_ui(input(), |ui| {
            egui::CentralPanel::default().show(ui, |ui| inspector.ui(ui));
        });
        ctx.tessellate(out.shapes, out.pixels_per_point)
    };
    frame(&mut inspector);
    while inspector.data().len() < SIZE {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    if let Some(mut page) = inspector.page() {
        page.plot.field = Some("packetId".into());
    }
    c.bench_function("inspector frame, 1.2 MB page changing each frame", |b| {
        b.iter(|| {
            write();
            frame(&mut inspector)
        })
    });

    let mut page = vec![0u8; SIZE];
    let mut tracker = ChangeTracker::new();
    let mut n = 0u8;
    c.bench_function("change tracking only, 1.2 MB", |b| {
        b.iter(|| {
            n = n.wrapping_add(1);
            page[n as usize * 4000] = n;
            tracker.update(&page, Instant::now())
        })
    });
}

criterion_group!(benches, frame);
criterion_main!(benches);
