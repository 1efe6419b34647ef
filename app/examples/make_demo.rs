//! Writes the capture `bridgekeeper demo` plays (assets/demo/acc-demo.bkcap)
//! from the synthetic sim in `app/src/demo_sim.rs`. The output is the same
//! on every run; `scripts/make-demo` runs this.
//!
//! ```text
//! cargo run -p bridgekeeper --example make_demo -- assets/demo/acc-demo.bkcap
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(out) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: make_demo <output.bkcap>");
        return ExitCode::from(2);
    };
    match bridgekeeper::demo_sim::write_demo(Vec::new(), &out) {
        Ok((bytes, summary)) => match std::fs::write(&out, &bytes) {
            Ok(()) => {
                println!(
                    "{}: {} frames, {:.1} s, {} bytes",
                    out.display(),
                    summary.frames,
                    summary.duration.as_secs_f64(),
                    summary.bytes
                );
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("make_demo: cannot write {}: {err}", out.display());
                ExitCode::FAILURE
            }
        },
        Err(err) => {
            eprintln!("make_demo: {err}");
            ExitCode::FAILURE
        }
    }
}
