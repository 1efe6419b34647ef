//! Profiles: built-in data against docs/game-data.md, decoding, the user
//! directory and hot reload.

use std::sync::Arc;

use parking_lot::RwLock;
use std::time::{Duration, Instant};

use bridgekeeper_profiles::{Catalog, CatalogReloader, Direction, Origin, Profile, Value};

const VALID: &str = r#"
id = "my-game"
name = "My Game"
appids = [999001]
live_exes = ["MyGame.exe"]

[[mapping]]
name = "Local\\my_page"
size = 8192
source = "measured"
"#;

fn builtin(id: &str) -> Profile {
    Catalog::builtin()
        .get(id)
        .unwrap_or_else(|| panic!("no built-in profile {id}"))
        .profile
        .clone()
}

fn size(profile: &Profile, name: &str) -> u64 {
    profile
        .mapping(name)
        .unwrap_or_else(|| panic!("{} has no mapping {name}", profile.id))
        .size
        .bytes()
}

#[test]
fn sizes_follow_docs_game_data() {
    let ac = builtin("assetto-corsa");
    assert_eq!(size(&ac, "acpmf_physics"), 4096);
    assert_eq!(size(&ac, "acpmf_crewchief"), 16384);
    assert_eq!(size(&ac, "acpmf_simhub_v2"), 65536);
    assert!(ac.mapping("acpmf_simhub_v2").unwrap().optional);

    let rf2 = builtin("rfactor-2");
    assert_eq!(rf2.mappings.len(), 13);
    assert!(rf2.mappings.iter().all(|m| m.size.bytes() == 262144));
    assert!(
        rf2.mappings
            .iter()
            .all(|m| m.name.win32().starts_with("$rFactor2SMMP_"))
    );
    let inputs = rf2
        .mappings
        .iter()
        .filter(|m| m.direction == Direction::LinuxToGame)
        .count();
    assert_eq!(inputs, 4);

    let lmu = builtin("le-mans-ultimate");
    assert_eq!(size(&lmu, "LMU_Data"), 524288);
    let events: Vec<&str> = lmu.events.iter().map(|e| e.win32()).collect();
    assert_eq!(events, ["LMU_Data_Event", "LMU_SharedMemoryLockEvent"]);
    assert!(lmu.mapping("LMU_Data_Event").is_none());
    assert_eq!(
        lmu.default_mappings().count(),
        2,
        "rF2 buffers are opt-in in LMU"
    );

    assert_eq!(size(&builtin("automobilista-2"), "$pcars2$"), 102400);
    assert_eq!(size(&builtin("project-cars-2"), "$pcars2$"), 102400);
    assert_eq!(size(&builtin("raceroom"), "$R3E"), 65536);
    assert_eq!(
        size(&builtin("iracing"), "Local\\IRSDKMemMapFileName"),
        2097152
    );
    assert_eq!(
        size(&builtin("euro-truck-simulator-2"), "Local\\SCSTelemetry"),
        32768
    );
    assert_eq!(
        size(&builtin("american-truck-simulator"), "SCSTelemetry"),
        32768
    );
    for name in ["acpmf_physics", "acpmf_graphics", "acpmf_static"] {
        assert_eq!(size(&builtin("assetto-corsa-competizione"), name), 4096);
        assert_eq!(size(&builtin("assetto-corsa-rally"), name), 4096);
        assert_eq!(size(&builtin("assetto-corsa-evo"), name), 4096);
        assert!(builtin("assetto-corsa-evo").mapping(name).unwrap().opt_in);
    }
    for id in [
        "assetto-corsa-competizione",
        "assetto-corsa-evo",
        "assetto-corsa-rally",
    ] {
        let crewchief = builtin(id);
        let crewchief = crewchief.mapping("acpmf_crewchief").unwrap();
        assert_eq!(crewchief.size.bytes(), 16384, "{id}");
        assert!(crewchief.optional, "{id}: the game never writes it");
        assert_eq!(crewchief.opt_in, id == "assetto-corsa-evo", "{id}");
    }
    let evo = builtin("assetto-corsa-evo");
    for name in [
        "Local\\acevo_pmf_physics",
        "acevo_pmf_graphics",
        "acevo_pmf_static",
    ] {
        assert_eq!(size(&evo, name), 16384);
        assert!(evo.mapping(name).unwrap().source.contains("[unverified]"));
    }
}

