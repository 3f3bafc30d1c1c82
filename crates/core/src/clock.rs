//! Mapping between the monotonic clock samples are stamped with and wall-clock time.

use serde::{Deserialize, Serialize};

/// A pair of readings of the monotonic clock and the wall clock taken at the same
/// instant. Samples carry monotonic nanoseconds (immune to clock steps); the anchor
/// turns them into Unix time when a profile is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockAnchor {
    /// Monotonic reading, nanoseconds (same clock as V8's sample timestamps).
    pub mono_ns: u64,
    /// Wall-clock reading, nanoseconds since the Unix epoch.
    pub unix_ns: u64,
}

impl ClockAnchor {
    pub fn new(mono_ns: u64, unix_ns: u64) -> Self {
        Self { mono_ns, unix_ns }
    }

    /// Unix time in nanoseconds of a monotonic timestamp.
    pub fn to_unix_ns(&self, mono_ns: u64) -> u64 {
        if mono_ns >= self.mono_ns {
            self.unix_ns.saturating_add(mono_ns - self.mono_ns)
        } else {
            self.unix_ns.saturating_sub(self.mono_ns - mono_ns)
        }
    }

    /// Unix time in (fractional) seconds of a monotonic timestamp.
    pub fn to_unix_secs(&self, mono_ns: u64) -> f64 {
        self.to_unix_ns(mono_ns) as f64 / 1e9
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_both_sides_of_the_anchor() {
        let a = ClockAnchor::new(1_000, 1_700_000_000_000_000_000);
        assert_eq!(a.to_unix_ns(1_500), 1_700_000_000_000_000_500);
        assert_eq!(a.to_unix_ns(400), 1_699_999_999_999_999_400);
        assert!((a.to_unix_secs(1_000) - 1_700_000_000.0).abs() < 1e-6);
    }
}
