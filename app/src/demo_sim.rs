//! The synthetic sim behind `bridgekeeper demo`: a GT3 car doing a few laps
//! of a made-up track, written through the Assetto Corsa Competizione
//! profile's layouts into a capture file.
//!
//! The demo must show every view working with plausible numbers and be
//! reproducible and small, so nothing here is random or read from the
//! clock: the track is a list of straights and corners, the car's speed is
//! the fastest the track allows under fixed acceleration and braking
//! limits (a forward and a backward pass over the distance), and every
//! other value follows from speed, distance and time. Values are written by
//! field name through the profile's layouts, so a profile that moves a
//! field moves it in the demo too (and `make_demo` must be run again:
//! `scripts/make-demo`). Pages change at ACC's rates: physics at 333 Hz,
//! graphics at 60 Hz, static once.

use std::time::Duration;

use bridgekeeper_capture::{
    CaptureError, CaptureHeader, CaptureWriter, MappingState, Update, WriteSummary,
};
use bridgekeeper_profiles::{Catalog, FieldType, Layout, Profile, Scalar};

/// The profile the demo is written for.
pub const DEMO_PROFILE: &str = "assetto-corsa-competizione";

/// Laps driven.
pub const LAPS: u32 = 3;

/// Physics period: 3 ms (333 Hz).
const PHYSICS_NS: u64 = 3_000_000;

/// Graphics period: every fifth physics step (66.7 Hz, about ACC's 60).
const GRAPHICS_EVERY: u64 = 5;

/// Start time written in the header (2026-01-01T12:00:00Z), fixed so that
/// the file is the same on every run.
const STARTED_AT_UNIX_MS: u64 = 1_767_268_800_000;

/// The made-up track: (length in m, corner speed limit in km/h or `None`
/// for a straight).
const TRACK: &[(f64, Option<f64>)] = &[
    (420.0, None),
    (60.0, Some(95.0)),
    (230.0, None),
    (90.0, Some(150.0)),
    (310.0, None),
    (70.0, Some(80.0)),
    (180.0, None),
    (120.0, Some(190.0)),
    (140.0, None),
    (50.0, Some(70.0)),
];

const TOP_SPEED_KMH: f64 = 265.0;
const ACCEL_MS2: f64 = 6.0;
const BRAKE_MS2: f64 = 13.0;
const MAX_RPM: f64 = 8_500.0;
const MAX_FUEL_L: f64 = 120.0;
const START_FUEL_L: f64 = 35.0;
/// km/h per 1000 rpm in gears 1 to 6.
const GEARING: [f64; 6] = [12.0, 17.0, 21.5, 25.5, 29.5, 33.5];

/// The bundled capture, as `scripts/make-demo` wrote it.
pub const DEMO_CAPTURE: &[u8] = include_bytes!("../../assets/demo/acc-demo.bkcap");

/// The name the bundled capture goes by in messages and the registry.
pub const DEMO_NAME: &str = "/bridgekeeper/built-in/acc-demo.bkcap";

/// A reader of the bundled capture.
pub fn demo_reader() -> Result<bridgekeeper_capture::CaptureReader, CaptureError> {
    bridgekeeper_capture::CaptureReader::from_bytes(
        std::path::Path::new(DEMO_NAME),
        DEMO_CAPTURE.to_vec(),
    )
}

/// `plan` (a replay of the bundled capture) named as the demo.
pub fn demo_plan(
    plan: &bridgekeeper_sessions::replay::ReplayPlan,
) -> bridgekeeper_sessions::replay::ReplayPlan {
    let mut plan = plan.clone();
    plan.game = format!("{} (demo)", plan.game.trim_end_matches(" (replay)"));
    plan
}

/// Why the demo could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The profile is not built in, or lacks a mapping or field the demo
    /// writes.
    #[error("the {DEMO_PROFILE} profile {0}; update the profile or app/src/demo_sim.rs")]
    Profile(String),
    /// The capture could not be written.
    #[error(transparent)]
    Capture(#[from] CaptureError),
}

