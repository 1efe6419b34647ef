//! `bench-report`: prints the figures of one `scripts/bench` run as one
//! Markdown table: the criterion medians under `<target>/criterion`, and
//! the JSON lines the other benchmarks appended to a file.
//!
//! `cargo run -p bridgekeeper-e2e --bin bench-report -- FIGURES.jsonl CRITERION_DIR`

mod criterion;
mod figure;
mod table;

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [figures, criterion_dir] = args.as_slice() else {
        eprintln!("usage: bench-report FIGURES.jsonl CRITERION_DIR");
        return ExitCode::from(2);
    };
    let mut rows = match criterion::figures(Path::new(criterion_dir)) {
        Ok(rows) => rows,
        Err(err) => {
            eprintln!("bench-report: {err}");
            return ExitCode::FAILURE;
        }
    };
    match figure::read_lines(Path::new(figures)) {
        Ok(more) => rows.extend(more),
        Err(err) => {
            eprintln!("bench-report: {err}");
            return ExitCode::FAILURE;
        }
    }
    print!("{}", table::markdown(&rows));
    ExitCode::SUCCESS
}