#[test]
fn ac_physics_page_decodes() {
    let ac = builtin("assetto-corsa");
    let layout = ac.layout_of(ac.mapping("acpmf_physics").unwrap()).unwrap();
    let mut page = vec![0u8; 4096];
    page[0..4].copy_from_slice(&1234i32.to_le_bytes());
    page[28..32].copy_from_slice(&187.5f32.to_le_bytes());
    for (i, slip) in [0.5f32, 1.5, 2.5, 3.5].iter().enumerate() {
        page[56 + 4 * i..60 + 4 * i].copy_from_slice(&slip.to_le_bytes());
    }
    page[312..316].copy_from_slice(&(-0.25f32).to_le_bytes());
    page[364..368].copy_from_slice(&0.5f32.to_le_bytes());
    let field = |name: &str| layout.field(name).unwrap().read(&page).unwrap();
    assert_eq!(field("packetId"), Value::Int(1234));
    assert_eq!(field("speedKmh"), Value::Float(187.5));
    assert_eq!(
        field("wheelSlip"),
        Value::Array(vec![
            Value::Float(0.5),
            Value::Float(1.5),
            Value::Float(2.5),
            Value::Float(3.5)
        ])
    );
    assert_eq!(field("performanceMeter"), Value::Float(-0.25));
    assert_eq!(field("clutch"), Value::Float(0.5));
    assert_eq!(layout.end(), 368, "AC and ACC: clutch at 364");
    let evo = builtin("assetto-corsa-evo");
    let evo = evo.layout_of(&evo.mappings[0]).unwrap();
    assert_eq!(
        (evo.id.as_str(), evo.end()),
        ("acevo-physics", 316),
        "EVO differs after performanceMeter"
    );

    let graphics = ac.layout_of(ac.mapping("acpmf_graphics").unwrap()).unwrap();
    let mut page = vec![0u8; 4096];
    for (i, unit) in "1:02.345".encode_utf16().enumerate() {
        page[42 + 2 * i..44 + 2 * i].copy_from_slice(&unit.to_le_bytes());
    }
    page[144..148].copy_from_slice(&62345i32.to_le_bytes());
    assert_eq!(
        graphics.field("lastTime").unwrap().read(&page),
        Some(Value::Text("1:02.345".into()))
    );
    assert_eq!(
        graphics.field("iLastTime").unwrap().read(&page),
        Some(Value::Int(62345))
    );
}

#[test]
fn madness_raceroom_and_iracing_headers_decode() {
    let ams2 = builtin("automobilista-2");
    let layout = ams2.layout_of(&ams2.mappings[0]).unwrap();
    let mut page = vec![0u8; 102400];
    page[0..4].copy_from_slice(&14u32.to_le_bytes());
    page[8..12].copy_from_slice(&2u32.to_le_bytes());
    page[24..28].copy_from_slice(&20i32.to_le_bytes());
    let decoded = layout.decode(&page);
    let get = |name: &str| {
        decoded
            .iter()
            .find(|(f, _)| f.name == name)
            .unwrap()
            .1
            .clone()
    };
    assert_eq!(get("mVersion"), Some(Value::UInt(14)));
    assert_eq!(get("mGameState"), Some(Value::UInt(2)));
    assert_eq!(get("mNumParticipants"), Some(Value::Int(20)));

    let r3e = builtin("raceroom");
    let layout = r3e.layout_of(&r3e.mappings[0]).unwrap();
    let mut page = vec![0u8; 65536];
    page[0..4].copy_from_slice(&3i32.to_le_bytes());
    page[44..48].copy_from_slice(&400i32.to_le_bytes());
    page[48..56].copy_from_slice(&1.0f64.to_le_bytes());
    page[64..72].copy_from_slice(&(-2.5f64).to_le_bytes());
    let read = |name: &str| layout.field(name).unwrap().read(&page).unwrap();
    assert_eq!(read("version_major"), Value::Int(3));
    assert_eq!(read("player.game_simulation_ticks"), Value::Int(400));
    assert_eq!(read("player.game_simulation_time"), Value::Float(1.0));
    assert_eq!(
        read("player.position"),
        Value::Array(vec![
            Value::Float(0.0),
            Value::Float(-2.5),
            Value::Float(0.0)
        ])
    );
    assert_eq!(
        r3e.mappings[0].liveness.as_deref(),
        Some("player.game_simulation_ticks")
    );

    let iracing = builtin("iracing");
    let layout = iracing.layout_of(&iracing.mappings[0]).unwrap();
    let mut page = vec![0u8; 4096];
    page[8..12].copy_from_slice(&60i32.to_le_bytes());
    page[32..36].copy_from_slice(&3i32.to_le_bytes());
    page[48 + 16 * 2..52 + 16 * 2].copy_from_slice(&777i32.to_le_bytes());
    page[52 + 16 * 2..56 + 16 * 2].copy_from_slice(&0x2000i32.to_le_bytes());
    let read = |name: &str| layout.field(name).unwrap().read(&page).unwrap();
    assert_eq!(read("tickRate"), Value::Int(60));
    assert_eq!(read("numBuf"), Value::Int(3));
    assert_eq!(read("varBuf[2].tickCount"), Value::Int(777));
    assert_eq!(read("varBuf[2].bufOffset"), Value::Int(0x2000));
    assert_eq!(
        layout.end(),
        104,
        "the 8 bytes of padding up to 112 are no field"
    );
}

