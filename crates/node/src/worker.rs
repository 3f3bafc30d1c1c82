//! The worker thread: turns raw batches from the JS threads into interned stacks in
//! the sample store, and answers closed windows with their slice. Everything that is
//! not forced onto a JS thread happens here.

use std::collections::HashMap;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};
use ferroprof_core::frame::NodeRole;
use ferroprof_core::sentry::{encode_v1, encode_v2, ChunkMeta, ProfileMeta, TransactionMeta};
use ferroprof_core::{
    ClockAnchor, FrameId, ProfileSlice, Sample, SampleStore, StackId, StackTable, ThreadId,
    V8NodeInfo, VmState,
};
use serde::Serialize;

use crate::bridge::{self, JsThreadTask};
use crate::resources::ResourceSampler;
use crate::runtime::{runtime, Config, IsolateHandle};
use crate::stats::Stats;

/// Capacity of the queue from JS threads to the worker (messages, not samples).
const QUEUE_CAPACITY: usize = 1024;

/// One node of V8's call tree, copied out on the JS thread. `key` and `parent` are
/// identities valid within one batch.
pub struct RawNode {
    pub key: usize,
    pub parent: Option<usize>,
    pub info: V8NodeInfo,
}

pub struct RawSample {
    pub ts_ns: u64,
    pub node: usize,
    pub state: i32,
}

/// What one rotation copied out of one isolate's profile.
pub struct Batch {
    pub thread_id: ThreadId,
    pub nodes: Vec<RawNode>,
    pub samples: Vec<RawSample>,
    /// Every sample of this thread up to here has now been handed over.
    pub covered_until_ns: u64,
}

impl WorkerMsg {
    /// Whether the message can make closed windows ready.
    fn changes_coverage(&self) -> bool {
        matches!(
            self,
            WorkerMsg::Batch(_)
                | WorkerMsg::ThreadEnded { .. }
                | WorkerMsg::Covered { .. }
                | WorkerMsg::CloseWindow {
                    reply: Reply::Sync(..),
                    ..
                }
        )
    }
}

pub enum WorkerMsg {
    Batch(Batch),
    ThreadStarted {
        thread_id: ThreadId,
        name: String,
    },
    ThreadEnded {
        thread_id: ThreadId,
    },
    /// A thread's samples up to `until_ns` have all been handed over.
    Covered {
        thread_id: ThreadId,
        until_ns: u64,
    },
    OpenWindow {
        id: u32,
        start_ns: u64,
    },
    CloseWindow {
        id: u32,
        end_ns: u64,
        active_thread_id: ThreadId,
        reply: Reply,
        encoding: Encoding,
        /// Open the same window again right after `end_ns` (continuous chunks:
        /// contiguous by construction, no sample in two chunks).
        reopen: bool,
    },
    Configure(Config),
    SetProfileMeta(Box<ProfileMeta>),
}

/// Where a closed window's result goes.
pub enum Reply {
    /// To the JS thread that closed it, through its `onWindow` callback.
    Js(Arc<IsolateHandle>),
    /// To a JS thread blocked in `closeWindowSync` (process exit), which waits at
    /// most the given time.
    Sync(Sender<Delivery>, Duration),
}

/// What a closed window is turned into.
pub enum Encoding {
    /// The slice as JSON (`WindowProfile` of the TypeScript API).
    Raw,
    /// A Sentry `profile` item payload (sample format v1).
    V1(TransactionMeta),
    /// A Sentry `profile_chunk` item payload (sample format v2).
    V2(ChunkMeta),
}

/// A closed window's result: `kind` says what `data` is.
pub struct Delivery {
    pub id: u32,
    pub kind: u32,
    pub data: String,
}

/// `data` is the raw window JSON.
pub const KIND_RAW: u32 = 0;
/// `data` is an encoded Sentry payload, ready for an envelope item.
pub const KIND_ENCODED: u32 = 1;
/// `data` is `{"reason", "message", "samples"}`: the payload was refused.
pub const KIND_REJECTED: u32 = 2;

