//! Dashboards: every built-in profile with a layout feeds gauges, decoded
//! from byte images laid out as the games write them; bad `[dashboard]`
//! tables are rejected with their place and a fix.

use std::collections::HashMap;
use std::time::Duration;

use bridgekeeper_profiles::{
    Catalog, DashboardValues, GAUGES, Gear, Profile, Status, parse_profile,
};

fn builtin(id: &str) -> Profile {
    Catalog::builtin().get(id).unwrap().profile.clone()
}

/// Page images by mapping name, written field by field.
#[derive(Default)]
struct Pages(HashMap<String, Vec<u8>>);

impl Pages {
    fn page(&mut self, name: &str, size: usize) -> &mut Vec<u8> {
        self.0
            .entry(name.to_string())
            .or_insert_with(|| vec![0; size])
    }
    fn put(&mut self, name: &str, offset: usize, bytes: &[u8]) {
        let page = self.0.get_mut(name).expect("page created first");
        page[offset..offset + bytes.len()].copy_from_slice(bytes);
    }
    fn i32(&mut self, name: &str, offset: usize, v: i32) {
        self.put(name, offset, &v.to_le_bytes());
    }
    fn u32(&mut self, name: &str, offset: usize, v: u32) {
        self.put(name, offset, &v.to_le_bytes());
    }
    fn f32(&mut self, name: &str, offset: usize, v: f32) {
        self.put(name, offset, &v.to_le_bytes());
    }
    fn f64(&mut self, name: &str, offset: usize, v: f64) {
        self.put(name, offset, &v.to_le_bytes());
    }
    fn u8(&mut self, name: &str, offset: usize, v: u8) {
        self.put(name, offset, &[v]);
    }
    fn read(&self, profile: &Profile) -> DashboardValues {
        let dashboard = profile.dashboard.as_ref().expect("a dashboard");
        dashboard.read(|name| self.0.get(name).map(Vec::as_slice))
    }
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-6)
}

fn ms(n: u64) -> Option<Duration> {
    Some(Duration::from_millis(n))
}

#[test]
fn every_builtin_has_a_dashboard_that_feeds_or_explains_each_gauge() {
    for entry in Catalog::builtin().entries() {
        let p = &entry.profile;
        let d = p
            .dashboard
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no [dashboard]", p.id));
        let fed = d.gauges();
        for gauge in GAUGES {
            let explained = d.unavailable.get(gauge);
            assert!(
                fed.contains(&gauge) != explained.is_some(),
                "{}: {gauge} is fed: {}, explained: {explained:?}",
                p.id,
                fed.contains(&gauge)
            );
        }
        for mapping in d.mappings() {
            assert!(d.extent(mapping) > 0, "{}: {mapping}", p.id);
        }
    }
    assert!(builtin("iracing").dashboard.unwrap().gauges().is_empty());
    assert!(
        builtin("assetto-corsa-rally")
            .dashboard
            .unwrap()
            .gauges()
            .is_empty()
    );
    let gauges = |id| builtin(id).dashboard.unwrap().gauges();
    let all = [
        "speed",
        "rpm",
        "max_rpm",
        "gear",
        "throttle",
        "brake",
        "clutch",
        "fuel",
        "max_fuel",
        "current_lap",
        "last_lap",
        "status",
    ];
    for id in [
        "assetto-corsa",
        "assetto-corsa-competizione",
        "rfactor-2",
        "le-mans-ultimate",
        "automobilista-2",
        "project-cars-2",
        "raceroom",
    ] {
        assert_eq!(gauges(id), all, "{id}");
    }
    assert_eq!(
        gauges("assetto-corsa-evo"),
        ["speed", "rpm", "gear", "throttle", "brake", "fuel"]
    );
    let trucks = [
        "speed", "rpm", "max_rpm", "gear", "throttle", "brake", "clutch", "fuel", "max_fuel",
        "status",
    ];
    assert_eq!(gauges("euro-truck-simulator-2"), trucks);
    assert_eq!(gauges("american-truck-simulator"), trucks);
}

fn kunos_pages() -> Pages {
    let mut p = Pages::default();
    p.page("acpmf_physics", 4096);
    p.page("acpmf_graphics", 4096);
    p.page("acpmf_static", 4096);
    p.f32("acpmf_physics", 4, 0.75);
    p.f32("acpmf_physics", 8, 0.25);
    p.f32("acpmf_physics", 12, 42.5);
    p.i32("acpmf_physics", 16, 4);
    p.i32("acpmf_physics", 20, 7200);
    p.f32("acpmf_physics", 28, 187.5);
    p.f32("acpmf_physics", 364, 1.0);
    p.i32("acpmf_static", 412, 8000);
    p.f32("acpmf_static", 416, 60.0);
    p.i32("acpmf_graphics", 4, 2);
    p.i32("acpmf_graphics", 140, 62_345);
    p.i32("acpmf_graphics", 144, 83_001);
    p
}

