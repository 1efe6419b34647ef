//! `--drive`: the sections named as Assetto Corsa Competizione's pages get
//! plausible driving data in ACC's layout instead of the test layout, so
//! the app can be shown (and its screenshots taken) on a session that looks
//! like a real one. Offsets: docs/game-data.md, layouts `ac-physics`,
//! `ac-graphics` and `ac-static`.
//!
//! The car laps a 1:45 circuit: the speed swings between about 95 and
//! 245 km/h, the gear and revs follow the speed, the throttle and brake the
//! speed's rise and fall, and the fuel goes down.

use std::f32::consts::TAU;

/// The lap's length, in seconds.
const LAP: f32 = 105.0;
const MAX_RPM: i32 = 9250;
const MAX_FUEL: f32 = 120.0;
/// Upper speed of each gear, km/h.
const GEARS: [f32; 6] = [95.0, 130.0, 165.0, 200.0, 230.0, 270.0];

/// Whether `name` is one of the pages `--drive` fills.
pub fn drives(name: &str) -> bool {
    matches!(name, "acpmf_physics" | "acpmf_graphics" | "acpmf_static")
}

/// Speed at `t` seconds into the lap, km/h.
fn speed(t: f32) -> f32 {
    let x = t / LAP * TAU;
    170.0 + 60.0 * (3.0 * x).sin() + 15.0 * (7.0 * x).cos()
}

/// Writes the page `name` at `t` seconds into the session, tick `tick`.
///
/// # Safety
/// `view` must be a writable view of at least 4096 bytes.
pub unsafe fn write(name: &str, view: *mut u8, t: f32, tick: u32) {
    let lap_t = t % LAP;
    let laps = (t / LAP) as i32;
    let kmh = speed(lap_t);
    let rising = speed(lap_t + 0.2) - kmh;
    let gear = GEARS.iter().position(|&top| kmh < top).unwrap_or(5) as i32 + 1;
    let low = if gear == 1 {
        0.0
    } else {
        GEARS[gear as usize - 2]
    };
    let top = GEARS[gear as usize - 1];
    let rpm = 5200.0 + (kmh - low) / (top - low) * (MAX_RPM as f32 - 5400.0);
    let (gas, brake) = if rising >= 0.0 {
        ((0.6 + rising).min(1.0), 0.0)
    } else {
        (0.0, (-rising * 0.8).min(1.0))
    };
    // SAFETY: every offset below lies inside the first 4096 bytes.
    unsafe {
        let f32_at = |offset: usize, v: f32| view.add(offset).cast::<f32>().write_volatile(v);
        let i32_at = |offset: usize, v: i32| view.add(offset).cast::<i32>().write_volatile(v);
        match name {
            "acpmf_physics" => {
                i32_at(0, tick as i32);
                f32_at(4, gas);
                f32_at(8, brake);
                f32_at(12, 62.0 - t * 0.035);
                i32_at(16, gear + 1);
                i32_at(20, rpm as i32);
                f32_at(24, (lap_t / LAP * TAU * 5.0).sin() * 0.3);
                f32_at(28, kmh);
                let ms = kmh / 3.6;
                f32_at(32, ms * 0.03);
                f32_at(40, ms);
                f32_at(44, rising * 2.0);
                f32_at(52, if rising >= 0.0 { 0.4 } else { -1.1 });
                for wheel in 0..4 {
                    let side = if wheel % 2 == 0 { 1.0 } else { -1.0 };
                    f32_at(88 + 4 * wheel, 27.4 + 0.2 * side); // wheelsPressure, psi
                    f32_at(104 + 4 * wheel, ms / 0.34); // wheelAngularSpeed, rad/s
                    f32_at(152 + 4 * wheel, 84.0 + 3.0 * side + lap_t * 0.02); // core temperature
                    f32_at(184 + 4 * wheel, 0.031 + 0.004 * side); // suspensionTravel
                }
                f32_at(288, 24.0); // airTemp
                f32_at(292, 31.5); // roadTemp
                f32_at(364, 0.0);
            }
            "acpmf_graphics" => {
                i32_at(0, tick as i32);
                i32_at(4, 2);
                i32_at(8, 2);
                i32_at(132, laps);
                i32_at(136, 4);
                i32_at(140, (lap_t * 1000.0) as i32);
                i32_at(144, if laps > 0 { 105_412 } else { 106_871 });
                i32_at(148, 105_412);
            }
            "acpmf_static" => {
                let text = |offset: usize, s: &str| {
                    for (i, unit) in s.encode_utf16().enumerate() {
                        view.add(offset + 2 * i).cast::<u16>().write_volatile(unit);
                    }
                };
                text(0, "1.9");
                text(30, "1.9.8");
                i32_at(60, 1);
                i32_at(64, 24);
                text(68, "porsche_992_gt3_r");
                text(134, "spa");
                i32_at(400, 3);
                i32_at(412, MAX_RPM);
                f32_at(416, MAX_FUEL);
            }
            _ => {}
        }
    }
}
