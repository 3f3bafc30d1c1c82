//! Sentry's profiling wire formats: sample format v1 (`profile` items of
//! transaction-bound profiles), v2 (`profile_chunk` items of continuous profiling),
//! envelopes, and (feature `validator`) validators that apply the rules of Sentry's
//! ingestion (Relay).
//!
//! Each format is a model (`model_v1`, `model_v2`: the payload's fields), checks
//! over the model (`normalize`, `check`: Relay's rules) and an encoder (`encode_v1`,
//! `encode_v2`: slice → model → checked bytes), each depending only on the ones
//! before it.
//!
//! Encoders run the same checks as the validators before returning bytes, so a
//! payload Relay would drop is refused here with a countable [`Reason`] instead of
//! being sent.

mod check;
mod decimal;
mod encode_v1;
mod encode_v2;
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
mod model_v1;
mod model_v2;
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
#[cfg(feature = "validator")]
mod validate;

pub use check::{check_v1, check_v2};
pub use encode_v1::{build_v1, encode_v1};
pub use encode_v2::{build_v2, encode_v2};
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
pub use model_v1::{
    MeasurementV1, MeasurementValueV1, ProfileV1, SampleProfileV1, SampleV1, TransactionMetadata,
};
pub use model_v2::{MeasurementV2, MeasurementValueV2, ProfileChunkV2, SampleProfileV2, SampleV2};
pub use normalize::{Summary, MAX_CHUNK_DURATION_SECS, MAX_PROFILE_DURATION_NS};
#[cfg(feature = "validator")]
pub use parse_v1::parse_v1;
#[cfg(feature = "validator")]
pub use parse_v2::parse_v2;
pub use rejection::{Reason, Rejection};
pub use stacks::{truncate_stacks, DEFAULT_MAX_STACK_DEPTH};
pub use time::{format_rfc3339, parse_rfc3339};
#[cfg(feature = "validator")]
pub use validate::{validate_v1, validate_v2};

#[cfg(test)]
mod tests;
