//! The benchmarks' figures, from measurement to `scripts/bench`'s table.
//!
//! Every benchmark that is not a criterion benchmark (the ones under real
//! Wine, in `tests/benches/`) reports its figures with [`record`]: a small
//! table on stdout, and one JSON line per [`Figure`] appended to the file
//! that [`JSON_ENV`] names. The `bench-report` program then reads those
//! lines and criterion's results ([`criterion`]) and prints one Markdown
//! table ([`table`]). Writer and reader share [`Figure`], so the format has
//! one definition.
//!
//! `cargo run -p bridgekeeper-bench-report -- FIGURES.jsonl CRITERION_DIR`

pub mod criterion;
pub mod figure;
pub mod stats;
pub mod table;

pub use figure::{Figure, JSON_ENV, RUNS_ENV, ReportError, Spread, read_lines, record, runs};
pub use stats::{median, ms, percentile};