#[test]
fn kunos_pages_decode() {
    for id in ["assetto-corsa", "assetto-corsa-competizione"] {
        let profile = builtin(id);
        let mut pages = kunos_pages();
        let v = pages.read(&profile);
        assert_eq!(v.speed_kmh, Some(187.5), "{id}");
        assert_eq!(v.rpm, Some(7200.0));
        assert_eq!(v.max_rpm, Some(8000.0));
        assert_eq!(v.gear, Some(Gear::Forward(3)), "Kunos: 2 is first gear");
        assert_eq!(
            (v.throttle, v.brake, v.clutch),
            (Some(0.75), Some(0.25), Some(1.0))
        );
        assert_eq!((v.fuel_litres, v.max_fuel_litres), (Some(42.5), Some(60.0)));
        assert_eq!((v.current_lap, v.last_lap), (ms(62_345), ms(83_001)));
        assert_eq!(
            v.status,
            Some(Status {
                raw: 2,
                label: Some("live".into())
            })
        );

        pages.i32("acpmf_physics", 16, 0);
        pages.i32("acpmf_graphics", 144, 0);
        pages.i32("acpmf_graphics", 140, i32::MAX);
        pages.i32("acpmf_graphics", 4, 7);
        let v = pages.read(&profile);
        assert_eq!(v.gear, Some(Gear::Reverse(1)));
        assert_eq!(v.last_lap, None, "0 ms is no lap yet");
        assert_eq!(v.current_lap, None, "INT_MAX is no time");
        assert_eq!(
            v.status,
            Some(Status {
                raw: 7,
                label: None
            })
        );
        pages.i32("acpmf_physics", 16, 1);
        assert_eq!(pages.read(&profile).gear, Some(Gear::Neutral));

        pages.0.remove("acpmf_static");
        pages.0.get_mut("acpmf_graphics").unwrap().truncate(100);
        let v = pages.read(&profile);
        assert_eq!(
            v.speed_kmh,
            Some(187.5),
            "the physics page alone still reads"
        );
        assert_eq!(
            (v.max_rpm, v.max_fuel_litres, v.last_lap),
            (None, None, None)
        );
        assert_eq!(
            v.status.map(|s| s.raw),
            Some(7),
            "status lies within 100 bytes"
        );
    }
}

#[test]
fn ac_evo_reads_its_own_physics_page() {
    let profile = builtin("assetto-corsa-evo");
    let mut p = Pages::default();
    p.page("Local\\acevo_pmf_physics", 16384);
    p.i32("Local\\acevo_pmf_physics", 16, 3);
    p.i32("Local\\acevo_pmf_physics", 20, 5100);
    p.f32("Local\\acevo_pmf_physics", 28, 99.0);
    p.f32("Local\\acevo_pmf_physics", 4, 0.5);
    p.f32("Local\\acevo_pmf_physics", 12, 30.0);
    let v = p.read(&profile);
    assert_eq!(v.gear, Some(Gear::Forward(2)));
    assert_eq!(
        (v.rpm, v.speed_kmh, v.throttle, v.fuel_litres),
        (Some(5100.0), Some(99.0), Some(0.5), Some(30.0))
    );
    assert_eq!((v.max_rpm, v.clutch, v.status), (None, None, None));
    assert_eq!(
        profile.dashboard.as_ref().unwrap().mappings(),
        ["Local\\acevo_pmf_physics"]
    );
}

