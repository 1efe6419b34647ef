//! ACC-shaped pages for the capture benchmarks: three 4096-byte mappings,
//! the physics page changing at 333 Hz with telemetry that moves smoothly
//! (pedals, rpm, speeds, g-forces, wheels, suspension with road noise,
//! `packetId` incrementing), the graphics page at 60 Hz (timers, lap
//! distance, 20 cars' coordinates), the static page written once. Field
//! offsets follow ACC's shared-memory structs (the physics ones as in
//! profiles/assetto-corsa-competizione.toml).

// Each bench uses a different part of this module.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use bridgekeeper_capture::{CaptureHeader, CaptureOutput, CaptureWriter, MappingState, Update};

pub const PAGE: usize = 4096;
pub const PHYSICS_HZ: f64 = 333.0;
pub const GRAPHICS_HZ: f64 = 60.0;

/// The header of an ACC recording.
pub fn acc_header() -> CaptureHeader {
    let mut header = CaptureHeader::new([
        ("acpmf_physics".to_string(), PAGE as u64),
        ("acpmf_graphics".to_string(), PAGE as u64),
        ("acpmf_static".to_string(), PAGE as u64),
    ]);
    header.game = Some("Assetto Corsa Competizione".into());
    header.appid = Some(805_550);
    header.profile = Some("assetto-corsa-competizione".into());
    header.proton = Some("Proton 9.0-4 (benchmark)".into());
    header
}

/// Where benchmarks keep generated captures: `$CARGO_TARGET_DIR` or the
/// workspace's `target/`, under `capture-bench/`.
pub fn bench_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("capture-bench");
    std::fs::create_dir_all(&dir).expect("creating the bench directory");
    dir
}

fn put_f32(page: &mut [u8], offset: usize, value: f64) {
    page[offset..offset + 4].copy_from_slice(&(value as f32).to_le_bytes());
}

fn put_i32(page: &mut [u8], offset: usize, value: i64) {
    page[offset..offset + 4].copy_from_slice(&(value as i32).to_le_bytes());
}

fn put_wstr(page: &mut [u8], offset: usize, text: &str) {
    for (i, unit) in text.encode_utf16().enumerate() {
        page[offset + 2 * i..offset + 2 * i + 2].copy_from_slice(&unit.to_le_bytes());
    }
}

/// Road vibration in [-1, 1] at physics tick `k` on channel `c`: two
/// sines of 7–25 Hz, different on every channel. Band-limited, as a
/// physics engine's suspension and load signals are; with
/// `BK_BENCH_WHITE_NOISE` set it is white noise instead (a harsher case).
fn noise(k: u64, c: u64) -> f64 {
    if white_noise() {
        let mut x = k.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ c.wrapping_mul(0xD1B5_4A32_D192_ED03);
        x ^= x >> 31;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x ^= x >> 29;
        return (x % 2001) as f64 / 1000.0 - 1.0;
    }
    let t = k as f64 / PHYSICS_HZ;
    let c = c as f64;
    0.6 * (t * std::f64::consts::TAU * (7.0 + c * 0.9) + c).sin()
        + 0.4 * (t * std::f64::consts::TAU * (19.0 + c * 0.4) + 2.0 * c).sin()
}

/// Whether the noise channels are white noise (`BK_BENCH_WHITE_NOISE`).
pub fn white_noise() -> bool {
    std::env::var_os("BK_BENCH_WHITE_NOISE").is_some()
}

