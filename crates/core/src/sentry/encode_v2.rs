//! Sample format v2, the encoder: a chunk's slice into a checked `profile_chunk`
//! item payload.

use std::collections::BTreeMap;

use super::check::check_v2;
use super::encoded::{json_size_hint, thread_metadata, to_json, EncodeStats, Encoded};
use super::metadata::{ChunkMeta, DebugMeta, Measurements, ProfileMeta};
use super::model_v2::{
    MeasurementV2, MeasurementValueV2, ProfileChunkV2, SampleProfileV2, SampleV2,
};
use super::rejection::{Reason, Rejection};
use super::stacks::{label_idle, truncate_stacks};
use crate::clock::ClockAnchor;
use crate::slice::ProfileSlice;

/// Unix seconds of a monotonic instant, to the microsecond: enough to place a
/// sample, and the shortest decimal form keeps the payload small.
fn unix_secs(anchor: &ClockAnchor, mono_ns: u64) -> f64 {
    (anchor.to_unix_ns(mono_ns) / 1_000) as f64 / 1e6
}

/// Builds the v2 model of a chunk's slice without validating it.
pub fn build_v2(
    slice: &ProfileSlice,
    meta: &ProfileMeta,
    chunk: &ChunkMeta,
    measurements: &Measurements,
) -> Result<(ProfileChunkV2, EncodeStats), Rejection> {
    let anchor = slice
        .anchor
        .ok_or_else(|| Rejection::new(Reason::NoClockAnchor, "the slice has no clock anchor"))?;
    let mut stats = EncodeStats::default();
    let mut frames = slice.frames.clone();
    let mut stacks = slice.stacks.clone();
    let stack_ids = label_idle(&mut frames, &mut stacks, &slice.samples);
    stats.truncated_stacks = truncate_stacks(&mut stacks, meta.max_stack_depth);

    let mut order: Vec<usize> = (0..slice.samples.len()).collect();
    order.sort_by_key(|&i| slice.samples[i].ts_ns);
    // Thread ids are few; format each once.
    let names: BTreeMap<u64, String> = slice
        .samples
        .iter()
        .map(|s| (s.thread_id, s.thread_id.to_string()))
        .collect();
    let samples = order
        .into_iter()
        .map(|i| {
            let s = &slice.samples[i];
            SampleV2 {
                stack_id: stack_ids[i],
                thread_id: names[&s.thread_id].clone(),
                timestamp: unix_secs(&anchor, s.ts_ns),
            }
        })
        .collect();

    let measurements = (!measurements.is_empty()).then(|| {
        measurements
            .iter()
            .filter_map(|(name, series)| {
                let values: Vec<MeasurementValueV2> = series
                    .values
                    .iter()
                    .filter(|p| p.value.is_finite())
                    .map(|p| MeasurementValueV2 {
                        timestamp: unix_secs(&anchor, p.mono_ns),
                        value: p.value,
                    })
                    .collect();
                stats.dropped_non_finite += series.values.len() - values.len();
                (!values.is_empty()).then(|| {
                    let unit = series.unit.as_str().to_string();
                    (name.clone(), MeasurementV2 { unit, values })
                })
            })
            .collect()
    });

    let debug_meta = DebugMeta::for_frames(meta, &frames);
    let chunk = ProfileChunkV2 {
        chunk_id: chunk.chunk_id.clone(),
        profiler_id: chunk.profiler_id.clone(),
        version: "2".into(),
        platform: "node".into(),
        // Older Relays required `release`; the Node SDK sends "" when unset.
        release: Some(meta.release.clone().unwrap_or_default()),
        environment: meta.environment.clone(),
        client_sdk: meta.sdk.clone(),
        profile: SampleProfileV2 {
            frames,
            stacks,
            samples,
            thread_metadata: Some(thread_metadata(slice)),
        },
        debug_meta,
        measurements,
    };
    Ok((chunk, stats))
}

/// Encodes a chunk's slice as a `profile_chunk` item payload, or refuses with the
/// reason Relay would drop it for.
pub fn encode_v2(
    slice: &ProfileSlice,
    meta: &ProfileMeta,
    chunk: &ChunkMeta,
    measurements: &Measurements,
) -> Result<Encoded, Rejection> {
    let (payload, stats) = build_v2(slice, meta, chunk, measurements)?;
    let summary = check_v2(&payload)?;
    let p = &payload.profile;
    let hint = json_size_hint(
        p.frames.len(),
        p.stacks.iter().map(Vec::len).sum(),
        p.samples.len(),
    );
    Ok(Encoded {
        bytes: to_json(&payload, hint)?,
        summary,
        stats,
    })
}
