//! Property: whatever a `SampleStore` holds, a slice of it encodes (v1 and v2) into
//! a payload with in-range indices and sorted samples, and the encoder accepts it
//! exactly when Relay would: at least two samples on some thread (idle samples
//! count: they carry an `(idle)` frame) and a duration within the format's limit.
//! Accepted payloads pass the validators.

use std::collections::BTreeMap;

use ferroprof_core::sentry::{
    build_v1, build_v2, encode_v1, encode_v2, validate_v1, validate_v2, ChunkMeta, Measurements,
    ProfileMeta, Reason, TransactionMeta, DEFAULT_MAX_STACK_DEPTH,
};
use ferroprof_core::{
    ClockAnchor, Frame, ProfileSlice, Sample, SampleStore, StackId, StoreLimits, ThreadId, VmState,
};
use proptest::prelude::*;

const SEC: u64 = 1_000_000_000;
/// Monotonic 0 is 2026-11-26T12:00:00.000000250Z (not on a microsecond, on purpose).
const ANCHOR: ClockAnchor = ClockAnchor {
    mono_ns: 0,
    unix_ns: 1_795_694_400 * SEC + 250,
};

/// `shape` 0 is idle; otherwise a stack `shape * 45` frames deep (some deeper than
/// the default bound of 128), whose leaf depends on the shape.
fn store_with(points: &[(ThreadId, u64, u8)]) -> SampleStore {
    let limits = StoreLimits {
        max_samples: usize::MAX,
        max_bytes: usize::MAX,
    };
    let mut store = SampleStore::new(limits, ANCHOR);
    let mut points = points.to_vec();
    points.sort_by_key(|p| p.1);
    for (tid, ts, shape) in points {
        let stack = if shape == 0 {
            StackId::EMPTY
        } else {
            let frames: Vec<_> = (0..u32::from(shape) * 45)
                .map(|k| {
                    store.table_mut().intern_frame(Frame {
                        function: Some(format!(
                            "f{}",
                            k + u32::from(shape) * 1000 * u32::from(k == 0)
                        )),
                        ..Frame::default()
                    })
                })
                .collect();
            store.table_mut().intern_stack(&frames)
        };
        store.push(
            tid,
            Sample {
                ts_ns: ts,
                stack,
                state: if shape == 0 {
                    VmState::Idle
                } else {
                    VmState::Js
                },
            },
        );
    }
    store
}

fn meta() -> ProfileMeta {
    ProfileMeta::node(
        ("ferroprof", "0.1.0"),
        "v22.12.0",
        ("linux", "6.8.0"),
        "x64",
    )
}

fn txn() -> TransactionMeta {
    TransactionMeta {
        profile_id: "a1b2c3d4e5f64a7b8c9d0e1f2a3b4c5d".into(),
        id: "9b73438f70e044ecbd006b7fd15b7373".into(),
        name: "GET /users".into(),
        trace_id: "4c79f60c11214eb38604f4ae0781bfb2".into(),
        active_thread_id: 0,
    }
}

fn chunk() -> ChunkMeta {
    ChunkMeta {
        profiler_id: "4d229f1d3807421ba62a5f8bc295d836".into(),
        chunk_id: "0432a0a4c25f4697bf9f0a2fcbe6a814".into(),
    }
}