/// The physics page at physics tick `k` (time `k / 333` s).
pub fn physics_page(k: u64, page: &mut [u8]) {
    let t = k as f64 / PHYSICS_HZ;
    let speed = 150.0 + 80.0 * (t * 0.21).sin() + 6.0 * (t * 1.3).sin();
    let gas = (0.6 + 0.5 * (t * 0.5).sin()).clamp(0.0, 1.0);
    let brake = (-0.4 + 0.6 * (t * 0.5 + 2.0).sin()).clamp(0.0, 1.0);
    let rpm = 4500.0 + 2500.0 * (t * 0.9).sin();
    put_i32(page, 0, k as i64 + 1); // packetId
    put_f32(page, 4, gas);
    put_f32(page, 8, brake);
    put_f32(page, 12, 60.0 - t * 0.02); // fuel
    put_i32(page, 16, 2 + ((t * 0.25) as i64 % 6)); // gear
    put_i32(page, 20, rpm as i64);
    put_f32(page, 24, 0.3 * (t * 0.7).sin()); // steerAngle
    put_f32(page, 28, speed);
    for axis in 0..3 {
        let a = axis as f64;
        put_f32(page, 32 + 4 * axis, speed / 3.6 * (t * 0.05 + a).cos()); // velocity
        put_f32(
            page,
            44 + 4 * axis,
            1.5 * (t * (0.8 + a * 0.3)).sin() + 0.05 * noise(k, axis as u64),
        ); // accG
    }
    for wheel in 0..4 {
        let w = wheel as f64;
        let n = noise(k, 10 + wheel as u64);
        put_f32(page, 56 + 4 * wheel, 0.05 + 0.04 * (t * 2.0 + w).sin()); // wheelSlip
        put_f32(
            page,
            72 + 4 * wheel,
            3500.0 + 800.0 * (t * 0.8 + w).sin() + 40.0 * n,
        ); // wheelLoad
        put_f32(page, 88 + 4 * wheel, 27.5 + 0.3 * (t * 0.01 + w).sin()); // wheelsPressure
        put_f32(page, 104 + 4 * wheel, speed / 3.6 / 0.33); // wheelAngularSpeed
        put_f32(page, 120 + 4 * wheel, t * 1e-5); // tyreWear
        put_f32(page, 152 + 4 * wheel, 85.0 + 5.0 * (t * 0.02 + w).sin()); // tyreCoreTemperature
        put_f32(page, 168 + 4 * wheel, -0.05 + 0.01 * (t * 0.8 + w).sin()); // camberRAD
        put_f32(
            page,
            184 + 4 * wheel,
            0.04 + 0.01 * (t * 3.0 + w).sin() + 0.002 * n,
        ); // suspensionTravel
    }
    put_f32(page, 208, (t * 0.05).sin() * std::f64::consts::PI); // heading
    put_f32(page, 212, 0.01 * (t * 0.8).sin()); // pitch
    put_f32(page, 216, 0.02 * (t * 0.7).sin()); // roll
    for axis in 0..3 {
        put_f32(page, 296 + 4 * axis, 0.2 * (t * (0.7 + axis as f64)).sin()); // localAngularVel
    }
    put_f32(page, 308, 0.4 * (t * 0.7).sin() + 0.02 * noise(k, 20)); // finalFF
    for wheel in 0..4 {
        put_f32(page, 376 + 4 * wheel, 400.0 + 200.0 * brake + wheel as f64); // brakeTemp
    }
    put_f32(page, 392, 0.0); // clutch
}

/// The graphics page at graphics tick `k` (time `k / 60` s).
pub fn graphics_page(k: u64, page: &mut [u8]) {
    let t = k as f64 / GRAPHICS_HZ;
    let lap_ms = (t * 1000.0) as i64 % 105_000;
    put_i32(page, 0, k as i64 + 1); // packetId
    put_i32(page, 4, 2); // status: live
    put_i32(page, 8, 2); // session: race
    let clock = format!(
        "{}:{:02}.{:03}",
        lap_ms / 60_000,
        lap_ms / 1000 % 60,
        lap_ms % 1000
    );
    put_wstr(page, 12, &clock); // currentTime
    put_i32(page, 132, (t / 105.0) as i64); // completedLaps
    put_i32(page, 136, 3); // position
    put_i32(page, 140, lap_ms); // iCurrentTime
    put_f32(page, 152, 3_600_000.0 - t * 1000.0); // sessionTimeLeft
    put_f32(page, 156, t * 55.0); // distanceTraveled
    put_f32(page, 248, (lap_ms as f64 / 105_000.0).fract()); // normalizedCarPosition
    put_i32(page, 252, 20); // activeCars
    for car in 0..20 {
        let phase = t / 105.0 * std::f64::consts::TAU + car as f64 * 0.3;
        let base = 256 + car * 12;
        put_f32(page, base, 800.0 * phase.cos());
        put_f32(page, base + 4, 2.0 + 0.5 * (phase * 3.0).sin());
        put_f32(page, base + 8, 500.0 * phase.sin());
    }
}