#[test]
fn madness_pages_decode() {
    for id in ["automobilista-2", "project-cars-2"] {
        let profile = builtin(id);
        let mut p = Pages::default();
        let n = "$pcars2$";
        p.page(n, 102400);
        p.u32(n, 8, 2);
        p.f32(n, 6720, 0.0);
        p.f32(n, 6724, 12.5);
        p.f32(n, 6840, 0.5);
        p.f32(n, 6844, 80.0);
        p.f32(n, 6848, 50.0);
        p.f32(n, 6852, 6100.0);
        p.f32(n, 6856, 7500.0);
        p.f32(n, 6860, 0.1);
        p.f32(n, 6864, 1.0);
        p.f32(n, 6868, 0.0);
        p.i32(n, 6876, -1);
        let v = p.read(&profile);
        assert!(
            close(v.speed_kmh, 180.0),
            "{id}: m/s to km/h: {:?}",
            v.speed_kmh
        );
        assert_eq!((v.rpm, v.max_rpm), (Some(6100.0), Some(7500.0)));
        assert_eq!(v.gear, Some(Gear::Reverse(1)));
        assert!(close(v.brake, 0.1) && v.throttle == Some(1.0) && v.clutch == Some(0.0));
        assert_eq!(
            (v.fuel_litres, v.max_fuel_litres),
            (Some(40.0), Some(80.0)),
            "level × capacity"
        );
        assert_eq!((v.current_lap, v.last_lap), (ms(12_500), None));
        assert_eq!(v.status.unwrap().label.as_deref(), Some("playing"));
        p.f32(n, 6844, 0.0);
        assert_eq!(p.read(&profile).fuel_litres, None, "no capacity, no litres");
    }
}

#[test]
fn raceroom_page_decodes() {
    let profile = builtin("raceroom");
    let mut p = Pages::default();
    let n = "$R3E";
    p.page(n, 65536);
    p.i32(n, 796, 5);
    p.f32(n, 1084, 95.5);
    p.f32(n, 1100, -1.0);
    p.f32(n, 1392, 10.0);
    p.f32(n, 1396, 600.0);
    p.f32(n, 1400, 800.0);
    p.i32(n, 1408, -2);
    p.f32(n, 1456, 20.0);
    p.f32(n, 1460, 110.0);
    p.f32(n, 1500, -1.0);
    p.f32(n, 1508, 0.5);
    p.f32(n, 1516, 0.25);
    let v = p.read(&profile);
    assert!(close(v.speed_kmh, 36.0));
    assert!(
        close(v.rpm, 600.0 * 60.0 / std::f64::consts::TAU),
        "rad/s: {:?}",
        v.rpm
    );
    assert!(close(v.max_rpm, 800.0 * 60.0 / std::f64::consts::TAU));
    assert_eq!(v.gear, Some(Gear::Unknown(-2)), "-2 is not available");
    assert_eq!(
        (v.throttle, v.brake, v.clutch),
        (None, Some(0.5), Some(0.25)),
        "-1 is not available"
    );
    assert_eq!(
        (v.fuel_litres, v.max_fuel_litres),
        (Some(20.0), Some(110.0))
    );
    assert_eq!((v.current_lap, v.last_lap), (None, ms(95_500)));
    assert_eq!(v.status.unwrap().label.as_deref(), Some("green"));
}

#[test]
fn scs_page_decodes() {
    for id in ["euro-truck-simulator-2", "american-truck-simulator"] {
        let profile = builtin(id);
        let mut p = Pages::default();
        let n = "Local\\SCSTelemetry";
        p.page(n, 32768);
        p.u8(n, 4, 1);
        p.i32(n, 504, -2);
        p.f32(n, 704, 800.0);
        p.f32(n, 740, 2500.0);
        p.f32(n, 948, -5.0);
        p.f32(n, 952, 1200.0);
        p.f32(n, 960, 0.3);
        p.f32(n, 1000, 400.0);
        let v = p.read(&profile);
        assert!(
            close(v.speed_kmh, 18.0),
            "{id}: unsigned: {:?}",
            v.speed_kmh
        );
        assert_eq!(v.gear, Some(Gear::Reverse(2)));
        assert_eq!(v.gear.unwrap().to_string(), "R2");
        assert_eq!((v.rpm, v.max_rpm), (Some(1200.0), Some(2500.0)));
        assert!(close(v.throttle, 0.3));
        assert_eq!(
            (v.fuel_litres, v.max_fuel_litres),
            (Some(400.0), Some(800.0))
        );
        assert_eq!(v.status.unwrap().label.as_deref(), Some("paused"));
        assert_eq!((v.current_lap, v.last_lap), (None, None));
    }
}

