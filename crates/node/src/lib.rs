//! ferroprof's napi-rs addon: the low-level native API the TypeScript SDK (and any
//! embedding SDK) builds on. Every export runs on the calling isolate's JS thread and
//! does only what V8 forces there; the rest happens on the engine thread.

#![deny(clippy::undocumented_unsafe_blocks)]

mod boundary;
mod bridge;
mod consumers;
mod driver;
mod handle;
mod isolate;
mod mailbox;
mod resources;
mod runtime;
mod stats;

use std::time::Duration;

use napi::bindgen_prelude::{Function, JsValue};
use napi::{Env, Error, Result, Status};
use napi_derive::napi;

use ferroprof_core::engine::{Encoding, Message};
use ferroprof_core::limits::check_frequency;

use crate::boundary::{ChunkMetadata, ProfileMetadata, TransactionMetadata, WindowResult};
use crate::isolate::with_isolate;
use crate::runtime::runtime;
use crate::stats::{JsTimer, Stats};

fn not_attached() -> Error {
    Error::new(
        Status::GenericFailure,
        "ferroprof: this isolate is not attached; load the addon through the ferroprof package",
    )
}

fn invalid(msg: String) -> Error {
    Error::new(Status::InvalidArg, msg)
}

/// Lowest sampling frequency accepted, in Hz.
#[napi]
pub const MIN_FREQUENCY_HZ: f64 = ferroprof_core::limits::MIN_FREQUENCY_HZ;
/// Highest sampling frequency accepted, in Hz.
#[napi]
pub const MAX_FREQUENCY_HZ: f64 = ferroprof_core::limits::MAX_FREQUENCY_HZ;
/// The frequency sampling starts at unless asked otherwise (Sentry's 101 Hz).
#[napi]
pub const DEFAULT_FREQUENCY_HZ: f64 = ferroprof_core::limits::DEFAULT_FREQUENCY_HZ;
/// Most frames kept per stack (leaf side) unless configured.
#[napi]
pub const DEFAULT_MAX_STACK_DEPTH: u32 = ferroprof_core::limits::DEFAULT_MAX_STACK_DEPTH as u32;

/// Attaches the current isolate (main thread or worker). `onReady()` is called on
/// this isolate's event loop when window results are waiting; take them with
/// `takeResults()`. Must be called once per isolate before the rest; later calls
/// only rename the thread.
#[napi(catch_unwind)]
pub fn attach(
    env: Env,
    on_ready: Function<'_, (), ()>,
    thread_id: f64,
    thread_name: String,
) -> Result<()> {
    if !(thread_id.is_finite() && thread_id >= 0.0) {
        return Err(invalid(format!(
            "threadId must be a non-negative integer, got {thread_id}"
        )));
    }
    isolate::attach(&env, on_ready.value().value, thread_id as u64, thread_name)
        .map_err(|e| Error::new(Status::GenericFailure, format!("ferroprof: {e}")))
}

/// Starts (or joins) sampling on this isolate at `hz`; returns the frequency in effect.
#[napi(catch_unwind)]
pub fn start_sampling(hz: f64) -> Result<f64> {
    let _t = JsTimer::start(&runtime().stats);
    check_frequency(hz).map_err(invalid)?;
    with_isolate(|s| s.start_sampling(hz))
        .ok_or_else(not_attached)?
        .map_err(|e| Error::new(Status::GenericFailure, format!("ferroprof: {e}")))
}

/// Leaves sampling on this isolate; `false` (a no-op) if it was not started.
#[napi(catch_unwind)]
pub fn stop_sampling() -> bool {
    let _t = JsTimer::start(&runtime().stats);
    with_isolate(|s| s.stop_sampling()).unwrap_or(false)
}

/// Whether V8 profiling runs on this isolate.
#[napi(catch_unwind)]
pub fn is_sampling() -> bool {
    with_isolate(|s| s.is_running()).unwrap_or(false)
}

/// How a window is opened.
#[napi(object)]
pub struct OpenOptions {
    /// Cut the window into `profile_chunk`s of this length (100–60 000 ms) on the
    /// samples' own clock, delivered as they complete (`ticket` 0), whether or not
    /// the JS thread yields. Needs `profilerId`.
    pub chunk_period_ms: Option<f64>,
    /// The continuous-profiling session the chunks belong to (32 hex digits).
    pub profiler_id: Option<String>,
    /// The longest the window may be (1 ms – 24 h): samples after it are left out
    /// (the result says `truncated`), and once it has passed they are set aside so
    /// a window that is never closed cannot pin the store. Not for chunked windows.
    pub max_duration_ms: Option<f64>,
}

