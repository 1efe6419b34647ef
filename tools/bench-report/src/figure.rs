//! One measured figure, as a benchmark records it and the table shows it.
//!
//! Failure mode: two hand-written formats (the benchmarks' JSON writer and
//! the report's reader) drift apart, and a figure goes missing from the
//! table without an error. So both sides use [`Figure`] through serde, and
//! a line that does not read is an error naming its file and line.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Environment variable naming the file that receives one JSON line per
/// figure (appended); unset, [`record`] only prints.
pub const JSON_ENV: &str = "BRIDGEKEEPER_BENCH_JSON";

/// Environment variable that sets how many runs a benchmark repeats, to
/// trade precision for time (a quick check that the benchmarks work).
pub const RUNS_ENV: &str = "BRIDGEKEEPER_BENCH_RUNS";

/// The number of runs: [`RUNS_ENV`] when set, else `default`.
pub fn runs(default: usize) -> Result<usize, ReportError> {
    std::env::var_os(RUNS_ENV).map_or(Ok(default), |value| parse_runs(&value.to_string_lossy()))
}

fn parse_runs(value: &str) -> Result<usize, ReportError> {
    match value.trim().parse::<usize>() {
        Ok(runs) if runs > 0 => Ok(runs),
        _ => Err(ReportError::Runs {
            value: value.to_string(),
        }),
    }
}

/// A measured figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// What was measured, in words.
    pub measure: String,
    /// Our value (a median unless the measure says otherwise).
    pub value: f64,
    /// Unit of `value` and `baseline`.
    pub unit: String,
    /// The same job done with protontricks-launch, if measured.
    #[serde(default)]
    pub baseline: Option<f64>,
    /// The command that reproduces the figure (empty: the benchmark's own,
    /// which [`record`] fills in).
    pub command: String,
    /// How many runs or samples the figure is taken over.
    #[serde(default = "one")]
    pub samples: usize,
    /// How far our samples spread around the median.
    #[serde(default)]
    pub spread: Option<Spread>,
    /// How far the baseline's samples spread.
    #[serde(default)]
    pub baseline_spread: Option<Spread>,
}

/// The range most samples fall in: p10–p90 over 10 samples or more,
/// min–max over fewer (where p10 and p90 would be the extremes anyway).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// The low end.
    pub low: f64,
    /// The high end.
    pub high: f64,
    /// Which range: `p10–p90` or `min–max`.
    pub kind: String,
}

impl Spread {
    /// The spread of `values`. Panics on no values.
    pub fn of(values: &[f64]) -> Spread {
        if values.len() >= 10 {
            Spread {
                low: crate::percentile(values, 10.0),
                high: crate::percentile(values, 90.0),
                kind: "p10–p90".into(),
            }
        } else {
            Spread {
                low: crate::percentile(values, 0.0),
                high: crate::percentile(values, 100.0),
                kind: "min–max".into(),
            }
        }
    }
}

fn one() -> usize {
    1
}

impl Figure {
    /// A figure over one sample, with no baseline and the benchmark's own
    /// command.
    pub fn new(measure: impl Into<String>, value: f64, unit: impl Into<String>) -> Figure {
        Figure {
            measure: measure.into(),
            value,
            unit: unit.into(),
            baseline: None,
            command: String::new(),
            samples: 1,
            spread: None,
            baseline_spread: None,
        }
    }

    /// The median of `values`, with their count and spread.
    pub fn of_samples(
        measure: impl Into<String>,
        values: &[f64],
        unit: impl Into<String>,
    ) -> Figure {
        Figure {
            samples: values.len(),
            spread: Some(Spread::of(values)),
            ..Figure::new(measure, crate::median(values), unit)
        }
    }

    /// This figure with a baseline measured over `values`.
    pub fn against(mut self, values: &[f64]) -> Figure {
        self.baseline = Some(crate::median(values));
        self.baseline_spread = Some(Spread::of(values));
        self
    }
}

/// Why figures could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A file is not the JSON expected.
    #[error("{}: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        source: serde_json::Error,
    },
    /// A line of a figures file is not a figure.
    #[error("{}:{line}: {source}", path.display())]
    Line {
        /// The file.
        path: PathBuf,
        /// Its line number, from 1.
        line: usize,
        /// What the parser said.
        source: serde_json::Error,
    },
    /// [`RUNS_ENV`] is not a count of runs.
    #[error("{RUNS_ENV} is {value:?}: give a whole number of runs, 1 or more, or unset it")]
    Runs {
        /// What it says.
        value: String,
    },
    /// A criterion result lacks a field the table needs.
    #[error("{}: no {field}", path.display())]
    MissingField {
        /// The file.
        path: PathBuf,
        /// The field, as a path of keys.
        field: &'static str,
    },
}

