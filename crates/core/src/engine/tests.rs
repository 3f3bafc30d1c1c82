//! The engine over arbitrary message sequences: every window is delivered exactly
//! once, chunks are contiguous and of their period, nothing panics, and the sample
//! accounting adds up, with budgets down to the smallest allowed.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;
use crate::frame::{V8NodeInfo, V8SourceType};
use crate::sentry::Measurements;

const MS: u64 = 1_000_000;

fn meta() -> ProfileMeta {
    ProfileMeta::node(("ferroprof", "0.0.0"), "v20.0.0", ("linux", ""), "x86_64")
}

fn counter_ids() -> ChunkIdSource {
    let mut n = 0u64;
    Box::new(move || {
        n += 1;
        format!("{n:032x}")
    })
}

fn engine(limits: StoreLimits) -> Engine<u32> {
    Engine::new(
        EngineConfig {
            limits,
            prune_margin_ns: 50 * MS,
            ..EngineConfig::default()
        },
        ClockAnchor::new(0, 1_700_000_000_000_000_000),
        meta(),
        counter_ids(),
    )
}

fn no_measurements(_: u64, _: u64) -> Measurements {
    Measurements::new()
}

/// A V8 node named `name` (`(root)`, `(program)`… have no script, as in V8).
pub(crate) fn node(key: usize, parent: Option<usize>, name: &str) -> RawNode {
    RawNode {
        key,
        parent,
        info: V8NodeInfo {
            function_name: name.into(),
            script_name: if name.starts_with('(') {
                String::new()
            } else {
                format!("/app/{name}.js")
            },
            line: 1,
            column: 1,
            source_type: V8SourceType::Script,
        },
        line_ticks: Vec::new(),
    }
}

/// A batch of `n` samples on `thread` from `t0`, one per ms, with stacks of depth up
/// to 4 drawn from `distinct` functions (many distinct stacks stress the budget).
fn batch(thread: ThreadId, t0: u64, n: usize, distinct: usize, seed: usize) -> Batch {
    let mut nodes = vec![node(1, None, "(root)")];
    let mut samples = Vec::new();
    for i in 0..n {
        let mut parent = 1usize;
        let depth = 1 + (seed + i) % 4;
        for d in 0..depth {
            let key = nodes.len() + 1;
            let f = (seed * 31 + i * 7 + d * 13) % distinct.max(1);
            nodes.push(node(key, Some(parent), &format!("f{f}_{d}")));
            parent = key;
        }
        samples.push(RawSample {
            ts_ns: t0 + i as u64 * MS,
            node: parent,
            state: 0,
        });
    }
    Batch {
        thread_id: thread,
        nodes,
        samples,
        covered_until_ns: t0 + n as u64 * MS,
        lines: LineMode::Executing,
    }
}

#[derive(Clone, Debug)]
enum Op {
    Batch {
        thread: u8,
        n: u8,
        distinct: u16,
    },
    Open {
        chunked: bool,
        limited: bool,
    },
    Close {
        pick: u8,
        reopen: bool,
        encoding: u8,
    },
    Start {
        thread: u8,
    },
    End {
        thread: u8,
    },
    Covered {
        thread: u8,
    },
    Tick {
        ms: u16,
    },
    Limits {
        samples: u16,
        bytes: u32,
    },
    Reset,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..3, 0u8..40, 1u16..500).prop_map(|(thread, n, distinct)| Op::Batch { thread, n, distinct }),
        2 => (any::<bool>(), any::<bool>()).prop_map(|(chunked, limited)| Op::Open { chunked, limited }),
        2 => (any::<u8>(), any::<bool>(), 0u8..3).prop_map(|(pick, reopen, encoding)| Op::Close { pick, reopen, encoding }),
        1 => (0u8..3).prop_map(|thread| Op::Start { thread }),
        1 => (0u8..3).prop_map(|thread| Op::End { thread }),
        1 => (0u8..3).prop_map(|thread| Op::Covered { thread }),
        3 => (0u16..300).prop_map(|ms| Op::Tick { ms }),
        1 => (1u16..2000, 1024u32..200_000).prop_map(|(samples, bytes)| Op::Limits { samples, bytes }),
        1 => Just(Op::Reset),
    ]
}

