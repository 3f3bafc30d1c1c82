//! Sample format v2, the model: the `profile_chunk` item of continuous profiling,
//! field for field as Relay reads it. Checked by `check`, built by `encode_v2`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::metadata::{DebugMeta, SdkInfo, ThreadMetadata};
use crate::frame::Frame;

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
