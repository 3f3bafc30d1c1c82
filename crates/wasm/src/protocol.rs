//! The commands the TypeScript adapter sends across the WebAssembly boundary, as JSON
//! (camelCase, times in monotonic nanoseconds or V8's microseconds), and the replies'
//! shapes. Binding, not engine: each command becomes one of the engine's messages.

use serde::{Deserialize, Serialize};

/// One command; `op` names it.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Command {
    /// Starts a fresh engine (any previous one is dropped).
    Init {
        /// Monotonic and Unix readings of one instant, decimal nanoseconds (Unix
        /// nanoseconds exceed a JavaScript number's exact integers).
        anchor: AnchorIn,
        app_root: Option<String>,
    },
    Configure(ConfigIn),
    /// Process-wide profile metadata, the JSON `setProfileMeta` takes.
    ProfileMeta {
        json: String,
    },
    ThreadStarted {
        thread_id: u64,
        name: String,
    },
    ThreadEnded {
        thread_id: u64,
    },
    /// One rotated profile of a thread: its nodes and samples as V8 took them.
    Batch(BatchIn),
    Open {
        id: u32,
        start_ns: u64,
        chunk: Option<ChunkIn>,
        limit: Option<LimitIn>,
    },
    Close(CloseIn),
    /// CPU usage (percent of the machine) and resident bytes at `mono_ns`.
    Reading {
        mono_ns: u64,
        cpu: Option<f64>,
        rss: Option<f64>,
    },
    /// Every delivery due at `now_ns`.
    Poll {
        now_ns: u64,
    },
    Stats,
    /// The pending windows' earliest deadline, or a due chunk's.
    NextDeadline,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnchorIn {
    pub mono_ns: String,
    pub unix_ns: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigIn {
    pub max_stack_depth: Option<usize>,
    pub max_samples: Option<usize>,
    pub max_bytes: Option<usize>,
    pub prune_margin_ns: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchIn {
    pub thread_id: u64,
    /// The profile's sampling interval: samples closer than a quarter of it to the
    /// last one kept are V8's start-of-profile extras.
    pub interval_us: i32,
    /// Every sample of the thread up to here (V8 µs) is in this batch or an earlier
    /// one; the adapter says how far (a finished inspector profile: up to its end).
    pub covered_us: i64,
    /// In the engine's caller-line mode: each node's `line` is the line its parent's
    /// frame carries (see `src/backend/profile.ts`).
    pub nodes: Vec<NodeIn>,
    /// `[timestamp (V8 µs), node id, VM state (v8::StateTag)]`, in time order.
    pub samples: Vec<(i64, usize, i32)>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeIn {
    pub id: usize,
    pub parent: Option<usize>,
    pub function_name: String,
    /// The script's name or URL (`file://` URLs are decoded by the engine).
    pub url: String,
    /// 1-based; 0 when unknown.
    pub line: u32,
    /// 1-based; 0 when unknown.
    pub column: u32,
    /// `(line, samples)` of the node's own samples.
    #[serde(default)]
    pub ticks: Vec<(u32, u32)>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChunkIn {
    pub period_ns: u64,
    pub profiler_id: String,
    pub wait_ns: u64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitIn {
    pub max_ns: u64,
    pub wait_ns: u64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloseIn {
    pub id: u32,
    pub end_ns: u64,
    pub now_ns: u64,
    pub active_thread_id: u64,
    /// Which `closeWindow` call this answers.
    pub ticket: u32,
    /// `raw`, `v1` or `v2` (default `raw`).
    pub encoding: Option<String>,
    /// The metadata JSON of `v1` or `v2`.
    pub meta: Option<String>,
    #[serde(default)]
    pub reopen: bool,
    pub wait_ns: u64,
}

/// What became of one batch's samples.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchOut {
    pub copied: u64,
    pub duplicate: u64,
    pub near_duplicate: u64,
    pub kept: u64,
}

/// A delivery's header; its `data` follows the reply's JSON as `data_len` bytes.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultOut {
    pub id: u32,
    pub ticket: u32,
    pub kind: ferroprof_core::engine::ResultKind,
    pub chunk_id: Option<String>,
    pub complete: bool,
    pub samples: u32,
    pub start_ns: u64,
    pub end_ns: u64,
    pub truncated: bool,
    pub data_len: usize,
}

/// What `validate` says of an envelope.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidatedOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    pub items: Vec<ValidatedItemOut>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidatedItemOut {
    pub item_type: String,
    pub length: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
}
