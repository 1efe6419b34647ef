//! Ctrl-C and `kill` end recordings and replays cleanly (the capture gets
//! its index, the replay removes its files) instead of killing the process.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;

/// Sets `flag` on SIGINT, SIGTERM and SIGHUP instead of ending the process.
pub fn stop_on_signals(flag: &Arc<AtomicBool>) -> anyhow::Result<()> {
    for signal in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register(signal, flag.clone())
            .with_context(|| format!("cannot handle signal {signal}"))?;
    }
    Ok(())
}
