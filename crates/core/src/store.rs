//! The bounded, time-indexed store of samples, one ordered queue per thread.
//!
//! Producers append samples in time order per thread; consumers slice windows out of
//! it and prune what no consumer needs any more. Memory is bounded by a sample count
//! and a byte budget (samples plus the stack table); when a bound is hit the oldest
//! samples go first and every dropped sample is counted.
//!
//! Bounds are enforced by [`SampleStore::enforce_limits`], which the producer calls
//! between batches, never inside one: enforcing may compact the stack table, which
//! renumbers stack ids, and a producer in the middle of a batch still holds ids it
//! interned earlier in that batch.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use crate::clock::ClockAnchor;
use crate::stack_table::{StackId, StackTable};

/// A thread of the profile: `0` for Node's main thread, the `threadId` of a worker.
pub type ThreadId = u64;

/// V8's VM state at the time of a sample (`v8::StateTag`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
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

impl VmState {
    pub fn from_raw(raw: i32) -> Self {
        match raw {
            0 => Self::Js,
            1 => Self::Gc,
            2 => Self::Parser,
            3 => Self::BytecodeCompiler,
            4 => Self::Compiler,
            5 => Self::Other,
            6 => Self::External,
            7 => Self::AtomicsWait,
            8 => Self::Idle,
            _ => Self::Unknown,
        }
    }
}

/// One sample: when, what stack, and in which VM state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Monotonic nanoseconds.
    pub ts_ns: u64,
    pub stack: StackId,
    pub state: VmState,
}

