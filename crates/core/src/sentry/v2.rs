//! Sample format v2: the `profile_chunk` item of continuous profiling.

use std::collections::BTreeMap;

use serde::Serialize;

use super::check::check_v2;
use super::encoded::{EncodeStats, Encoded};
use super::metadata::{ChunkMeta, DebugMeta, Measurements, ProfileMeta, SdkInfo, ThreadMetadata};
use super::rejection::{Reason, Rejection};
use super::stacks::{label_idle, truncate_stacks};
use crate::clock::ClockAnchor;
use crate::frame::Frame;
use crate::slice::ProfileSlice;

/// The `profile_chunk` item payload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProfileChunkV2 {
    pub chunk_id: String,
    pub profiler_id: String,
    pub version: String,
    pub platform: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    pub client_sdk: SdkInfo,
    pub profile: SampleProfileV2,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug_meta: Option<DebugMeta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measurements: Option<BTreeMap<String, MeasurementV2>>,
}

/// `profile` object of a v2 payload.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SampleProfileV2 {
    pub frames: Vec<Frame>,
    /// Leaf first; an empty stack is an idle sample.
    pub stacks: Vec<Vec<u32>>,
    pub samples: Vec<SampleV2>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_metadata: Option<BTreeMap<String, ThreadMetadata>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SampleV2 {
    pub stack_id: u32,
    /// A string on the wire: a JSON number here fails the whole item.
    pub thread_id: String,
    /// Unix seconds.
    pub timestamp: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeasurementV2 {
    pub unit: String,
    pub values: Vec<MeasurementValueV2>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MeasurementValueV2 {
    /// Unix seconds.
    pub timestamp: f64,
    pub value: f64,
}

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
            thread_metadata: Some(super::thread_metadata(slice)),
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
    let hint = super::json_size_hint(
        p.frames.len(),
        p.stacks.iter().map(Vec::len).sum(),
        p.samples.len(),
    );
    Ok(Encoded {
        bytes: super::to_json(&payload, hint)?,
        summary,
        stats,
    })
}
