//! The ingestion and delivery state machine.
//!
//! Fed by messages (raw sample batches, thread lifecycle, window open/close,
//! configuration) and a clock (`now_ns` in every call), it interns stacks, keeps the
//! bounded store, tracks how far each thread's samples have arrived, cuts continuous
//! chunks on their period, and returns a [`Delivery`] for every closed window and
//! every chunk — exactly once each. It is deterministic: the same messages at the
//! same clock readings give the same deliveries. Stack and frame ids never leave it;
//! deliveries carry self-contained payloads ([`Payload`]).
//!
//! `R` is the caller's reply token (where a delivery goes); the engine only moves it.

mod batch;
mod filter;
mod interner;
mod lines;
mod payload;
mod pending;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::clock::ClockAnchor;
use crate::sentry::{
    encode_v1, encode_v2, ChunkMeta, Measurements, ProfileMeta, TransactionMeta,
    DEFAULT_MAX_STACK_DEPTH,
};
use crate::slice::ProfileSlice;
use crate::store::{Sample, SampleStore, StoreLimits, ThreadId, VmState};

pub use batch::{Batch, LineMode, RawNode, RawSample};
pub use filter::{SampleFilter, Verdict, NEAR_DUPLICATE_DIVISOR};
use interner::BatchInterner;
pub use payload::{Payload, PayloadSample, Refusal, ResultKind, WindowPayload};
use pending::{PendingQueue, Waiting};

/// A window's id, unique per process.
pub type WindowId = u32;

/// What a closed window is turned into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// The slice itself ([`Payload::Raw`]).
    Raw,
    /// A Sentry `profile` item payload (sample format v1).
    V1(TransactionMeta),
    /// A Sentry `profile_chunk` item payload (sample format v2).
    V2(ChunkMeta),
}

/// A window that the engine cuts into `profile_chunk`s of `period_ns` by itself, on
/// the samples' own timestamps: chunks have their configured length whether or not
/// any JS thread ever yields.
#[derive(Clone, Debug)]
pub struct ChunkPlan<R> {
    pub period_ns: u64,
    pub profiler_id: String,
    /// Where each chunk goes.
    pub reply: R,
    /// How long a due chunk waits for busy threads before it is cut without them.
    pub wait_ns: u64,
}

/// The longest a window may be. Samples after `start + max_ns` are left out of it;
/// once that time has passed and its samples have arrived (or `wait_ns` later), they
/// are set aside, so the store can forget them while the window waits for its close
/// (a transaction that runs on, or is never finished).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowLimit {
    pub max_ns: u64,
    pub wait_ns: u64,
}

/// A request to close a window at `end_ns`.
#[derive(Clone, Debug)]
pub struct Close<R> {
    pub id: WindowId,
    pub end_ns: u64,
    pub active_thread_id: ThreadId,
    pub reply: R,
    /// Ignored for chunked windows, whose last chunk is a `profile_chunk` like the rest.
    pub encoding: Encoding,
    /// Keep the window open from just after `end_ns` (manual chunk cutting:
    /// contiguous by construction, no sample in two results).
    pub reopen: bool,
    /// How long the result may wait for busy threads' samples.
    pub wait_ns: u64,
}

/// Inputs of the engine.
#[derive(Clone, Debug)]
pub enum Message<R> {
    Batch(Batch),
    ThreadStarted {
        thread_id: ThreadId,
        name: String,
    },
    /// The thread is no longer sampled: nothing waits for it any more.
    ThreadEnded {
        thread_id: ThreadId,
    },
    /// A thread's samples up to `until_ns` have all been handed over.
    Covered {
        thread_id: ThreadId,
        until_ns: u64,
    },
    OpenWindow {
        id: WindowId,
        start_ns: u64,
        chunks: Option<ChunkPlan<R>>,
        /// Ignored for chunked windows (their chunks have a length already).
        limit: Option<WindowLimit>,
    },
    CloseWindow(Close<R>),
    Configure(EngineConfig),
    SetProfileMeta(Box<ProfileMeta>),
}