/// Drives an engine through `ops` the way the binding does (one poll after every
/// message), then ends every thread and waits past every deadline.
struct Harness {
    e: Engine<u32>,
    now: u64,
    /// Per thread, the next sample timestamp (strictly increasing per thread).
    next_ts: BTreeMap<ThreadId, u64>,
    open: Vec<(WindowId, bool)>,
    next_id: WindowId,
    closes: BTreeMap<WindowId, u32>,
    deliveries: Vec<Delivery<u32>>,
    chunk_ends: BTreeMap<WindowId, Vec<(u64, u64)>>,
    /// Windows opened with [`LIMIT`] (and not chunked).
    limited: BTreeSet<WindowId>,
    seed: usize,
}

/// The limit of the harness's limited windows.
const LIMIT: WindowLimit = WindowLimit {
    max_ns: 60 * MS,
    wait_ns: 100 * MS,
};

impl Harness {
    fn new(limits: StoreLimits) -> Self {
        Self {
            e: engine(limits),
            now: 10 * MS,
            next_ts: BTreeMap::new(),
            open: Vec::new(),
            next_id: 1,
            closes: BTreeMap::new(),
            deliveries: Vec::new(),
            chunk_ends: BTreeMap::new(),
            limited: BTreeSet::new(),
            seed: 0,
        }
    }

    fn send(&mut self, msg: Message<u32>) {
        self.e.handle(msg, self.now);
        let out = self.e.poll(self.now, &no_measurements);
        self.deliveries.extend(out);
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Batch {
                thread,
                n,
                distinct,
            } => {
                let tid = ThreadId::from(thread);
                let t0 =
                    (*self.next_ts.get(&tid).unwrap_or(&0)).max(self.now.saturating_sub(40 * MS));
                let b = batch(tid, t0, n as usize, distinct as usize, self.seed);
                self.seed += 1;
                self.next_ts.insert(tid, t0 + n as u64 * MS + 1);
                self.now = self.now.max(t0 + n as u64 * MS);
                self.send(Message::Batch(b));
            }
            Op::Open { chunked, limited } => {
                let id = self.next_id;
                if limited && !chunked {
                    self.limited.insert(id);
                }
                self.next_id += 1;
                self.open.push((id, chunked));
                let chunks = chunked.then(|| ChunkPlan {
                    period_ns: 30 * MS,
                    profiler_id: "a".repeat(32),
                    reply: id,
                    wait_ns: 100 * MS,
                });
                self.send(Message::OpenWindow {
                    id,
                    start_ns: self.now,
                    chunks,
                    limit: limited.then_some(LIMIT),
                });
            }
            Op::Close {
                pick,
                reopen,
                encoding,
            } => {
                // Now and then a close of an id that is not open.
                let id = if self.open.is_empty() || pick == 255 {
                    (10_000 + u32::from(pick), reopen)
                } else {
                    let i = pick as usize % self.open.len();
                    let (id, chunked) = self.open[i];
                    // A chunked window's chunks are cut by the engine; closing it ends it.
                    let reopen = reopen && !chunked;
                    if !reopen {
                        self.open.remove(i);
                    }
                    (id, reopen)
                };
                let (id, reopen) = id;
                *self.closes.entry(id).or_default() += 1;
                let encoding = match encoding {
                    0 => Encoding::Raw,
                    1 => Encoding::V1(TransactionMeta {
                        profile_id: "b".repeat(32),
                        id: "c".repeat(32),
                        name: "txn".into(),
                        trace_id: "d".repeat(32),
                        active_thread_id: 0,
                    }),
                    _ => Encoding::V2(ChunkMeta {
                        profiler_id: "e".repeat(32),
                        chunk_id: "f".repeat(32),
                    }),
                };
                self.send(Message::CloseWindow(Close {
                    id,
                    end_ns: self.now,
                    active_thread_id: 0,
                    reply: id,
                    encoding,
                    reopen,
                    wait_ns: 200 * MS,
                }));
            }
            Op::Start { thread } => self.send(Message::ThreadStarted {
                thread_id: thread.into(),
                name: format!("t{thread}"),
            }),
            Op::End { thread } => self.send(Message::ThreadEnded {
                thread_id: thread.into(),
            }),
            Op::Covered { thread } => self.send(Message::Covered {
                thread_id: thread.into(),
                until_ns: self.now,
            }),
            Op::Tick { ms } => {
                self.now += u64::from(ms) * MS;
                let out = self.e.poll(self.now, &no_measurements);
                self.deliveries.extend(out);
            }
            Op::Limits { samples, bytes } => {
                let mut c = self.e.config().clone();
                c.limits = StoreLimits {
                    max_samples: samples as usize,
                    max_bytes: bytes as usize,
                };
                self.send(Message::Configure(c));
            }
            Op::Reset => {
                let out = self.e.reset();
                self.deliveries.extend(out);
            }
        }
    }

    /// Closes what is still open, ends every thread and waits out every deadline.
    fn finish(&mut self) {
        for (id, _) in std::mem::take(&mut self.open) {
            *self.closes.entry(id).or_default() += 1;
            self.send(Message::CloseWindow(Close {
                id,
                end_ns: self.now,
                active_thread_id: 0,
                reply: id,
                encoding: Encoding::Raw,
                reopen: false,
                wait_ns: 200 * MS,
            }));
        }
        for t in 0..3u64 {
            self.send(Message::ThreadEnded { thread_id: t });
        }
        self.now += 10_000 * MS;
        let out = self.e.poll(self.now, &no_measurements);
        self.deliveries.extend(out);
    }
}