/// Bounds of the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreLimits {
    /// Most samples held, all threads together.
    pub max_samples: usize,
    /// Most bytes held: samples plus the stack table.
    pub max_bytes: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        // Two minutes of 101 Hz on a dozen threads, with room for bursts.
        Self {
            max_samples: 250_000,
            max_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Samples that never reached a consumer, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DropCounts {
    /// Oldest samples evicted because a bound was hit.
    pub capacity: u64,
    /// Samples not newer than the thread's last one (a duplicate of a rotation
    /// overlap, or a clock going backwards).
    pub out_of_order: u64,
}

#[derive(Debug)]
pub(crate) struct ThreadSamples {
    pub(crate) name: String,
    pub(crate) samples: VecDeque<Sample>,
    /// Up to when (monotonic ns) this thread's samples have arrived.
    covered_until_ns: u64,
    /// Whether the thread is still being sampled (its samples may still come).
    active: bool,
    /// Newest timestamp ever accepted, even if since evicted or pruned.
    last_ts_ns: u64,
}

/// Byte cost of one stored sample, with the queue's slack.
const SAMPLE_BYTES: usize = std::mem::size_of::<Sample>();
const THREAD_BYTES: usize = 128;

/// The per-thread, time-ordered, bounded sample store.
#[derive(Debug)]
pub struct SampleStore {
    limits: StoreLimits,
    table: StackTable,
    pub(crate) threads: BTreeMap<ThreadId, ThreadSamples>,
    len: usize,
    accepted: u64,
    /// Samples released by pruning (no consumer needed them any more).
    pruned: u64,
    dropped: DropCounts,
    compactions: u64,
    /// Stack nodes the table kept at its last compaction: the next one waits until
    /// the table has grown to twice that, so compaction stays amortized O(1) per node.
    live_nodes: usize,
    anchor: ClockAnchor,
}

impl SampleStore {
    pub fn new(limits: StoreLimits, anchor: ClockAnchor) -> Self {
        Self {
            limits,
            table: StackTable::new(),
            threads: BTreeMap::new(),
            len: 0,
            accepted: 0,
            pruned: 0,
            dropped: DropCounts::default(),
            compactions: 0,
            live_nodes: 0,
            anchor,
        }
    }

    pub fn limits(&self) -> StoreLimits {
        self.limits
    }

    /// Changes the bounds; shrinking evicts the oldest samples at once.
    pub fn set_limits(&mut self, limits: StoreLimits) {
        self.limits = limits;
        self.enforce_limits();
    }

    pub fn anchor(&self) -> ClockAnchor {
        self.anchor
    }

    pub fn table(&self) -> &StackTable {
        &self.table
    }

    /// The stack table, for producers to intern the stacks of the samples they add.
    pub fn table_mut(&mut self) -> &mut StackTable {
        &mut self.table
    }

    /// Declares a thread (or renames it) and marks it as being sampled.
    pub fn register_thread(&mut self, thread: ThreadId, name: &str) {
        let entry = self.thread_entry(thread);
        entry.active = true;
        if entry.name != name {
            entry.name = name.to_string();
        }
    }

    /// Marks a thread as no longer sampled: consumers stop waiting for it. Its
    /// samples stay until pruned.
    pub fn deactivate_thread(&mut self, thread: ThreadId) {
        if let Some(t) = self.threads.get_mut(&thread) {
            t.active = false;
        }
    }

    fn thread_entry(&mut self, thread: ThreadId) -> &mut ThreadSamples {
        self.threads.entry(thread).or_insert_with(|| ThreadSamples {
            name: if thread == 0 {
                "main".to_string()
            } else {
                format!("worker {thread}")
            },
            samples: VecDeque::new(),
            covered_until_ns: 0,
            active: true,
            last_ts_ns: 0,
        })
    }

    /// Appends a sample. Returns `false` (and counts it) when it is not newer than
    /// the thread's last sample. Bounds are not enforced here (see
    /// [`SampleStore::enforce_limits`]), so stack ids stay valid for the whole batch.
    pub fn push(&mut self, thread: ThreadId, sample: Sample) -> bool {
        let t = self.thread_entry(thread);
        if sample.ts_ns <= t.last_ts_ns {
            self.dropped.out_of_order += 1;
            return false;
        }
        t.last_ts_ns = sample.ts_ns;
        t.covered_until_ns = t.covered_until_ns.max(sample.ts_ns);
        t.samples.push_back(sample);
        self.len += 1;
        self.accepted += 1;
        true
    }

    /// Records that every sample of `thread` up to `until_ns` has been pushed.
    pub fn mark_covered(&mut self, thread: ThreadId, until_ns: u64) {
        let t = self.thread_entry(thread);
        t.covered_until_ns = t.covered_until_ns.max(until_ns);
    }

    /// Whether every thread still being sampled has delivered its samples up to `ts_ns`.
    pub fn is_covered(&self, ts_ns: u64) -> bool {
        self.covered_until() >= ts_ns
    }

    /// Up to when every thread still being sampled has delivered its samples
    /// (`u64::MAX` when none is): windows ending there or earlier are complete.
    pub fn covered_until(&self) -> u64 {
        self.threads
            .values()
            .filter(|t| t.active)
            .map(|t| t.covered_until_ns)
            .min()
            .unwrap_or(u64::MAX)
    }

    /// Newest timestamp ever accepted for a thread.
    pub fn last_ts(&self, thread: ThreadId) -> Option<u64> {
        self.threads.get(&thread).map(|t| t.last_ts_ns)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Samples accepted since the store was created.
    pub fn accepted(&self) -> u64 {
        self.accepted
    }

    pub fn dropped(&self) -> DropCounts {
        self.dropped
    }

    /// Samples released by [`SampleStore::prune_before`].
    pub fn pruned(&self) -> u64 {
        self.pruned
    }

    pub fn compactions(&self) -> u64 {
        self.compactions
    }

    pub fn thread_ids(&self) -> Vec<ThreadId> {
        self.threads.keys().copied().collect()
    }

    /// Every thread's `(id, name, active, covered_until_ns)`: what a rebuilt store
    /// needs to go on where this one was.
    /// Whether any thread is still being sampled.
    pub fn any_active(&self) -> bool {
        self.threads.values().any(|t| t.active)
    }

    pub fn thread_states(&self) -> Vec<(ThreadId, String, bool, u64)> {
        self.threads
            .iter()
            .map(|(id, t)| (*id, t.name.clone(), t.active, t.covered_until_ns))
            .collect()
    }

    pub fn thread_name(&self, thread: ThreadId) -> Option<&str> {
        self.threads.get(&thread).map(|t| t.name.as_str())
    }

    /// Samples of one thread, oldest first.
    pub fn samples(&self, thread: ThreadId) -> impl Iterator<Item = &Sample> {
        self.threads
            .get(&thread)
            .into_iter()
            .flat_map(|t| t.samples.iter())
    }

    /// Approximate bytes held: samples, threads and the stack table.
    pub fn bytes_held(&self) -> usize {
        self.len * SAMPLE_BYTES + self.threads.len() * THREAD_BYTES + self.table.heap_bytes()
    }

    /// Drops, without counting them as lost, samples older than `ts_ns`: no consumer
    /// needs them. Forgets threads that ended and have nothing left.
    pub fn prune_before(&mut self, ts_ns: u64) {
        for t in self.threads.values_mut() {
            let keep_from = t.samples.partition_point(|s| s.ts_ns < ts_ns);
            t.samples.drain(..keep_from);
            self.len -= keep_from;
            self.pruned += keep_from as u64;
        }
        self.threads
            .retain(|_, t| t.active || !t.samples.is_empty());
        // Stacks and frames seen long ago stay in the table until compacted; compact
        // when the table is large and has doubled since the last compaction kept what
        // the held samples reference, so that code created forever (new functions every
        // second) costs what the held samples reference, not what was ever seen. A
        // compaction costs O(nodes), so waiting for the table to double keeps the work
        // amortized; counting against held samples instead (a sample keeps its whole
        // stack alive, dozens of nodes in a deep one) compacted at every prune.
        if self.table.heap_bytes() > COMPACT_MIN_BYTES
            && self.table.stack_count() > 2 * self.live_nodes.max(self.len + 64)
        {
            self.compact();
        }
    }

    /// Rebuilds the stack table with only the stacks that samples still use.
    pub fn compact(&mut self) {
        let live: Vec<StackId> = self
            .threads
            .values()
            .flat_map(|t| t.samples.iter().map(|s| s.stack))
            .collect();
        let mapping = self.table.compact(live);
        for t in self.threads.values_mut() {
            for s in t.samples.iter_mut() {
                s.stack = mapping
                    .get(s.stack)
                    .expect("every held sample's stack is live");
            }
        }
        self.live_nodes = self.table.stack_count();
        self.compactions += 1;
    }

    fn over_limits(&self) -> bool {
        self.len > self.limits.max_samples || self.bytes_held() > self.limits.max_bytes
    }

    /// Brings the store back within its bounds: the oldest samples go first (counted
    /// as `capacity` drops), and the stack table is compacted when it is what weighs.
    /// Renumbers stack ids when it compacts: call it only between batches.
    pub fn enforce_limits(&mut self) {
        // Every round either compacts once or evicts at least one sample, so the loop
        // ends; with nothing left to evict after a compaction, only the fixed
        // per-thread overhead remains and the bound is as met as it can be.
        let mut compacted = false;
        while self.over_limits() {
            let bytes_over = self.bytes_held() > self.limits.max_bytes;
            if bytes_over && !compacted && self.table.heap_bytes() > self.limits.max_bytes / 2 {
                self.compact();
                compacted = true;
                continue;
            }
            if self.len == 0 {
                break;
            }
            let n = if self.len > self.limits.max_samples {
                self.len - self.limits.max_samples
            } else {
                (self.len / 8).max(1)
            };
            for _ in 0..n {
                self.evict_oldest();
            }
            compacted = false;
        }
    }

    fn evict_oldest(&mut self) {
        let oldest = self
            .threads
            .iter()
            .filter_map(|(id, t)| t.samples.front().map(|s| (s.ts_ns, *id)))
            .min();
        if let Some((_, id)) = oldest {
            if let Some(t) = self.threads.get_mut(&id) {
                t.samples.pop_front();
                self.len -= 1;
                self.dropped.capacity += 1;
            }
        }
    }
}

/// Below this the stack table is never compacted for being mostly dead.
const COMPACT_MIN_BYTES: usize = 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::Frame;

    fn store(max_samples: usize) -> SampleStore {
        SampleStore::new(
            StoreLimits {
                max_samples,
                max_bytes: usize::MAX,
            },
            ClockAnchor::new(0, 0),
        )
    }

    fn stack(s: &mut SampleStore, name: &str) -> StackId {
        let f = s.table_mut().intern_frame(Frame {
            function: Some(name.into()),
            ..Frame::default()
        });
        s.table_mut().intern_stack(&[f])
    }

    fn sample(ts_ns: u64, stack: StackId) -> Sample {
        Sample {
            ts_ns,
            stack,
            state: VmState::Js,
        }
    }

    /// A process that compiles new functions forever: every sample's leaf is a
    /// function never seen before, and samples older than a minute are pruned. The
    /// store's bytes stay bounded by what it holds, not by what it ever saw.
    #[test]
    fn function_churn_keeps_the_table_bounded_by_held_samples() {
        let mut s = store(usize::MAX);
        let hold = 2_000u64;
        let mut peak = 0usize;
        let mut at_hold = 0usize;
        for i in 0..60_000u64 {
            let root = s.table_mut().intern_frame(Frame {
                function: Some("main".into()),
                ..Frame::default()
            });
            let leaf = s.table_mut().intern_frame(Frame {
                function: Some(format!("anonymous_{i}")),
                filename: Some(format!("eval_{i}.js")),
                ..Frame::default()
            });
            let st = s.table_mut().intern_stack(&[leaf, root]);
            s.push(0, sample(i + 1, st));
            if i % 100 == 99 {
                s.prune_before((i + 1).saturating_sub(hold));
            }
            if i == 2 * hold {
                at_hold = s.bytes_held();
            }
            peak = peak.max(s.bytes_held());
        }
        assert!(s.compactions() > 0);
        assert!(s.len() as u64 <= hold + 100);
        // Bounded: the peak over 60 000 distinct functions is a small multiple of
        // the bytes once the held window filled, not 15 times it.
        assert!(
            peak < 4 * at_hold,
            "peak {peak} B against {at_hold} B after the first window"
        );
        assert!(s.table().frame_count() < 3 * (hold as usize + 164));
    }

    /// A compiler's deep, ever-different stacks (40 frames, the upper half new in
    /// every sample): each held sample keeps dozens of nodes alive, so the table is
    /// mostly live. It must not be rebuilt at every prune (it was, when compaction was
    /// judged against the number of held samples), yet stays bounded.
    #[test]
    fn deep_live_stacks_are_not_compacted_at_every_prune() {
        let mut s = store(usize::MAX);
        let hold = 2_000u64;
        let mut prunes = 0u64;
        let mut peak_nodes = 0usize;
        for i in 0..20_000u64 {
            let frames: Vec<crate::stack_table::FrameId> = (0..40u64)
                .map(|d| {
                    // The outer 20 frames are shared; the inner 20 differ per sample.
                    let name = if d >= 20 {
                        format!("f{d}")
                    } else {
                        format!("g{d}_{i}")
                    };
                    s.table_mut().intern_frame(Frame {
                        function: Some(name),
                        ..Frame::default()
                    })
                })
                .collect();
            let st = s.table_mut().intern_stack(&frames);
            s.push(0, sample(i + 1, st));
            if i % 100 == 99 {
                s.prune_before((i + 1).saturating_sub(hold));
                prunes += 1;
            }
            peak_nodes = peak_nodes.max(s.table().stack_count());
        }
        assert!(s.compactions() > 0, "the dead stacks were released");
        assert!(
            s.compactions() * 10 < prunes,
            "{} compactions in {prunes} prunes",
            s.compactions()
        );
        // About 20 live nodes per held sample; the table stays within a few times that.
        let live = (hold as usize + 100) * 20;
        assert!(
            peak_nodes < 5 * live,
            "peak {peak_nodes} nodes, {live} live"
        );
    }

    #[test]
    fn keeps_the_newest_samples_and_counts_the_dropped() {
        let mut s = store(10);
        let a = stack(&mut s, "a");
        for i in 1..=25 {
            assert!(s.push((i % 2) as ThreadId, sample(i * 10, a)));
        }
        s.enforce_limits();
        assert_eq!(s.len(), 10);
        assert_eq!(s.dropped().capacity, 15);
        let mut kept: Vec<u64> = s
            .thread_ids()
            .into_iter()
            .flat_map(|t| s.samples(t).map(|x| x.ts_ns).collect::<Vec<_>>())
            .collect();
        kept.sort();
        assert_eq!(kept, (16..=25).map(|i| i * 10).collect::<Vec<_>>());
    }

    #[test]
    fn byte_budget_is_enforced() {
        let mut s = SampleStore::new(
            StoreLimits {
                max_samples: usize::MAX,
                max_bytes: 4096,
            },
            ClockAnchor::new(0, 0),
        );
        let a = stack(&mut s, "a");
        for i in 1..=10_000 {
            s.push(0, sample(i, a));
            if i % 100 == 0 {
                s.enforce_limits();
            }
        }
        s.enforce_limits();
        assert!(s.bytes_held() <= 4096);
        assert_eq!(s.dropped().capacity as usize + s.len(), 10_000);
    }

    #[test]
    fn duplicates_and_out_of_order_samples_are_refused_and_counted() {
        let mut s = store(100);
        let a = stack(&mut s, "a");
        assert!(s.push(0, sample(10, a)));
        assert!(!s.push(0, sample(10, a)));
        assert!(!s.push(0, sample(5, a)));
        assert!(
            s.push(1, sample(5, a)),
            "other threads have their own order"
        );
        assert_eq!(s.dropped().out_of_order, 2);
    }

    #[test]
    fn coverage_waits_only_for_active_threads() {
        let mut s = store(100);
        s.register_thread(0, "main");
        s.register_thread(3, "w");
        s.mark_covered(0, 100);
        assert!(!s.is_covered(50));
        s.mark_covered(3, 60);
        assert!(s.is_covered(50));
        assert!(!s.is_covered(80));
        assert_eq!(s.covered_until(), 60);
        s.deactivate_thread(3);
        assert!(s.is_covered(80));
        assert_eq!(s.covered_until(), 100);
    }

    #[test]
    fn pruning_forgets_consumed_samples_without_counting_loss() {
        let mut s = store(100);
        let a = stack(&mut s, "a");
        for i in 1..=10 {
            s.push(0, sample(i, a));
        }
        s.prune_before(6);
        assert_eq!(s.len(), 5);
        assert_eq!(s.dropped(), DropCounts::default());
        assert_eq!(s.samples(0).next().unwrap().ts_ns, 6);
    }

    #[test]
    fn compaction_keeps_stacks_of_live_samples() {
        let mut s = store(1000);
        let stacks: Vec<StackId> = (0..50).map(|i| stack(&mut s, &i.to_string())).collect();
        s.push(0, sample(1, stacks[3]));
        s.push(0, sample(2, stacks[42]));
        s.compact();
        assert_eq!(s.table().stack_count(), 2);
        let names: Vec<_> = s
            .samples(0)
            .map(|x| {
                let f = s.table().leaf_of(x.stack).unwrap();
                s.table().frame(f).function.clone().unwrap()
            })
            .collect();
        assert_eq!(names, ["3", "42"]);
    }
}
