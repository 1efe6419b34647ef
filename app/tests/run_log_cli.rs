//! `bridgekeeper run`'s log in the game's compatdata folder, run as the real
//! program: it is appended to at every launch, and must not grow without
//! limit (issue #16).

use std::process::Command;

const LOG: &str = "bridgekeeper-run.log";
/// The size at which the log is moved aside, as documented.
const CAP: u64 = 256 * 1024;

fn run_in(compatdata: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bridgekeeper"))
        .args(["run", "true"])
        .env("STEAM_COMPAT_DATA_PATH", compatdata)
        .env("XDG_RUNTIME_DIR", compatdata.join("runtime"))
        .env_remove("BRIDGEKEEPER_PROFILES_DIR")
        .output()
        .expect("running bridgekeeper run")
}

#[test]
fn the_run_log_is_moved_aside_when_it_passes_256_kib() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join(LOG);
    let old = "[1] an earlier launch\n".repeat(14_000);
    std::fs::write(&log, &old).unwrap();
    assert!(std::fs::metadata(&log).unwrap().len() > CAP);
    for _ in 0..3 {
        let output = run_in(dir.path());
        assert!(output.status.success(), "{output:?}");
    }
    let current = std::fs::read_to_string(&log).unwrap();
    assert!(
        (current.len() as u64) < CAP,
        "the log was moved aside: {} bytes",
        current.len()
    );
    assert_eq!(
        current.matches("running the command unchanged").count(),
        3,
        "{current}"
    );
    let previous = std::fs::read_to_string(dir.path().join(format!("{LOG}.1")))
        .expect("the old log is kept as .1");
    assert_eq!(previous, old, "the earlier lines are kept, once");
}
