//! The typed shapes that cross the boundary with JavaScript, and their conversions
//! from and to the engine's types. napi-rs generates their TypeScript declarations
//! (`src/native-binding.d.ts`) from these items; only an encoded Sentry payload
//! crosses as text.

use std::collections::HashMap;

use napi_derive::napi;

use ferroprof_core::engine::{Payload, WindowPayload};
use ferroprof_core::sentry::{
    ChunkMeta, DeviceInfo, OsInfo, ProfileMeta, Reason, RuntimeInfo, SdkInfo, TransactionMeta,
};
use ferroprof_core::{Frame, ThreadId, VmState as CoreVmState};

use crate::mailbox::Posted;

/// The transaction a `v1` profile belongs to.
#[napi(object)]
pub struct TransactionMetadata {
    /// The profile's own event id (32 hex digits).
    pub profile_id: String,
    /// The transaction event's `event_id`.
    pub id: String,
    /// The transaction's name.
    pub name: String,
    /// `contexts.trace.trace_id` of the transaction.
    pub trace_id: String,
    /// The thread the transaction ran on (default: the closing isolate's).
    pub active_thread_id: Option<f64>,
}

impl TransactionMetadata {
    pub fn into_core(self, closing_thread: ThreadId) -> TransactionMeta {
        TransactionMeta {
            profile_id: self.profile_id,
            id: self.id,
            name: self.name,
            trace_id: self.trace_id,
            active_thread_id: self
                .active_thread_id
                .filter(|t| t.is_finite() && *t >= 0.0)
                .map_or(closing_thread, |t| t as ThreadId),
        }
    }
}

/// The continuous-profiling session and chunk a `v2` payload belongs to.
#[napi(object)]
pub struct ChunkMetadata {
    /// One per session, shared by all its chunks (32 hex digits).
    pub profiler_id: String,
    /// New for every chunk (32 hex digits).
    pub chunk_id: String,
}

impl From<ChunkMetadata> for ChunkMeta {
    fn from(c: ChunkMetadata) -> Self {
        Self {
            profiler_id: c.profiler_id,
            chunk_id: c.chunk_id,
        }
    }
}

/// `{name, version}` of the SDK or of the runtime.
#[napi(object)]
pub struct NameVersion {
    pub name: String,
    pub version: String,
}

/// The operating system (`os` of a v1 profile).
#[napi(object)]
pub struct OsMetadata {
    pub name: String,
    pub version: String,
    pub build_number: Option<String>,
}

/// The machine (`device` of a v1 profile); only `architecture` is required.
#[napi(object)]
pub struct DeviceMetadata {
    pub architecture: String,
    pub model: Option<String>,
    pub manufacturer: Option<String>,
    pub locale: Option<String>,
    pub is_emulator: Option<bool>,
}

/// Process-wide facts every encoded profile and chunk carries.
#[napi(object)]
pub struct ProfileMetadata {
    pub sdk: NameVersion,
    /// For Node always `{name: 'node', version: process.version}`.
    pub runtime: NameVersion,
    pub os: OsMetadata,
    pub device: DeviceMetadata,
    pub release: Option<String>,
    pub environment: Option<String>,
    /// Most frames kept per stack, leaf side (1–4096, default `DEFAULT_MAX_STACK_DEPTH`).
    pub max_stack_depth: Option<f64>,
    /// Debug IDs of bundled or transpiled files by path (`globalThis._sentryDebugIds`):
    /// each file a payload's frames name gets a `sourcemap` image in its `debug_meta`.
    pub debug_ids: Option<HashMap<String, String>>,
}

impl ProfileMetadata {
    pub fn into_core(self) -> Result<ProfileMeta, String> {
        let mut meta = ProfileMeta::new(
            SdkInfo {
                name: self.sdk.name,
                version: self.sdk.version,
            },
            RuntimeInfo {
                name: self.runtime.name,
                version: self.runtime.version,
            },
            OsInfo {
                name: self.os.name,
                version: self.os.version,
                build_number: self.os.build_number,
            },
            DeviceInfo {
                architecture: self.device.architecture,
                model: self.device.model,
                manufacturer: self.device.manufacturer,
                locale: self.device.locale,
                is_emulator: self.device.is_emulator,
            },
        );
        meta.release = self.release;
        meta.environment = self.environment;
        if let Some(depth) = self.max_stack_depth {
            if !(depth.is_finite() && (1.0..=4096.0).contains(&depth)) {
                return Err(format!(
                    "maxStackDepth must be between 1 and 4096, got {depth}"
                ));
            }
            meta.max_stack_depth = depth as usize;
        }
        meta.debug_ids = self.debug_ids.unwrap_or_default().into_iter().collect();
        Ok(meta)
    }
}