/// Opens a time window starting now; returns its id.
#[napi(catch_unwind)]
pub fn open_window(options: Option<OpenOptions>) -> Result<u32> {
    let _t = JsTimer::start(&runtime().stats);
    let max_ns = positive(
        "maxDurationMs",
        options.as_ref().and_then(|o| o.max_duration_ms),
        1.0,
        86_400_000.0,
    )?
    .map(|ms| (ms * 1e6) as u64);
    let chunks = match options {
        Some(OpenOptions {
            chunk_period_ms: Some(ms),
            profiler_id,
            ..
        }) => {
            let ms = positive("chunkPeriodMs", Some(ms), 100.0, 60_000.0)?.unwrap_or(ms);
            let id = profiler_id
                .filter(|p| p.len() == 32 && p.bytes().all(|b| b.is_ascii_hexdigit()))
                .ok_or_else(|| invalid("profilerId must be 32 hex digits".into()))?;
            Some((Duration::from_micros((ms * 1000.0) as u64), id))
        }
        _ => None,
    };
    with_isolate(|s| s.open_window(chunks, max_ns))
        .ok_or_else(not_attached)?
        .map_err(|e| Error::new(Status::GenericFailure, format!("ferroprof: {e}")))
}

/// How a window is closed and what it becomes.
#[napi(object)]
pub struct CloseOptions {
    /// What the result becomes (default `raw`). Chunked windows always give `v2`.
    pub encoding: Option<EncodingName>,
    /// The transaction of a `v1` profile (needed for `v1`).
    pub transaction: Option<TransactionMetadata>,
    /// The session and chunk of a `v2` chunk (needed for `v2`).
    pub chunk: Option<ChunkMetadata>,
    /// Keep the window open from just after now (manual chunk cutting).
    pub reopen: Option<bool>,
}

/// What a closed window is turned into.
#[napi(string_enum = "lowercase")]
pub enum EncodingName {
    /// The window's samples (`WindowProfile`).
    Raw,
    /// A Sentry `profile` item payload (sample format v1), with transaction metadata.
    V1,
    /// A Sentry `profile_chunk` item payload (sample format v2), with chunk metadata.
    V2,
}

fn encoding_of(call: &str, options: Option<CloseOptions>) -> Result<(Encoding, bool)> {
    let Some(o) = options else {
        return Ok((Encoding::Raw, false));
    };
    let needs = |what: &str, name: &str| {
        invalid(format!(
            "{call}: options.{what} is required with encoding '{name}'"
        ))
    };
    let encoding = match o.encoding {
        None | Some(EncodingName::Raw) => Encoding::Raw,
        Some(EncodingName::V1) => {
            let thread = with_isolate(|s| s.thread_id()).unwrap_or(0);
            let txn = o.transaction.ok_or_else(|| needs("transaction", "v1"))?;
            Encoding::V1(txn.into_core(thread))
        }
        Some(EncodingName::V2) => Encoding::V2(o.chunk.ok_or_else(|| needs("chunk", "v2"))?.into()),
    };
    Ok((encoding, o.reopen.unwrap_or(false)))
}

/// Closes a window at now; returns the ticket its result will carry, or `null` for
/// an unknown or already closed id. The result is announced by `onReady()`.
#[napi(catch_unwind)]
pub fn close_window(id: u32, options: Option<CloseOptions>) -> Result<Option<u32>> {
    let _t = JsTimer::start(&runtime().stats);
    let (encoding, reopen) = encoding_of("closeWindow(id, options)", options)?;
    Ok(with_isolate(|s| s.close_window(id, encoding, reopen, None)).flatten())
}