#[test]
fn rfactor2_version_block_and_telemetry_decode() {
    let rf2 = builtin("rfactor-2");
    let telemetry = rf2.mapping("$rFactor2SMMP_Telemetry$").unwrap();
    let layout = rf2.layout_of(telemetry).unwrap();
    let mut page = vec![0u8; 262144];
    page[0..4].copy_from_slice(&41u32.to_le_bytes());
    page[4..8].copy_from_slice(&41u32.to_le_bytes());
    page[12..16].copy_from_slice(&7i32.to_le_bytes());
    page[48..55].copy_from_slice(b"Porsche");
    page[368..372].copy_from_slice(&(-1i32).to_le_bytes());
    page[372..380].copy_from_slice(&6500.5f64.to_le_bytes());
    let read = |name: &str| layout.field(name).unwrap().read(&page).unwrap();
    assert_eq!(read("mVersionUpdateBegin"), Value::UInt(41));
    assert_eq!(read("mVersionUpdateEnd"), Value::UInt(41));
    assert_eq!(read("mNumVehicles"), Value::Int(7));
    assert_eq!(
        read("mVehicles[0].mVehicleName"),
        Value::Text("Porsche".into())
    );
    assert_eq!(read("mVehicles[0].mGear"), Value::Int(-1));
    assert_eq!(read("mVehicles[0].mEngineRPM"), Value::Float(6500.5));
    assert_eq!(telemetry.liveness.as_deref(), Some("mVersionUpdateBegin"));

    let extended = rf2
        .layout_of(rf2.mapping("$rFactor2SMMP_Extended$").unwrap())
        .unwrap();
    let mut page = vec![0u8; 64];
    page[8..16].copy_from_slice(b"3.7.15.1");
    assert_eq!(
        extended.field("mVersion").unwrap().read(&page),
        Some(Value::Text("3.7.15.1".into()))
    );
    let scoring = rf2
        .layout_of(rf2.mapping("$rFactor2SMMP_Scoring$").unwrap())
        .unwrap();
    let mut page = vec![0u8; 256];
    page[12..17].copy_from_slice(b"Spa\0x");
    page[116..120].copy_from_slice(&24i32.to_le_bytes());
    assert_eq!(
        scoring
            .field("mScoringInfo.mTrackName")
            .unwrap()
            .read(&page),
        Some(Value::Text("Spa".into()))
    );
    assert_eq!(
        scoring
            .field("mScoringInfo.mNumVehicles")
            .unwrap()
            .read(&page),
        Some(Value::Int(24))
    );
}

#[test]
fn user_profiles_override_and_extend_builtins() {
    let dir = tempfile::tempdir().unwrap();
    let ac = include_str!("../../../profiles/assetto-corsa.toml").replace(
        "name = \"acpmf_physics\"\nsize = 4096",
        "name = \"acpmf_physics\"\nsize = 8192",
    );
    std::fs::write(dir.path().join("ac.toml"), ac).unwrap();
    std::fs::write(dir.path().join("mine.toml"), VALID).unwrap();
    std::fs::write(dir.path().join("broken.toml"), "id = \"x\"\n[[mapping]\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a profile").unwrap();

    let catalog = Catalog::load(Some(dir.path()));
    let entry = catalog.get("assetto-corsa").unwrap();
    assert_eq!(entry.origin, Origin::User);
    assert_eq!(
        entry.overrides.as_deref(),
        Some("profiles/assetto-corsa.toml")
    );
    assert_eq!(size(&entry.profile, "acpmf_physics"), 8192);
    assert_eq!(catalog.by_exe("acs.exe").unwrap().origin, Origin::User);
    assert_eq!(catalog.by_appid(999001).unwrap().profile.id, "my-game");
    assert_eq!(
        catalog.entries().len(),
        Catalog::builtin().entries().len() + 1
    );

    assert_eq!(catalog.rejected().len(), 1);
    let rejected = &catalog.rejected()[0];
    assert!(rejected.file.ends_with("broken.toml"));
    assert_eq!(rejected.problems[0].line, Some(2));
}

