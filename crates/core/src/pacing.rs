//! Keeping the delivered sampling rate at the configured one.
//!
//! Two things make V8 deliver fewer samples than it is asked for:
//! - its sampler thread sleeps the requested interval *after* each sample, so every
//!   period is the interval plus the thread's wake-up latency and the signal round
//!   trip (1001 Hz delivers 850–900 Hz on a busy machine);
//! - it loses whole ticks: on an allocating workload 6–8 % of the gaps are two or
//!   three periods long, at any rate and with raw `node:inspector` alike (101 Hz
//!   delivers 90–94 Hz). A tight loop that allocates nothing loses almost none, so
//!   these are ticks that land during garbage collection.
//!
//! The pacer measures the mean delivered period from the samples' own timestamps and
//! shortens the interval it requests by the excess, so the *rate* V8 delivers (lost
//! ticks included) is the one that was asked for.
//!
//! Requested intervals are multiples of a quantum (1 % of the target period), which
//! the binding also sets as V8's base interval: V8 snaps every profile's interval to
//! a multiple of the base and samples at their greatest common divisor while two
//! profiles overlap at a rotation, so the quantum keeps that divisor coarse.

/// Fewest sample gaps a rotation must show before the pacer trusts it.
const MIN_GAPS: usize = 10;
/// Gaps longer than this many target periods are the sampler thread descheduled
/// for a while, not its steady latency; they are left out of the estimate.
const OUTLIER_PERIODS: f64 = 4.0;
/// Least time the gaps of one estimate span, µs: lost ticks are rare events (a few
/// in 50 gaps), so an estimate over fewer would make the request jitter by several %.
/// Just under two default rotations (500 ms), so that the first estimate comes at the
/// second rotation. (Averaging the share of lost ticks over several estimates, with
/// the tick period from the median, was tried: a noisy first estimate then lingers
/// for seconds, and 30 processes spread wider, 96–110 Hz against 97–107 Hz.)
const MIN_SPAN_US: f64 = 0.9e6;
/// Longest span of one estimate: from the second estimate on, each doubles the span
/// of the next, up to this, so the pacer converges within seconds and then follows a steady rate with
/// ~2.5 times less noise (lost ticks are random: the share lost in 90 gaps varies by
/// ±2.7 %, which moved the request at three estimates in four).
const MAX_SPAN_US: f64 = 4.5e6;
/// Share of the measured error corrected at each estimate after the first (damping).
const GAIN: f64 = 0.6;
/// Share corrected at the first estimate: most of the error, not all of it, as one
/// second of randomly lost ticks can mislead by a few %.
const FIRST_GAIN: f64 = 0.8;
/// The shortest interval requested, as a share of the target period.
pub const MIN_SHARE: f64 = 0.75;
/// Weight of the newest rotation in the delivered-rate average.
const EWMA: f64 = 0.3;

/// The least time, µs, between two samples kept at `hz`: the pacer asks for no
/// less than [`MIN_SHARE`] of the period (less one quantum of rounding), and the
/// rotation filter drops a sample closer than a quarter of that to the last one. A
/// window shorter than this holds one sample at most, which Sentry refuses: the SDK
/// decides such profiles without asking the engine.
pub fn min_sample_spacing_us(hz: f64) -> f64 {
    let p = Pacer::new(hz);
    let shortest = (p.target_us * MIN_SHARE - f64::from(p.quantum_us)).max(1.0);
    (shortest / f64::from(crate::engine::NEAR_DUPLICATE_DIVISOR)).floor()
}

/// See the module documentation.
#[derive(Clone, Debug, PartialEq)]
pub struct Pacer {
    target_us: f64,
    quantum_us: i32,
    request_us: i32,
    delivered_hz: Option<f64>,
    /// Gaps seen since the last estimate (an estimate spans several rotations).
    gaps: Vec<f64>,
    /// Whether an estimate was made yet.
    estimated: bool,
    /// The last sample of the previous rotation, µs.
    last_ts_us: Option<i64>,
    /// Least time the gaps of the next estimate span, µs.
    span_us: f64,
    /// The direction (−1, 0, 1) of a one-quantum step the last estimate asked for
    /// and that was not taken yet.
    leaning: i32,
}

