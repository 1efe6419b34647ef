//! `bridgekeeper share APPID --into TARGET`: serve a running game's
//! sections into a tool's prefix (SimHub, CrewChief …), zero copy, until
//! the game's session ends; `bridgekeeper share --stop [APPID]` ends
//! shares early.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;

use bridgekeeper_profiles::{Catalog, default_user_dir};
use bridgekeeper_sessions::SessionConfig;
use bridgekeeper_sessions::share::{self, ShareOptions, ShareRecord, ShareTarget};

use super::session_view::print_share;

/// Arguments of `bridgekeeper share`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The game's Steam appid (its session must be running).
    pub appid: Option<u32>,
    /// The tool to serve into: a Steam appid, a non-Steam shortcut (its name
    /// or appid, see `bridgekeeper games`), or a Wine prefix folder. May be
    /// given more than once.
    #[arg(long, value_name = "TARGET")]
    pub into: Vec<String>,
    /// Also run a stand-in named like the game's exe in the tool's prefix,
    /// for tools that look for the game's process (SimHub, CrewChief).
    #[arg(long)]
    pub stand_in: bool,
    /// End the shares of APPID (of every game without it), then return.
    #[arg(long, conflicts_with_all = ["into", "stand_in"])]
    pub stop: bool,
    /// Print each change of a share as one JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// Apply the "also serve into" setting to this session and stay until
    /// it ends (what `bridgekeeper run` starts beside the game).
    #[arg(long, hide = true, conflicts_with_all = ["appid", "into", "stop"])]
    pub session: Option<String>,
}

/// How long `--stop` waits for the shares to end.
const STOP_WAIT: Duration = Duration::from_secs(20);

/// Starts the shares and stays until they end (with the game's session,
/// `share --stop`, or Ctrl-C, which ends the serve bridges too).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = SessionConfig::from_env()?;
    if args.stop {
        return stop(&config, args.appid);
    }
    if let Some(id) = &args.session {
        return for_session(&config, id);
    }
    let Some(appid) = args.appid else {
        anyhow::bail!(
            "give the game's appid: bridgekeeper share APPID --into TARGET (or --stop [APPID])"
        );
    };
    if args.into.is_empty() {
        anyhow::bail!(
            "give the tool to serve into with --into TARGET: a Steam appid, a non-Steam \
             shortcut's name or appid (see `bridgekeeper games`), or a Wine prefix folder"
        );
    }
    let served = share::live_session(&config.registry, appid)?;
    let stand_in = if args.stand_in {
        let catalog = Catalog::load(default_user_dir().as_deref());
        let exe = catalog
            .by_appid(appid)
            .and_then(|entry| entry.profile.live_exes.first().cloned())
            .with_context(|| {
                format!("the profile of appid {appid} names no live exe for a stand-in")
            })?;
        Some(exe)
    } else {
        None
    };
    let options = ShareOptions { stand_in };
    let mut shares = Vec::new();
    for text in &args.into {
        let target = ShareTarget::parse(text);
        let resolved = share::resolve(&target)?;
        let started = share::share_into(&config, served.clone(), resolved, &options)
            .with_context(|| format!("cannot serve {} into {target}", served.game))?;
        shares.push(started);
    }
    if !args.json {
        eprintln!(
            "bridgekeeper: serving {} until its session ends (Ctrl-C or `bridgekeeper share \
             --stop {appid}` ends it sooner)",
            served.game
        );
    }
    follow(shares, args.json);
    if args.json {
        println!("{}", serde_json::json!({"share": "ended", "appid": appid}));
    } else {
        println!("{}: the session ended, and its shares with it", served.game);
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the changes of `shares` until every one has ended.
fn follow(mut shares: Vec<share::Share>, json: bool) {
    while !shares.is_empty() {
        for share in &shares {
            while let Ok(record) = share.updates.try_recv() {
                show(&record, json);
            }
        }
        shares.retain(|s| !s.is_finished());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The settings' shares of session `id`, kept until it ends.
fn for_session(config: &SessionConfig, id: &str) -> anyhow::Result<ExitCode> {
    let Some(record) = config.registry.list().0.into_iter().find(|r| r.id == id) else {
        anyhow::bail!("no session {id} in the registry");
    };
    let catalog = Catalog::load(default_user_dir().as_deref());
    let live_exe = catalog
        .by_appid(record.appid)
        .and_then(|entry| entry.profile.live_exes.first().cloned());
    let started = share::auto::start_for(config, &record, live_exe.as_deref());
    for problem in &started.problems {
        eprintln!("bridgekeeper: {problem}");
    }
    // Started by `bridgekeeper run`, whose process became the launch (Steam's
    // reaper), which waits for this one too: when the launch ends before
    // its bridge ever ran, the session never ends on its own, and Steam
    // would show the game running for as long as this waits.
    let launch = i32::try_from(std::os::unix::process::parent_id()).ok();
    let registry = config.registry.clone();
    let (appid, nonce) = (record.appid, record.nonce.clone());
    std::thread::spawn(move || {
        let since = Instant::now();
        loop {
            std::thread::sleep(Duration::from_secs(1));
            if bridgekeeper_sessions::clash::bridge_runs(&nonce) {
                return;
            }
            if bridgekeeper_sessions::guard::launch_failed(launch, since) {
                share::stop(&registry, Some(appid));
                return;
            }
        }
    });
    follow(started.shares, false);
    Ok(ExitCode::SUCCESS)
}

fn show(record: &ShareRecord, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string(record).unwrap_or_else(|_| "{}".into())
        );
    } else {
        print_share(record);
    }
}

fn stop(config: &SessionConfig, appid: Option<u32>) -> anyhow::Result<ExitCode> {
    let asked = share::stop(&config.registry, appid);
    if asked.is_empty() {
        println!("no shares to stop");
        return Ok(ExitCode::SUCCESS);
    }
    let deadline = Instant::now() + STOP_WAIT;
    let ids: Vec<&str> = asked.iter().map(|s| s.id.as_str()).collect();
    while Instant::now() < deadline {
        let left = share::record::list(&config.registry)
            .into_iter()
            .filter(|s| ids.contains(&s.id.as_str()))
            .count();
        if left == 0 {
            for share in &asked {
                println!("stopped serving {} into {}", share.game, share.target);
            }
            return Ok(ExitCode::SUCCESS);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    anyhow::bail!(
        "the shares did not end within {STOP_WAIT:?}; `bridgekeeper status` shows what still runs"
    )
}
