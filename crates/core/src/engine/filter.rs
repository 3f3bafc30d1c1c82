//! Which samples of a rotated V8 profile are new.
//!
//! Rotation starts the next profile before stopping the previous one, so their
//! samples overlap; and V8 adds a sample of the current stack whenever a profile
//! starts, a fraction of an interval after a regular one, which would raise the
//! delivered rate above the configured one. The filter keeps one timeline per thread.

/// Samples closer than the interval divided by this to the last one kept are
/// V8's start-of-profile extras.
pub const NEAR_DUPLICATE_DIVISOR: i32 = 4;

/// What became of one sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    /// At or before the last sample kept: the overlap of a rotation.
    Duplicate,
    /// Less than a quarter of an interval after the last sample kept.
    NearDuplicate,
}

/// See the module documentation.
#[derive(Clone, Copy, Debug)]
pub struct SampleFilter {
    last_ts_us: i64,
}

impl Default for SampleFilter {
    fn default() -> Self {
        Self {
            last_ts_us: i64::MIN,
        }
    }
}

impl SampleFilter {
    /// The newest sample kept so far (µs), if any.
    pub fn last_ts_us(&self) -> Option<i64> {
        (self.last_ts_us != i64::MIN).then_some(self.last_ts_us)
    }

    /// Classifies the next sample of a profile taken every `interval_us`.
    pub fn classify(&mut self, ts_us: i64, interval_us: i32) -> Verdict {
        if ts_us <= self.last_ts_us {
            return Verdict::Duplicate;
        }
        if ts_us.saturating_sub(self.last_ts_us) < i64::from(interval_us / NEAR_DUPLICATE_DIVISOR) {
            return Verdict::NearDuplicate;
        }
        self.last_ts_us = ts_us;
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn overlaps_and_start_samples_are_dropped() {
        let mut f = SampleFilter::default();
        let got: Vec<Verdict> = [1000, 2000, 1500, 2000, 2100, 3000]
            .iter()
            .map(|&t| f.classify(t, 1000))
            .collect();
        use Verdict::*;
        assert_eq!(got, [Keep, Keep, Duplicate, Duplicate, NearDuplicate, Keep]);
        assert_eq!(f.last_ts_us(), Some(3000));
    }

    proptest! {
        #[test]
        fn kept_samples_are_strictly_increasing_and_spaced(
            ts in proptest::collection::vec(0i64..100_000, 0..300),
            interval in 1i32..10_000,
        ) {
            let mut f = SampleFilter::default();
            let mut kept = Vec::new();
            for &t in &ts {
                if f.classify(t, interval) == Verdict::Keep {
                    kept.push(t);
                }
            }
            for w in kept.windows(2) {
                prop_assert!(w[1] - w[0] >= i64::from(interval / 4));
            }
        }
    }
}