/// Per thread with ≥ 2 samples (idle ones have an `(idle)` frame, so Relay keeps
/// them): (first ts, last ts, first ts, last ts, samples).
fn busy_threads(slice: &ProfileSlice) -> BTreeMap<ThreadId, (u64, u64, u64, u64, usize)> {
    let mut per: BTreeMap<ThreadId, Vec<(u64, bool)>> = BTreeMap::new();
    for s in &slice.samples {
        let busy = true;
        per.entry(s.thread_id).or_default().push((s.ts_ns, busy));
    }
    per.into_iter()
        .filter_map(|(tid, v)| {
            let busy: Vec<usize> = (0..v.len()).filter(|&i| v[i].1).collect();
            let (&a, &b) = (busy.first()?, busy.last()?);
            (busy.len() >= 2).then(|| (tid, (v[a].0, v[b].0, v[0].0, v[v.len() - 1].0, b - a + 1)))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn encoded_slices_are_well_formed_and_accepted_when_relay_would(
        points in proptest::collection::vec((0u64..3, 0u64..120 * SEC, 0u8..5), 0..120),
        a in 0u64..120 * SEC,
        b in 0u64..120 * SEC,
    ) {
        let store = store_with(&points);
        let slice = store.slice(a.min(b), a.max(b));
        let busy = busy_threads(&slice);
        let none = Measurements::new();

        // v1: indices in range, samples sorted, stacks bounded.
        let (p1, stats1) = build_v1(&slice, &meta(), &txn(), &none).unwrap();
        let prof = &p1.profile;
        prop_assert!(prof.samples.iter().all(|s| (s.stack_id as usize) < prof.stacks.len()));
        prop_assert!(prof.stacks.iter().flatten().all(|&f| (f as usize) < prof.frames.len()));
        prop_assert!(prof.stacks.iter().all(|s| s.len() <= DEFAULT_MAX_STACK_DEPTH));
        prop_assert!(prof.samples.windows(2).all(|w| w[0].elapsed_since_start_ns <= w[1].elapsed_since_start_ns));
        prop_assert_eq!(stats1.truncated_stacks, slice.stacks.iter().filter(|s| s.len() > DEFAULT_MAX_STACK_DEPTH).count());

        // v1 is accepted iff some thread is busy and the last kept sample is within 30 s
        // of the profile's origin (the window start moved back to a whole microsecond).
        let origin = slice.start_ns - ANCHOR.to_unix_ns(slice.start_ns) % 1_000;
        let last_kept = busy.values().map(|t| t.1).max();
        let v1 = encode_v1(&slice, &meta(), &txn(), &none);
        match last_kept {
            None => prop_assert_eq!(v1.unwrap_err().reason(), Reason::NotEnoughSamples),
            Some(last) if last - origin > 30 * SEC => {
                prop_assert_eq!(v1.unwrap_err().reason(), Reason::DurationTooLong)
            }
            Some(_) => {
                let out = v1.unwrap();
                let summary = validate_v1(&out.bytes).unwrap();
                prop_assert_eq!(summary, out.summary);
                prop_assert_eq!(summary.samples, busy.values().map(|t| t.4).sum::<usize>());
            }
        }

        // v2: same shape checks, Unix-second timestamps.
        let (p2, _) = build_v2(&slice, &meta(), &chunk(), &none).unwrap();
        let prof = &p2.profile;
        prop_assert!(prof.samples.iter().all(|s| (s.stack_id as usize) < prof.stacks.len()));
        prop_assert!(prof.stacks.iter().flatten().all(|&f| (f as usize) < prof.frames.len()));
        prop_assert!(prof.samples.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
        prop_assert!(prof.samples.iter().all(|s| s.timestamp.is_finite() && s.timestamp > 1e9));

        // v2 is accepted iff some thread is busy and the busy threads' samples span
        // at most 66 s. Spans within a millisecond of the limit are left out: the
        // wire rounds timestamps to the microsecond.
        let span = busy.values().map(|t| t.3).max().zip(busy.values().map(|t| t.2).min())
            .map(|(hi, lo)| hi - lo);
        let v2 = encode_v2(&slice, &meta(), &chunk(), &none);
        match span {
            None => prop_assert_eq!(v2.unwrap_err().reason(), Reason::NotEnoughSamples),
            Some(span) if span.abs_diff(66 * SEC) < 1_000_000 => {}
            Some(span) if span > 66 * SEC => {
                prop_assert_eq!(v2.unwrap_err().reason(), Reason::DurationTooLong)
            }
            Some(_) => {
                let out = v2.unwrap();
                prop_assert_eq!(validate_v2(&out.bytes).unwrap(), out.summary);
            }
        }
    }
}
