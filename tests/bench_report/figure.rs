//! One row of the table, and the JSON lines the benchmarks write.

use std::path::Path;

use serde_json::Value;

/// A measured figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// What was measured.
    pub measure: String,
    /// Our median.
    pub value: f64,
    /// Unit of `value` and `baseline`.
    pub unit: String,
    /// The same job done with protontricks-launch, if measured.
    pub baseline: Option<f64>,
    /// The command that reproduces it.
    pub command: String,
}

/// Parses one JSON line written by a benchmark.
pub fn parse(line: &str) -> Result<Figure, String> {
    let v: Value = serde_json::from_str(line).map_err(|err| err.to_string())?;
    let text = |key: &str| {
        v[key]
            .as_str()
            .map(str::to_string)
            .ok_or(format!("no text field `{key}`"))
    };
    Ok(Figure {
        measure: text("measure")?,
        value: v["value"].as_f64().ok_or("no number field `value`")?,
        unit: text("unit")?,
        baseline: v["baseline"].as_f64(),
        command: text("command")?,
    })
}

/// Every figure in a JSON-lines file; a missing file is an empty list (no
/// benchmark wrote anything).
pub fn read_lines(path: &Path) -> Result<Vec<Figure>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(format!("reading {}: {err}", path.display())),
    };
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| parse(line).map_err(|err| format!("{}:{}: {err}", path.display(), n + 1)))
        .collect()
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
        let f =
            parse(r#"{"measure":"m","value":2,"unit":"%","baseline":null,"command":"c"}"#).unwrap();
        assert_eq!(f.baseline, None);
    }

    #[test]
    fn names_the_missing_field() {
        let err = parse(r#"{"measure":"m","unit":"ms","command":"c"}"#).unwrap_err();
        assert!(err.contains("`value`"), "{err}");
    }
}