/// Parses one JSON line written by [`record`].
pub fn parse(line: &str) -> Result<Figure, serde_json::Error> {
    serde_json::from_str(line)
}

/// Every figure in a JSON-lines file; a missing file is an empty list (no
/// benchmark wrote anything).
pub fn read_lines(path: &Path) -> Result<Vec<Figure>, ReportError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ReportError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            parse(line).map_err(|source| ReportError::Line {
                path: path.to_path_buf(),
                line: n + 1,
                source,
            })
        })
        .collect()
}

/// Reports a benchmark's figures: prints them as a Markdown table, and
/// appends them as JSON lines to the file [`JSON_ENV`] names, if set.
/// `command` stands for every figure whose own command is empty.
pub fn record(command: &str, figures: &[Figure]) -> Result<(), ReportError> {
    println!("| measure | median | spread | unit | baseline | ratio | samples |");
    println!("|---|---|---|---|---|---|---|");
    let spread = |s: &Option<Spread>| {
        s.as_ref().map_or("–".into(), |s| {
            format!("{:.3}–{:.3} ({})", s.low, s.high, s.kind)
        })
    };
    for f in figures {
        let (baseline, ratio) = match f.baseline {
            Some(b) => (
                format!("{b:.3} ({})", spread(&f.baseline_spread)),
                format!("{:.2}×", b / f.value),
            ),
            None => ("–".into(), "–".into()),
        };
        println!(
            "| {} | {:.3} | {} | {} | {baseline} | {ratio} | {} |",
            f.measure,
            f.value,
            spread(&f.spread),
            f.unit,
            f.samples
        );
    }
    let Some(path) = std::env::var_os(JSON_ENV) else {
        return Ok(());
    };
    append_lines(Path::new(&path), command, figures)
}

/// Appends `figures` to `path` as JSON lines, `command` standing for empty
/// commands.
pub fn append_lines(path: &Path, command: &str, figures: &[Figure]) -> Result<(), ReportError> {
    let io = |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    for figure in figures {
        let mut figure = figure.clone();
        if figure.command.is_empty() {
            figure.command = command.to_string();
        }
        let line = serde_json::to_string(&figure).map_err(|source| ReportError::Json {
            path: path.to_path_buf(),
            source,
        })?;
        writeln!(out, "{line}").map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_line_with_and_without_baseline() {
        let f = parse(
            r#"{"measure":"m","value":1.5,"unit":"ms","baseline":3.0,"command":"c","samples":7}"#,
        )
        .unwrap();
        assert_eq!(f.baseline, Some(3.0));
        assert_eq!(f.value, 1.5);
        assert_eq!(f.samples, 7);
        let f =
            parse(r#"{"measure":"m","value":2,"unit":"%","baseline":null,"command":"c"}"#).unwrap();
        assert_eq!(f.baseline, None);
        assert_eq!(f.samples, 1);
    }

    #[test]
    fn runs_are_a_positive_count() {
        assert_eq!(parse_runs(" 3 ").unwrap(), 3);
        for bad in ["0", "-1", "two", ""] {
            let err = parse_runs(bad).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("{RUNS_ENV} is {bad:?}: give a whole number")),
                "{err}"
            );
        }
    }

    #[test]
    fn names_the_missing_field() {
        let err = parse(r#"{"measure":"m","unit":"ms","command":"c"}"#).unwrap_err();
        assert!(err.to_string().contains("`value`"), "{err}");
    }

    #[test]
    fn what_is_appended_reads_back_with_the_default_command() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("figures.jsonl");
        let mut own = Figure::new("own command", 2.0, "%");
        own.command = "cargo bench --bench other".into();
        let figures = [
            Figure {
                baseline: Some(9.5),
                samples: 7,
                ..Figure::new("ready", 4.25, "ms")
            },
            own,
        ];
        append_lines(&file, "cargo bench --bench one", &figures[..1]).unwrap();
        append_lines(&file, "cargo bench --bench one", &figures[1..]).unwrap();
        let read = read_lines(&file).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].command, "cargo bench --bench one");
        assert_eq!(read[0].baseline, Some(9.5));
        assert_eq!(read[0].samples, 7);
        assert_eq!(read[1], figures[1]);
    }

    #[test]
    fn a_bad_line_is_named_by_file_and_number_and_no_file_is_no_figures() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("figures.jsonl");
        std::fs::write(&file, "\n{\"measure\":\"m\"}\n").unwrap();
        let err = read_lines(&file).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}:2: ", file.display())), "{err}");
        assert!(read_lines(&dir.path().join("none")).unwrap().is_empty());
    }
}