fn check_accounting(s: &EngineStats) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        s.samples_ingested,
        s.samples_held
            + s.samples_pruned
            + s.samples_dropped_capacity
            + s.samples_out_of_order
            + s.samples_lost_reset,
        "accounting: {:?}",
        s
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn every_window_is_delivered_exactly_once_and_counters_add_up(
        ops in proptest::collection::vec(op(), 1..80),
        tiny in any::<bool>(),
    ) {
        let limits = if tiny {
            StoreLimits { max_samples: 50, max_bytes: 1024 }
        } else {
            StoreLimits::default()
        };
        let mut h = Harness::new(limits);
        for op in &ops {
            h.apply(op);
            check_accounting(&h.e.stats())?;
            let s = h.e.stats();
            prop_assert!(tiny || s.samples_held as usize <= StoreLimits::default().max_samples);
        }
        h.finish();
        let s = h.e.stats();
        check_accounting(&s)?;
        prop_assert_eq!(s.windows_pending, 0);
        prop_assert_eq!(s.windows_open, 0);

        // Each close got exactly one delivery; every other delivery is a cut chunk.
        let mut per_close: BTreeMap<WindowId, u32> = BTreeMap::new();
        let mut chunk_count = 0u64;
        let mut chunk_ids = BTreeSet::new();
        for d in &h.deliveries {
            prop_assert_eq!(d.reply, d.id, "delivered to its own closer");
            if let Some(c) = &d.chunk_id {
                prop_assert!(chunk_ids.insert(c.clone()), "chunk id reused");
            }
            *per_close.entry(d.id).or_default() += 1;
            if d.chunk_id.is_some() {
                chunk_count += 1;
                h.chunk_ends.entry(d.id).or_default().push((d.start_ns, d.end_ns));
            }
            // A limited window ends at its limit at the latest, exactly there when
            // it was closed later.
            if h.limited.contains(&d.id) && d.kind() != ResultKind::Failed {
                let len = d.end_ns - d.start_ns;
                prop_assert!(len <= LIMIT.max_ns, "{} ns > the limit", len);
                prop_assert!(!d.truncated || len == LIMIT.max_ns, "truncated at {} ns", len);
            } else if !h.limited.contains(&d.id) {
                prop_assert!(!d.truncated);
            }
            if let Payload::Encoded(data) = &d.payload {
                let bytes = data.as_bytes();
                if d.chunk_id.is_some() {
                    prop_assert!(crate::sentry::validate_v2(bytes).is_ok());
                }
            }
        }
        let cut = s.chunks_cut;
        prop_assert_eq!(s.deliveries, s.windows_closed + cut);
        prop_assert_eq!(h.deliveries.len() as u64, s.deliveries);
        // Closes of chunked windows are chunks too; everything else is one per close.
        let closes: u32 = h.closes.values().sum();
        prop_assert_eq!(h.deliveries.len() as u64, u64::from(closes) + cut);
        prop_assert!(chunk_count >= cut);

        // Chunks of one window are contiguous, never overlap, and the cut ones
        // (all but a window's last) are exactly one period long.
        for spans in h.chunk_ends.values_mut() {
            spans.sort();
            for pair in spans.windows(2) {
                prop_assert_eq!(pair[1].0, pair[0].1 + 1, "contiguous: {:?}", spans);
                prop_assert_eq!(pair[0].1 - pair[0].0 + 1, 30 * MS, "period: {:?}", spans);
            }
        }
    }
}