#[test]
fn a_bad_user_override_keeps_the_builtin() {
    let dir = tempfile::tempdir().unwrap();
    let ac =
        include_str!("../../../profiles/assetto-corsa.toml").replace("size = 4096", "size = 0");
    std::fs::write(dir.path().join("ac.toml"), ac).unwrap();
    std::fs::write(dir.path().join("a.toml"), VALID).unwrap();
    std::fs::write(dir.path().join("b.toml"), VALID).unwrap();
    let catalog = Catalog::load(Some(dir.path()));
    assert_eq!(
        catalog.get("assetto-corsa").unwrap().origin,
        Origin::BuiltIn
    );
    assert!(catalog.get("my-game").unwrap().file.ends_with("a.toml"));
    let ids: Vec<_> = catalog.rejected().iter().map(|r| r.id.as_deref()).collect();
    assert_eq!(ids, [Some("assetto-corsa"), Some("my-game")]);
    assert!(
        catalog.rejected()[1].problems[0]
            .message
            .contains("already defined")
    );
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_watcher_reloads_on_changes() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("profiles");
    let shared = Arc::new(RwLock::new(Catalog::default()));
    let watcher = CatalogReloader::start(&dir, Arc::clone(&shared)).unwrap();
    assert!(dir.is_dir());
    assert!(shared.read().get("raceroom").is_some(), "initial load");
    assert!(shared.read().get("my-game").is_none());

    std::fs::write(dir.join("mine.toml"), VALID).unwrap();
    wait_until("the new profile shows", || {
        shared.read().get("my-game").is_some()
    });

    std::fs::write(
        dir.join("mine.toml"),
        VALID.replace("size = 8192", "size = 12288"),
    )
    .unwrap();
    wait_until("the edit shows", || {
        let catalog = shared.read();
        catalog
            .get("my-game")
            .is_some_and(|e| size(&e.profile, "my_page") == 12288)
    });

    std::fs::write(dir.join("mine.toml"), "garbage = [").unwrap();
    wait_until("the broken file is rejected", || {
        let catalog = shared.read();
        catalog.get("my-game").is_none() && catalog.rejected().len() == 1
    });

    std::fs::remove_file(dir.join("mine.toml")).unwrap();
    wait_until("the removal shows", || shared.read().rejected().is_empty());
    assert!(watcher.reloads() >= 4);
    drop(watcher);
}

#[test]
fn several_user_folders_load_in_order_and_reload_when_either_changes() {
    let root = tempfile::tempdir().unwrap();
    let (first, second) = (root.path().join("mine"), root.path().join("shared"));
    std::fs::create_dir_all(&first).unwrap();
    std::fs::create_dir_all(&second).unwrap();
    std::fs::write(first.join("mine.toml"), VALID).unwrap();
    std::fs::write(second.join("same-id.toml"), VALID.replace("8192", "4096")).unwrap();
    std::fs::write(
        second.join("other.toml"),
        VALID
            .replace("my-game", "other-game")
            .replace("999001", "999002"),
    )
    .unwrap();

    let catalog = Catalog::load_dirs([first.as_path(), second.as_path()]);
    let mine = catalog.get("my-game").expect("the first folder's profile");
    assert!(mine.file.contains("mine"), "{}", mine.file);
    assert_eq!(
        size(&mine.profile, "my_page"),
        8192,
        "the first folder wins"
    );
    assert!(
        catalog.get("other-game").is_some(),
        "the second folder adds profiles"
    );
    let rejected = &catalog.rejected()[0];
    assert!(rejected.file.contains("same-id.toml"), "{rejected:?}");
    assert!(
        rejected.problems[0].to_string().contains("already defined"),
        "{rejected:?}"
    );

    let shared = Arc::new(RwLock::new(Catalog::default()));
    let watcher =
        CatalogReloader::start_dirs(&[first.clone(), second.clone()], Arc::clone(&shared)).unwrap();
    assert!(
        shared.read().get("other-game").is_some(),
        "initial load of both"
    );
    std::fs::write(
        second.join("third.toml"),
        VALID
            .replace("my-game", "third-game")
            .replace("999001", "999003"),
    )
    .unwrap();
    wait_until("a profile added to the second folder shows", || {
        shared.read().get("third-game").is_some()
    });
    assert!(
        shared.read().get("my-game").is_some(),
        "the first folder is still loaded"
    );
    drop(watcher);
}

#[test]
fn the_fuzz_corpus_holds_the_builtin_profiles_as_they_are() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (file, text) in bridgekeeper_profiles::builtin::BUILTIN {
        let copy = root.join("fuzz/corpus/profile").join(file);
        let copy =
            std::fs::read_to_string(&copy).unwrap_or_else(|e| panic!("{}: {e}", copy.display()));
        assert!(
            copy == *text,
            "fuzz/corpus/profile/{file} differs from profiles/{file}: copy it"
        );
    }
}
