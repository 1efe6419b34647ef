//! [`CounterRate`]: a game's own update rate, from the packet counter it
//! advances on every update (the profile's `liveness` field). The file is
//! only sampled a few times a second, so counting the changes seen would cap
//! the rate at the sampling rate; the counter's steps do not.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bridgekeeper_profiles::{Field, FieldType, Scalar, Value};

/// The game's update rate, read from an integer counter in its page.
#[derive(Debug)]
pub struct CounterRate {
    field: Field,
    samples: VecDeque<(Instant, i128)>,
}

impl CounterRate {
    /// How far back the rate looks.
    const WINDOW: Duration = Duration::from_secs(2);

    /// A rate read from `field`, when it is an integer counter.
    pub fn of(field: &Field) -> Option<CounterRate> {
        let integer = matches!(
            field.ty,
            FieldType::Scalar(
                Scalar::I8
                    | Scalar::U8
                    | Scalar::I16
                    | Scalar::U16
                    | Scalar::I32
                    | Scalar::U32
                    | Scalar::I64
                    | Scalar::U64
            )
        );
        integer.then(|| CounterRate {
            field: field.clone(),
            samples: VecDeque::new(),
        })
    }

    /// The bytes of a page the counter needs: up to its end.
    pub fn bytes_needed(&self) -> u64 {
        self.field.end() as u64
    }

    /// Records the counter in `page` at `now`.
    pub fn sample(&mut self, page: &[u8], now: Instant) {
        let value = match self.field.read(page) {
            Some(Value::Int(v)) => i128::from(v),
            Some(Value::UInt(v)) => i128::from(v),
            _ => return,
        };
        if self.samples.back().is_some_and(|&(_, last)| value < last) {
            self.samples.clear();
        }
        self.samples.push_back((now, value));
        while self
            .samples
            .front()
            .is_some_and(|&(t, _)| now.saturating_duration_since(t) > Self::WINDOW)
        {
            self.samples.pop_front();
        }
    }

    /// Counter steps per second over the window, once it spans half a second.
    pub fn per_second(&self) -> Option<f64> {
        let (&(t0, v0), &(t1, v1)) = (self.samples.front()?, self.samples.back()?);
        let span = t1.saturating_duration_since(t0).as_secs_f64();
        (span >= 0.5).then(|| (v1 - v0) as f64 / span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(offset: usize, ty: Scalar) -> CounterRate {
        CounterRate::of(&Field {
            name: "packetId".into(),
            offset,
            ty: FieldType::Scalar(ty),
            unit: String::new(),
            note: String::new(),
        })
        .expect("an integer field")
    }

    #[test]
    fn the_games_rate_comes_from_its_packet_counter() {
        let mut rate = counter(0, Scalar::U32);
        let t0 = Instant::now();
        rate.sample(&0u32.to_le_bytes(), t0);
        assert_eq!(rate.per_second(), None, "not enough time yet");
        rate.sample(&150u32.to_le_bytes(), t0 + Duration::from_millis(500));
        rate.sample(&300u32.to_le_bytes(), t0 + Duration::from_secs(1));
        assert_eq!(rate.per_second(), Some(300.0));

        rate.sample(&5u32.to_le_bytes(), t0 + Duration::from_millis(1100));
        assert_eq!(rate.per_second(), None, "a restarted counter starts over");
    }

    #[test]
    fn only_integer_fields_count_and_only_their_bytes_are_needed() {
        let clock = Field {
            name: "mCurrentET".into(),
            offset: 0,
            ty: FieldType::Scalar(Scalar::F64),
            unit: "s".into(),
            note: String::new(),
        };
        assert!(CounterRate::of(&clock).is_none());
        assert_eq!(counter(0, Scalar::U32).bytes_needed(), 4);
        assert_eq!(counter(8, Scalar::U64).bytes_needed(), 16);
    }
}