/// Tunables of the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    pub limits: StoreLimits,
    /// Most frames kept per stack (leaf side).
    pub max_stack_depth: usize,
    /// Samples younger than this are never pruned, so a window whose open message is
    /// still on its way finds them.
    pub prune_margin_ns: u64,
    /// The process's working directory: app modules are named relative to it.
    pub app_root: Option<String>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            limits: StoreLimits::default(),
            max_stack_depth: DEFAULT_MAX_STACK_DEPTH,
            prune_margin_ns: 2_000_000_000,
            app_root: None,
        }
    }
}

/// The result of one closed window or one chunk.
#[derive(Clone, Debug)]
pub struct Delivery<R> {
    pub id: WindowId,
    pub reply: R,
    pub payload: Payload,
    /// Set for `profile_chunk` results.
    pub chunk_id: Option<String>,
    /// False when busy threads did not deliver their samples before the deadline.
    pub complete: bool,
    /// Samples in the window.
    pub samples: u32,
    pub start_ns: u64,
    pub end_ns: u64,
    /// The window was closed after its [`WindowLimit`]: it ends at the limit.
    pub truncated: bool,
}

impl<R> Delivery<R> {
    /// Which payload this is.
    pub fn kind(&self) -> ResultKind {
        self.payload.kind()
    }

    /// Separates the reply token from the result it carries.
    pub fn split(self) -> (R, Delivery<()>) {
        let Delivery {
            id,
            reply,
            payload,
            chunk_id,
            complete,
            samples,
            start_ns,
            end_ns,
            truncated,
        } = self;
        let result = Delivery {
            id,
            reply: (),
            payload,
            chunk_id,
            complete,
            samples,
            start_ns,
            end_ns,
            truncated,
        };
        (reply, result)
    }
}

/// The engine's own counters. Sample accounting adds up exactly:
/// `samples_ingested = samples_held + samples_pruned + samples_dropped_capacity +
/// samples_out_of_order + samples_lost_reset`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EngineStats {
    /// Samples received in batches.
    pub samples_ingested: u64,
    /// Samples in the store now.
    pub samples_held: u64,
    /// Released by pruning: no open or pending window needs them any more.
    pub samples_pruned: u64,
    /// Oldest samples evicted because a bound was hit.
    pub samples_dropped_capacity: u64,
    /// Not newer than their thread's last sample.
    pub samples_out_of_order: u64,
    /// Discarded with the store when the engine was reset after a fault.
    pub samples_lost_reset: u64,
    pub stacks_truncated: u64,
    pub bytes_held: u64,
    pub threads: u64,
    pub store_compactions: u64,
    pub windows_opened: u64,
    /// Close requests received (each gets exactly one delivery).
    pub windows_closed: u64,
    /// Chunks cut by the engine on their period.
    pub chunks_cut: u64,
    /// Deliveries made (closed windows plus cut chunks).
    pub deliveries: u64,
    /// Deliveries made at their deadline, without some busy thread's samples.
    pub windows_timed_out: u64,
    /// Deliveries that failed (unknown window, reset).
    pub windows_failed: u64,
    pub windows_open: u64,
    pub windows_pending: u64,
    pub resets: u64,
}

struct OpenWindow<R> {
    start_ns: u64,
    chunks: Option<ChunkPlan<R>>,
    limit: Option<WindowLimit>,
    /// The samples up to the limit, set aside once it passed (and whether all
    /// threads' samples had arrived).
    parked: Option<(ProfileSlice, bool)>,
}

impl<R> OpenWindow<R> {
    fn new(start_ns: u64, chunks: Option<ChunkPlan<R>>, limit: Option<WindowLimit>) -> Self {
        // A chunked window's chunks have their own length.
        let limit = if chunks.is_some() { None } else { limit };
        Self {
            start_ns,
            chunks,
            limit,
            parked: None,
        }
    }

    /// Where the window's samples end at the latest.
    fn cap_ns(&self) -> Option<u64> {
        self.limit.map(|l| self.start_ns.saturating_add(l.max_ns))
    }
}