/// Closes a window and waits for its result (at most `timeoutMs`, default 2000):
/// for `exit` handlers, where callbacks no longer run. `null` on timeout.
#[napi(catch_unwind)]
pub fn close_window_sync(
    id: u32,
    options: Option<CloseOptions>,
    timeout_ms: Option<f64>,
) -> Result<Option<WindowResult>> {
    let _t = JsTimer::start(&runtime().stats);
    let (encoding, reopen) = encoding_of("closeWindowSync(id, options, timeoutMs)", options)?;
    let timeout = Duration::from_millis(timeout_ms.unwrap_or(2000.0).clamp(0.0, 60_000.0) as u64);
    Ok(
        with_isolate(|s| s.close_window_sync(id, encoding, reopen, timeout))
            .flatten()
            .map(WindowResult::from),
    )
}

/// Forgets window `id` if its open has not reached the engine thread yet (opens and
/// closes are held back until the next rotation): nothing is sent or delivered for
/// it. `false` when the engine already knows it: close it instead. For profiles that
/// are known to be too short to keep, so that they cost no engine work and no result.
#[napi(catch_unwind)]
pub fn withdraw_window(id: u32) -> bool {
    let _t = JsTimer::start(&runtime().stats);
    with_isolate(|s| s.withdraw_window(id)).unwrap_or(false)
}

/// The shortest window, in ms, that can hold two samples at `hz` (see
/// `ferroprof_core::pacing::min_sample_spacing_us`).
#[napi(catch_unwind)]
pub fn min_sample_spacing_ms(hz: f64) -> Result<f64> {
    let hz = check_frequency(hz).map_err(invalid)?;
    Ok(ferroprof_core::pacing::min_sample_spacing_us(hz) / 1000.0)
}

/// Takes every result waiting for this isolate (never blocks).
#[napi(catch_unwind)]
pub fn take_results() -> Vec<WindowResult> {
    with_isolate(|s| s.take_results())
        .unwrap_or_default()
        .into_iter()
        .map(WindowResult::from)
        .collect()
}

/// Sets the process-wide metadata of encoded profiles and chunks.
#[napi(catch_unwind)]
pub fn set_profile_meta(meta: ProfileMetadata) -> Result<()> {
    let meta = meta
        .into_core()
        .map_err(|e| invalid(format!("setProfileMeta(meta): {e}")))?;
    runtime().send(Message::SetProfileMeta(Box::new(meta)));
    Ok(())
}

/// Hands this isolate's samples to the engine thread now, instead of at the next
/// scheduled rotation. Returns how many samples moved.
#[napi(catch_unwind)]
pub fn flush() -> u32 {
    let _t = JsTimer::start(&runtime().stats);
    with_isolate(|s| s.rotate()).unwrap_or(0) as u32
}

/// Asks every other attached isolate (workers) to sample at `hz` while a continuous
/// session runs, and workers loaded later to join; `0` ends that.
#[napi(catch_unwind)]
pub fn follow_sampling(hz: f64) -> Result<()> {
    let hz = if hz == 0.0 {
        0.0
    } else {
        check_frequency(hz).map_err(invalid)?
    };
    let own = with_isolate(|s| s.key());
    runtime().set_follow(hz, own);
    Ok(())
}

/// Stops V8 profiling on this isolate at once (no linger), hands over its last
/// samples, and makes it a state: later starts here (and on every isolate, when
/// called on the main thread) are no-ops, counted as `samplerStartsRefused`. For
/// `process.on('exit')`: V8's sampler thread must not outlive the runtime's teardown,
/// whatever an exit listener that runs later does.
#[napi(catch_unwind)]
pub fn shutdown() {
    let _t = JsTimer::start(&runtime().stats);
    with_isolate(|s| s.shut_down());
}

/// The wall-clock anchor profiles are timed with: `[monotonicNs, unixNs]` read at
/// the same instant. Timestamps computed from it agree with the profiles' own.
#[napi]
pub fn clock_anchor() -> Vec<f64> {
    let a = driver::clock_anchor();
    vec![a.mono_ns as f64, a.unix_ns as f64]
}

/// Nanoseconds of the monotonic clock samples are stamped with.
#[napi]
pub fn monotonic_now_ns() -> f64 {
    bridge::monotonic_now_ns() as f64
}