/// The main thread, sampled, with window 1 open from time 0.
fn main_thread_with_window(e: &mut Engine<u32>) {
    main_thread_with_limited_window(e, None);
}

/// The main thread, sampled, with window 1 open from time 0 with `limit`.
fn main_thread_with_limited_window(e: &mut Engine<u32>, limit: Option<WindowLimit>) {
    e.handle(
        Message::ThreadStarted {
            thread_id: 0,
            name: "main".into(),
        },
        0,
    );
    e.handle(
        Message::OpenWindow {
            id: 1,
            start_ns: 0,
            chunks: None,
            limit,
        },
        0,
    );
}

#[test]
fn a_tiny_byte_budget_with_many_distinct_stacks_never_corrupts_ids() {
    // The case that used to panic: compaction inside a batch renumbered stacks the
    // interner still held.
    let mut e = engine(StoreLimits {
        max_samples: 250_000,
        max_bytes: 1024,
    });
    main_thread_with_window(&mut e);
    let mut t = 1;
    for i in 0..20 {
        e.handle(Message::Batch(batch(0, t, 200, 3000, i)), t);
        t += 200 * MS + 1;
        check_accounting(&e.stats()).unwrap();
        assert!(e.stats().bytes_held <= 1024 + 128, "{:?}", e.stats());
    }
    e.handle(
        Message::CloseWindow(Close {
            id: 1,
            end_ns: t,
            active_thread_id: 0,
            reply: 1,
            encoding: Encoding::Raw,
            reopen: false,
            wait_ns: 0,
        }),
        t,
    );
    let out = e.poll(t + 1, &no_measurements);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind(), ResultKind::Raw);
    let s = e.stats();
    assert!(s.samples_dropped_capacity > 0);
    check_accounting(&s).unwrap();
}