struct Pending<R> {
    id: WindowId,
    start_ns: u64,
    end_ns: u64,
    active_thread_id: ThreadId,
    reply: R,
    encoding: Encoding,
    deadline_ns: u64,
    chunk_id: Option<String>,
    /// Delivered at once as [`ResultKind::Failed`] with this message.
    failure: Option<String>,
    /// Delivered at once from these samples (a window closed after its limit).
    parked: Option<(ProfileSlice, bool)>,
    truncated: bool,
}

impl<R> Waiting for Pending<R> {
    fn end_ns(&self) -> u64 {
        self.end_ns
    }
    fn deadline_ns(&self) -> u64 {
        self.deadline_ns
    }
    fn immediate(&self) -> bool {
        self.failure.is_some() || self.parked.is_some()
    }
}

/// Makes chunk ids (uuid v4 hex in production; anything unique in tests).
pub type ChunkIdSource = Box<dyn FnMut() -> String + Send>;

/// The ingestion and delivery state machine; see the module documentation.
pub struct Engine<R> {
    config: EngineConfig,
    store: SampleStore,
    meta: ProfileMeta,
    open: BTreeMap<WindowId, OpenWindow<R>>,
    pending: PendingQueue<Pending<R>>,
    chunk_ids: ChunkIdSource,
    stats: EngineStats,
    /// Store counters carried over from stores discarded by resets.
    carried: Carried,
}

#[derive(Clone, Copy, Default)]
struct Carried {
    pruned: u64,
    capacity: u64,
    out_of_order: u64,
    compactions: u64,
}