/// For the fault-recovery tests only, and only when the process runs with
/// `FERROPROF_FAULT_INJECTION=1`: makes the engine thread panic once while it handles
/// its queue. Throws otherwise.
#[napi(catch_unwind)]
pub fn inject_fault() -> Result<()> {
    if std::env::var("FERROPROF_FAULT_INJECTION").as_deref() != Ok("1") {
        return Err(invalid(
            "injectFault is a test hook: set FERROPROF_FAULT_INJECTION=1 to use it".into(),
        ));
    }
    // After what this isolate said before (its held-back window messages).
    with_isolate(|s| s.flush_unsent());
    runtime().inject_fault();
    Ok(())
}

/// Identifies this loaded copy of the addon within the process: every copy of the
/// JavaScript package that reaches the same native runtime shares one dispatcher.
#[napi]
pub fn instance_id() -> String {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(ferroprof_core::sentry::new_event_id).clone()
}

/// The Node ABI (`process.versions.modules`) this binary was built for.
#[napi]
pub fn native_abi() -> String {
    env!("FERROPROF_NODE_ABI").to_string()
}

/// Tunables of the native layer; omitted fields keep their value.
#[napi(object)]
pub struct NativeConfig {
    /// How often each sampler hands samples to the engine thread (10–60 000 ms,
    /// default 500). Runs from a V8 interrupt while JavaScript holds the thread.
    pub rotation_interval_ms: Option<f64>,
    /// How often each sampler hands its samples over while no window opens or closes
    /// (10–600 000 ms, default 5000; never less than `rotationIntervalMs`): a
    /// continuous session's chunks are complete at most this long after their end.
    /// Each rotation costs the profiled process a V8 profile start and stop.
    pub quiet_rotation_interval_ms: Option<f64>,
    /// How long a sampler with no consumer keeps running before it stops (default 2000 ms).
    pub linger_ms: Option<f64>,
    /// Frequency used when opening a window starts the sampler (default 101 Hz).
    pub default_hz: Option<f64>,
    /// Longest wait of a closed window for samples of busy threads (default 5000 ms).
    pub max_window_wait_ms: Option<f64>,
    /// Most frames kept per stack, leaf side (default 128).
    pub max_stack_depth: Option<f64>,
    /// Most samples held in the store, all threads together (default 250 000).
    pub max_samples: Option<f64>,
    /// Most bytes held by the store, samples plus stack table (1024 or more, default 64 MiB).
    pub max_bytes: Option<f64>,
    /// V8 code-event logging: `true` creates this isolate's profiler now (and every
    /// isolate's as it attaches) and keeps it, so no start walks the heap, at an idle
    /// cost on compiling and C++ calls; `false` (default, lazy) costs nothing while
    /// idle but walks the heap at every cold start.
    pub eager_logging: Option<bool>,
}

fn positive(name: &str, v: Option<f64>, min: f64, max: f64) -> Result<Option<f64>> {
    match v {
        None => Ok(None),
        Some(x) if x.is_finite() && x >= min && x <= max => Ok(Some(x)),
        Some(x) => Err(invalid(format!(
            "{name} must be between {min} and {max}, got {x}"
        ))),
    }
}

#[napi(catch_unwind)]
pub fn configure(options: NativeConfig) -> Result<()> {
    let rt = runtime();
    let mut c = rt.config();
    let ms = |v: f64| Duration::from_micros((v * 1000.0) as u64);
    if let Some(v) = positive(
        "rotationIntervalMs",
        options.rotation_interval_ms,
        10.0,
        60_000.0,
    )? {
        c.rotation_interval = ms(v);
        // Samples of windows whose open message is in flight must survive pruning.
        c.engine.prune_margin_ns = (ms(v) * 4).max(Duration::from_secs(2)).as_nanos() as u64;
    }
    if let Some(v) = positive(
        "quietRotationIntervalMs",
        options.quiet_rotation_interval_ms,
        10.0,
        600_000.0,
    )? {
        c.quiet_rotation_interval = ms(v);
    }
    if let Some(v) = positive("lingerMs", options.linger_ms, 0.0, 3_600_000.0)? {
        c.linger = ms(v);
    }
    if let Some(v) = options.default_hz {
        c.default_hz = check_frequency(v).map_err(invalid)?;
    }
    if let Some(v) = positive(
        "maxWindowWaitMs",
        options.max_window_wait_ms,
        0.0,
        600_000.0,
    )? {
        c.max_window_wait = ms(v);
    }
    if let Some(v) = positive("maxStackDepth", options.max_stack_depth, 1.0, 4096.0)? {
        c.engine.max_stack_depth = v as usize;
    }
    if let Some(v) = positive("maxSamples", options.max_samples, 1.0, 1e9)? {
        c.engine.limits.max_samples = v as usize;
    }
    if let Some(v) = positive("maxBytes", options.max_bytes, 1024.0, 1e12)? {
        c.engine.limits.max_bytes = v as usize;
    }
    let stop_eager = options.eager_logging == Some(false) && c.eager_logging;
    let start_eager = options.eager_logging == Some(true) && !c.eager_logging;
    if let Some(v) = options.eager_logging {
        c.eager_logging = v;
    }
    rt.set_config(c);
    if stop_eager || start_eager {
        // An idle profiler of the other mode is replaced (eager: created now).
        with_isolate(|s| {
            s.drop_idle_profiler();
            if start_eager {
                s.ensure_profiler();
            }
        });
    }
    Ok(())
}

