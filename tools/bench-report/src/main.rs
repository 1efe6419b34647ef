//! `bench-report`: prints the figures of one `scripts/bench` run as one
//! Markdown table: the criterion medians under `<target>/criterion`, and
//! the JSON lines the other benchmarks appended to a file.
//!
//! `bench-report FIGURES.jsonl CRITERION_DIR`

use std::path::Path;
use std::process::ExitCode;

use bridgekeeper_bench_report::{ReportError, criterion, read_lines, table};

fn rows(
    figures: &Path,
    criterion_dir: &Path,
) -> Result<Vec<bridgekeeper_bench_report::Figure>, ReportError> {
    let mut rows = criterion::figures(criterion_dir)?;
    rows.extend(read_lines(figures)?);
    Ok(rows)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [figures, criterion_dir] = args.as_slice() else {
        eprintln!("usage: bench-report FIGURES.jsonl CRITERION_DIR");
        return ExitCode::from(2);
    };
    match rows(Path::new(figures), Path::new(criterion_dir)) {
        Ok(rows) => {
            print!("{}", table::markdown(&rows));
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("bench-report: {err}");
            ExitCode::FAILURE
        }
    }
}
