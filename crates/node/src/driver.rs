//! The engine thread: drives the core [`Engine`] with the messages JS threads send and
//! the monotonic clock, and posts its deliveries to the mailbox of the isolate that
//! asked. A panic is caught, counted, and the engine is reset (pending windows get a
//! failed result); the thread never dies and nothing waits on it forever.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};
use ferroprof_core::engine::{Delivery, Engine, EngineConfig, EngineStats, Message};
use ferroprof_core::sentry::{new_event_id, ProfileMeta};
use ferroprof_core::ClockAnchor;

use crate::bridge;
use crate::mailbox::{Mailbox, Reply};
use crate::resources::ResourceSampler;
use crate::stats::Stats;

/// A message for the engine thread: what the engine takes, with replies that go to
/// isolates' mailboxes.
pub type EngineMsg = Message<Reply>;

/// What the engine thread reports to the process-wide runtime (which implements it).
pub trait Host: Sync {
    fn stats(&self) -> &Stats;
    /// A queued batch was handled: it leaves the queue's accounting.
    fn batch_handled(&self, bytes: usize, samples: u64, engine: Option<EngineStats>);
    /// The engine's counters after a poll.
    fn publish_engine(&self, engine: EngineStats);
}

/// What travels on the queue to the engine thread. One ordered queue for control and
/// data, so a thread's last batch is always handled before its end; only batches are
/// ever refused (by the admission budget in `runtime`), control is never dropped.
pub enum Queued {
    Msg(EngineMsg),
    /// A batch admitted under the budget; `bytes` is returned to it once handled.
    Batch {
        msg: EngineMsg,
        bytes: usize,
        samples: u64,
    },
    /// A deliberate panic on the engine thread, for the fault-recovery tests only (see
    /// `injectFault`).
    Fault,
}

static ANCHOR: std::sync::OnceLock<ClockAnchor> = std::sync::OnceLock::new();

/// The process's one pairing of the monotonic clock with wall-clock time.
pub fn clock_anchor() -> ClockAnchor {
    *ANCHOR.get_or_init(|| ClockAnchor::new(bridge::monotonic_now_ns(), unix_now_ns()))
}

fn unix_now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Starts the engine thread, reporting to `host`; returns the sending side of its
/// queue.
pub fn spawn(config: EngineConfig, host: &'static dyn Host) -> Sender<Queued> {
    let (tx, rx) = unbounded();
    // If the thread cannot be spawned the receiver drops, sends fail, and every lost
    // batch is counted; the host process keeps running.
    let _ = thread::Builder::new()
        .name("ferroprof-engine".into())
        .spawn(move || Driver::new(config, host).run(rx));
    tx
}

fn default_meta() -> ProfileMeta {
    ProfileMeta::node(
        ("ferroprof", env!("CARGO_PKG_VERSION")),
        "",
        (std::env::consts::OS, ""),
        std::env::consts::ARCH,
    )
}

/// How often the engine thread reads CPU and memory of the process, and polls the engine
/// for deadlines when no message arrives.
const RESOURCE_PERIOD: Duration = Duration::from_millis(100);
/// The engine thread's sleep while nothing samples and no window is open or pending
/// (a message wakes it).
const IDLE_WAIT: Duration = Duration::from_secs(10);
/// Encoded payload bytes after which freed memory is given back to the system.
const TRIM_AFTER_BYTES: usize = 1024 * 1024;
/// How long after those payloads were posted (their buffers are freed once the JS
/// thread has taken them).
const TRIM_DELAY: Duration = Duration::from_secs(2);
/// Least time between two releases (a 60 s chunk at 1001 Hz is what needs one).
const TRIM_MIN_PERIOD: Duration = Duration::from_secs(30);
/// Most messages handled before the engine is polled again.
const DRAIN_LIMIT: usize = 4096;

struct Driver {
    engine: Engine<Reply>,
    host: &'static dyn Host,
    resources: ResourceSampler,
    last_resource_read: Option<Instant>,
    /// Payload bytes posted since freed memory was last given back to the system.
    encoded_since_trim: usize,
    /// When to give it back (see `bridge::release_free_memory`), and when it last was.
    trim_at: Option<Instant>,
    last_trim: Option<Instant>,
}

impl Driver {
    fn new(config: EngineConfig, host: &'static dyn Host) -> Self {
        Self {
            engine: Engine::new(
                config,
                clock_anchor(),
                default_meta(),
                Box::new(new_event_id),
            ),
            host,
            resources: ResourceSampler::new(),
            last_resource_read: None,
            encoded_since_trim: 0,
            trim_at: None,
            last_trim: None,
        }
    }