/// The speed the car can do at each metre of the lap.
fn speed_profile() -> Vec<f64> {
    let length: f64 = TRACK.iter().map(|(l, _)| l).sum();
    let metres = length as usize;
    let mut limit = vec![TOP_SPEED_KMH / 3.6; metres];
    let mut start = 0.0;
    for (len, corner) in TRACK {
        if let Some(kmh) = corner {
            for v in &mut limit[start as usize..(start + len) as usize] {
                *v = kmh / 3.6;
            }
        }
        start += len;
    }
    // Forward (acceleration) and backward (braking) passes, twice round so
    // the lap closes on itself.
    let mut v = limit.clone();
    for _ in 0..2 {
        for i in 0..metres {
            let prev = v[(i + metres - 1) % metres];
            v[i] = v[i].min((prev * prev + 2.0 * ACCEL_MS2).sqrt());
        }
        for i in (0..metres).rev() {
            let next = v[(i + 1) % metres];
            v[i] = v[i].min((next * next + 2.0 * BRAKE_MS2).sqrt());
        }
    }
    v
}

/// A page being written by field name.
struct Page<'a> {
    layout: &'a Layout,
    bytes: Vec<u8>,
}

impl Page<'_> {
    fn put(&mut self, name: &str, values: &[f64]) -> Result<(), DemoError> {
        let field = self.layout.field(name).ok_or_else(|| {
            DemoError::Profile(format!("has no field {name} in {}", self.layout.id))
        })?;
        let (scalar, count) = match field.ty {
            FieldType::Scalar(s) => (s, 1),
            FieldType::Array(s, n) => (s, n),
            _ => return Err(DemoError::Profile(format!("field {name} is not a number"))),
        };
        for (i, value) in values.iter().take(count).enumerate() {
            let at = field.offset + i * scalar.size();
            let out = &mut self.bytes[at..at + scalar.size()];
            match scalar {
                Scalar::F32 => out.copy_from_slice(&(*value as f32).to_le_bytes()),
                Scalar::F64 => out.copy_from_slice(&value.to_le_bytes()),
                Scalar::I32 => out.copy_from_slice(&(*value as i32).to_le_bytes()),
                Scalar::U32 => out.copy_from_slice(&(*value as u32).to_le_bytes()),
                other => {
                    return Err(DemoError::Profile(format!(
                        "field {name} has type {}, which the demo does not write",
                        other.as_str()
                    )));
                }
            }
        }
        Ok(())
    }

    fn text(&mut self, name: &str, text: &str) -> Result<(), DemoError> {
        let field = self.layout.field(name).ok_or_else(|| {
            DemoError::Profile(format!("has no field {name} in {}", self.layout.id))
        })?;
        let FieldType::Utf16(units) = field.ty else {
            return Err(DemoError::Profile(format!(
                "field {name} is not utf16 text"
            )));
        };
        let out = &mut self.bytes[field.offset..field.offset + 2 * units];
        out.fill(0);
        for (i, unit) in text.encode_utf16().take(units - 1).enumerate() {
            out[2 * i..2 * i + 2].copy_from_slice(&unit.to_le_bytes());
        }
        Ok(())
    }
}

/// `m:ss.mmm`.
fn lap_text(ms: u64) -> String {
    format!("{}:{:02}.{:03}", ms / 60_000, ms / 1000 % 60, ms % 1000)
}

/// The pages of the demo profile in header order, with their layouts.
fn pages(profile: &Profile) -> Result<(CaptureHeader, Vec<Option<&Layout>>), DemoError> {
    let mappings: Vec<_> = profile.default_mappings().collect();
    let mut header = CaptureHeader::new(
        mappings
            .iter()
            .map(|m| (m.name.to_string(), m.size.bytes())),
    );
    header.game = Some(profile.name.clone());
    header.appid = profile.appids.first().copied();
    header.profile = Some(profile.id.clone());
    header.started_at_unix_ms = STARTED_AT_UNIX_MS;
    header.extra.insert(
        "synthetic".into(),
        serde_json::Value::String(
            "made by bridgekeeper's demo sim (app/src/demo_sim.rs), not by the game".into(),
        ),
    );
    let layouts = mappings.iter().map(|m| profile.layout_of(m)).collect();
    Ok((header, layouts))
}