/// The static page, written once.
pub fn static_page(page: &mut [u8]) {
    put_wstr(page, 0, "1.9");
    put_wstr(page, 30, "1.10");
    put_i32(page, 60, 1);
    put_i32(page, 64, 20);
    put_wstr(page, 68, "ferrari_488_gt3_evo");
    put_wstr(page, 134, "monza");
    put_wstr(page, 200, "Bench");
    put_wstr(page, 266, "Driver");
    put_f32(page, 400, 7800.0);
    put_f32(page, 404, 120.0);
}

/// Which page changes in a frame of the generated session.
#[derive(Debug, Clone, Copy)]
pub enum Tick {
    Physics(u64),
    Graphics(u64),
}

/// The session's ticks from `from` to `to` seconds, in time order.
pub fn ticks(from: f64, to: f64) -> Vec<(Duration, Tick)> {
    let mut out = Vec::new();
    let mut p = (from * PHYSICS_HZ).ceil() as u64;
    let mut g = (from * GRAPHICS_HZ).ceil() as u64;
    loop {
        let tp = p as f64 / PHYSICS_HZ;
        let tg = g as f64 / GRAPHICS_HZ;
        if tp.min(tg) >= to {
            return out;
        }
        if tp <= tg {
            out.push((Duration::from_secs_f64(tp), Tick::Physics(p)));
            p += 1;
        } else {
            out.push((Duration::from_secs_f64(tg), Tick::Graphics(g)));
            g += 1;
        }
    }
}

/// Writes the first frame: all three pages present.
pub fn write_start<W: CaptureOutput>(writer: &mut CaptureWriter<W>) {
    let mut pages = vec![vec![0u8; PAGE]; 3];
    physics_page(0, &mut pages[0]);
    graphics_page(0, &mut pages[1]);
    static_page(&mut pages[2]);
    let mut updates: Vec<Update> = (0..3)
        .map(|mapping| Update::State {
            mapping,
            state: MappingState::Live,
        })
        .collect();
    updates.extend(
        pages
            .iter()
            .enumerate()
            .map(|(mapping, bytes)| Update::Page {
                mapping,
                page: 0,
                bytes,
            }),
    );
    writer.write_frame(Duration::ZERO, &updates).unwrap();
}

/// Writes the frames of `ticks`, each page as the generator makes it.
pub fn write_ticks<W: CaptureOutput>(writer: &mut CaptureWriter<W>, ticks: &[(Duration, Tick)]) {
    // One buffer per page: each generator writes only its own fields.
    let mut pages = [vec![0u8; PAGE], vec![0u8; PAGE]];
    for &(time, tick) in ticks {
        let mapping = match tick {
            Tick::Physics(k) => {
                physics_page(k, &mut pages[0]);
                0
            }
            Tick::Graphics(k) => {
                graphics_page(k, &mut pages[1]);
                1
            }
        };
        let page = &pages[mapping];
        writer
            .write_frame(
                time,
                &[Update::Page {
                    mapping,
                    page: 0,
                    bytes: page,
                }],
            )
            .unwrap();
    }
}

/// Pre-computed frames: (time, mapping, page contents), for timing the
/// writer alone.
pub fn frames(from: f64, to: f64) -> Vec<(Duration, usize, Vec<u8>)> {
    ticks(from, to)
        .into_iter()
        .map(|(time, tick)| {
            let mut page = vec![0u8; PAGE];
            let mapping = match tick {
                Tick::Physics(k) => {
                    physics_page(k, &mut page);
                    0
                }
                Tick::Graphics(k) => {
                    graphics_page(k, &mut page);
                    1
                }
            };
            (time, mapping, page)
        })
        .collect()
}

/// Median and (min, max) of `values`.
pub fn median_spread(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    (median, values[0], values[n - 1])
}

/// CPU time (user + system) of the calling thread.
pub fn thread_cpu() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a rusage into the pointer it is given.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr()) };
    assert_eq!(rc, 0, "getrusage(RUSAGE_THREAD)");
    // SAFETY: the call succeeded, so the struct is initialised.
    let usage = unsafe { usage.assume_init() };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}
