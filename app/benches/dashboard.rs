//! The live dashboard's two halves on ACC's three pages, a value changing
//! each time (as while driving):
//!
//! - a decode on a feed's thread: the physics page read and folded into
//!   its page (what the feed does anyway), then `Dashboard::read` over the
//!   three pages and the comparison with the last values;
//! - a frame on the window's thread: the widget drawn into a headless
//!   `egui::Context` (layout, text, bars) and tessellated, with the values
//!   just changed. The decode is done before the clock starts.
//!
//! Headless: no window, so it measures the app's own work, not the GPU.
//!
//! `cargo bench -p bridgekeeper --bench dashboard`

use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bridgekeeper::ui::dashboard::LiveDashboard;
use bridgekeeper::ui::dashboard_source::DashboardSource;
use bridgekeeper::ui::feed::{FeedConfig, Page, Sampler, Wake};
use criterion::{Criterion, criterion_group, criterion_main};
use parking_lot::Mutex;

fn input() -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 800.0),
        )),
        ..Default::default()
    }
}

fn dashboard(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = bridgekeeper_profiles::Catalog::builtin();
    let profile = &catalog.get("assetto-corsa-competizione").unwrap().profile;
    let offset = |mapping: &str, field: &str| {
        let m = profile.mapping(mapping).unwrap();
        profile.layout_of(m).unwrap().field(field).unwrap().offset as u64
    };
    let mut samplers = Vec::new();
    let mut pages = Vec::new();
    for name in ["acpmf_physics", "acpmf_graphics", "acpmf_static"] {
        let path: PathBuf = tmp.path().join(name);
        std::fs::write(&path, vec![0u8; 4096]).unwrap();
        let mut sampler = Sampler::new(&FeedConfig {
            path: path.clone(),
            limit: 4096,
            period: Duration::from_millis(16),
            wake: Wake::AtOnce,
            counter: None,
            layout: None,
        });
        let page = Arc::new(Mutex::new(Page::default()));
        let read = sampler.read();
        sampler.store(read, &mut page.lock(), Instant::now());
        samplers.push((path, sampler));
        pages.push((name.to_string(), page));
    }
    let physics = std::fs::OpenOptions::new()
        .write(true)
        .open(&samplers[0].0)
        .unwrap();
    let statics = std::fs::OpenOptions::new()
        .write(true)
        .open(&samplers[2].0)
        .unwrap();
    statics
        .write_all_at(&8000i32.to_le_bytes(), offset("acpmf_static", "maxRpm"))
        .unwrap();
    statics
        .write_all_at(&120f32.to_le_bytes(), offset("acpmf_static", "maxFuel"))
        .unwrap();
    let ctx = egui::Context::default();
    let source = DashboardSource::new(
        profile.dashboard.clone().unwrap(),
        pages.clone(),
        ctx.clone(),
    );
    let (rpm_at, speed_at, gas_at) = (
        offset("acpmf_physics", "rpms"),
        offset("acpmf_physics", "speedKmh"),
        offset("acpmf_physics", "gas"),
    );
    let mut tick: i32 = 0;
    let (physics_sampler, physics_page) = (&mut samplers[0].1, pages[0].1.clone());
    let mut drive = move || {
        tick = tick.wrapping_add(1);
        physics
            .write_all_at(&(5000 + tick % 3000).to_le_bytes(), rpm_at)
            .unwrap();
        physics
            .write_all_at(&(100.0 + (tick % 100) as f32).to_le_bytes(), speed_at)
            .unwrap();
        physics
            .write_all_at(&((tick % 10) as f32 / 10.0).to_le_bytes(), gas_at)
            .unwrap();
        let read = physics_sampler.read();
        physics_sampler.store(read, &mut physics_page.lock(), Instant::now());
        source.update(Instant::now())
    };
    c.bench_function("dashboard decode on a feed's thread, ACC pages", |b| {
        b.iter(&mut drive)
    });

    let source = DashboardSource::new(profile.dashboard.clone().unwrap(), pages, ctx.clone());
    let mut live = LiveDashboard::new(source.clone());
    let frame = |live: &mut LiveDashboard| {
        let out = ctx.run_ui(input(), |ui| {
            egui::CentralPanel::default().show(ui, |ui| live.ui(ui));
        });
        ctx.tessellate(out.shapes, out.pixels_per_point)
    };
    frame(&mut live);
    c.bench_function("dashboard frame on the window's thread", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                drive();
                source.update(Instant::now());
                let start = Instant::now();
                std::hint::black_box(frame(&mut live));
                spent += start.elapsed();
            }
            spent
        })
    });
}

criterion_group!(benches, dashboard);
criterion_main!(benches);