/// rFactor 2: the player's scoring record is flagged; its telemetry record
/// is the one with the same mID, not necessarily the same index.
#[test]
fn rfactor2_reads_the_players_records() {
    let profile = builtin("rfactor-2");
    let (s, t) = ("$rFactor2SMMP_Scoring$", "$rFactor2SMMP_Telemetry$");
    let mut p = Pages::default();
    p.page(s, 262144);
    p.page(t, 262144);
    p.u8(s, 120, 5);
    p.i32(s, 116, 3);
    let scoring = |i: usize| 560 + i * 584;
    for (i, id) in [5, 9, 2].into_iter().enumerate() {
        p.i32(s, scoring(i), id);
        p.f64(s, scoring(i) + 168, 100.0 + i as f64);
    }
    p.u8(s, scoring(1) + 196, 1);
    p.i32(t, 12, 3);
    let tele = |i: usize| 16 + i * 1888;
    for (i, id) in [2, 5, 9].into_iter().enumerate() {
        let r = tele(i);
        p.i32(t, r, id);
        p.f64(t, r + 12, 1000.5);
        p.f64(t, r + 24, 950.25);
        p.f64(t, r + 184, 3.0);
        p.f64(t, r + 200, -40.0);
        p.i32(t, r + 352, i as i32);
        p.f64(t, r + 356, 1000.0 * (i + 1) as f64);
        p.f64(t, r + 388, 0.5);
        p.f64(t, r + 524, 30.0 + i as f64);
        p.f64(t, r + 532, 9000.0);
        p.f64(t, r + 608, 100.0);
    }
    p.f64(t, tele(2) + 12, 1010.5);
    let v = p.read(&profile);
    assert_eq!(
        v.rpm,
        Some(3000.0),
        "telemetry record 2 has the player's mID 9"
    );
    assert_eq!(v.gear, Some(Gear::Forward(2)));
    assert_eq!(v.fuel_litres, Some(32.0));
    assert_eq!((v.max_rpm, v.max_fuel_litres), (Some(9000.0), Some(100.0)));
    assert!(
        close(v.speed_kmh, (9.0f64 + 1600.0).sqrt() * 3.6),
        "{:?}",
        v.speed_kmh
    );
    assert_eq!(v.throttle, Some(0.5));
    assert_eq!(v.current_lap, ms(60_250), "mElapsedTime - mLapStartET");
    assert_eq!(v.last_lap, ms(101_000), "scoring record 1 is flagged");
    assert_eq!(v.status.unwrap().label.as_deref(), Some("green flag"));

    p.i32(s, 116, 1);
    let v = p.read(&profile);
    assert_eq!(
        (v.rpm, v.last_lap),
        (None, None),
        "the flagged record is past mNumVehicles"
    );
    assert!(v.status.is_some());
    p.i32(s, 116, 3);
    p.0.remove(s);
    let v = p.read(&profile);
    assert_eq!((v.rpm, v.speed_kmh), (None, None), "no scoring, no player");
    assert_eq!(
        profile.dashboard.as_ref().unwrap().mappings(),
        [t, s],
        "telemetry gauges need the scoring page too"
    );
}

#[test]
fn le_mans_ultimate_reads_the_players_records() {
    let profile = builtin("le-mans-ultimate");
    let n = "LMU_Data";
    let mut p = Pages::default();
    p.page(n, 524288);
    p.i32(n, 1736, 2);
    p.u8(n, 1740, 9);
    let scoring = |i: usize| 2192 + i * 584;
    p.i32(n, scoring(0), 11);
    p.i32(n, scoring(1), 4);
    p.u8(n, scoring(1) + 196, 1);
    p.f64(n, scoring(1) + 168, 222.5);
    p.u8(n, 128464, 2);
    let tele = |i: usize| 128468 + i * 1888;
    p.i32(n, tele(0), 4);
    p.i32(n, tele(1), 11);
    p.i32(n, tele(0) + 352, 0);
    p.f64(n, tele(0) + 356, 4321.0);
    p.f64(n, tele(0) + 12, 50.0);
    p.f64(n, tele(0) + 24, 20.0);
    p.f64(n, tele(0) + 396, 1.0);
    p.f64(n, tele(0) + 412, 0.0);
    p.f64(n, tele(0) + 524, 55.0);
    p.f64(n, tele(0) + 532, 8800.0);
    p.f64(n, tele(0) + 608, 90.0);
    p.f64(n, tele(0) + 200, -20.0);
    p.f64(n, tele(1) + 356, 9999.0);
    let v = p.read(&profile);
    assert_eq!(
        v.rpm,
        Some(4321.0),
        "telemetry record 0 has the player's mID 4"
    );
    assert_eq!(v.gear, Some(Gear::Neutral));
    assert_eq!((v.brake, v.clutch), (Some(1.0), Some(0.0)));
    assert_eq!(
        (v.fuel_litres, v.max_fuel_litres, v.max_rpm),
        (Some(55.0), Some(90.0), Some(8800.0))
    );
    assert!(close(v.speed_kmh, 72.0));
    assert_eq!((v.current_lap, v.last_lap), (ms(30_000), ms(222_500)));
    assert_eq!(v.status.unwrap().label.as_deref(), Some("paused"));
}

