//! Sentry's profiling wire formats: sample format v1 (`profile` items of
//! transaction-bound profiles), v2 (`profile_chunk` items of continuous profiling),
//! envelopes, and (feature `validator`) validators that apply the rules of Sentry's
//! ingestion (Relay).
//!
//! Encoders run the same checks as the validators before returning bytes, so a
//! payload Relay would drop is refused here with a countable [`Reason`] instead of
//! being sent.

mod check;
mod decimal;
mod encoded;
#[cfg(feature = "validator")]
mod envelope_check;
#[cfg(feature = "validator")]
mod envelope_parse;
mod gzip;
mod ids;
#[cfg(feature = "validator")]
mod json;
mod metadata;
mod normalize;
#[cfg(feature = "validator")]
mod parse;
#[cfg(feature = "validator")]
mod parse_v1;
#[cfg(feature = "validator")]
mod parse_v2;
mod rejection;
mod stacks;
mod time;
mod v1;
mod v2;
#[cfg(feature = "validator")]
mod validate;

use std::collections::BTreeMap;

pub use check::{check_v1, check_v2};
pub use encoded::{EncodeStats, Encoded};
#[cfg(feature = "validator")]
pub use envelope_check::{validate_envelope, EnvelopeSummary, ItemSummary};
#[cfg(feature = "validator")]
pub use envelope_parse::{parse_envelope, RawEnvelope, RawItem};
pub use gzip::{gunzip, gzip, gzip_level, is_gzip, GZIP_LEVEL, MAX_INFLATED_BYTES};
#[cfg(feature = "random-ids")]
pub use ids::new_event_id;
pub use ids::{parse_uuid, same_uuid};
pub use metadata::{
    ChunkMeta, DebugMeta, DeviceInfo, MeasurementPoint, MeasurementSeries, MeasurementUnit,
    Measurements, OsInfo, ProfileMeta, RuntimeInfo, SdkInfo, ThreadMetadata, TransactionMeta,
};
pub use normalize::{Summary, MAX_CHUNK_DURATION_SECS, MAX_PROFILE_DURATION_NS};
#[cfg(feature = "validator")]
pub use parse_v1::parse_v1;
#[cfg(feature = "validator")]
pub use parse_v2::parse_v2;
pub use rejection::{Reason, Rejection};
pub use stacks::{truncate_stacks, DEFAULT_MAX_STACK_DEPTH};
pub use time::{format_rfc3339, parse_rfc3339};
pub use v1::{
    build_v1, encode_v1, MeasurementV1, MeasurementValueV1, ProfileV1, SampleProfileV1, SampleV1,
    TransactionMetadata,
};
pub use v2::{
    build_v2, encode_v2, MeasurementV2, MeasurementValueV2, ProfileChunkV2, SampleProfileV2,
    SampleV2,
};
#[cfg(feature = "validator")]
pub use validate::{validate_v1, validate_v2};

use crate::slice::ProfileSlice;

/// `thread_metadata` for the threads that have samples in the slice.
fn thread_metadata(slice: &ProfileSlice) -> BTreeMap<String, ThreadMetadata> {
    let mut out = BTreeMap::new();
    for s in &slice.samples {
        out.entry(s.thread_id.to_string())
            .or_insert_with(|| ThreadMetadata {
                name: slice.thread_names.get(&s.thread_id).cloned(),
                priority: None,
            });
    }
    out
}

/// Single-line JSON of a payload model. `size_hint` pre-sizes the buffer: growing
/// it from empty costs about a third of the serialisation time of a 60 s chunk.
fn to_json<T: serde::Serialize>(value: &T, size_hint: usize) -> Result<Vec<u8>, Rejection> {
    let mut out = Vec::with_capacity(size_hint);
    serde_json::to_writer(&mut out, value)
        .map_err(|e| Rejection::field(format!("cannot serialise payload: {e}")))?;
    Ok(out)
}

/// A generous guess of a payload's JSON size, for [`to_json`].
fn json_size_hint(frames: usize, stack_entries: usize, samples: usize) -> usize {
    1024 + frames * 256 + stack_entries * 6 + samples * 80
}

#[cfg(test)]
mod tests;