#[test]
fn chunks_are_cut_on_their_period_without_any_close() {
    let mut e = engine(StoreLimits::default());
    e.handle(
        Message::ThreadStarted {
            thread_id: 0,
            name: "main".into(),
        },
        0,
    );
    e.handle(
        Message::OpenWindow {
            id: 7,
            start_ns: 0,
            chunks: Some(ChunkPlan {
                period_ns: 1000 * MS,
                profiler_id: "a".repeat(32),
                reply: 7,
                wait_ns: 5000 * MS,
            }),
            limit: None,
        },
        0,
    );
    // 2.5 s of samples handed over in 100 ms batches, as interrupts rotate them while
    // the JS thread never yields.
    let mut out = Vec::new();
    for k in 0..25u64 {
        let b = batch(0, k * 100 * MS + 1, 100, 5, k as usize);
        let now = (k + 1) * 100 * MS;
        e.handle(Message::Batch(b), now);
        out.extend(e.poll(now, &no_measurements));
    }
    assert_eq!(out.len(), 2, "two full chunks of 1 s in 2.5 s");
    for (i, d) in out.iter().enumerate() {
        assert_eq!(d.kind(), ResultKind::Encoded, "{:?}", d.payload);
        assert_eq!(d.start_ns, i as u64 * 1000 * MS);
        assert_eq!(d.end_ns - d.start_ns + 1, 1000 * MS);
        assert_eq!(d.samples, 1000);
        assert!(d.complete);
    }
}

#[test]
fn a_window_waits_for_busy_threads_until_its_deadline() {
    let mut e = engine(StoreLimits::default());
    for t in [0, 1] {
        e.handle(
            Message::ThreadStarted {
                thread_id: t,
                name: format!("t{t}"),
            },
            0,
        );
    }
    e.handle(
        Message::OpenWindow {
            id: 1,
            start_ns: 0,
            chunks: None,
            limit: None,
        },
        0,
    );
    e.handle(Message::Batch(batch(0, 1, 50, 5, 0)), 60 * MS);
    e.handle(
        Message::CloseWindow(Close {
            id: 1,
            end_ns: 50 * MS,
            active_thread_id: 0,
            reply: 1,
            encoding: Encoding::Raw,
            reopen: false,
            wait_ns: 100 * MS,
        }),
        60 * MS,
    );
    assert!(
        e.poll(100 * MS, &no_measurements).is_empty(),
        "thread 1 is busy"
    );
    let out = e.poll(161 * MS, &no_measurements);
    assert_eq!(out.len(), 1);
    assert!(!out[0].complete);
    assert_eq!(e.stats().windows_timed_out, 1);
}

#[test]
fn reset_fails_pending_windows_and_keeps_counting() {
    let mut e = engine(StoreLimits::default());
    main_thread_with_window(&mut e);
    e.handle(Message::Batch(batch(0, 1, 30, 5, 0)), 40 * MS);
    e.handle(
        Message::CloseWindow(Close {
            id: 1,
            end_ns: 100 * MS,
            active_thread_id: 0,
            reply: 1,
            encoding: Encoding::Raw,
            reopen: false,
            wait_ns: 1000 * MS,
        }),
        40 * MS,
    );
    let out = e.reset();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind(), ResultKind::Failed);
    let s = e.stats();
    assert_eq!(s.samples_lost_reset, 30);
    check_accounting(&s).unwrap();
}

#[test]
fn a_window_past_its_limit_ends_there_and_no_longer_pins_the_store() {
    // `engine()` prunes what is older than 50 ms and not needed by a window.
    let mut e = engine(StoreLimits::default());
    main_thread_with_limited_window(
        &mut e,
        Some(WindowLimit {
            max_ns: 20 * MS,
            wait_ns: 100 * MS,
        }),
    );
    // 2 s of samples, one per ms, handed over in batches; the close comes last.
    for k in 0..20u64 {
        e.handle(
            Message::Batch(batch(0, 1 + k * 100 * MS, 100, 5, 0)),
            (k + 1) * 100 * MS,
        );
        assert!(e.poll((k + 1) * 100 * MS, &no_measurements).is_empty());
    }
    let s = e.stats();
    assert!(s.samples_held < 200, "set aside, then pruned: {s:?}");
    e.handle(
        Message::CloseWindow(Close {
            id: 1,
            end_ns: 2_000 * MS,
            active_thread_id: 0,
            reply: 1,
            encoding: Encoding::Raw,
            reopen: false,
            wait_ns: 100 * MS,
        }),
        2_000 * MS,
    );
    let out = e.poll(2_000 * MS, &no_measurements);
    assert_eq!(out.len(), 1);
    assert!(out[0].truncated && out[0].complete);
    assert_eq!((out[0].start_ns, out[0].end_ns), (0, 20 * MS));
    assert_eq!(out[0].samples, 20, "the samples of 1..=20 ms");
    check_accounting(&e.stats()).unwrap();
}

