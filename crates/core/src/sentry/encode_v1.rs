//! Sample format v1, the encoder: a transaction's slice into a checked `profile`
//! item payload.

use super::check::check_v1;
use super::encoded::{json_size_hint, thread_metadata, to_json, EncodeStats, Encoded};
use super::metadata::{DebugMeta, Measurements, ProfileMeta, TransactionMeta};
use super::model_v1::{
    MeasurementV1, MeasurementValueV1, ProfileV1, SampleProfileV1, SampleV1, TransactionMetadata,
};
use super::rejection::{Reason, Rejection};
use super::stacks::{label_idle, truncate_stacks};
use super::time::format_rfc3339;
use crate::slice::ProfileSlice;

/// Builds the v1 model of a transaction's slice without validating it.
///
/// The profile starts at the slice's `start_ns` moved back to a whole microsecond,
/// so that `timestamp` (written to the microsecond, as the Python SDK does) plus
/// `elapsed_since_start_ns` lands exactly on each sample.
pub fn build_v1(
    slice: &ProfileSlice,
    meta: &ProfileMeta,
    txn: &TransactionMeta,
    measurements: &Measurements,
) -> Result<(ProfileV1, EncodeStats), Rejection> {
    let anchor = slice
        .anchor
        .ok_or_else(|| Rejection::new(Reason::NoClockAnchor, "the slice has no clock anchor"))?;
    let origin_mono = slice
        .start_ns
        .saturating_sub(anchor.to_unix_ns(slice.start_ns) % 1_000);
    let since_origin = |mono_ns: u64| mono_ns.saturating_sub(origin_mono);

    let mut stats = EncodeStats::default();
    let mut frames = slice.frames.clone();
    let mut stacks = slice.stacks.clone();
    let stack_ids = label_idle(&mut frames, &mut stacks, &slice.samples);
    stats.truncated_stacks = truncate_stacks(&mut stacks, meta.max_stack_depth);

    let mut samples: Vec<SampleV1> = slice
        .samples
        .iter()
        .zip(&stack_ids)
        .map(|(s, &stack_id)| SampleV1 {
            stack_id,
            thread_id: s.thread_id,
            elapsed_since_start_ns: since_origin(s.ts_ns),
        })
        .collect();
    samples.sort_by_key(|s| s.elapsed_since_start_ns);

    let measurements = (!measurements.is_empty()).then(|| {
        measurements
            .iter()
            .filter_map(|(name, series)| {
                let values: Vec<MeasurementValueV1> = series
                    .values
                    .iter()
                    .filter(|p| p.value.is_finite())
                    .map(|p| MeasurementValueV1 {
                        elapsed_since_start_ns: since_origin(p.mono_ns),
                        value: p.value,
                    })
                    .collect();
                stats.dropped_non_finite += series.values.len() - values.len();
                (!values.is_empty()).then(|| {
                    let unit = series.unit.as_str().to_string();
                    (name.clone(), MeasurementV1 { unit, values })
                })
            })
            .collect()
    });

    let debug_meta = DebugMeta::for_frames(meta, &frames);
    let profile = ProfileV1 {
        event_id: txn.profile_id.clone(),
        version: "1".into(),
        platform: "node".into(),
        timestamp: format_rfc3339(anchor.to_unix_ns(origin_mono), 6),
        release: meta.release.clone(),
        environment: meta.environment.clone(),
        dist: None,
        device: meta.device.clone(),
        os: meta.os.clone(),
        runtime: Some(meta.runtime.clone()),
        transaction: TransactionMetadata {
            id: txn.id.clone(),
            name: txn.name.clone(),
            trace_id: txn.trace_id.clone(),
            active_thread_id: Some(txn.active_thread_id),
            relative_start_ns: Some(since_origin(slice.start_ns)),
            relative_end_ns: Some(since_origin(slice.end_ns.max(slice.start_ns))),
            relative_cpu_start_ms: None,
            relative_cpu_end_ms: None,
        },
        profile: SampleProfileV1 {
            frames,
            stacks,
            thread_metadata: Some(thread_metadata(slice)),
            samples,
        },
        debug_meta,
        measurements,
    };
    Ok((profile, stats))
}

/// Encodes a transaction's slice as a `profile` item payload, or refuses with the
/// reason Relay would drop it for (fewer than two samples, too long, ...).
pub fn encode_v1(
    slice: &ProfileSlice,
    meta: &ProfileMeta,
    txn: &TransactionMeta,
    measurements: &Measurements,
) -> Result<Encoded, Rejection> {
    let (profile, stats) = build_v1(slice, meta, txn, measurements)?;
    let summary = check_v1(&profile)?;
    let p = &profile.profile;
    let hint = json_size_hint(
        p.frames.len(),
        p.stacks.iter().map(Vec::len).sum(),
        p.samples.len(),
    );
    Ok(Encoded {
        bytes: to_json(&profile, hint)?,
        summary,
        stats,
    })
}