static ANCHOR: std::sync::OnceLock<ClockAnchor> = std::sync::OnceLock::new();

/// The process's one pairing of the monotonic clock with wall-clock time.
pub fn clock_anchor() -> ClockAnchor {
    *ANCHOR.get_or_init(|| ClockAnchor::new(bridge::monotonic_now_ns(), unix_now_ns()))
}

pub fn spawn(config: Config) -> Sender<WorkerMsg> {
    let (tx, rx) = bounded(QUEUE_CAPACITY);
    let anchor = clock_anchor();
    // If the thread cannot be spawned the receiver drops, sends fail, and every lost
    // batch is counted; the host process keeps running.
    let _ = thread::Builder::new()
        .name("ferroprof-worker".into())
        .spawn(move || Worker::new(config, anchor).run(rx));
    tx
}

fn unix_now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

struct PendingWindow {
    id: u32,
    start_ns: u64,
    end_ns: u64,
    active_thread_id: ThreadId,
    reply: Reply,
    encoding: Encoding,
    deadline: Instant,
}

/// How often the worker reads CPU and memory of the process.
const RESOURCE_PERIOD: Duration = Duration::from_millis(100);

struct Worker {
    config: Config,
    store: SampleStore,
    open: HashMap<u32, u64>,
    pending: Vec<PendingWindow>,
    meta: ProfileMeta,
    resources: ResourceSampler,
    last_resource_read: Option<Instant>,
    /// The process's working directory: app modules are named relative to it.
    app_root: Option<String>,
}

fn default_meta() -> ProfileMeta {
    ProfileMeta::node(
        ("ferroprof", env!("CARGO_PKG_VERSION")),
        "",
        (std::env::consts::OS, ""),
        std::env::consts::ARCH,
    )
}

impl Worker {
    fn new(config: Config, anchor: ClockAnchor) -> Self {
        Self {
            config,
            store: SampleStore::new(config.limits, anchor),
            open: HashMap::new(),
            pending: Vec::new(),
            meta: default_meta(),
            resources: ResourceSampler::new(),
            last_resource_read: None,
            app_root: std::env::current_dir()
                .ok()
                .map(|d| d.to_string_lossy().into_owned()),
        }
    }

    fn read_resources(&mut self) {
        if self
            .last_resource_read
            .is_some_and(|t| t.elapsed() < RESOURCE_PERIOD)
        {
            return;
        }
        self.last_resource_read = Some(Instant::now());
        self.resources.sample(bridge::monotonic_now_ns());
    }

