//! The Markdown table.

use crate::figure::{Figure, Spread};

/// Three significant digits, more for small numbers.
fn number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

/// A median with its spread: `60.1 (p10–p90 55.0–71.2, 20 runs)`.
fn with_spread(value: f64, spread: Option<&Spread>, samples: usize) -> String {
    match spread {
        Some(s) => format!(
            "{} ({} {}–{}, n={samples})",
            number(value),
            s.kind,
            number(s.low),
            number(s.high)
        ),
        None => number(value),
    }
}

/// The table: one row per figure (median and spread), the baseline columns
/// filled where the same job was measured with the other tool.
pub fn markdown(rows: &[Figure]) -> String {
    let mut out = String::from(
        "| Measure | Bridgekeeper: median (spread) | Unit | Other tool: median (spread) | Other ÷ Bridgekeeper | Command |\n\
         |---|---|---|---|---|---|\n",
    );
    for f in rows {
        let (baseline, ratio) = match f.baseline {
            Some(b) if f.value > 0.0 => (
                with_spread(b, f.baseline_spread.as_ref(), f.samples),
                format!("{}×", number(b / f.value)),
            ),
            Some(b) => (
                with_spread(b, f.baseline_spread.as_ref(), f.samples),
                "–".into(),
            ),
            None => ("–".into(), "–".into()),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {baseline} | {ratio} | `{}` |\n",
            f.measure.replace('|', "\\|"),
            with_spread(f.value, f.spread.as_ref(), f.samples),
            f.unit,
            f.command
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_and_without_baseline() {
        let rows = [
            Figure {
                measure: "ready".into(),
                value: 500.0,
                unit: "ms".into(),
                baseline: Some(1250.0),
                command: "cargo bench".into(),
                samples: 7,
                spread: Some(Spread {
                    low: 450.0,
                    high: 620.0,
                    kind: "min–max".into(),
                }),
                baseline_spread: None,
            },
            Figure {
                measure: "cpu".into(),
                value: 0.1234,
                unit: "%".into(),
                baseline: None,
                command: "x".into(),
                samples: 1,
                spread: None,
                baseline_spread: None,
            },
        ];
        let table = markdown(&rows);
        assert!(
            table.contains(
                "| ready | 500 (min–max 450–620, n=7) | ms | 1250 | 2.50× | `cargo bench` |"
            ),
            "{table}"
        );
        assert!(
            table.contains("| cpu | 0.123 | % | – | – | `x` |"),
            "{table}"
        );
    }
}
