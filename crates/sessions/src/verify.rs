//! `verify`: proves the whole chain for one game, step by step, with a probe
//! mapping in the game's own prefix: a token the bridge writes on the
//! Windows side must be read back from the file on Linux.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bridgekeeper_protocol::{MappingName, MappingSize, MappingSpec};
use serde::Serialize;

use super::attach::{find_running, placed_bridge};
use super::wine_env::{self, library_path, proton_wine};
use super::{SessionConfig, backing_files};
use bridgekeeper_bridge_client::{BridgeCommand, RunningBridge, StopWhen, new_nonce};
use bridgekeeper_profiles::Catalog;
use bridgekeeper_steam::Discovery;

/// How long the probe bridge may take; the first Wine process in a prefix
/// also starts its wineserver.
const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

/// One step of the check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What was checked.
    pub step: String,
    /// Whether it held.
    pub ok: bool,
    /// What was found, or what to do.
    pub detail: String,
}

/// The steps, in order; the check stops at the first that must hold for the
/// next to mean anything.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The appid checked.
    pub appid: u32,
    /// The steps.
    pub steps: Vec<Step>,
}

impl Report {
    /// True when every step held.
    pub fn passed(&self) -> bool {
        !self.steps.is_empty() && self.steps.iter().all(|s| s.ok)
    }

    fn pass(&mut self, step: &str, detail: impl Into<String>) {
        self.steps.push(Step {
            step: step.into(),
            ok: true,
            detail: detail.into(),
        });
    }

    fn fail(&mut self, step: &str, detail: impl Into<String>) -> &mut Self {
        self.steps.push(Step {
            step: step.into(),
            ok: false,
            detail: detail.into(),
        });
        self
    }
}

/// Runs the check for `appid`.
pub fn verify(
    appid: u32,
    catalog: &Catalog,
    discovery: &Discovery,
    config: &SessionConfig,
) -> Report {
    let mut report = Report {
        appid,
        steps: Vec::new(),
    };
    let profile = catalog.by_appid(appid).map(|e| e.profile.clone());
    match &profile {
        Some(p) => report.pass(
            "profile",
            format!("{} ({} mapping(s))", p.name, p.mappings.len()),
        ),
        None => {
            report.fail(
                "profile",
                "no profile for this appid: the chain is checked, but nothing would be bridged",
            );
        }
    }
    let fighting = super::reader_check::fighting_readers(&config.shm_dir, &[]);
    if fighting.is_empty() {
        report.pass(
            "readers",
            "no known reader that truncates, zeroes or deletes bridged files is running",
        );
    } else {
        let said: Vec<String> = fighting.iter().map(ToString::to_string).collect();
        report.fail("readers", said.join(" "));
    }
    let Some(game) = discovery.games.iter().find(|g| g.appid == appid) else {
        report.fail(
            "installed",
            "not found in any Steam library; check `bridgekeeper games`",
        );
        return report;
    };
    report.pass(
        "installed",
        format!(
            "{} in {}",
            game.name,
            game.library
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ),
    );
    let Some(prefix) = game.prefix.clone().filter(|p| p.is_dir()) else {
        report.fail(
            "prefix",
            "the game has no Wine prefix yet: start it once from Steam",
        );
        return report;
    };
    report.pass("prefix", prefix.display().to_string());

    let running = profile.as_ref().and_then(|p| find_running(p, appid));
    let (wine, env, proton_label) = match &running {
        Some(process) => match wine_env::plan(process, &wine_env::running_wineservers()) {
            Ok(plan) => {
                let label = format!(
                    "{} (from the running game, pid {})",
                    plan.proton.display(),
                    process.pid
                );
                (plan.wine, plan.env, label)
            }
            Err(err) => {
                report.fail("proton", err.to_string());
                return report;
            }
        },
        None => {
            let Some(proton) = &game.proton else {
                report.fail(
                    "proton",
                    "no Proton build found for this game; pick one in the game's Steam properties",
                );
                return report;
            };
            let Some(dir) = proton.path.clone() else {
                report.fail("proton", format!("{} is not installed", proton.name));
                return report;
            };
            let Some(wine) = proton_wine(&dir) else {
                report.fail("proton", format!("no wine in {}", dir.display()));
                return report;
            };
            let env = vec![
                ("WINEPREFIX".into(), prefix.clone().into()),
                ("LD_LIBRARY_PATH".into(), library_path(&dir, None)),
            ];
            (wine, env, format!("{} ({})", proton.name, dir.display()))
        }
    };
    report.pass("proton", proton_label);

    let bridge = placed_bridge(config, &prefix);
    report.pass("bridge", bridge.exe.display().to_string());

    let nonce = new_nonce();
    let name =
        MappingName::parse(&format!("Local\\bridgekeeper-probe-{nonce}")).expect("a valid name");
    let spec = MappingSpec {
        name,
        size: MappingSize::new(4096).expect("valid"),
    };
    let file: PathBuf = match backing_files::prepare(&config.shm_dir, &spec) {
        Ok(file) => file,
        Err(err) => {
            report.fail("shared memory", err.to_string());
            return report;
        }
    };
    report.pass(
        "shared memory",
        format!("{} can hold backing files", config.shm_dir.display()),
    );

    let token = format!("bridgekeeper-{nonce}");
    let mut command = BridgeCommand::new(&wine, &bridge.exe, &prefix);
    command.mappings = vec![spec];
    command.dir = config.shm_dir.clone();
    command.nonce = nonce;
    command.stop_when = vec![StopWhen::StdinCloses];
    command.remove_files = true;
    command.existing_files = true;
    command.probe = Some(token.clone());
    command.env = env;
    command.env_remove = wine_env::removed_vars().map(Into::into).collect();
    let started = Instant::now();
    let mut bridge = match RunningBridge::start(&command) {
        Ok(bridge) => bridge,
        Err(err) => {
            let _ = std::fs::remove_file(&file);
            report.fail("bridge in the prefix", err.to_string());
            return report;
        }
    };
    match bridge.wait_ready(PROBE_TIMEOUT) {
        Ok(ready) if ready.failed.is_empty() => {
            let mode = ready
                .ready
                .first()
                .map_or("?".into(), |r| r.mode.to_string());
            report.pass(
                "bridge in the prefix",
                format!("ready in {} ms ({mode})", started.elapsed().as_millis()),
            );
            let read = std::fs::read(&file).unwrap_or_default();
            if read.starts_with(token.as_bytes()) {
                report.pass(
                    "round trip",
                    format!(
                        "the token written in Windows was read back from {}",
                        file.display()
                    ),
                );
            } else {
                report.fail(
                    "round trip",
                    format!(
                        "{} does not hold the token the bridge wrote",
                        file.display()
                    ),
                );
            }
        }
        Ok(ready) => {
            let why: Vec<String> = ready.failed.iter().map(|f| f.message.clone()).collect();
            report.fail("bridge in the prefix", why.join("; "));
        }
        Err(err) => {
            report.fail("bridge in the prefix", err.to_string());
        }
    }
    bridge.stop(Duration::from_secs(10));
    let _ = std::fs::remove_file(&file);
    report
}