/// The profiler's own counters, process-wide. Samples add up exactly, at any moment:
/// `samplesCopied = samplesDuplicate + samplesNearDuplicate + samplesDroppedQueue +
/// samplesInFlight + samplesIngested`, and `samplesIngested = samplesHeld +
/// samplesPruned + samplesDroppedCapacity + samplesOutOfOrder + samplesLostReset`.
#[napi(object)]
pub struct NativeStats {
    /// Cold starts of V8 profiling (not rotations).
    pub sampler_starts: f64,
    pub sampler_stops: f64,
    pub rotations: f64,
    /// Rotations run from a V8 interrupt while JavaScript held the thread.
    pub rotations_by_interrupt: f64,
    pub v8_start_failures: f64,
    /// Starts asked for after exit handling had run (`shutdown()`): no-ops, since a
    /// V8 profile started then would outlive the runtime.
    pub sampler_starts_refused: f64,
    /// Samples read out of V8 profiles.
    pub samples_copied: f64,
    /// Seen again in a rotation's overlap and dropped (not a loss).
    pub samples_duplicate: f64,
    /// V8's extra sample at the start of each profile, a fraction of an interval
    /// after a regular one, dropped so the delivered rate is the configured one.
    pub samples_near_duplicate: f64,
    /// Lost because the queue to the engine thread was over its byte budget.
    pub samples_dropped_queue: f64,
    /// Queued for the engine thread, not handled yet.
    pub samples_in_flight: f64,
    /// Received by the engine thread's state machine.
    pub samples_ingested: f64,
    /// In the store now.
    pub samples_held: f64,
    /// Released once no open or pending window needed them.
    pub samples_pruned: f64,
    /// Oldest samples evicted because the store hit its bound.
    pub samples_dropped_capacity: f64,
    pub samples_out_of_order: f64,
    /// Discarded when the engine's state was reset after a fault.
    pub samples_lost_reset: f64,
    /// Samples whose stack was cut to `maxStackDepth` frames.
    pub stacks_truncated: f64,
    pub bytes_held: f64,
    pub threads: f64,
    pub store_compactions: f64,
    pub windows_opened: f64,
    /// Windows forgotten before their open reached the engine (too short to keep).
    /// `windowsOpened − windowsClosed − windowsWithdrawn` windows are still open, or
    /// closed on their thread with the close not yet queued: closes wait for their
    /// thread's next rotation (`rotationIntervalMs`), so `windowsClosed` lags by that.
    pub windows_withdrawn: f64,
    /// Close requests the engine received (each gets exactly one result).
    pub windows_closed: f64,
    /// Chunks the engine cut on their period.
    pub chunks_cut: f64,
    /// Results posted to isolates (closed windows plus cut chunks).
    pub windows_delivered: f64,
    /// Results delivered at their deadline, without some busy thread's samples.
    pub windows_timed_out: f64,
    /// Results that could not be produced (unknown window, reset after a fault).
    pub windows_failed: f64,
    /// Results whose payload was dropped because their isolate did not take them.
    pub windows_dropped: f64,
    /// Faults (panics) on the engine thread, caught and recovered from.
    pub engine_panics: f64,
    /// Calls into the profiler on JS threads, and the time they took.
    pub js_calls: f64,
    pub js_ns_total: f64,
    pub js_ns_max: f64,
    /// Upper bounds of the log2 histogram bucket holding the median / 99th percentile.
    pub js_ns_p50: f64,
    pub js_ns_p99: f64,
    /// Frequency of this isolate's running sampler, 0 when not sampling.
    pub sampling_hz: f64,
    /// The rate this isolate's sampler actually delivers (recent rotations), 0 when
    /// not sampling or not measured yet.
    pub delivered_hz: f64,
}

