//! When a running sampler rotates (hands its samples over and starts a new V8 profile).
//!
//! A rotation is what makes samples available: a closed window is delivered once the
//! threads it covers have rotated past its end, so while windows open and close the
//! scheduler rotates every `fast` interval (500 ms). But each rotation also costs the
//! profiled process: a V8 profile start and stop on the JS thread, a new profile tree,
//! a sampler-thread restart when the pacer changes the interval. On allocation-heavy
//! third-party code (acorn on a 9 MB file) the sampler's GC time was ×1.16 with 500 ms
//! rotations and ×1.08 with 5 s ones (issue 24's measurement; BENCHMARKS.md has ours,
//! which agrees in direction within its noise). When nothing waits for
//! samples (a continuous session between chunk ends, a sampler held by `startSampling`),
//! the scheduler therefore rotates only every `quiet` interval, which delays a 60 s
//! chunk by at most that much.

use std::time::Duration;

/// Rotation intervals, fast while windows are in use and quiet otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cadence {
    /// While a window opened or closed since the last tick (and during warm-up).
    pub fast: Duration,
    /// While nothing waits for samples; never shorter than `fast`.
    pub quiet: Duration,
}

/// Rotations after a sampler starts that come at the fast interval whatever happens:
/// the pacer needs a second of samples, in several rotations, to measure the rate V8
/// delivers and correct it (see [`crate::pacing`]).
pub const WARMUP_ROTATIONS: u32 = 4;

/// What the scheduler knows of one running sampler at a tick.
#[derive(Clone, Copy, Debug, Default)]
pub struct SamplerTick {
    /// Rotations asked of it since it started.
    pub rotations: u32,
    /// Time since its last rotation was asked for (or since it started).
    pub since_last: Duration,
    /// The sampler asked for prompt rotations (it lingers, or holds window messages).
    pub prompt: bool,
}

impl Cadence {
    /// A cadence whose quiet interval is at least the fast one.
    pub fn new(fast: Duration, quiet: Duration) -> Self {
        Self {
            fast,
            quiet: quiet.max(fast),
        }
    }

    /// Whether to rotate this sampler at a scheduler tick (ticks come every `fast`
    /// interval). `hurry`: a window opened or closed anywhere since the last tick,
    /// so every thread it may cover must hand its samples over.
    pub fn due(&self, hurry: bool, s: SamplerTick) -> bool {
        hurry
            || s.prompt
            || s.rotations < WARMUP_ROTATIONS
            || s.since_last + self.fast / 4 >= self.quiet
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cadence() -> Cadence {
        Cadence::new(Duration::from_millis(500), Duration::from_secs(5))
    }

    #[test]
    fn quiet_sampler_rotates_every_quiet_interval_after_warmup() {
        let c = cadence();
        let mut s = SamplerTick::default();
        let mut rotated_at = Vec::new();
        let mut since = Duration::ZERO;
        for tick in 1..=40u32 {
            since += c.fast;
            s.since_last = since;
            if c.due(false, s) {
                rotated_at.push(tick);
                s.rotations += 1;
                since = Duration::ZERO;
            }
        }
        // Four warm-up rotations at 500 ms, then one every 5 s (10 ticks).
        assert_eq!(rotated_at, vec![1, 2, 3, 4, 14, 24, 34]);
    }

    #[test]
    fn window_activity_or_a_prompt_request_rotates_at_once() {
        let c = cadence();
        let s = SamplerTick {
            rotations: 10,
            since_last: Duration::from_millis(500),
            prompt: false,
        };
        assert!(!c.due(false, s));
        assert!(c.due(true, s));
        assert!(c.due(false, SamplerTick { prompt: true, ..s }));
    }

    #[test]
    fn quiet_is_never_shorter_than_fast() {
        let c = Cadence::new(Duration::from_secs(2), Duration::from_millis(100));
        assert_eq!(c.quiet, Duration::from_secs(2));
    }

    proptest! {
        /// Whatever the intervals, a sampler is never left longer than the quiet
        /// interval (plus one tick of scheduling) without a rotation.
        #[test]
        fn no_sampler_waits_longer_than_quiet(fast_ms in 10u64..2000, quiet_ms in 10u64..60_000, warm in 0u32..10) {
            let c = Cadence::new(Duration::from_millis(fast_ms), Duration::from_millis(quiet_ms));
            let mut s = SamplerTick { rotations: warm, ..SamplerTick::default() };
            let mut since = Duration::ZERO;
            for _ in 0..200 {
                since += c.fast;
                s.since_last = since;
                if c.due(false, s) {
                    s.rotations += 1;
                    since = Duration::ZERO;
                }
                prop_assert!(since < c.quiet + c.fast);
            }
        }
    }
}
