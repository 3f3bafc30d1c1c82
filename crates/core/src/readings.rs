//! CPU usage and memory footprint readings of the process on the monotonic clock, kept
//! for the last ten minutes and cut per window into Sentry's `cpu_usage` and
//! `memory_footprint` measurements. Whoever reads the process (the native engine thread,
//! or the JS thread of the WebAssembly build) pushes; the engine's `poll` cuts.

use std::collections::VecDeque;

use crate::sentry::{MeasurementPoint, MeasurementSeries, MeasurementUnit, Measurements};

/// Ten minutes at 10 Hz: the longest window any profile or chunk can need.
pub const MAX_POINTS: usize = 6_000;

/// Both series, each bounded to [`MAX_POINTS`] (oldest dropped first).
#[derive(Clone, Debug, Default)]
pub struct Readings {
    cpu: VecDeque<MeasurementPoint>,
    memory: VecDeque<MeasurementPoint>,
}

impl Readings {
    pub fn new() -> Self {
        Self::default()
    }

    /// CPU usage in percent of the whole machine at `mono_ns` (clamped to 0–100).
    pub fn push_cpu(&mut self, mono_ns: u64, percent: f64) {
        push(&mut self.cpu, mono_ns, percent.clamp(0.0, 100.0));
    }

    /// Resident memory in bytes at `mono_ns`.
    pub fn push_memory(&mut self, mono_ns: u64, bytes: f64) {
        push(&mut self.memory, mono_ns, bytes);
    }

    /// The readings within `[start_ns, end_ns]`, as profile measurements.
    pub fn window(&self, start_ns: u64, end_ns: u64) -> Measurements {
        let mut out = Measurements::new();
        for (name, unit, points) in [
            ("cpu_usage", MeasurementUnit::Percent, &self.cpu),
            ("memory_footprint", MeasurementUnit::Byte, &self.memory),
        ] {
            let values: Vec<MeasurementPoint> = points
                .iter()
                .filter(|p| p.mono_ns >= start_ns && p.mono_ns <= end_ns)
                .copied()
                .collect();
            if !values.is_empty() {
                out.insert(name.to_string(), MeasurementSeries { unit, values });
            }
        }
        out
    }
}

fn push(series: &mut VecDeque<MeasurementPoint>, mono_ns: u64, value: f64) {
    if series.len() == MAX_POINTS {
        series.pop_front();
    }
    series.push_back(MeasurementPoint { mono_ns, value });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_take_the_readings_within_their_bounds() {
        let mut r = Readings::new();
        for i in 0..5u64 {
            r.push_cpu(i * 100, 150.0);
            r.push_memory(i * 100, 1e6);
        }
        let m = r.window(100, 300);
        assert_eq!(m["cpu_usage"].values.len(), 3);
        assert_eq!(m["cpu_usage"].values[0].value, 100.0, "clamped");
        assert_eq!(m["memory_footprint"].values.len(), 3);
        assert!(r.window(1_000, 2_000).is_empty());
    }

    #[test]
    fn series_are_bounded() {
        let mut r = Readings::new();
        for i in 0..(MAX_POINTS as u64 + 10) {
            r.push_memory(i, 1.0);
        }
        let m = r.window(0, u64::MAX);
        assert_eq!(m["memory_footprint"].values.len(), MAX_POINTS);
        assert_eq!(m["memory_footprint"].values[0].mono_ns, 10);
    }
}