/// Why Sentry's ingestion (Relay) would refuse a payload; stable, for counting.
#[napi(string_enum = "snake_case")]
pub enum RejectionReason {
    InvalidJson,
    InvalidField,
    PlatformNotSupported,
    WrongPlatform,
    NoTransaction,
    InvalidTransactionMetadata,
    NotEnoughSamples,
    MalformedSamples,
    MalformedStacks,
    NotSorted,
    NotUnixSeconds,
    DurationTooLong,
    NoClockAnchor,
    EnvelopeFraming,
    UndeclaredGzip,
    CompressedItem,
    TooManyProfiles,
    ProfileWithoutTransaction,
    ItemHeaderPlatform,
    EnvelopeMismatch,
}

impl From<Reason> for RejectionReason {
    fn from(r: Reason) -> Self {
        match r {
            Reason::InvalidJson => Self::InvalidJson,
            Reason::InvalidField => Self::InvalidField,
            Reason::PlatformNotSupported => Self::PlatformNotSupported,
            Reason::WrongPlatform => Self::WrongPlatform,
            Reason::NoTransaction => Self::NoTransaction,
            Reason::InvalidTransactionMetadata => Self::InvalidTransactionMetadata,
            Reason::NotEnoughSamples => Self::NotEnoughSamples,
            Reason::MalformedSamples => Self::MalformedSamples,
            Reason::MalformedStacks => Self::MalformedStacks,
            Reason::NotSorted => Self::NotSorted,
            Reason::NotUnixSeconds => Self::NotUnixSeconds,
            Reason::DurationTooLong => Self::DurationTooLong,
            Reason::NoClockAnchor => Self::NoClockAnchor,
            Reason::EnvelopeFraming => Self::EnvelopeFraming,
            Reason::UndeclaredGzip => Self::UndeclaredGzip,
            Reason::CompressedItem => Self::CompressedItem,
            Reason::TooManyProfiles => Self::TooManyProfiles,
            Reason::ProfileWithoutTransaction => Self::ProfileWithoutTransaction,
            Reason::ItemHeaderPlatform => Self::ItemHeaderPlatform,
            Reason::EnvelopeMismatch => Self::EnvelopeMismatch,
        }
    }
}

/// V8's VM state when a sample was taken.
#[napi(string_enum = "snake_case")]
pub enum VmState {
    Js,
    Gc,
    Parser,
    BytecodeCompiler,
    Compiler,
    Other,
    External,
    AtomicsWait,
    Idle,
    Unknown,
}

impl From<CoreVmState> for VmState {
    fn from(s: CoreVmState) -> Self {
        match s {
            CoreVmState::Js => Self::Js,
            CoreVmState::Gc => Self::Gc,
            CoreVmState::Parser => Self::Parser,
            CoreVmState::BytecodeCompiler => Self::BytecodeCompiler,
            CoreVmState::Compiler => Self::Compiler,
            CoreVmState::Other => Self::Other,
            CoreVmState::External => Self::External,
            CoreVmState::AtomicsWait => Self::AtomicsWait,
            CoreVmState::Idle => Self::Idle,
            CoreVmState::Unknown => Self::Unknown,
        }
    }
}

/// A frame, in the field names of Sentry's profile formats.
#[napi(object)]
pub struct ProfileFrame {
    pub function: Option<String>,
    #[napi(js_name = "abs_path")]
    pub abs_path: Option<String>,
    pub filename: Option<String>,
    pub module: Option<String>,
    pub lineno: Option<u32>,
    pub colno: Option<u32>,
    #[napi(js_name = "in_app")]
    pub in_app: Option<bool>,
}

impl From<Frame> for ProfileFrame {
    fn from(f: Frame) -> Self {
        Self {
            function: f.function,
            abs_path: f.abs_path,
            filename: f.filename,
            module: f.module,
            lineno: f.lineno,
            colno: f.colno,
            in_app: f.in_app,
        }
    }
}