const MINE: &str = r#"id = "my-game"
name = "My Game"
appids = [999001]
live_exes = ["MyGame.exe"]

[[mapping]]
name = "page"
size = 4096
layout = "page"

[[layout]]
id = "page"

[[layout.field]]
name = "speed"
offset = 0
type = "f32"

[[layout.field]]
name = "gear"
offset = 4
type = "i32"

[[layout.field]]
name = "lap"
offset = 8
type = "utf16[15]"

[[layout.field]]
name = "ids"
offset = 40
type = "i32"

[[layout.field]]
name = "flags"
offset = 44
type = "u8"

[dashboard]
speed = { mapping = "page", field = "speed", unit = "m/s" }
gear = { mapping = "page", field = "gear", reverse = -1, neutral = 0 }
last_lap = { mapping = "page", field = "lap", unit = "text" }
max_rpm = { value = 9000, unit = "rpm" }
"#;

fn problems(text: &str) -> Vec<String> {
    match parse_profile("mine.toml", text) {
        Ok(p) => panic!("expected problems, got profile {}", p.id),
        Err(r) => r.problems.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn a_user_dashboard_with_text_laps_and_a_constant_limit_reads() {
    let profile = parse_profile("mine.toml", MINE).unwrap();
    let mut p = Pages::default();
    p.page("page", 4096);
    p.f32("page", 0, 10.0);
    p.i32("page", 4, 3);
    for (i, unit) in "1:02.345".encode_utf16().enumerate() {
        p.put("page", 8 + 2 * i, &unit.to_le_bytes());
    }
    let v = p.read(&profile);
    assert!(close(v.speed_kmh, 36.0));
    assert_eq!(v.gear, Some(Gear::Forward(3)));
    assert_eq!(v.last_lap, ms(62_345));
    assert_eq!(v.max_rpm, Some(9000.0));
    assert_eq!(v.rpm, None);
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["gear"], "3");
}

#[test]
fn bad_dashboards_are_rejected_with_place_and_fix() {
    let dash = |line: &str| format!("{MINE}{line}\n");
    let cases: Vec<(String, &str)> = vec![
        (
            MINE.replace(
                "mapping = \"page\", field = \"speed\"",
                "mapping = \"pgae\", field = \"speed\"",
            ),
            "mine.toml:40:21: dashboard speed: mapping \"pgae\" is not a [[mapping]] of this profile — use a mapping with a layout: \"page\"",
        ),
        (
            MINE.replace("field = \"speed\"", "field = \"sped\""),
            "mine.toml:40:37: dashboard speed: field \"sped\" is not in layout \"page\"",
        ),
        (
            MINE.replace(
                "field = \"speed\", unit = \"m/s\"",
                "field = \"lap\", unit = \"m/s\"",
            ),
            "mine.toml:40:37: dashboard speed: field \"lap\" is a utf16[15], not a number",
        ),
        (
            MINE.replace("unit = \"m/s\"", "unit = \"kph\""),
            "mine.toml:40:53: dashboard speed: unit \"kph\" is not known here — use one of \"km/h\", \"m/s\", \"mph\"",
        ),
        (
            MINE.replace("reverse = -1, neutral = 0", "reverse = 1, neutral = 0"),
            "mine.toml:41:54: dashboard gear: reverse = 1 is not below neutral = 0",
        ),
        (
            MINE.replace("field = \"gear\", reverse", "field = \"speed\", reverse"),
            "mine.toml:41:36: dashboard gear: field \"speed\" is a f32, not an integer",
        ),
        (
            MINE.replace(
                "field = \"lap\", unit = \"text\"",
                "field = \"speed\", unit = \"text\"",
            ),
            "mine.toml:42:40: dashboard last_lap: field \"speed\" is a f32, not text",
        ),
        (
            MINE.replace(
                "max_rpm = { value = 9000, unit = \"rpm\" }",
                "max_rpm = { unit = \"rpm\" }",
            ),
            "mine.toml:43:11: dashboard max_rpm: give either mapping and field, or value",
        ),
        (
            MINE.replace("value = 9000", "value = -5"),
            "mine.toml:43:21: dashboard max_rpm: value -5 is not above zero",
        ),
        (
            dash("status = { mapping = \"page\", field = \"gear\", labels = { x = \"off\" } }"),
            "mine.toml:44:55: dashboard status: label key \"x\" is not an integer",
        ),
        (
            dash("status = { mapping = \"page\", field = \"gear\", labels = {} }"),
            "mine.toml:44:55: dashboard status: no labels",
        ),
        (
            dash("fuel = { mapping = \"page\", field = \"speed\", unit = \"0..1\" }"),
            "mine.toml:39:1: dashboard fuel is a fraction of the tank, but there is no max_fuel",
        ),
        (
            dash(
                "rpm = { mapping = \"page\", field = \"speed\", unit = \"rpm\", records = \"cars\" }",
            ),
            "mine.toml:44:68: dashboard rpm: records \"cars\" is not a [[dashboard.records]] of this profile",
        ),
        (
            dash("rpm = { mapping = \"page\", field = \"speed\", unit = \"rpm\", colour = 1 }"),
            "mine.toml:44:58: invalid profile: unknown field `colour`",
        ),
        (
            dash(
                "\n[[dashboard.records]]\nname = \"cars\"\nmapping = \"page\"\nstride = 8\ncount = 600\nflag = \"flags\"",
            ),
            "mine.toml:50:8: [[dashboard.records]]: flag field \"flags\" of record 599 lies past the end of \"page\"",
        ),
        (
            dash(
                "\n[[dashboard.records]]\nname = \"cars\"\nmapping = \"page\"\nstride = 0\ncount = 4\nflag = \"flags\"",
            ),
            "mine.toml:48:10: [[dashboard.records]]: stride = 0 is not above zero",
        ),
        (
            dash(
                "\n[[dashboard.records]]\nname = \"cars\"\nmapping = \"page\"\nstride = 8\ncount = 4",
            ),
            "mine.toml:45:1: [[dashboard.records]]: give either `flag` or `same_id_as`",
        ),
        (
            dash(
                "\n[[dashboard.records]]\nname = \"cars\"\nmapping = \"page\"\nstride = 8\ncount = 4\nid = \"ids\"\nsame_id_as = \"other\"",
            ),
            "mine.toml:51:14: [[dashboard.records]]: same_id_as \"other\" names no [[dashboard.records]] with a flag",
        ),
    ];
    for (text, expect) in &cases {
        let shown = problems(text);
        assert!(
            shown.iter().any(|s| s.starts_with(expect)),
            "expected {expect:?}, got {shown:#?}"
        );
        assert!(shown.iter().all(|s| s.contains(" — ")), "a fix: {shown:#?}");
    }
    let empty = MINE[..MINE.find("speed = {").unwrap()].to_string();
    let shown = problems(&empty);
    assert!(
        shown[0].starts_with("mine.toml:39:1: the [dashboard] has no gauge"),
        "{shown:#?}"
    );
}

#[test]
fn unavailable_gauges_need_a_known_name_and_a_reason_and_extents_cover_the_fields() {
    let ok = format!("{MINE}unavailable = {{ clutch = \"the page has none\" }}\n");
    let profile = parse_profile("mine.toml", &ok).unwrap();
    let d = profile.dashboard.unwrap();
    assert_eq!(
        d.unavailable.get("clutch").map(String::as_str),
        Some("the page has none")
    );
    assert_eq!(d.extent("page"), 8 + 30, "up to the end of utf16[15] `lap`");
    assert_eq!(d.extent("other"), 0);
    let wrong = |line: &str| problems(&format!("{MINE}{line}\n"));
    let found = wrong("unavailable = { clucth = \"x\" }");
    assert!(
        found[0].contains("dashboard unavailable: \"clucth\" is not a gauge"),
        "{found:?}"
    );
    let found = wrong("unavailable = { speed = \"x\" }");
    assert!(
        found[0].contains("speed is also given as a gauge"),
        "{found:?}"
    );
    let found = wrong("unavailable = { clutch = \" \" }");
    assert!(found[0].contains("clutch has no reason"), "{found:?}");
    // The extent of a per-car array reaches its last record.
    let lmu = builtin("le-mans-ultimate").dashboard.unwrap();
    let rf2 = builtin("rfactor-2").dashboard.unwrap();
    assert!(
        rf2.extent("$rFactor2SMMP_Telemetry$") > 127 * 1888,
        "{}",
        rf2.extent("$rFactor2SMMP_Telemetry$")
    );
    assert!(lmu.mappings().iter().all(|m| lmu.extent(m) > 0));
}
