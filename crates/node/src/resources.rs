//! CPU usage and memory footprint of the process, sampled on the worker thread (never
//! on a JS thread) so profiles can carry Sentry's `cpu_usage` and `memory_footprint`
//! measurements. Linux reads `/proc/self`; elsewhere the series stay empty.

use std::collections::VecDeque;
use std::time::Instant;

use ferroprof_core::sentry::{MeasurementPoint, MeasurementSeries, MeasurementUnit, Measurements};

/// Ten minutes at 10 Hz: the longest window any profile or chunk can need.
const MAX_POINTS: usize = 6_000;
/// Linux reports CPU time in clock ticks of USER_HZ, which is 100 on every
/// mainstream architecture.
const TICKS_PER_SECOND: f64 = 100.0;
const PAGE_BYTES: f64 = 4096.0;

pub struct ResourceSampler {
    cpu: VecDeque<MeasurementPoint>,
    memory: VecDeque<MeasurementPoint>,
    last_cpu: Option<(Instant, f64)>,
    cores: f64,
}

impl ResourceSampler {
    pub fn new() -> Self {
        Self {
            cpu: VecDeque::new(),
            memory: VecDeque::new(),
            last_cpu: None,
            cores: std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64),
        }
    }

    /// Takes one reading of both series at monotonic time `mono_ns`.
    pub fn sample(&mut self, mono_ns: u64) {
        let now = Instant::now();
        if let Some(cpu_seconds) = process_cpu_seconds() {
            if let Some((then, before)) = self.last_cpu {
                let wall = now.duration_since(then).as_secs_f64();
                if wall > 0.0 {
                    // Percent of the whole machine, as Sentry's SDKs report it.
                    let pct = 100.0 * (cpu_seconds - before) / wall / self.cores;
                    push(&mut self.cpu, mono_ns, pct.clamp(0.0, 100.0));
                }
            }
            self.last_cpu = Some((now, cpu_seconds));
        }
        if let Some(rss) = resident_bytes() {
            push(&mut self.memory, mono_ns, rss);
        }
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

/// User plus system CPU seconds of this process.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; fields after its ')' are plain.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after ')'.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}

/// Resident set size of this process, bytes.
fn resident_bytes() -> Option<f64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * PAGE_BYTES)
}