    fn run(mut self, rx: Receiver<Queued>) {
        let mut last_poll = Instant::now();
        loop {
            let mut progressed = false;
            // With nothing sampling and no window open or pending, nothing is due and
            // no measurement is needed: the thread sleeps until a message comes.
            let wait = if self.engine.is_dormant() {
                IDLE_WAIT
            } else {
                RESOURCE_PERIOD
            };
            match rx.recv_timeout(wait) {
                Ok(first) => {
                    // Take everything queued, then poll once: with thousands of windows
                    // per second, a poll per message would be quadratic.
                    for item in std::iter::once(first).chain(rx.try_iter().take(DRAIN_LIMIT)) {
                        self.handle(item);
                    }
                    progressed = true;
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            if progressed || last_poll.elapsed() >= RESOURCE_PERIOD {
                last_poll = Instant::now();
                self.guarded(|d| d.read_resources());
                self.guarded(|d| d.poll());
                self.publish();
            }
        }
    }

    fn handle(&mut self, item: Queued) {
        let (msg, admitted) = match item {
            Queued::Fault => {
                self.guarded(|_| panic!("ferroprof: injected fault"));
                return;
            }
            Queued::Msg(msg) => (msg, None),
            Queued::Batch {
                msg,
                bytes,
                samples,
            } => (msg, Some((bytes, samples))),
        };
        let now = bridge::monotonic_now_ns();
        self.guarded(move |d| d.engine.handle(msg, now));
        if let Some((bytes, samples)) = admitted {
            self.host.batch_handled(bytes, samples, self.engine_stats());
        }
    }

    fn engine_stats(&self) -> Option<ferroprof_core::engine::EngineStats> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.engine.stats())).ok()
    }

    /// Runs `f`; a panic is counted and the engine reset, so the thread goes on and
    /// every pending window still gets its (failed) result.
    fn guarded(&mut self, f: impl FnOnce(&mut Self)) {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self)));
        if result.is_err() {
            Stats::add(&self.host.stats().engine_panics, 1);
            let recovered =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.engine.reset()));
            match recovered {
                Ok(deliveries) => post_all(deliveries, self.host.stats()),
                Err(_) => {
                    // The state is beyond repair: start afresh. Promises of the lost
                    // windows settle at their JS-side deadline.
                    let config = self.engine.config().clone();
                    self.engine = Driver::new(config, self.host).engine;
                }
            }
        }
    }

    fn read_resources(&mut self) {
        // Measurements only go into windows, of sampled threads.
        if self.engine.is_dormant()
            || self
                .last_resource_read
                .is_some_and(|t| t.elapsed() < RESOURCE_PERIOD)
        {
            return;
        }
        self.last_resource_read = Some(Instant::now());
        self.resources.sample(bridge::monotonic_now_ns());
    }

    fn poll(&mut self) {
        let now = bridge::monotonic_now_ns();
        let resources = &self.resources;
        let deliveries = self
            .engine
            .poll(now, &|start, end| resources.window(start, end));
        self.encoded_since_trim += deliveries
            .iter()
            .map(|d| d.payload.heap_bytes())
            .sum::<usize>();
        post_all(deliveries, self.host.stats());
        // A megabyte of payloads later (a chunk at 1001 Hz is several), once the JS
        // thread has taken them and their buffers are free, and at most every
        // `TRIM_MIN_PERIOD`: the trim runs on this thread, but it holds each arena's
        // lock while it returns pages, and a JS thread that allocates meanwhile waits.
        if self.encoded_since_trim >= TRIM_AFTER_BYTES
            && self.trim_at.is_none()
            && self
                .last_trim
                .is_none_or(|t| t.elapsed() >= TRIM_MIN_PERIOD)
        {
            self.trim_at = Some(Instant::now() + TRIM_DELAY);
        }
        if self.trim_at.is_some_and(|at| Instant::now() >= at) {
            self.encoded_since_trim = 0;
            self.trim_at = None;
            self.last_trim = Some(Instant::now());
            bridge::release_free_memory();
        }
    }

    fn publish(&self) {
        if let Some(s) = self.engine_stats() {
            self.host.publish_engine(s);
        }
    }
}

/// Hands deliveries to their mailboxes (each wakes its isolate once).
fn post_all(deliveries: Vec<Delivery<Reply>>, stats: &Stats) {
    let mut touched: Vec<Arc<Mailbox>> = Vec::new();
    for d in deliveries {
        let mailbox = d.reply.mailbox.clone();
        mailbox.post(d, stats);
        if !touched.iter().any(|m| Arc::ptr_eq(m, &mailbox)) {
            touched.push(mailbox);
        }
    }
    for m in touched {
        m.wake();
    }
}