#[napi(catch_unwind)]
pub fn get_stats() -> NativeStats {
    let s = &runtime().stats;
    let g = |c: &std::sync::atomic::AtomicU64| Stats::get(c) as f64;
    let a = runtime().accounting();
    let e = a.engine;
    NativeStats {
        sampler_starts: g(&s.sampler_starts),
        sampler_stops: g(&s.sampler_stops),
        rotations: g(&s.rotations),
        rotations_by_interrupt: g(&s.rotations_by_interrupt),
        v8_start_failures: g(&s.v8_start_failures),
        sampler_starts_refused: g(&s.sampler_starts_refused),
        samples_copied: a.copied as f64,
        samples_duplicate: a.duplicate as f64,
        samples_near_duplicate: a.near_duplicate as f64,
        samples_dropped_queue: a.dropped_queue as f64,
        samples_in_flight: a.in_flight as f64,
        samples_ingested: e.samples_ingested as f64,
        samples_held: e.samples_held as f64,
        samples_pruned: e.samples_pruned as f64,
        samples_dropped_capacity: e.samples_dropped_capacity as f64,
        samples_out_of_order: e.samples_out_of_order as f64,
        samples_lost_reset: e.samples_lost_reset as f64,
        stacks_truncated: e.stacks_truncated as f64,
        bytes_held: e.bytes_held as f64,
        threads: e.threads as f64,
        store_compactions: e.store_compactions as f64,
        windows_opened: g(&s.windows_opened),
        windows_withdrawn: g(&s.windows_withdrawn),
        windows_closed: e.windows_closed as f64,
        chunks_cut: e.chunks_cut as f64,
        windows_delivered: g(&s.windows_delivered),
        windows_timed_out: e.windows_timed_out as f64,
        windows_failed: e.windows_failed as f64,
        windows_dropped: g(&s.windows_dropped),
        engine_panics: g(&s.engine_panics),
        js_calls: g(&s.js_calls),
        js_ns_total: g(&s.js_ns_total),
        js_ns_max: g(&s.js_ns_max),
        js_ns_p50: s.js_ns_quantile(0.5) as f64,
        js_ns_p99: s.js_ns_quantile(0.99) as f64,
        sampling_hz: with_isolate(|x| x.frequency_hz()).unwrap_or(0.0),
        delivered_hz: with_isolate(|x| x.delivered_hz()).unwrap_or(0.0),
    }
}

/// One item of a validated envelope.
#[napi(object)]
pub struct ValidatedItem {
    pub item_type: String,
    pub length: u32,
    /// Samples left after Sentry's normalisation (profile items only).
    pub samples: Option<u32>,
    pub threads: Option<u32>,
}

/// What `validateEnvelope` found in an envelope Sentry would accept.
#[napi(object)]
pub struct ValidatedEnvelope {
    pub event_id: Option<String>,
    pub items: Vec<ValidatedItem>,
}

/// Checks an envelope (gzip-compressed when `gzip` is true) against the rules of
/// Sentry's ingestion; throws with the reason Sentry would give when it is refused.
/// For tests and embedding SDKs: runs on the calling thread.
#[napi(catch_unwind)]
pub fn validate_envelope(
    bytes: napi::bindgen_prelude::Uint8Array,
    gzip: Option<bool>,
) -> Result<ValidatedEnvelope> {
    let summary = ferroprof_core::sentry::validate_envelope(&bytes, gzip.unwrap_or(false))
        .map_err(|r| {
            Error::new(
                Status::InvalidArg,
                format!("{}: {}", r.reason().as_str(), r.message()),
            )
        })?;
    Ok(ValidatedEnvelope {
        event_id: summary.event_id,
        items: summary
            .items
            .into_iter()
            .map(|i| ValidatedItem {
                item_type: i.item_type,
                length: i.length as u32,
                samples: i.profile.map(|p| p.samples as u32),
                threads: i.profile.map(|p| p.threads as u32),
            })
            .collect(),
    })
}