impl Pacer {
    /// A pacer for `hz` (1–10 000), requesting the nominal interval at first.
    pub fn new(hz: f64) -> Self {
        let target_us = 1e6 / hz.max(1e-3);
        let quantum_us = ((target_us / 100.0).floor() as i32).max(1);
        let mut p = Self {
            target_us,
            quantum_us,
            request_us: 0,
            delivered_hz: None,
            gaps: Vec::new(),
            estimated: false,
            last_ts_us: None,
            span_us: MIN_SPAN_US,
            leaning: 0,
        };
        p.request_us = p.quantize(target_us);
        p
    }

    /// A pacer for the next run of a sampler this one paced: it requests the interval
    /// this one had learnt, so the first samples after a restart come at the configured
    /// rate instead of the nominal interval's ~8 % less, and goes on damping. The
    /// timeline starts afresh (the gap across the stop is no sample gap).
    pub fn resumed(&self) -> Self {
        Self {
            gaps: Vec::new(),
            last_ts_us: None,
            ..self.clone()
        }
    }

    /// V8's base interval for this pacer's profiles, microseconds.
    pub fn quantum_us(&self) -> i32 {
        self.quantum_us
    }

    /// The interval to request for the next profile, microseconds.
    pub fn request_us(&self) -> i32 {
        self.request_us
    }

    /// The nominal interval (the configured frequency), microseconds.
    pub fn target_us(&self) -> f64 {
        self.target_us
    }

    /// The delivered rate, averaged over recent rotations (`None` before the first).
    pub fn delivered_hz(&self) -> Option<f64> {
        self.delivered_hz
    }

    fn quantize(&self, us: f64) -> i32 {
        let q = f64::from(self.quantum_us);
        // Never longer than the target, never shorter than `MIN_SHARE` of it: a wrong
        // estimate can raise the rate by a third at most, for one rotation.
        let clamped = us.clamp(self.target_us * MIN_SHARE, self.target_us);
        (((clamped / q).round() as i32).max(1)) * self.quantum_us
    }

    /// Like [`Pacer::observe`], but only measures the delivered rate: the request
    /// stays where it is.
    pub fn measure_only(&mut self, ts_us: impl IntoIterator<Item = i64>) {
        let request = self.request_us;
        self.observe(ts_us);
        self.request_us = request;
    }

