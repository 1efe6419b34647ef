//! The Markdown table.

use crate::figure::Figure;

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

/// The table: one row per figure, the protontricks columns filled where a
/// baseline was measured.
pub fn markdown(rows: &[Figure]) -> String {
    let mut out = String::from(
        "| Measure | Bridgekeeper (median) | Unit | protontricks-launch (median) | protontricks ÷ Bridgekeeper | Command |\n\
         |---|---|---|---|---|---|\n",
    );
    for f in rows {
        let (baseline, ratio) = match f.baseline {
            Some(b) if f.value > 0.0 => (number(b), format!("{}×", number(b / f.value))),
            Some(b) => (number(b), "–".into()),
            None => ("–".into(), "–".into()),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {baseline} | {ratio} | `{}` |\n",
            f.measure.replace('|', "\\|"),
            number(f.value),
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
            },
            Figure {
                measure: "cpu".into(),
                value: 0.1234,
                unit: "%".into(),
                baseline: None,
                command: "x".into(),
                samples: 1,
            },
        ];
        let table = markdown(&rows);
        assert!(
            table.contains("| ready | 500 | ms | 1250 | 2.50× | `cargo bench` |"),
            "{table}"
        );
        assert!(
            table.contains("| cpu | 0.123 | % | – | – | `x` |"),
            "{table}"
        );
    }
}