/// One sample of a window.
#[napi(object)]
pub struct WindowSample {
    /// Monotonic nanoseconds (the clock of `monotonicNowNs`).
    pub ts_ns: f64,
    /// `0` for the main thread, a worker's `threadId` otherwise.
    pub thread_id: f64,
    /// Index into `WindowProfile.stacks`.
    pub stack_id: u32,
    pub state: VmState,
}

/// The samples of every profiled thread within a window.
#[napi(object)]
pub struct WindowProfile {
    pub id: u32,
    /// False when busy threads did not deliver their samples in time.
    pub complete: bool,
    /// The thread the window was opened on.
    pub active_thread_id: f64,
    pub start_ns: f64,
    pub end_ns: f64,
    /// Wall-clock time of `startNs`, in Unix milliseconds.
    pub start_unix_ms: f64,
    pub frames: Vec<ProfileFrame>,
    /// Frame indices, leaf first. An empty stack is an idle sample.
    pub stacks: Vec<Vec<u32>>,
    pub samples: Vec<WindowSample>,
    /// Thread names by thread id.
    pub thread_names: HashMap<String, String>,
}

impl From<WindowPayload> for WindowProfile {
    fn from(p: WindowPayload) -> Self {
        Self {
            id: p.id,
            complete: p.complete,
            active_thread_id: p.active_thread_id as f64,
            start_ns: p.start_ns as f64,
            end_ns: p.end_ns as f64,
            start_unix_ms: p.start_unix_ms,
            frames: p.frames.into_iter().map(ProfileFrame::from).collect(),
            stacks: p.stacks,
            samples: p
                .samples
                .into_iter()
                .map(|s| WindowSample {
                    ts_ns: s.ts_ns as f64,
                    thread_id: s.thread_id as f64,
                    stack_id: s.stack_id,
                    state: s.state.into(),
                })
                .collect(),
            thread_names: p
                .thread_names
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        }
    }
}

/// What a window result carries.
#[napi(string_enum = "lowercase")]
pub enum ResultKind {
    /// `profile` holds the window's samples.
    Raw,
    /// `payload` holds an encoded Sentry payload, ready for an envelope item.
    Encoded,
    /// Sentry's rules refuse the payload: `reason` and `message` say why.
    Rejected,
    /// The window could not be produced: `message` says why.
    Failed,
}

/// A closed window's result, or a chunk the engine cut.
#[napi(object)]
pub struct WindowResult {
    pub id: u32,
    /// The `closeWindow` call this answers; `0` for a chunk cut on its period.
    pub ticket: u32,
    pub kind: ResultKind,
    /// The encoded Sentry payload (JSON text) of an `encoded` result.
    pub payload: Option<String>,
    /// The samples of a `raw` result.
    pub profile: Option<WindowProfile>,
    /// Why a `rejected` result was refused.
    pub reason: Option<RejectionReason>,
    /// What went wrong, for people (`rejected` and `failed` results).
    pub message: Option<String>,
    /// The `chunk_id` of a `profile_chunk` result.
    pub chunk_id: Option<String>,
    /// False when busy threads did not hand over their samples before the deadline.
    pub complete: bool,
    pub samples: u32,
    /// The window's bounds, monotonic nanoseconds.
    pub start_ns: f64,
    pub end_ns: f64,
    /// The window was closed after its `maxDurationMs`: it ends there.
    pub truncated: bool,
}

impl From<Posted> for WindowResult {
    fn from(p: Posted) -> Self {
        let r = p.result;
        let (kind, payload, profile, reason, message) = match r.payload {
            Payload::Raw(w) => (ResultKind::Raw, None, Some((*w).into()), None, None),
            Payload::Encoded(s) => (ResultKind::Encoded, Some(s), None, None, None),
            Payload::Rejected(refusal) => (
                ResultKind::Rejected,
                None,
                None,
                Some(refusal.reason.into()),
                Some(refusal.message),
            ),
            Payload::Failed(m) => (ResultKind::Failed, None, None, None, Some(m)),
        };
        Self {
            id: r.id,
            ticket: p.ticket,
            kind,
            payload,
            profile,
            reason,
            message,
            chunk_id: r.chunk_id,
            complete: r.complete,
            samples: r.samples,
            start_ns: r.start_ns as f64,
            end_ns: r.end_ns as f64,
            truncated: r.truncated,
        }
    }
}
