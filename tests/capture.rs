//! Record and replay under real Wine: `bridgekeeper record` of a session of
//! the test game bridged by `bridgekeeper run`, a replay refused while the
//! game's session owns the file, and the replay of the recording after the
//! game ended writing the recorded bytes back.

use std::process::Stdio;

use bridgekeeper_capture::CaptureReader;
use bridgekeeper_testkit::GAME_MAGIC;
use bridgekeeper_testkit::world::{LONG, World, wait_child};

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_recorded_wine_session_replays_its_bytes_and_never_into_the_live_one() {
    let Some(world) = World::new("record") else {
        return;
    };
    let mut game = world.run_wrapped(&world.game_args(world.size, &["--run-ms", "6000"]), &[]);
    assert!(world.counter_moves().is_some(), "the game writes its page");
    let capture = world.root.join("fake-sim.bkcap");
    let recorded = world
        .app
        .command()
        .args(["record", &world.steam.appid.to_string(), "-o"])
        .arg(&capture)
        .args(["--duration", "2s"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(recorded.status.success(), "{}", text(&recorded));

    // While the game's session owns the file, a replay is refused.
    let refused = world
        .app
        .command()
        .arg("replay")
        .arg(&capture)
        .output()
        .unwrap();
    let message = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{message}");
    assert!(
        message.contains(&world.file().display().to_string())
            && message.contains("Fake Sim")
            && message.contains("--dir"),
        "{message}"
    );
    wait_child(&mut game, LONG).expect("the game ends");

    let mut reader = CaptureReader::open(&capture).unwrap();
    let header = reader.header().clone();
    assert_eq!(header.game.as_deref(), Some("Fake Sim"));
    assert_eq!(header.appid, Some(world.steam.appid));
    assert!(header.proton.is_some(), "{header:?}");
    assert_eq!(header.mappings[0].name, world.mapping);
    assert_eq!(header.mappings[0].size, world.size);
    let mut counters = Vec::new();
    while reader.next_frame().unwrap().is_some() {
        let page = reader.mapping(0);
        assert_eq!(
            u32::from_le_bytes(page[..4].try_into().unwrap()),
            GAME_MAGIC
        );
        counters.push(u32::from_le_bytes(page[4..8].try_into().unwrap()));
    }
    assert!(counters.len() > 20, "{} frames", counters.len());
    assert!(counters.windows(2).all(|w| w[1] > w[0]), "{counters:?}");
    let last_page = reader.mapping(0).to_vec();

    // After the game, the replay recreates the file with the last frame.
    let replayed = world
        .app
        .command()
        .args(["replay", "--speed", "4", "--keep-files"])
        .arg(&capture)
        .output()
        .unwrap();
    assert!(replayed.status.success(), "{}", text(&replayed));
    assert_eq!(std::fs::read(world.file()).unwrap(), last_page);
    std::fs::remove_file(world.file()).unwrap();
    world.wine.wineserver_wait();
}