    fn run(mut self, rx: Receiver<WorkerMsg>) {
        let mut last_upkeep = Instant::now();
        loop {
            let mut coverage_changed = false;
            match rx.recv_timeout(RESOURCE_PERIOD) {
                Ok(first) => {
                    // Take everything queued, then do the upkeep once: with thousands of
                    // windows per second, per-message upkeep would be quadratic.
                    for msg in std::iter::once(first).chain(rx.try_iter().take(4096)) {
                        coverage_changed |= msg.changes_coverage();
                        self.handle_guarded(msg);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            // Windows become ready only when coverage moves, or when they time out.
            if coverage_changed || last_upkeep.elapsed() >= RESOURCE_PERIOD {
                last_upkeep = Instant::now();
                self.read_resources();
                self.deliver_ready();
                self.prune();
                self.publish_stats();
            }
        }
    }

    fn handle_guarded(&mut self, msg: WorkerMsg) {
        // A bug on one message must not kill the worker for the process.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.handle(msg)));
        if result.is_err() {
            Stats::add(&runtime().stats.worker_panics, 1);
        }
    }

    fn handle(&mut self, msg: WorkerMsg) {
        match msg {
            WorkerMsg::Batch(batch) => self.ingest(batch),
            WorkerMsg::ThreadStarted { thread_id, name } => {
                self.store.register_thread(thread_id, &name)
            }
            WorkerMsg::ThreadEnded { thread_id } => self.store.deactivate_thread(thread_id),
            WorkerMsg::Covered {
                thread_id,
                until_ns,
            } => self.store.mark_covered(thread_id, until_ns),
            WorkerMsg::OpenWindow { id, start_ns } => {
                self.open.insert(id, start_ns);
            }
            WorkerMsg::CloseWindow {
                id,
                end_ns,
                active_thread_id,
                reply,
                encoding,
                reopen,
            } => {
                let start_ns = self.open.remove(&id).unwrap_or(end_ns);
                if reopen {
                    self.open.insert(id, end_ns + 1);
                }
                let wait = match reply {
                    Reply::Js(_) => self.config.max_window_wait,
                    // The JS thread waits for itself: it never needs long.
                    Reply::Sync(_, wait) => self.config.max_window_wait.min(wait),
                };
                self.pending.push(PendingWindow {
                    id,
                    start_ns,
                    end_ns,
                    active_thread_id,
                    reply,
                    encoding,
                    deadline: Instant::now() + wait,
                });
            }
            WorkerMsg::SetProfileMeta(meta) => self.meta = *meta,
            WorkerMsg::Configure(config) => {
                self.config = config;
                self.store.set_limits(config.limits);
            }
        }
    }

    /// Interns the batch's stacks and appends its samples to the store.
    fn ingest(&mut self, batch: Batch) {
        let stats = &runtime().stats;
        let mut interner = BatchInterner::new(
            &batch.nodes,
            self.config.max_stack_depth,
            self.app_root.as_deref(),
        );
        for raw in &batch.samples {
            let (stack, truncated) = interner.stack_of(raw.node, self.store.table_mut());
            if truncated {
                Stats::add(&stats.stacks_truncated, 1);
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
        self.store
            .mark_covered(batch.thread_id, batch.covered_until_ns);
    }

    fn deliver_ready(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let now = Instant::now();
        let covered = self.store.covered_until();
        let (ready, waiting): (Vec<_>, Vec<_>) = self
            .pending
            .drain(..)
            .partition(|w| w.end_ns <= covered || now >= w.deadline);
        self.pending = waiting;
        let stats = &runtime().stats;
        // One JS-thread task per isolate for all its ready windows: one wake-up of its
        // event loop, not one per window.
        let mut batches: Vec<(Arc<IsolateHandle>, Vec<Delivery>)> = Vec::new();
        for w in ready {
            let complete = w.end_ns <= covered;
            if !complete {
                Stats::add(&stats.windows_timed_out, 1);
            }
            let slice = self.store.slice(w.start_ns, w.end_ns);
            let delivery = self.encode(&w, &slice, complete);
            match w.reply {
                Reply::Js(handle) => {
                    match batches.iter_mut().find(|(h, _)| Arc::ptr_eq(h, &handle)) {
                        Some((_, list)) => list.push(delivery),
                        None => batches.push((handle, vec![delivery])),
                    }
                }
                Reply::Sync(tx, _) => {
                    let sent = tx.send(delivery).is_ok();
                    Stats::add(
                        if sent {
                            &stats.windows_delivered
                        } else {
                            &stats.windows_dropped
                        },
                        1,
                    );
                }
            }
        }
        for (handle, deliveries) in batches {
            let n = deliveries.len() as u64;
            let sent = handle.send(Box::new(DeliverTask(deliveries)));
            Stats::add(
                if sent {
                    &stats.windows_delivered
                } else {
                    &stats.windows_dropped
                },
                n,
            );
        }
    }

    /// Turns a window's slice into what its closer asked for.
    fn encode(&self, w: &PendingWindow, slice: &ProfileSlice, complete: bool) -> Delivery {
        let measurements = || self.resources.window(w.start_ns, w.end_ns);
        let encoded = match &w.encoding {
            Encoding::Raw => {
                let payload = WindowPayload::new(slice, w.id, w.active_thread_id, complete);
                let data = serde_json::to_string(&payload).unwrap_or_else(|_| "null".into());
                return Delivery {
                    id: w.id,
                    kind: KIND_RAW,
                    data,
                };
            }
            Encoding::V1(txn) => encode_v1(slice, &self.meta, txn, &measurements()),
            Encoding::V2(chunk) => encode_v2(slice, &self.meta, chunk, &measurements()),
        };
        match encoded {
            Ok(enc) => {
                Stats::add(
                    &runtime().stats.stacks_truncated,
                    enc.stats.truncated_stacks as u64,
                );
                Delivery {
                    id: w.id,
                    kind: KIND_ENCODED,
                    data: String::from_utf8(enc.bytes).unwrap_or_default(),
                }
            }
            Err(rejection) => Delivery {
                id: w.id,
                kind: KIND_REJECTED,
                data: serde_json::json!({
                    "reason": rejection.reason().as_str(),
                    "message": rejection.message(),
                    "samples": slice.samples.len(),
                })
                .to_string(),
            },
        }
    }

    /// Forgets samples that no open or pending window can still need. A margin
    /// behind "now" covers windows whose open message is still in flight.
    fn prune(&mut self) {
        let margin = (self.config.rotation_interval * 4).max(Duration::from_secs(2));
        let now = bridge::monotonic_now_ns();
        let horizon = now.saturating_sub(margin.as_nanos() as u64);
        let oldest_needed = self
            .open
            .values()
            .copied()
            .chain(self.pending.iter().map(|w| w.start_ns))
            .min()
            .unwrap_or(u64::MAX);
        self.store.prune_before(horizon.min(oldest_needed));
    }

    fn publish_stats(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        let stats = &runtime().stats;
        stats.store_samples.store(self.store.len() as u64, Relaxed);
        stats
            .store_bytes
            .store(self.store.bytes_held() as u64, Relaxed);
        stats
            .store_threads
            .store(self.store.thread_ids().len() as u64, Relaxed);
        let dropped = self.store.dropped();
        stats
            .store_dropped_capacity
            .store(dropped.capacity, Relaxed);
        stats
            .store_dropped_out_of_order
            .store(dropped.out_of_order, Relaxed);
        stats
            .store_compactions
            .store(self.store.compactions(), Relaxed);
        stats.store_accepted.store(self.store.accepted(), Relaxed);
    }
}

/// What a node's path from the root amounts to.
#[derive(Clone, Copy)]
enum Memo {
    /// The path went through `(program)`/`(idle)`: the sample is idle.
    Idle,
    Stack {
        stack: StackId,
        depth: usize,
        truncated: bool,
    },
}

enum NodeKind {
    Root,
    Idle,
    Frame(FrameId),
}

/// Per-batch memo from V8 node to interned stack, so each distinct node is
/// converted once however many samples hit it.
struct BatchInterner<'a> {
    nodes: HashMap<usize, &'a RawNode>,
    app_root: Option<&'a str>,
    max_depth: usize,
    memo: HashMap<usize, Memo>,
    kinds: HashMap<usize, Option<FrameId>>,
}

impl<'a> BatchInterner<'a> {
    fn new(nodes: &'a [RawNode], max_depth: usize, app_root: Option<&'a str>) -> Self {
        Self {
            nodes: nodes.iter().map(|n| (n.key, n)).collect(),
            app_root,
            max_depth: max_depth.max(1),
            memo: HashMap::new(),
            kinds: HashMap::new(),
        }
    }

    fn kind(&mut self, key: usize, table: &mut StackTable) -> NodeKind {
        if let Some(kind) = self.kinds.get(&key) {
            return kind.map_or(NodeKind::Root, NodeKind::Frame);
        }
        let Some(node) = self.nodes.get(&key) else {
            return NodeKind::Root;
        };
        match node.info.role(self.app_root) {
            NodeRole::Root => {
                self.kinds.insert(key, None);
                NodeKind::Root
            }
            NodeRole::Idle => NodeKind::Idle,
            NodeRole::Frame(frame) => {
                let id = table.intern_frame(frame);
                self.kinds.insert(key, Some(id));
                NodeKind::Frame(id)
            }
        }
    }

    /// The stack of a sample whose leaf is `leaf`, and whether it was truncated.
    fn stack_of(&mut self, leaf: usize, table: &mut StackTable) -> (StackId, bool) {
        let memo = match self.memo.get(&leaf) {
            Some(&m) => m,
            None => self.resolve(leaf, table),
        };
        match memo {
            Memo::Idle => (StackId::EMPTY, false),
            Memo::Stack {
                stack, truncated, ..
            } => (stack, truncated),
        }
    }

    fn resolve(&mut self, leaf: usize, table: &mut StackTable) -> Memo {
        // Walk up to the first memoised ancestor (or past the root)...
        let mut chain = Vec::new();
        let mut cursor = Some(leaf);
        while let Some(key) = cursor {
            if self.memo.contains_key(&key) {
                break;
            }
            chain.push(key);
            cursor = self.nodes.get(&key).and_then(|n| n.parent);
        }
        let mut state = cursor
            .and_then(|k| self.memo.get(&k).copied())
            .unwrap_or(Memo::Stack {
                stack: StackId::EMPTY,
                depth: 0,
                truncated: false,
            });
        // ...then intern downwards from there.
        for &key in chain.iter().rev() {
            state = match (state, self.kind(key, table)) {
                (Memo::Idle, _) | (_, NodeKind::Idle) => Memo::Idle,
                (_, NodeKind::Root) => state,
                (
                    Memo::Stack {
                        stack,
                        depth,
                        truncated,
                    },
                    NodeKind::Frame(frame),
                ) => {
                    if depth < self.max_depth {
                        Memo::Stack {
                            stack: table.push(stack, frame),
                            depth: depth + 1,
                            truncated,
                        }
                    } else {
                        Memo::Stack {
                            stack: self.leaf_side(key, table),
                            depth: depth + 1,
                            truncated: true,
                        }
                    }
                }
            };
            self.memo.insert(key, state);
        }
        state
    }

    /// For stacks deeper than the bound: the `max_depth` frames nearest the leaf
    /// (the outermost callers are the ones dropped, as Sentry's SDKs do).
    fn leaf_side(&mut self, leaf: usize, table: &mut StackTable) -> StackId {
        let mut frames = Vec::with_capacity(self.max_depth);
        let mut cursor = Some(leaf);
        while let Some(key) = cursor {
            if frames.len() == self.max_depth {
                break;
            }
            if let NodeKind::Frame(f) = self.kind(key, table) {
                frames.push(f);
            }
            cursor = self.nodes.get(&key).and_then(|n| n.parent);
        }
        table.intern_stack(&frames)
    }
}

/// Delivers window results to the JS thread that closed them.
struct DeliverTask(Vec<Delivery>);

impl JsThreadTask for DeliverTask {
    fn run(self: Box<Self>, env: napi::sys::napi_env, callback: napi::sys::napi_value) {
        for d in &self.0 {
            bridge::call_window_callback(env, callback, d.id, d.kind, &d.data);
        }
    }
}

/// The JSON shape of a window handed to JavaScript (camelCase, numbers in ns/ms).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WindowPayload<'a> {
    id: u32,
    complete: bool,
    active_thread_id: ThreadId,
    start_ns: u64,
    end_ns: u64,
    /// Unix time of `start_ns`, milliseconds.
    start_unix_ms: f64,
    frames: &'a [ferroprof_core::Frame],
    stacks: &'a [Vec<u32>],
    samples: Vec<PayloadSample>,
    thread_names: HashMap<String, &'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PayloadSample {
    ts_ns: u64,
    thread_id: ThreadId,
    stack_id: u32,
    state: VmState,
}

impl<'a> WindowPayload<'a> {
    fn new(slice: &'a ProfileSlice, id: u32, active_thread_id: ThreadId, complete: bool) -> Self {
        let anchor = slice.anchor.unwrap_or(ClockAnchor::new(0, 0));
        Self {
            id,
            complete,
            active_thread_id,
            start_ns: slice.start_ns,
            end_ns: slice.end_ns,
            start_unix_ms: anchor.to_unix_ns(slice.start_ns) as f64 / 1e6,
            frames: &slice.frames,
            stacks: &slice.stacks,
            samples: slice
                .samples
                .iter()
                .map(|s| PayloadSample {
                    ts_ns: s.ts_ns,
                    thread_id: s.thread_id,
                    stack_id: s.stack_id,
                    state: s.state,
                })
                .collect(),
            thread_names: slice
                .thread_names
                .iter()
                .map(|(k, v)| (k.to_string(), v.as_str()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroprof_core::V8SourceType;

    fn node(key: usize, parent: Option<usize>, name: &str) -> RawNode {
        RawNode {
            key,
            parent,
            info: V8NodeInfo {
                function_name: name.into(),
                script_name: if name.starts_with('(') {
                    String::new()
                } else {
                    "/app/a.js".into()
                },
                line: 1,
                column: 1,
                source_type: V8SourceType::Script,
            },
        }
    }

    fn names(table: &StackTable, stack: StackId) -> Vec<String> {
        table
            .frames_of(stack)
            .into_iter()
            .map(|f| table.frame(f).function.clone().unwrap())
            .collect()
    }

    #[test]
    fn stacks_skip_the_root_and_share_prefixes() {
        let nodes = vec![
            node(1, None, "(root)"),
            node(2, Some(1), "main"),
            node(3, Some(2), "work"),
            node(4, Some(2), "other"),
        ];
        let mut table = StackTable::new();
        let mut interner = BatchInterner::new(&nodes, 128, None);
        let (work, cut) = interner.stack_of(3, &mut table);
        let (other, _) = interner.stack_of(4, &mut table);
        assert!(!cut);
        assert_eq!(names(&table, work), ["work", "main"]);
        assert_eq!(names(&table, other), ["other", "main"]);
        assert_eq!(table.stack_count(), 3, "main, work<main, other<main");
        assert_eq!(interner.stack_of(3, &mut table).0, work, "memoised");
    }

    #[test]
    fn program_and_idle_nodes_make_idle_samples() {
        let nodes = vec![
            node(1, None, "(root)"),
            node(2, Some(1), "(program)"),
            node(3, Some(1), "(idle)"),
        ];
        let mut table = StackTable::new();
        let mut interner = BatchInterner::new(&nodes, 128, None);
        assert_eq!(interner.stack_of(2, &mut table).0, StackId::EMPTY);
        assert_eq!(interner.stack_of(3, &mut table).0, StackId::EMPTY);
    }

    #[test]
    fn deep_stacks_keep_the_leaf_side_and_are_marked() {
        let mut nodes = vec![node(1, None, "(root)")];
        for depth in 0..10 {
            nodes.push(node(depth + 2, Some(depth + 1), &format!("f{depth}")));
        }
        let mut table = StackTable::new();
        let mut interner = BatchInterner::new(&nodes, 4, None);
        let (stack, truncated) = interner.stack_of(11, &mut table);
        assert!(truncated);
        assert_eq!(names(&table, stack), ["f9", "f8", "f7", "f6"]);
        let (shallow, cut) = interner.stack_of(4, &mut table);
        assert!(!cut);
        assert_eq!(names(&table, shallow), ["f2", "f1", "f0"]);
    }
}