    /// Takes the timestamps (µs, increasing) of one rotation's samples, all taken at
    /// the interval currently requested. Returns the new interval to request, when it
    /// changes.
    pub fn observe(&mut self, ts_us: impl IntoIterator<Item = i64>) -> Option<i32> {
        // The rate delivered counts every gap; the estimate leaves out the long ones
        // (a descheduled thread's lost time cannot be made up by asking for shorter
        // intervals). The gap from the previous rotation's last sample counts too:
        // what a rotation loses at its boundary is lost to the user as well. One
        // pass, no copy: this runs on the JS thread.
        let limit = self.target_us * OUTLIER_PERIODS;
        let (mut first, mut prev, mut gaps) =
            (self.last_ts_us, self.last_ts_us.unwrap_or(0), 0usize);
        for t in ts_us {
            if first.is_none() {
                first = Some(t);
            } else {
                let gap = (t - prev) as f64;
                if gap > 0.0 && gap <= limit {
                    self.gaps.push(gap);
                }
                gaps += 1;
            }
            prev = t;
        }
        if first.is_some() {
            self.last_ts_us = Some(prev);
        }
        if let Some(first) = first {
            if gaps >= MIN_GAPS && prev > first {
                let hz = gaps as f64 * 1e6 / (prev - first) as f64;
                self.delivered_hz = Some(match self.delivered_hz {
                    Some(p) => p + EWMA * (hz - p),
                    None => hz,
                });
            }
        }
        if self.gaps.len() < MIN_GAPS || self.gaps.iter().sum::<f64>() < self.span_us {
            return None;
        }
        // The first two estimates converge (the bulk of the error, then most of
        // the rest); later ones follow slow changes, over longer spans.
        if self.estimated {
            self.span_us = (self.span_us * 2.0).min(MAX_SPAN_US);
        }
        let gaps = std::mem::take(&mut self.gaps);
        // The mean of the gaps up to `OUTLIER_PERIODS`: the latency plus V8's lost
        // ticks, which a shorter interval does make up. A median would see only the
        // latency (measured: 101 Hz stayed at 92–94 Hz). Longer gaps, a thread
        // descheduled for a while, are left out: chasing them would oversample once
        // the machine is quiet again.
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        // The period achieved is the request plus a latency; ask for less by the
        // share of the error the gain allows.
        let gain = if self.estimated { GAIN } else { FIRST_GAIN };
        self.estimated = true;
        let next = self.quantize(f64::from(self.request_us) - gain * (mean - self.target_us));
        // A change of the request restarts V8's sampler thread twice at the next
        // rotation (its period is the GCD of the running profiles' intervals), and
        // each restart makes the JS thread wait until V8 has processed every queued
        // code event: tens of ms with thousands of new functions per second. A
        // one-quantum step (1 %) is as often noise as bias, so it is taken only when
        // the next estimate asks for the same direction; larger steps at once.
        let step = (next - self.request_us) / self.quantum_us;
        if step == 0 || (step.abs() == 1 && self.leaning != step.signum()) {
            self.leaning = if step == 0 { 0 } else { step.signum() };
            return None;
        }
        self.leaning = 0;
        self.request_us = next;
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_restart_keeps_the_learnt_interval() {
        let mut p = Pacer::new(101.0);
        let nominal = p.request_us();
        run_lossy(&mut p, 300.0, 0.07, 10);
        assert!(p.request_us() < nominal, "the pacer shortened the interval");
        let r = p.resumed();
        assert_eq!(
            r.request_us(),
            p.request_us(),
            "the restart samples at once at the learnt rate"
        );
        assert_eq!(r.last_ts_us, None, "no gap across the stop");
        assert!(r.gaps.is_empty());
        assert_eq!(r.target_us(), p.target_us());
    }

    /// A model of V8's sampler: each period is the request plus a latency, and a
    /// share `loss` of the ticks is never recorded (a fixed LCG decides which).
    /// Returns the rate delivered over the second half of the rotations.
    fn run_lossy(p: &mut Pacer, latency_us: f64, loss: f64, rotations: usize) -> f64 {
        let mut t = 0f64;
        let mut seed = 7u32;
        let (mut gaps, mut span_us) = (0usize, 0f64);
        for r in 0..rotations {
            let period = f64::from(p.request_us()) + latency_us;
            let ticks = (500_000.0 / period) as usize;
            let ts: Vec<i64> = (0..ticks)
                .filter_map(|_| {
                    t += period;
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (f64::from(seed >> 8) / f64::from(1u32 << 24) >= loss).then_some(t as i64)
                })
                .collect();
            if r >= rotations / 2 {
                gaps += ts.len() - 1;
                span_us += (ts[ts.len() - 1] - ts[0]) as f64;
            }
            p.observe(ts.iter().copied());
        }
        gaps as f64 * 1e6 / span_us
    }

    fn run(p: &mut Pacer, latency_us: f64, rotations: usize) -> f64 {
        run_lossy(p, latency_us, 0.0, rotations)
    }

    #[test]
    fn a_latency_of_the_sampler_thread_is_compensated() {
        let mut p = Pacer::new(1001.0);
        assert_eq!(p.request_us(), 999 / 9 * 9, "a multiple of the quantum");
        let hz = run(&mut p, 120.0, 10);
        assert!((hz - 1001.0).abs() / 1001.0 < 0.02, "{hz} Hz");
        let mut p = Pacer::new(101.0);
        let hz = run(&mut p, 300.0, 10);
        assert!((hz - 101.0).abs() / 101.0 < 0.02, "{hz} Hz");
    }

    #[test]
    fn ticks_that_v8_loses_are_made_up() {
        // 8 % of the ticks lost, as measured at 101 Hz on an allocating workload.
        let mut p = Pacer::new(101.0);
        let hz = run_lossy(&mut p, 100.0, 0.08, 40);
        assert!((hz - 101.0).abs() / 101.0 < 0.03, "{hz} Hz");
        let mut p = Pacer::new(1001.0);
        let hz = run_lossy(&mut p, 120.0, 0.08, 20);
        assert!((hz - 1001.0).abs() / 1001.0 < 0.03, "{hz} Hz");
    }

    /// Noise of one quantum either way (V8 loses ticks at random, 6–8 % on
    /// allocating code) does not move the request at every estimate: each move
    /// restarts V8's sampler thread.
    #[test]
    fn random_tick_loss_does_not_restart_the_sampler_at_every_estimate() {
        let mut p = Pacer::new(101.0);
        let mut seed = 11u32;
        let mut t = 0f64;
        let mut changes = Vec::new();
        for rotation in 0..200 {
            let period = f64::from(p.request_us()) + 60.0;
            let ts: Vec<i64> = (0..(500_000.0 / period) as usize)
                .filter_map(|_| {
                    t += period;
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (f64::from(seed >> 8) / f64::from(1u32 << 24) >= 0.07).then_some(t as i64)
                })
                .collect();
            if p.observe(ts).is_some() && rotation >= 20 {
                changes.push(rotation);
            }
        }
        // 90 s after convergence; following the noise moved it 68 times here.
        assert!(
            changes.len() <= 12,
            "{} changes of the request: {changes:?}",
            changes.len()
        );
        let hz = p.delivered_hz().unwrap();
        assert!((hz - 101.0).abs() / 101.0 < 0.03, "{hz} Hz");
    }

    #[test]
    fn a_descheduled_thread_is_not_chased() {
        // One 40-period hole (the thread descheduled) among steady gaps: the request
        // stays at the target.
        let mut p = Pacer::new(101.0);
        let mut ts: Vec<i64> = (0..80).map(|i| i * 9_900).collect();
        ts.extend((0..80).map(|i| 80 * 9_900 + 40 * 9_900 + i * 9_900));
        assert_eq!(
            p.observe(ts.iter().copied()),
            None,
            "an estimate, unchanged"
        );
        assert!(p.gaps.is_empty(), "the estimate was made");
        assert_eq!(p.request_us(), Pacer::new(101.0).request_us());
    }

    #[test]
    fn too_few_samples_change_nothing() {
        let mut p = Pacer::new(101.0);
        assert_eq!(p.observe([0, 10_000, 20_000]), None);
        assert_eq!(p.delivered_hz(), None);
        assert_eq!(p.observe([30_000, 40_000, 50_000]), None);
    }

    proptest! {
        /// No two samples the filter keeps are closer, whatever the pacer requests.
        #[test]
        fn kept_samples_are_never_closer_than_the_min_spacing(
            hz in 1.0f64..10_000.0,
            gaps in proptest::collection::vec(1i64..200_000, 0..100),
            offsets in proptest::collection::vec(0i64..100_000, 0..100),
        ) {
            let mut p = Pacer::new(hz);
            let mut t = 0i64;
            let ts: Vec<i64> = gaps.iter().map(|g| { t += g; t }).collect();
            p.observe(ts.iter().copied());
            let mut f = crate::engine::SampleFilter::default();
            let mut kept: Vec<i64> = Vec::new();
            for o in offsets {
                if f.classify(o, p.request_us()) == crate::engine::Verdict::Keep {
                    kept.push(o);
                }
            }
            let spacing = min_sample_spacing_us(hz) as i64;
            for w in kept.windows(2) {
                prop_assert!(w[1] - w[0] >= spacing, "{} < {}", w[1] - w[0], spacing);
            }
        }

        #[test]
        fn requests_stay_quantized_and_within_bounds_of_the_target(
            hz in 1.0f64..10_000.0,
            gaps in proptest::collection::vec(1i64..200_000, 0..200),
        ) {
            let mut p = Pacer::new(hz);
            let mut t = 0i64;
            let ts: Vec<i64> = gaps.iter().map(|g| { t += g; t }).collect();
            p.observe(ts.iter().copied());
            let r = f64::from(p.request_us());
            prop_assert_eq!(p.request_us() % p.quantum_us(), 0);
            prop_assert!(r <= p.target_us() + f64::from(p.quantum_us()));
            prop_assert!(r >= p.target_us() * MIN_SHARE - f64::from(p.quantum_us()));
        }

        #[test]
        fn converges_for_any_steady_latency(hz in 10.0f64..2000.0, latency_frac in 0.0f64..0.25) {
            let mut p = Pacer::new(hz);
            let latency = latency_frac * 1e6 / hz;
            let got = run(&mut p, latency, 60);
            prop_assert!((got - hz).abs() / hz < 0.03, "{} Hz for {} Hz", got, hz);
        }
    }
}
