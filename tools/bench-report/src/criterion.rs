//! The criterion benchmarks' medians, from
//! `<criterion dir>/<benchmark>/new/{benchmark,estimates}.json`, and the
//! spread of their samples (time per iteration of each sample) from
//! `new/sample.json` when it is there.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

use crate::figure::{Figure, ReportError, Spread};

/// The criterion benchmarks in the table: how their id starts, what the row
/// says, and the command that runs them.
const KNOWN: &[(&str, &str, &str)] = &[
    (
        "discover 5 libraries, 500 apps",
        "Steam discovery, 5 libraries, 500 apps",
        "cargo bench -p bridgekeeper-steam --bench discovery",
    ),
    (
        "steady scan of",
        "one watcher scan of /proc, nothing new",
        "cargo bench -p bridgekeeper-sessions --bench process_scan",
    ),
    (
        "first scan of",
        "first watcher scan of /proc (every process new)",
        "cargo bench -p bridgekeeper-sessions --bench process_scan",
    ),
    (
        "inspector frame, 1.2 MB page changing each frame",
        "inspector frame, 1.2 MB page changing every frame",
        "cargo bench -p bridgekeeper --bench inspector",
    ),
    (
        "change tracking only, 1.2 MB",
        "inspector change tracking only, 1.2 MB page",
        "cargo bench -p bridgekeeper --bench inspector",
    ),
];

/// One benchmark's last result.
struct Estimate {
    id: String,
    median_ns: f64,
    when: SystemTime,
    /// Nanoseconds per iteration, one value per sample.
    per_iteration_ns: Vec<f64>,
}

/// Each sample's time per iteration, from criterion's `sample.json`
/// (`iters` and `times`, in nanoseconds); empty when unreadable.
fn per_iteration(sample: &Path) -> Vec<f64> {
    let Ok(json) = read_json(sample) else {
        return Vec::new();
    };
    let numbers = |key: &str| -> Vec<f64> {
        json[key]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default()
    };
    numbers("times")
        .iter()
        .zip(numbers("iters"))
        .filter(|(_, iters)| *iters > 0.0)
        .map(|(time, iters)| time / iters)
        .collect()
}

fn read_json(path: &Path) -> Result<Value, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| ReportError::Json {
        path: path.to_path_buf(),
        source,
    })
}

fn estimate(dir: &Path) -> Result<Estimate, ReportError> {
    let new = dir.join("new");
    let benchmark = new.join("benchmark.json");
    let id = read_json(&benchmark)?["full_id"]
        .as_str()
        .ok_or(ReportError::MissingField {
            path: benchmark.clone(),
            field: "full_id",
        })?
        .to_string();
    let estimates = new.join("estimates.json");
    let median_ns = read_json(&estimates)?["median"]["point_estimate"]
        .as_f64()
        .ok_or(ReportError::MissingField {
            path: estimates.clone(),
            field: "median.point_estimate",
        })?;
    let when = std::fs::metadata(&estimates)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH);
    Ok(Estimate {
        id,
        median_ns,
        when,
        per_iteration_ns: per_iteration(&new.join("sample.json")),
    })
}

/// A nanosecond figure in the unit that reads best.
fn scaled(ns: f64) -> (f64, &'static str) {
    if ns >= 1e6 {
        (ns / 1e6, "ms")
    } else if ns >= 1e3 {
        (ns / 1e3, "µs")
    } else {
        (ns, "ns")
    }
}

/// A row for each known benchmark found under `dir` (the newest result
/// when several ids match, e.g. process counts of earlier runs).
pub fn figures(dir: &Path) -> Result<Vec<Figure>, ReportError> {
    let entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.flatten().map(|e| e.path()).collect(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(source) => {
            return Err(ReportError::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let estimates: Vec<Estimate> = entries
        .iter()
        .filter(|p| p.join("new/estimates.json").is_file())
        .map(|p| estimate(p))
        .collect::<Result<_, _>>()?;
    let mut rows = Vec::new();
    for (prefix, measure, command) in KNOWN {
        let Some(newest) = estimates
            .iter()
            .filter(|e| e.id.starts_with(prefix))
            .max_by_key(|e| e.when)
        else {
            continue;
        };
        let (value, unit) = scaled(newest.median_ns);
        let scale = if newest.median_ns > 0.0 {
            value / newest.median_ns
        } else {
            1.0
        };
        let spread = (!newest.per_iteration_ns.is_empty()).then(|| {
            let scaled: Vec<f64> = newest.per_iteration_ns.iter().map(|v| v * scale).collect();
            Spread::of(&scaled)
        });
        let detail = newest.id.strip_prefix(prefix).unwrap_or("").trim();
        rows.push(Figure {
            measure: if detail.is_empty() {
                measure.to_string()
            } else {
                format!("{measure} ({detail})")
            },
            value,
            unit: unit.to_string(),
            baseline: None,
            command: command.to_string(),
            samples: newest.per_iteration_ns.len().max(1),
            spread,
            baseline_spread: None,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_bench(root: &Path, dir: &str, id: &str, median: f64) {
        let new = root.join(dir).join("new");
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(
            new.join("benchmark.json"),
            format!(r#"{{"full_id":"{id}"}}"#),
        )
        .unwrap();
        std::fs::write(
            new.join("estimates.json"),
            format!(r#"{{"median":{{"point_estimate":{median}}}}}"#),
        )
        .unwrap();
    }

    #[test]
    fn reads_medians_and_scales_them() {
        let dir = tempfile::Builder::new()
            .prefix("bench-report-")
            .tempdir()
            .unwrap();
        let root = dir.path();
        write_bench(root, "a", "discover 5 libraries, 500 apps", 32_600_000.0);
        write_bench(root, "b", "steady scan of 66 processes", 41_700.0);
        write_bench(root, "c", "something else", 1.0);
        let rows = figures(root).unwrap();
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].unit, "ms");
        assert!((rows[0].value - 32.6).abs() < 1e-9);
        assert_eq!(
            rows[1].measure,
            "one watcher scan of /proc, nothing new (66 processes)"
        );
        assert_eq!(rows[1].unit, "µs");
    }

    #[test]
    fn a_result_without_its_median_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("a/new");
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(new.join("benchmark.json"), r#"{"full_id":"x"}"#).unwrap();
        std::fs::write(new.join("estimates.json"), r#"{"mean":{}}"#).unwrap();
        let err = figures(dir.path()).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "{}: no median.point_estimate",
                new.join("estimates.json").display()
            )
        );
    }

    #[test]
    fn no_criterion_dir_is_no_rows() {
        assert!(
            figures(Path::new("/nonexistent/criterion"))
                .unwrap()
                .is_empty()
        );
    }
}
