//! Medians and percentiles of repeated measurements.

use std::time::Duration;

/// The median of `values` (the lower one of an even count). Panics on no
/// values: a benchmark that measured nothing has nothing to report.
pub fn median(values: &[f64]) -> f64 {
    percentile(values, 50.0)
}

/// The `p`th percentile of `values`, nearest rank. Panics on no values.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    assert!(!values.is_empty(), "no values to take a percentile of");
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Milliseconds, as a float.
pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(median(&values), 3.0);
        assert_eq!(percentile(&values, 0.0), 1.0);
        assert_eq!(percentile(&values, 99.0), 5.0);
        assert_eq!(percentile(&values, 100.0), 5.0);
        assert_eq!(median(&[1.0, 2.0]), 1.0);
        assert_eq!(ms(Duration::from_micros(1500)), 1.5);
    }

    #[test]
    #[should_panic(expected = "no values")]
    fn no_values_is_a_bug_in_the_benchmark() {
        median(&[]);
    }
}