/// Writes the demo capture into `out`.
pub fn write_demo<W: bridgekeeper_capture::CaptureOutput>(
    out: W,
    label: &std::path::Path,
) -> Result<(W, WriteSummary), DemoError> {
    let catalog = Catalog::builtin();
    let profile = &catalog
        .get(DEMO_PROFILE)
        .ok_or_else(|| DemoError::Profile("is not built in".into()))?
        .profile;
    let (header, layouts) = pages(profile)?;
    let index = |name: &str| {
        header
            .mappings
            .iter()
            .position(|m| m.name == name)
            .ok_or_else(|| DemoError::Profile(format!("has no mapping {name}")))
    };
    let (physics_at, graphics_at, static_at) = (
        index("acpmf_physics")?,
        index("acpmf_graphics")?,
        index("acpmf_static")?,
    );
    let layout = |at: usize| {
        layouts[at].ok_or_else(|| DemoError::Profile(format!("has no layout for mapping {at}")))
    };
    let size = |at: usize| header.mappings[at].size as usize;
    let mut physics = Page {
        layout: layout(physics_at)?,
        bytes: vec![0; size(physics_at)],
    };
    let mut graphics = Page {
        layout: layout(graphics_at)?,
        bytes: vec![0; size(graphics_at)],
    };
    let mut statics = Page {
        layout: layout(static_at)?,
        bytes: vec![0; size(static_at)],
    };
    let page_size = header.page_size as usize;
    let mapping_count = header.mappings.len();
    let mut writer = CaptureWriter::new(out, label, header, Default::default())?;

    statics.text("smVersion", "1.9")?;
    statics.text("acVersion", "1.10.2")?;
    statics.put("numberOfSessions", &[1.0])?;
    statics.put("numCars", &[1.0])?;
    statics.text("carModel", "bk_demo_gt3")?;
    statics.text("track", "bk_demo_ring")?;
    statics.text("playerName", "Demo")?;
    statics.text("playerSurname", "Driver")?;
    statics.text("playerNick", "DEM")?;
    statics.put("sectorCount", &[3.0])?;
    statics.put("maxTorque", &[560.0])?;
    statics.put("maxPower", &[405.0])?;
    statics.put("maxRpm", &[MAX_RPM])?;
    statics.put("maxFuel", &[MAX_FUEL_L])?;
    statics.put("suspensionMaxTravel", &[0.11, 0.11, 0.12, 0.12])?;
    statics.put("tyreRadius", &[0.335, 0.335, 0.345, 0.345])?;

    let v = speed_profile();
    let lap_len = v.len() as f64;
    let mut distance = 0.0f64;
    let mut fuel = START_FUEL_L;
    let mut gear = 1usize; // forward gear, 1-based
    let (mut lap, mut lap_start_ms, mut last_ms, mut best_ms) = (0u32, 0u64, 0u64, 0u64);
    let mut prev_speed = 0.0f64;
    let mut step = 0u64;
    while lap < LAPS {
        let time_ns = step * PHYSICS_NS;
        let now_ms = time_ns / 1_000_000;
        let dt = PHYSICS_NS as f64 / 1e9;
        // Standing start for the first two seconds, then the fast lap.
        let at = (distance % lap_len) as usize % v.len();
        let target = v[at];
        let speed = if distance < 1.0 && time_ns < 2_000_000_000 {
            0.0
        } else {
            target.min(prev_speed + ACCEL_MS2 * dt).max(0.0)
        };
        let accel = (speed - prev_speed) / dt;
        distance += speed * dt;
        if distance >= lap_len * f64::from(lap + 1) {
            lap += 1;
            last_ms = now_ms - lap_start_ms;
            best_ms = if best_ms == 0 {
                last_ms
            } else {
                best_ms.min(last_ms)
            };
            lap_start_ms = now_ms;
        }
        let kmh = speed * 3.6;
        // Up at 7600 rpm, down below 4500.
        while gear < 6 && kmh > GEARING[gear - 1] * 7.6 {
            gear += 1;
        }
        while gear > 1 && kmh < GEARING[gear - 1] * 4.5 {
            gear -= 1;
        }
        let rpm = (kmh / GEARING[gear - 1] * 1000.0).clamp(1_200.0, MAX_RPM);
        let throttle = if speed == 0.0 && time_ns < 2_000_000_000 {
            0.15
        } else if accel > 0.5 {
            1.0
        } else if accel < -0.5 {
            0.0
        } else {
            0.55
        };
        let brake = (-accel / BRAKE_MS2).clamp(0.0, 1.0);
        fuel -= throttle * 0.000_035;
        let corner = v[at] < TOP_SPEED_KMH / 3.6 - 1.0 && accel.abs() < 0.5;
        let steer = if corner { 0.25 } else { 0.0 };
        physics.put("packetId", &[(step + 1) as f64])?;
        physics.put("gas", &[throttle])?;
        physics.put("brake", &[brake])?;
        physics.put("fuel", &[fuel])?;
        physics.put("gear", &[gear as f64 + 1.0])?; // 0 = R, 1 = N, 2 = 1st
        physics.put("rpms", &[rpm.round()])?;
        physics.put("steerAngle", &[steer])?;
        physics.put("speedKmh", &[kmh])?;
        physics.put("velocity", &[0.0, 0.0, speed])?;
        let lateral = if corner {
            speed * speed / 120.0 / 9.81
        } else {
            0.0
        };
        physics.put("accG", &[lateral, 0.0, accel / 9.81])?;
        physics.put("wheelsPressure", &[27.6, 27.6, 27.4, 27.4])?;
        let wheel = speed / 0.34;
        physics.put("wheelAngularSpeed", &[wheel, wheel, wheel, wheel])?;
        physics.put("tyreCoreTemperature", &[78.0, 78.0, 80.0, 80.0])?;
        physics.put(
            "heading",
            &[(distance / lap_len * std::f64::consts::TAU) % std::f64::consts::TAU],
        )?;
        physics.put("airTemp", &[24.0])?;
        physics.put("roadTemp", &[31.0])?;
        physics.put("clutch", &[if speed == 0.0 { 1.0 } else { 0.0 }])?;
        prev_speed = speed;

        let mut updates = vec![Update::Page {
            mapping: physics_at,
            page: 0,
            bytes: &physics.bytes[..page_size.min(physics.bytes.len())],
        }];
        let graphics_due = step.is_multiple_of(GRAPHICS_EVERY);
        if graphics_due {
            let current = now_ms - lap_start_ms;
            graphics.put("packetId", &[(step / GRAPHICS_EVERY + 1) as f64])?;
            graphics.put("status", &[2.0])?; // live
            graphics.put("session", &[0.0])?; // practice
            graphics.text("currentTime", &lap_text(current))?;
            graphics.text("lastTime", &lap_text(last_ms))?;
            graphics.text("bestTime", &lap_text(best_ms))?;
            graphics.put("completedLaps", &[f64::from(lap)])?;
            graphics.put("position", &[1.0])?;
            graphics.put("iCurrentTime", &[current as f64])?;
            graphics.put("iLastTime", &[last_ms as f64])?;
            graphics.put("iBestTime", &[best_ms as f64])?;
            graphics.put("sessionTimeLeft", &[(3_600_000 - now_ms as i64) as f64])?;
            graphics.put("distanceTraveled", &[distance])?;
            let sector = ((distance % lap_len) / lap_len * 3.0) as u32;
            graphics.put("currentSectorIndex", &[f64::from(sector.min(2))])?;
            graphics.put("numberOfLaps", &[0.0])?;
        }
        if graphics_due {
            updates.push(Update::Page {
                mapping: graphics_at,
                page: 0,
                bytes: &graphics.bytes[..page_size.min(graphics.bytes.len())],
            });
        }
        if step == 0 {
            for mapping in 0..mapping_count {
                updates.push(Update::State {
                    mapping,
                    state: MappingState::Live,
                });
            }
            for (page, bytes) in statics.bytes.chunks(page_size).enumerate() {
                updates.push(Update::Page {
                    mapping: static_at,
                    page,
                    bytes,
                });
            }
        }
        writer.write_frame(Duration::from_nanos(time_ns), &updates)?;
        step += 1;
    }
    Ok(writer.finish_into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laps_text() {
        assert_eq!(lap_text(83_456), "1:23.456");
        assert_eq!(lap_text(0), "0:00.000");
    }

    #[test]
    fn the_speed_profile_respects_corners_and_closes() {
        let v = speed_profile();
        let min = v.iter().cloned().fold(f64::MAX, f64::min) * 3.6;
        let max = v.iter().cloned().fold(0.0, f64::max) * 3.6;
        assert!((60.0..=75.0).contains(&min), "{min}");
        assert!((200.0..=TOP_SPEED_KMH).contains(&max), "{max}");
    }
}
