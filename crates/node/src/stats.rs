//! Self-measurement: counters the profiler keeps about itself, readable at any time.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

/// Process-wide counters. Updated with relaxed atomics: they are statistics, not
/// synchronisation.
#[derive(Default)]
pub struct Stats {
    pub sampler_starts: AtomicU64,
    pub sampler_stops: AtomicU64,
    pub rotations: AtomicU64,
    /// Rotations run from a V8 interrupt (the JS thread was busy in JavaScript).
    pub rotations_by_interrupt: AtomicU64,
    pub v8_start_failures: AtomicU64,
    /// Starts asked for after exit handling had run (no-ops).
    pub sampler_starts_refused: AtomicU64,
    pub windows_opened: AtomicU64,
    /// Windows forgotten before their open reached the engine (`withdrawWindow`).
    pub windows_withdrawn: AtomicU64,
    /// Results posted to an isolate's mailbox.
    pub windows_delivered: AtomicU64,
    /// Results whose payload was dropped because their isolate did not take them.
    pub windows_dropped: AtomicU64,
    /// Messages whose handling panicked on the engine thread (caught; counted).
    pub engine_panics: AtomicU64,
    pub js_calls: AtomicU64,
    pub js_ns_total: AtomicU64,
    pub js_ns_max: AtomicU64,
    /// Log2 histogram of JS-thread time per call: bucket i holds calls that took
    /// [2^i, 2^(i+1)) nanoseconds.
    pub js_ns_histogram: Histogram,
}

impl Stats {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Relaxed)
    }

    fn record_js_ns(&self, ns: u64) {
        self.js_calls.fetch_add(1, Relaxed);
        self.js_ns_total.fetch_add(ns, Relaxed);
        self.js_ns_max.fetch_max(ns, Relaxed);
        let bucket = (64 - ns.max(1).leading_zeros() - 1) as usize;
        self.js_ns_histogram[bucket.min(39)].fetch_add(1, Relaxed);
    }

    /// Upper bound (ns) of the histogram bucket holding the `q` quantile.
    pub fn js_ns_quantile(&self, q: f64) -> u64 {
        let counts: Vec<u64> = self
            .js_ns_histogram
            .iter()
            .map(|c| c.load(Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return 0;
        }
        let target = (q * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in counts.iter().enumerate() {
            seen += c;
            if seen >= target {
                return 1u64 << (i + 1);
            }
        }
        u64::MAX
    }
}

/// Fixed log2 buckets (see `Stats::js_ns_histogram`).
pub struct Histogram(pub [AtomicU64; 40]);

impl Default for Histogram {
    fn default() -> Self {
        Self(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

impl std::ops::Deref for Histogram {
    type Target = [AtomicU64; 40];
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// Measures the JS-thread time of one profiler call and records it on drop.
pub struct JsTimer<'a> {
    stats: &'a Stats,
    start: Instant,
}

impl<'a> JsTimer<'a> {
    pub fn start(stats: &'a Stats) -> Self {
        Self {
            stats,
            start: Instant::now(),
        }
    }
}

impl Drop for JsTimer<'_> {
    fn drop(&mut self) {
        self.stats
            .record_js_ns(self.start.elapsed().as_nanos().min(u64::MAX as u128) as u64);
    }
}