#[test]
fn debug_ids_of_every_isolate_are_kept() {
    let mut e = engine(StoreLimits {
        max_samples: 1000,
        max_bytes: 1 << 20,
    });
    let with = |pairs: &[(&str, &str)]| {
        let mut m = meta();
        m.debug_ids = pairs
            .iter()
            .map(|(p, id)| (p.to_string(), id.to_string()))
            .collect();
        Box::new(m)
    };
    e.handle(Message::SetProfileMeta(with(&[("/app/main.js", "a")])), 0);
    // A worker sets the process's metadata with the files it loaded.
    e.handle(Message::SetProfileMeta(with(&[("/app/worker.js", "b")])), 0);
    e.handle(Message::SetProfileMeta(with(&[("/app/main.js", "c")])), 0);
    let ids: Vec<_> = e
        .meta
        .debug_ids
        .iter()
        .map(|(p, id)| (p.as_str(), id.as_str()))
        .collect();
    assert_eq!(ids, [("/app/main.js", "c"), ("/app/worker.js", "b")]);
}

/// Closes window 1 of `e` at `end_ns` into `encoding` and returns its one delivery.
fn close_into(e: &mut Engine<u32>, end_ns: u64, encoding: Encoding) -> Delivery<u32> {
    e.handle(
        Message::CloseWindow(Close {
            id: 1,
            end_ns,
            active_thread_id: 0,
            reply: 1,
            encoding,
            reopen: false,
            wait_ns: 0,
        }),
        end_ns,
    );
    let mut out = e.poll(end_ns + 1, &no_measurements);
    assert_eq!(out.len(), 1);
    out.remove(0)
}

#[test]
fn a_raw_window_carries_its_samples_stacks_and_frames_typed() {
    let mut e = engine(StoreLimits::default());
    main_thread_with_window(&mut e);
    e.handle(Message::Batch(batch(0, 1, 30, 5, 0)), 40 * MS);
    let d = close_into(&mut e, 40 * MS, Encoding::Raw);
    let Payload::Raw(w) = &d.payload else {
        panic!("raw payload, got {:?}", d.kind())
    };
    assert_eq!((w.id, w.samples.len()), (1, 30));
    assert_eq!(d.samples, 30);
    assert!(w.samples.windows(2).all(|p| p[0].ts_ns < p[1].ts_ns));
    for s in &w.samples {
        let stack = &w.stacks[s.stack_id as usize];
        assert!(stack.iter().all(|&f| (f as usize) < w.frames.len()));
    }
    assert_eq!(w.thread_names.get(&0).map(String::as_str), Some("main"));
    assert!(d.payload.heap_bytes() > 30 * std::mem::size_of::<PayloadSample>());
}

#[test]
fn a_refused_window_says_why_with_a_reason_not_a_json_string() {
    let mut e = engine(StoreLimits::default());
    main_thread_with_window(&mut e);
    // One sample: Sentry needs two.
    e.handle(Message::Batch(batch(0, 1, 1, 5, 0)), 10 * MS);
    let txn = TransactionMeta {
        profile_id: "a".repeat(32),
        id: "b".repeat(32),
        name: "GET /".into(),
        trace_id: "c".repeat(32),
        active_thread_id: 0,
    };
    let d = close_into(&mut e, 10 * MS, Encoding::V1(txn));
    assert_eq!(d.kind(), ResultKind::Rejected);
    let Payload::Rejected(refusal) = &d.payload else {
        panic!("rejected, got {:?}", d.kind())
    };
    assert_eq!(refusal.reason, crate::sentry::Reason::NotEnoughSamples);
    assert!(!refusal.message.is_empty());
}
