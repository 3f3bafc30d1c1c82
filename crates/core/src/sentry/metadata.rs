//! What the encoders need besides samples: who sends, what runs where, which
//! transaction or session a profile belongs to. The small structs here are also the
//! wire shapes of the matching JSON objects.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::stacks::DEFAULT_MAX_STACK_DEPTH;

/// `{name, version}` of the SDK (`client_sdk` in chunks, `sdk` in envelope headers).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdkInfo {
    pub name: String,
    pub version: String,
}

/// `runtime`: for us always `node` and `process.version`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeInfo {
    pub name: String,
    pub version: String,
}

/// `os` of a v1 profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsInfo {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_number: Option<String>,
}

/// `device` of a v1 profile; only `architecture` is required.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_emulator: Option<bool>,
}

/// One entry of `thread_metadata`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
}

/// `debug_meta`: opaque image objects, plus a `sourcemap` image for each file of the
/// payload's frames that has a debug ID (see [`ProfileMeta::debug_ids`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DebugMeta {
    pub images: Vec<serde_json::Value>,
}

impl DebugMeta {
    /// `meta.debug_meta`'s images and a `sourcemap` image per distinct `abs_path` of
    /// `frames` found in `meta.debug_ids`, in frame order; `None` when there are none.
    pub fn for_frames(meta: &ProfileMeta, frames: &[crate::frame::Frame]) -> Option<Self> {
        let mut images = meta
            .debug_meta
            .as_ref()
            .map(|d| d.images.clone())
            .unwrap_or_default();
        if !meta.debug_ids.is_empty() {
            let mut seen = std::collections::BTreeSet::new();
            for path in frames.iter().filter_map(|f| f.abs_path.as_deref()) {
                if let Some(id) = meta.debug_ids.get(path).filter(|_| seen.insert(path)) {
                    images.push(serde_json::json!({
                        "type": "sourcemap",
                        "code_file": path,
                        "debug_id": id,
                    }));
                }
            }
        }
        (!images.is_empty()).then_some(Self { images })
    }
}

/// Process-wide facts shared by every profile and chunk of a client.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileMeta {
    pub sdk: SdkInfo,
    pub runtime: RuntimeInfo,
    pub os: OsInfo,
    pub device: DeviceInfo,
    /// Omitted when `None` in v1; sent as `""` in v2, as the Node SDK does.
    pub release: Option<String>,
    /// Omitted when `None`: `null` is a type error for Relay.
    pub environment: Option<String>,
    pub debug_meta: Option<DebugMeta>,
    /// Debug IDs of bundled or transpiled files by path (the frames' `abs_path`), from
    /// `globalThis._sentryDebugIds`: each file a payload's frames name gets a
    /// `sourcemap` image in its `debug_meta`, so Sentry can resolve its frames.
    pub debug_ids: std::collections::BTreeMap<String, String>,
    /// Deeper stacks keep their `max_stack_depth` innermost (leaf-side) frames.
    pub max_stack_depth: usize,
}

impl ProfileMeta {
    /// Metadata of a Node.js process: SDK `name@version`, `runtime` node with its
    /// version, the OS and the CPU architecture.
    pub fn node(
        sdk: (&str, &str),
        node_version: &str,
        os: (&str, &str),
        architecture: &str,
    ) -> Self {
        Self::new(
            SdkInfo {
                name: sdk.0.into(),
                version: sdk.1.into(),
            },
            RuntimeInfo {
                name: "node".into(),
                version: node_version.into(),
            },
            OsInfo {
                name: os.0.into(),
                version: os.1.into(),
                build_number: None,
            },
            DeviceInfo {
                architecture: architecture.into(),
                ..DeviceInfo::default()
            },
        )
    }

    pub fn new(sdk: SdkInfo, runtime: RuntimeInfo, os: OsInfo, device: DeviceInfo) -> Self {
        Self {
            sdk,
            runtime,
            os,
            device,
            release: None,
            environment: None,
            debug_meta: None,
            debug_ids: std::collections::BTreeMap::new(),
            max_stack_depth: DEFAULT_MAX_STACK_DEPTH,
        }
    }
}

/// The transaction a v1 profile is bound to. The profile covers the slice's window,
/// which is the transaction's own window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransactionMeta {
    /// The profile's own `event_id` (goes into `contexts.profile.profile_id`).
    pub profile_id: String,
    /// The transaction event's `event_id`.
    pub id: String,
    pub name: String,
    /// `contexts.trace.trace_id` of the transaction.
    pub trace_id: String,
    /// The thread the transaction ran on (`0` for the main thread).
    pub active_thread_id: u64,
}

/// The continuous-profiling session and chunk a v2 payload belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkMeta {
    /// One per session (start → stop), shared by all its chunks.
    pub profiler_id: String,
    /// New for every chunk.
    pub chunk_id: String,
}

/// Units Relay accepts for profile measurements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MeasurementUnit {
    Nanosecond,
    Hertz,
    Byte,
    Percent,
    Nanojoule,
}

impl MeasurementUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nanosecond => "nanosecond",
            Self::Hertz => "hertz",
            Self::Byte => "byte",
            Self::Percent => "percent",
            Self::Nanojoule => "nanojoule",
        }
    }

    /// Reads a unit name, including Relay's short aliases.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "nanosecond" | "ns" => Self::Nanosecond,
            "hertz" | "hz" => Self::Hertz,
            "byte" => Self::Byte,
            "percent" => Self::Percent,
            "nanojoule" | "nj" => Self::Nanojoule,
            _ => return None,
        })
    }
}

/// One measured value at a monotonic instant (same clock as the samples).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeasurementPoint {
    pub mono_ns: u64,
    pub value: f64,
}

/// A named series such as `cpu_usage` or `memory_footprint`.
#[derive(Clone, Debug, PartialEq)]
pub struct MeasurementSeries {
    pub unit: MeasurementUnit,
    pub values: Vec<MeasurementPoint>,
}

/// Measurement series by name.
pub type Measurements = BTreeMap<String, MeasurementSeries>;