impl<R: Clone> Engine<R> {
    pub fn new(
        config: EngineConfig,
        anchor: ClockAnchor,
        meta: ProfileMeta,
        chunk_ids: ChunkIdSource,
    ) -> Self {
        Self {
            store: SampleStore::new(config.limits, anchor),
            config,
            meta,
            open: BTreeMap::new(),
            pending: PendingQueue::default(),
            chunk_ids,
            stats: EngineStats::default(),
            carried: Carried::default(),
        }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Applies one message. Nothing is delivered here; see [`Engine::poll`].
    pub fn handle(&mut self, msg: Message<R>, now_ns: u64) {
        match msg {
            Message::Batch(batch) => self.ingest(batch),
            Message::ThreadStarted { thread_id, name } => {
                self.store.register_thread(thread_id, &name)
            }
            Message::ThreadEnded { thread_id } => self.store.deactivate_thread(thread_id),
            Message::Covered {
                thread_id,
                until_ns,
            } => self.store.mark_covered(thread_id, until_ns),
            Message::OpenWindow {
                id,
                start_ns,
                chunks,
                limit,
            } => {
                self.stats.windows_opened += 1;
                self.open
                    .insert(id, OpenWindow::new(start_ns, chunks, limit));
            }
            Message::CloseWindow(close) => self.close(close, now_ns),
            Message::Configure(config) => {
                self.store.set_limits(config.limits);
                self.config = config;
            }
            Message::SetProfileMeta(meta) => {
                // Each isolate (main thread, workers) registers the debug IDs of the
                // files it loaded: the engine keeps them all (a file's ID never changes).
                let mut meta = *meta;
                for (path, id) in std::mem::take(&mut self.meta.debug_ids) {
                    meta.debug_ids.entry(path).or_insert(id);
                }
                self.meta = meta;
            }
        }
    }

    /// Interns the batch's stacks, appends its samples, then enforces the bounds: the
    /// only place the store may compact, so no stack id is held across it.
    fn ingest(&mut self, batch: Batch) {
        self.stats.samples_ingested += batch.samples.len() as u64;
        let mut interner = BatchInterner::new(
            batch.lines,
            &batch.nodes,
            self.config.max_stack_depth,
            self.config.app_root.as_deref(),
        );
        for raw in &batch.samples {
            let (stack, truncated) = interner.stack_of(raw.node, self.store.table_mut());
            if truncated {
                self.stats.stacks_truncated += 1;
            }
            self.store.push(
                batch.thread_id,
                Sample {
                    ts_ns: raw.ts_ns,
                    stack,
                    state: VmState::from_raw(raw.state),
                },
            );
        }
        drop(interner);
        self.store
            .mark_covered(batch.thread_id, batch.covered_until_ns);
        self.store.enforce_limits();
    }

    fn close(&mut self, close: Close<R>, now_ns: u64) {
        self.stats.windows_closed += 1;
        let deadline_ns = now_ns.saturating_add(close.wait_ns);
        let Some(window) = self.open.remove(&close.id) else {
            // Every close gets its one delivery, even a close of an unknown window.
            self.pending.push(Pending {
                id: close.id,
                start_ns: close.end_ns,
                end_ns: close.end_ns,
                active_thread_id: close.active_thread_id,
                reply: close.reply,
                encoding: close.encoding,
                deadline_ns: 0,
                chunk_id: None,
                failure: Some(format!("window {} is not open", close.id)),
                parked: None,
                truncated: false,
            });
            return;
        };
        let mut window = window;
        let mut end_ns = close.end_ns.max(window.start_ns);
        let truncated = window.cap_ns().is_some_and(|cap| end_ns > cap);
        if let Some(cap) = window.cap_ns() {
            end_ns = end_ns.min(cap);
        }
        if let Some(plan) = &window.chunks {
            // Full periods before the close are chunks of their own (cut on the
            // period, as if the engine had got to them first): only the rest is the
            // closer's last, shorter chunk.
            let period = plan.period_ns.max(1);
            while window.start_ns.saturating_add(period) <= end_ns {
                let chunk_end = window.start_ns + period - 1;
                self.stats.chunks_cut += 1;
                let chunk_id = (self.chunk_ids)();
                self.pending.push(Pending {
                    id: close.id,
                    start_ns: window.start_ns,
                    end_ns: chunk_end,
                    active_thread_id: close.active_thread_id,
                    reply: plan.reply.clone(),
                    encoding: Encoding::V2(ChunkMeta {
                        profiler_id: plan.profiler_id.clone(),
                        chunk_id: chunk_id.clone(),
                    }),
                    deadline_ns,
                    chunk_id: Some(chunk_id),
                    failure: None,
                    parked: None,
                    truncated: false,
                });
                window.start_ns = chunk_end + 1;
            }
        }
        let (encoding, chunk_id) = match &window.chunks {
            Some(plan) => {
                let chunk_id = (self.chunk_ids)();
                (
                    Encoding::V2(ChunkMeta {
                        profiler_id: plan.profiler_id.clone(),
                        chunk_id: chunk_id.clone(),
                    }),
                    Some(chunk_id),
                )
            }
            None => (close.encoding, None),
        };
        self.pending.push(Pending {
            id: close.id,
            start_ns: window.start_ns,
            end_ns,
            active_thread_id: close.active_thread_id,
            reply: close.reply,
            encoding,
            deadline_ns,
            chunk_id,
            failure: None,
            parked: window.parked.take(),
            truncated,
        });
        if close.reopen {
            // The next part starts after this one; a limit counts from there.
            self.open.insert(
                close.id,
                OpenWindow::new(end_ns.saturating_add(1), window.chunks, window.limit),
            );
        }
    }

    /// Makes every delivery that is due at `now_ns`: chunks whose period has passed,
    /// and closed windows whose samples have all arrived or whose deadline has come.
    /// Then forgets samples no window needs. `measurements` gives the CPU and memory
    /// series of a time range for encoded payloads.
    pub fn poll(
        &mut self,
        now_ns: u64,
        measurements: &dyn Fn(u64, u64) -> Measurements,
    ) -> Vec<Delivery<R>> {
        self.cut_due_chunks(now_ns);
        self.park_expired(now_ns);
        let mut out = Vec::new();
        if !self.pending.is_empty() {
            let covered = self.store.covered_until();
            for w in self.pending.take_ready(covered, now_ns) {
                let complete = w.end_ns <= covered;
                out.push(self.deliver(w, complete, measurements));
            }
        }
        self.prune(now_ns);
        out
    }

    /// Sets aside the samples of open windows whose limit has passed (once they have
    /// arrived, or `wait_ns` later), so that pruning no longer keeps them for it.
    fn park_expired(&mut self, now_ns: u64) {
        let covered = self.store.covered_until();
        for window in self.open.values_mut() {
            let (Some(cap), Some(limit)) = (window.cap_ns(), window.limit) else {
                continue;
            };
            if window.parked.is_some()
                || (cap > covered && now_ns < cap.saturating_add(limit.wait_ns))
            {
                continue;
            }
            window.parked = Some((self.store.slice(window.start_ns, cap), cap <= covered));
        }
    }

    /// Closes the due chunks of chunked windows: chunk k of a window covers exactly
    /// `[start + k·period, start + (k+1)·period)`, so chunks are contiguous and of
    /// the configured length whatever the JS threads do.
    fn cut_due_chunks(&mut self, now_ns: u64) {
        let covered = self.store.covered_until();
        let mut cuts = Vec::new();
        for (&id, window) in self.open.iter_mut() {
            let Some(plan) = &window.chunks else { continue };
            let period = plan.period_ns.max(1);
            // A due chunk waits for busy threads at most `wait_ns` past its end.
            while window.start_ns.saturating_add(period) <= now_ns {
                let end_ns = window.start_ns + period - 1;
                if end_ns > covered && now_ns < end_ns.saturating_add(plan.wait_ns) {
                    break;
                }
                cuts.push((id, window.start_ns, end_ns, plan.clone()));
                window.start_ns = end_ns + 1;
            }
        }
        for (id, start_ns, end_ns, plan) in cuts {
            self.stats.chunks_cut += 1;
            let chunk_id = (self.chunk_ids)();
            self.pending.push(Pending {
                id,
                start_ns,
                end_ns,
                active_thread_id: 0,
                reply: plan.reply,
                encoding: Encoding::V2(ChunkMeta {
                    profiler_id: plan.profiler_id,
                    chunk_id: chunk_id.clone(),
                }),
                // Already waited for: delivered at this poll.
                deadline_ns: now_ns,
                chunk_id: Some(chunk_id),
                failure: None,
                parked: None,
                truncated: false,
            });
        }
    }

    fn deliver(
        &mut self,
        mut w: Pending<R>,
        complete: bool,
        measurements: &dyn Fn(u64, u64) -> Measurements,
    ) -> Delivery<R> {
        self.stats.deliveries += 1;
        if let Some(message) = w.failure {
            self.stats.windows_failed += 1;
            return Delivery {
                id: w.id,
                reply: w.reply,
                payload: Payload::Failed(message),
                chunk_id: w.chunk_id,
                complete: false,
                samples: 0,
                start_ns: w.start_ns,
                end_ns: w.end_ns,
                truncated: w.truncated,
            };
        }
        let (slice, complete) = match w.parked.take() {
            Some((slice, parked_complete)) => (slice, parked_complete),
            None => (self.store.slice(w.start_ns, w.end_ns), complete),
        };
        if !complete {
            self.stats.windows_timed_out += 1;
        }
        let samples = slice.samples.len() as u32;
        let payload = self.encode(&w, slice, complete, measurements);
        Delivery {
            id: w.id,
            reply: w.reply,
            payload,
            chunk_id: w.chunk_id,
            complete,
            samples,
            start_ns: w.start_ns,
            end_ns: w.end_ns,
            truncated: w.truncated,
        }
    }

    /// Turns a window's slice into what its closer asked for.
    fn encode(
        &mut self,
        w: &Pending<R>,
        slice: ProfileSlice,
        complete: bool,
        measurements: &dyn Fn(u64, u64) -> Measurements,
    ) -> Payload {
        let encoded = match &w.encoding {
            Encoding::Raw => {
                let payload = WindowPayload::new(slice, w.id, w.active_thread_id, complete);
                return Payload::Raw(Box::new(payload));
            }
            Encoding::V1(txn) => {
                encode_v1(&slice, &self.meta, txn, &measurements(w.start_ns, w.end_ns))
            }
            Encoding::V2(chunk) => encode_v2(
                &slice,
                &self.meta,
                chunk,
                &measurements(w.start_ns, w.end_ns),
            ),
        };
        match encoded {
            Ok(enc) => {
                self.stats.stacks_truncated += enc.stats.truncated_stacks as u64;
                match String::from_utf8(enc.bytes) {
                    Ok(data) => Payload::Encoded(data),
                    Err(_) => Payload::Failed("encoder produced invalid UTF-8".into()),
                }
            }
            Err(rejection) => Payload::Rejected(Refusal {
                reason: rejection.reason(),
                message: rejection.message().to_string(),
            }),
        }
    }

    /// Forgets samples that no open or pending window can still need, keeping the
    /// last `prune_margin_ns` for windows whose open message is still on its way.
    fn prune(&mut self, now_ns: u64) {
        let horizon = now_ns.saturating_sub(self.config.prune_margin_ns);
        let oldest_needed = self
            .open
            .values()
            .filter(|w| w.parked.is_none())
            .map(|w| w.start_ns)
            .chain(self.pending.iter().map(|w| w.start_ns))
            .min()
            .unwrap_or(u64::MAX);
        self.store.prune_before(horizon.min(oldest_needed));
    }

    /// Recovers from a fault (a panic while handling a message): every pending
    /// window is delivered as failed, the store is discarded (its samples counted as
    /// `samples_lost_reset`) and rebuilt with the same threads, and open windows go on
    /// from where they were. Counters survive.
    pub fn reset(&mut self) -> Vec<Delivery<R>> {
        let mut out = Vec::new();
        for mut w in self.pending.take_all() {
            w.failure = Some("the profiler recovered from an internal fault".into());
            out.push(self.deliver(w, false, &|_, _| Measurements::new()));
        }
        let before = self.stats();
        let mut fresh = SampleStore::new(self.config.limits, self.store.anchor());
        for (tid, name, active, covered) in self.store.thread_states() {
            fresh.register_thread(tid, &name);
            fresh.mark_covered(tid, covered);
            if !active {
                fresh.deactivate_thread(tid);
            }
        }
        self.carried = Carried {
            pruned: before.samples_pruned,
            capacity: before.samples_dropped_capacity,
            out_of_order: before.samples_out_of_order,
            compactions: before.store_compactions,
        };
        self.stats.samples_lost_reset = before.samples_ingested
            - before.samples_pruned
            - before.samples_dropped_capacity
            - before.samples_out_of_order;
        self.store = fresh;
        self.stats.resets += 1;
        out
    }

    /// A consistent snapshot of the counters.
    pub fn stats(&self) -> EngineStats {
        let dropped = self.store.dropped();
        EngineStats {
            samples_held: self.store.len() as u64,
            samples_pruned: self.carried.pruned + self.store.pruned(),
            samples_dropped_capacity: self.carried.capacity + dropped.capacity,
            samples_out_of_order: self.carried.out_of_order + dropped.out_of_order,
            bytes_held: self.store.bytes_held() as u64,
            threads: self.store.thread_ids().len() as u64,
            store_compactions: self.carried.compactions + self.store.compactions(),
            windows_open: self.open.len() as u64,
            windows_pending: self.pending.len() as u64,
            ..self.stats
        }
    }

    /// Whether anything waits: open or pending windows.
    pub fn is_idle(&self) -> bool {
        self.open.is_empty() && self.pending.is_empty()
    }

    /// Whether nothing samples and nothing waits: no profile or chunk can need a
    /// measurement of the process now (a window's open message may be held back by
    /// its sampling thread, so a sampling thread counts even with no window known).
    pub fn is_dormant(&self) -> bool {
        self.is_idle() && !self.store.any_active()
    }

    /// The earliest deadline of a pending window or a due chunk, for the driver's
    /// sleep: nothing needs the engine before then unless a message arrives.
    pub fn next_deadline_ns(&self) -> Option<u64> {
        let pending = self.pending.iter().map(|w| w.deadline_ns);
        let chunks = self.open.values().filter_map(|w| {
            w.chunks.as_ref().map(|p| {
                w.start_ns
                    .saturating_add(p.period_ns)
                    .saturating_add(p.wait_ns)
            })
        });
        pending.chain(chunks).min()
    }
}
