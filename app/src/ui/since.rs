//! How long ago data last changed, in words that move in steps.
//!
//! Failure mode: a "last change" shown to the tenth of a second would need
//! a repaint every tenth of a second once the data stopped, the very time
//! nothing else happens. So once data is quiet the words say "over N s
//! ago" and move on at fixed steps, each step a single repaint.

use std::time::Duration;

use super::feed::QUIET;

/// Steps of the "last change" column once data stopped: it says "over N"
/// and moves on at each step, so a stopped page costs a handful of frames,
/// not one a second.
const SINCE_STEPS: [u64; 10] = [2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/// The words for a last change `ago` (`None`: never), and how long until
/// they change on their own (`None`: not while the data flows, when the
/// feed's wakes redraw the table, nor after the last step).
pub fn since_words(ago: Option<Duration>) -> (String, Option<Duration>) {
    let Some(ago) = ago else {
        return ("never".into(), None);
    };
    if ago < QUIET {
        return (format!("{:.1} s ago", ago.as_secs_f32()), None);
    }
    let secs = ago.as_secs();
    let passed = SINCE_STEPS
        .iter()
        .rev()
        .find(|&&s| secs >= s)
        .copied()
        .unwrap_or(2);
    let next = SINCE_STEPS
        .iter()
        .find(|&&s| s > secs)
        .map(|&s| Duration::from_secs(s).saturating_sub(ago));
    let words = if passed >= 60 {
        format!("over {} min ago", passed / 60)
    } else {
        format!("over {passed} s ago")
    };
    (words, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_change_moves_in_steps_once_data_stops() {
        assert_eq!(since_words(None), ("never".into(), None));
        assert_eq!(
            since_words(Some(Duration::from_millis(300))),
            ("0.3 s ago".into(), None),
            "flowing: the feed's wakes redraw it"
        );
        assert_eq!(
            since_words(Some(Duration::from_millis(2500))),
            ("over 2 s ago".into(), Some(Duration::from_millis(2500)))
        );
        assert_eq!(
            since_words(Some(Duration::from_secs(61))),
            ("over 1 min ago".into(), Some(Duration::from_secs(59)))
        );
        assert_eq!(
            since_words(Some(Duration::from_secs(7200))),
            ("over 60 min ago".into(), None),
            "no more steps after an hour"
        );
    }
}
