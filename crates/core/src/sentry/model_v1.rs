//! Sample format v1, the model: the `profile` item of a transaction-bound profile,
//! field for field as Relay reads it. Checked by `check`, built by `encode_v1`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::metadata::{DebugMeta, DeviceInfo, OsInfo, RuntimeInfo, ThreadMetadata};
use crate::frame::Frame;

/// The `profile` item payload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProfileV1 {
    pub event_id: String,
    pub version: String,
    pub platform: String,
    /// RFC 3339; the instant `elapsed_since_start_ns` counts from.
    pub timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dist: Option<String>,
    pub device: DeviceInfo,
    pub os: OsInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<RuntimeInfo>,
    pub transaction: TransactionMetadata,
    pub profile: SampleProfileV1,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug_meta: Option<DebugMeta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measurements: Option<BTreeMap<String, MeasurementV1>>,
}

/// `transaction` of a v1 profile. Numbers go out as decimal strings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TransactionMetadata {
    pub id: String,
    pub name: String,
    pub trace_id: String,
    #[serde(
        with = "super::decimal::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub active_thread_id: Option<u64>,
    #[serde(
        with = "super::decimal::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub relative_start_ns: Option<u64>,
    #[serde(
        with = "super::decimal::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub relative_end_ns: Option<u64>,
    #[serde(
        with = "super::decimal::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub relative_cpu_start_ms: Option<u64>,
    #[serde(
        with = "super::decimal::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub relative_cpu_end_ms: Option<u64>,
}

/// `profile` object of a v1 payload.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SampleProfileV1 {
    pub frames: Vec<Frame>,
    /// Leaf first; an empty stack is an idle sample.
    pub stacks: Vec<Vec<u32>>,
    pub samples: Vec<SampleV1>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_metadata: Option<BTreeMap<String, ThreadMetadata>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SampleV1 {
    pub stack_id: u32,
    #[serde(with = "super::decimal")]
    pub thread_id: u64,
    #[serde(with = "super::decimal")]
    pub elapsed_since_start_ns: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeasurementV1 {
    pub unit: String,
    pub values: Vec<MeasurementValueV1>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MeasurementValueV1 {
    pub elapsed_since_start_ns: u64,
    pub value: f64,
}
