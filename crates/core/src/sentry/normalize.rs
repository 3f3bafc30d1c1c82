//! Relay's sample normalisation and the checks that follow it, in Relay's order,
//! plus ferroprof's stricter checks (sorted samples, Unix-second timestamps).

use std::collections::BTreeMap;

use super::model_v1::SampleProfileV1;
use super::model_v2::SampleProfileV2;
use super::rejection::{Reason, Rejection};

/// `MAX_PROFILE_DURATION` of Relay: the last v1 sample may be at most this late.
pub const MAX_PROFILE_DURATION_NS: u64 = 30_000_000_000;
/// `MAX_PROFILE_CHUNK_DURATION` of Relay: a chunk's samples may span at most this.
pub const MAX_CHUNK_DURATION_SECS: f64 = 66.0;
/// v2 timestamps outside `[1e9, 1e10)` are not Unix seconds (ms or ns by mistake).
const UNIX_SECONDS: std::ops::Range<f64> = 1e9..1e10;

/// What a payload that passed validation holds, after Relay's normalisation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Samples that survive normalisation.
    pub samples: usize,
    /// Threads that survive normalisation.
    pub threads: usize,
    /// Time between the first and the last surviving sample.
    pub duration_ns: u64,
    pub frames: usize,
    pub stacks: usize,
}

fn non_idle(stacks: &[Vec<u32>], stack_id: u32) -> bool {
    stacks.get(stack_id as usize).is_some_and(|s| !s.is_empty())
}

fn not_enough_samples() -> Rejection {
    Rejection::new(
        Reason::NotEnoughSamples,
        "not enough samples: a profile needs at least 2 samples with a non-empty stack on one \
         thread (after idle edges and single-sample threads are dropped)",
    )
}

fn check_sample_ranges(
    kept: &[usize],
    stack_of: impl Fn(usize) -> u32,
    stacks: usize,
) -> Result<(), Rejection> {
    match kept.iter().find(|&&i| stack_of(i) as usize >= stacks) {
        Some(&i) => Err(Rejection::new(
            Reason::MalformedSamples,
            format!(
                "malformed samples: sample {i} uses stack_id {} but there are {stacks} stacks",
                stack_of(i)
            ),
        )),
        None => Ok(()),
    }
}

/// Every stack, referenced or not, may only name existing frames.
fn check_stacks(stacks: &[Vec<u32>], frames: usize) -> Result<(), Rejection> {
    for (i, stack) in stacks.iter().enumerate() {
        if let Some(&f) = stack.iter().find(|&&f| f as usize >= frames) {
            return Err(Rejection::new(
                Reason::MalformedStacks,
                format!("malformed stacks: stack {i} uses frame {f} but there are {frames} frames"),
            ));
        }
    }
    Ok(())
}

fn check_sorted<T: PartialOrd + std::fmt::Display>(
    keys: impl Iterator<Item = T>,
    what: &str,
) -> Result<(), Rejection> {
    let mut prev: Option<T> = None;
    for (i, k) in keys.enumerate() {
        if let Some(p) = &prev {
            if k < *p {
                return Err(Rejection::new(
                    Reason::NotSorted,
                    format!("samples are not sorted by {what}: sample {i} at {k} comes after {p}"),
                ));
            }
        }
        prev = Some(k);
    }
    Ok(())
}

/// v1: optional transaction window, idle edges trimmed per thread, single-sample
/// threads dropped; then sample and stack ranges, order, and the 30 s limit.
pub(crate) fn check_samples_v1(
    p: &SampleProfileV1,
    window: Option<(u64, u64)>,
) -> Result<Summary, Rejection> {
    let mut by_thread: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, s) in p.samples.iter().enumerate() {
        let t = s.elapsed_since_start_ns;
        let inside = match window {
            Some((lo, hi)) => lo <= t && t <= hi,
            None => true,
        };
        if inside {
            by_thread.entry(s.thread_id).or_default().push(i);
        }
    }
    let busy = |i: &usize| non_idle(&p.stacks, p.samples[*i].stack_id);
    let mut kept = Vec::new();
    let mut threads = 0;
    for idx in by_thread.values() {
        if let (Some(first), Some(last)) = (idx.iter().position(busy), idx.iter().rposition(busy)) {
            if last > first {
                kept.extend_from_slice(&idx[first..=last]);
                threads += 1;
            }
        }
    }
    if kept.is_empty() {
        return Err(not_enough_samples());
    }
    kept.sort_unstable();
    check_sample_ranges(&kept, |i| p.samples[i].stack_id, p.stacks.len())?;
    check_stacks(&p.stacks, p.frames.len())?;
    check_sorted(
        p.samples.iter().map(|s| s.elapsed_since_start_ns),
        "elapsed_since_start_ns",
    )?;
    let first = p.samples[kept[0]].elapsed_since_start_ns;
    let last = p.samples[kept[kept.len() - 1]].elapsed_since_start_ns;
    if last > MAX_PROFILE_DURATION_NS {
        return Err(Rejection::new(
            Reason::DurationTooLong,
            format!("duration is too long: last sample at {last} ns, more than 30 s"),
        ));
    }
    Ok(Summary {
        samples: kept.len(),
        threads,
        duration_ns: last.saturating_sub(first),
        frames: p.frames.len(),
        stacks: p.stacks.len(),
    })
}

/// v2: threads with fewer than two non-idle samples dropped (no edge trimming);
/// then sample and stack ranges, Unix seconds, order, and the 66 s limit.
pub(crate) fn check_samples_v2(p: &SampleProfileV2) -> Result<Summary, Rejection> {
    let mut by_thread: BTreeMap<&str, (Vec<usize>, usize)> = BTreeMap::new();
    for (i, s) in p.samples.iter().enumerate() {
        let entry = by_thread.entry(s.thread_id.as_str()).or_default();
        entry.0.push(i);
        entry.1 += usize::from(non_idle(&p.stacks, s.stack_id));
    }
    let mut kept = Vec::new();
    let mut threads = 0;
    for (idx, busy) in by_thread.values() {
        if *busy >= 2 {
            kept.extend_from_slice(idx);
            threads += 1;
        }
    }
    if kept.is_empty() {
        return Err(not_enough_samples());
    }
    kept.sort_unstable();
    check_sample_ranges(&kept, |i| p.samples[i].stack_id, p.stacks.len())?;
    check_stacks(&p.stacks, p.frames.len())?;
    if let Some((i, s)) = p
        .samples
        .iter()
        .enumerate()
        .find(|(_, s)| !UNIX_SECONDS.contains(&s.timestamp))
    {
        return Err(Rejection::new(
            Reason::NotUnixSeconds,
            format!(
                "sample {i} timestamp {} does not look like unix seconds (expected 1e9 <= t < 1e10)",
                s.timestamp
            ),
        ));
    }
    check_sorted(p.samples.iter().map(|s| s.timestamp), "timestamp")?;
    let (min, max) = kept
        .iter()
        .map(|&i| p.samples[i].timestamp)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| {
            (lo.min(t), hi.max(t))
        });
    if max - min > MAX_CHUNK_DURATION_SECS {
        return Err(Rejection::new(
            Reason::DurationTooLong,
            format!(
                "duration is too long: samples span {:.3} s, more than 66 s",
                max - min
            ),
        ));
    }
    Ok(Summary {
        samples: kept.len(),
        threads,
        duration_ns: ((max - min) * 1e9).round() as u64,
        frames: p.frames.len(),
        stacks: p.stacks.len(),
    })
}
