//! Process-wide state shared by every isolate: configuration, statistics and the
//! sample accounting, the queue to the engine thread, and the rotation scheduler.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use ferroprof_core::cadence::{Cadence, SamplerTick};
use ferroprof_core::engine::{Batch, EngineConfig, EngineStats, Message};

use crate::driver::{self, EngineMsg, Queued};
use crate::handle::{lock, IsolateHandle};
use crate::stats::Stats;

/// Tunables, changed through `configure()`.
#[derive(Clone, Debug)]
pub struct Config {
    /// How often each running sampler hands its samples to the engine thread while
    /// windows open and close (the scheduler's tick).
    pub rotation_interval: Duration,
    /// How often it does while nothing waits for its samples (see
    /// `ferroprof_core::cadence`): each rotation costs the profiled process.
    pub quiet_rotation_interval: Duration,
    /// How long a sampler with no consumer keeps running before V8 profiling stops,
    /// so back-to-back transactions do not restart it.
    pub linger: Duration,
    /// Frequency used when a window starts the sampler.
    pub default_hz: f64,
    /// Longest wait of a closed window for samples of busy threads.
    pub max_window_wait: Duration,
    /// Bounds and naming of the engine (the state machine).
    pub engine: EngineConfig,
    /// Create each isolate's V8 profiler with eager code logging as soon as it is
    /// attached (or when this is switched on) and keep it for the life of the isolate,
    /// so no later start walks the heap. Off by default: eager logging taxes
    /// compiling and C++ calls even while nothing is sampled, so it is for processes
    /// that will profile (the SDK switches it on when profiling is configured).
    pub eager_logging: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            rotation_interval: Duration::from_millis(500),
            quiet_rotation_interval: Duration::from_secs(5),
            linger: Duration::from_secs(2),
            default_hz: ferroprof_core::limits::DEFAULT_FREQUENCY_HZ,
            max_window_wait: Duration::from_secs(5),
            engine: EngineConfig {
                app_root: std::env::current_dir()
                    .ok()
                    .map(|d| d.to_string_lossy().into_owned()),
                ..EngineConfig::default()
            },
            eager_logging: false,
        }
    }
}

/// Most bytes of sample batches queued for the engine thread; a batch beyond it is
/// dropped and its samples counted (`samplesDroppedQueue`). Control messages are
/// never refused.
const MAX_QUEUED_BYTES: u64 = 64 * 1024 * 1024;

/// Where every sample copied out of V8 is, at one instant. Updated under one lock
/// by the JS threads (at rotation) and the engine thread (after each batch), so a snapshot
/// always adds up:
/// `copied = duplicate + near_duplicate + dropped_queue + in_flight + engine.samples_ingested`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Accounting {
    /// Samples read out of V8 profiles.
    pub copied: u64,
    /// At or before the last sample handed over: the overlap of a rotation.
    pub duplicate: u64,
    /// A fraction of an interval after the previous sample: V8's extra sample at the
    /// start of every profile.
    pub near_duplicate: u64,
    /// Refused because the queue to the engine thread was over its byte budget.
    pub dropped_queue: u64,
    /// Queued for the engine thread, not handled yet.
    pub in_flight: u64,
    queued_bytes: u64,
    /// The engine's counters, as of its last batch or poll.
    pub engine: EngineStats,
}

pub struct Runtime {
    pub stats: Stats,
    config: Mutex<Config>,
    /// The queue to the engine thread, spawned once the runtime exists (it reports
    /// back to it).
    engine_tx: OnceLock<Sender<Queued>>,
    accounting: Mutex<Accounting>,
    /// Isolates whose sampler runs, by isolate key: the scheduler ticks these.
    running: Mutex<HashMap<u64, Arc<IsolateHandle>>>,
    /// Every attached isolate, sampling or not, by isolate key.
    attached: Mutex<HashMap<u64, Arc<IsolateHandle>>>,
    /// Frequency every attached isolate should sample at (0 = none): set while a
    /// continuous session runs, so workers are threads of its chunks.
    follow_hz: Mutex<f64>,
    /// A window opened or closed since the scheduler's last tick: every running
    /// sampler rotates at the next tick, so the window's threads hand over its samples.
    hurry: AtomicBool,
    scheduler_started: AtomicBool,
    next_window_id: AtomicU32,
    next_ticket: AtomicU32,
    next_isolate_key: AtomicU64,
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The process-wide runtime, started on first use.
pub fn runtime() -> &'static Runtime {
    let rt = RUNTIME.get_or_init(|| {
        quiet_panics();
        Runtime {
            stats: Stats::default(),
            config: Mutex::new(Config::default()),
            engine_tx: OnceLock::new(),
            accounting: Mutex::new(Accounting::default()),
            running: Mutex::new(HashMap::new()),
            attached: Mutex::new(HashMap::new()),
            follow_hz: Mutex::new(0.0),
            hurry: AtomicBool::new(false),
            scheduler_started: AtomicBool::new(false),
            next_window_id: AtomicU32::new(1),
            next_ticket: AtomicU32::new(1),
            next_isolate_key: AtomicU64::new(1),
        }
    });
    rt.engine_tx
        .get_or_init(|| driver::spawn(rt.setting(|c| c.engine.clone()), rt));
    rt
}

impl driver::Host for Runtime {
    fn stats(&self) -> &Stats {
        &self.stats
    }

    fn batch_handled(&self, bytes: usize, samples: u64, engine: Option<EngineStats>) {
        Runtime::batch_handled(self, bytes, samples, engine);
    }

    fn publish_engine(&self, engine: EngineStats) {
        Runtime::publish_engine(self, engine);
    }
}

impl Runtime {
    /// A copy of the whole configuration (for `configure`).
    pub fn config(&self) -> Config {
        lock(&self.config).clone()
    }

    /// One value of the configuration, read without copying the rest: JS-thread
    /// calls (every window open and close) read it.
    pub fn setting<T>(&self, read: impl FnOnce(&Config) -> T) -> T {
        read(&lock(&self.config))
    }

    pub fn set_config(&self, config: Config) {
        let engine = config.engine.clone();
        *lock(&self.config) = config;
        self.send(Message::Configure(engine));
    }

    pub fn next_window_id(&self) -> u32 {
        self.next_window_id.fetch_add(1, Ordering::Relaxed)
    }

    /// A ticket for one close; never 0 (that marks engine-cut chunks).
    pub fn next_ticket(&self) -> u32 {
        loop {
            let t = self.next_ticket.fetch_add(1, Ordering::Relaxed);
            if t != 0 {
                return t;
            }
        }
    }

    pub fn next_isolate_key(&self) -> u64 {
        self.next_isolate_key.fetch_add(1, Ordering::Relaxed)
    }

    /// Hands a control message to the engine thread. Never dropped: the queue is
    /// unbounded for these, and each is the product of one API call.
    pub fn send(&self, msg: EngineMsg) {
        // Fails only if the engine thread could not be spawned; then there is no one
        // to tell, and the JS-side deadlines settle whatever waited.
        let _ = self.queue(Queued::Msg(msg));
    }

    /// Queues an item for the engine thread; false if it could not be spawned.
    fn queue(&self, item: Queued) -> bool {
        self.engine_tx.get().is_some_and(|tx| tx.send(item).is_ok())
    }

    /// Makes the engine thread panic once (fault-recovery tests).
    pub fn inject_fault(&self) {
        let _ = self.queue(Queued::Fault);
    }

    /// Accounts for one rotation's samples and queues its batch, unless the queue
    /// is over its byte budget (then the batch's samples are counted as dropped).
    pub fn send_batch(&self, batch: Batch, copied: u64, duplicate: u64, near_duplicate: u64) {
        let samples = batch.samples.len() as u64;
        let bytes = batch_bytes(&batch);
        let mut acc = lock(&self.accounting);
        acc.copied += copied;
        acc.duplicate += duplicate;
        acc.near_duplicate += near_duplicate;
        if acc.queued_bytes + bytes as u64 > MAX_QUEUED_BYTES {
            acc.dropped_queue += samples;
            return;
        }
        let queued = Queued::Batch {
            msg: Message::Batch(batch),
            bytes,
            samples,
        };
        if self.queue(queued) {
            acc.in_flight += samples;
            acc.queued_bytes += bytes as u64;
        } else {
            acc.dropped_queue += samples;
        }
    }

    /// The engine thread has handled a batch: it leaves the queue and enters the
    /// engine in one step of the accounting.
    pub fn batch_handled(&self, bytes: usize, samples: u64, engine: Option<EngineStats>) {
        let mut acc = lock(&self.accounting);
        acc.in_flight -= samples.min(acc.in_flight);
        acc.queued_bytes -= (bytes as u64).min(acc.queued_bytes);
        if let Some(e) = engine {
            acc.engine = e;
        }
    }

    pub fn publish_engine(&self, engine: EngineStats) {
        lock(&self.accounting).engine = engine;
    }

    pub fn accounting(&self) -> Accounting {
        *lock(&self.accounting)
    }

    /// Puts a running sampler under the scheduler's ticks.
    pub fn schedule(&'static self, handle: Arc<IsolateHandle>) {
        lock(&self.running).insert(handle.key, handle);
        if !self.scheduler_started.swap(true, Ordering::AcqRel) {
            let spawned = thread::Builder::new()
                .name("ferroprof-scheduler".into())
                .spawn(move || self.scheduler_loop());
            if spawned.is_err() {
                self.scheduler_started.store(false, Ordering::Release);
            }
        }
    }

    pub fn unschedule(&self, key: u64) {
        lock(&self.running).remove(&key);
    }

    pub fn register_isolate(&self, handle: Arc<IsolateHandle>) {
        lock(&self.attached).insert(handle.key, handle);
    }

    pub fn unregister_isolate(&self, key: u64) {
        lock(&self.attached).remove(&key);
        lock(&self.running).remove(&key);
    }

    pub fn follow_hz(&self) -> f64 {
        *lock(&self.follow_hz)
    }

    /// Asks every attached isolate but `except` to sample at `hz` (0: stop following).
    pub fn set_follow(&self, hz: f64, except: Option<u64>) {
        *lock(&self.follow_hz) = hz;
        let handles: Vec<Arc<IsolateHandle>> = lock(&self.attached)
            .iter()
            .filter(|(k, _)| Some(**k) != except)
            .map(|(_, h)| h.clone())
            .collect();
        for handle in handles {
            handle.follow();
        }
    }

    /// A window opened or closed: rotate every sampler at the next tick. One relaxed
    /// store, as it runs with every transaction.
    pub fn hurry(&self) {
        self.hurry.store(true, Ordering::Relaxed);
    }

    /// Every rotation interval, asks the running samplers that are due (see
    /// `ferroprof_core::cadence`) to rotate on their own JS threads. Nothing is asked
    /// of isolates that are not sampling, so an idle process is never woken.
    fn scheduler_loop(&self) {
        // Per sampler: rotations asked since it started, and when the last one was.
        let mut seen: HashMap<u64, (u32, Instant)> = HashMap::new();
        loop {
            let cadence =
                self.setting(|c| Cadence::new(c.rotation_interval, c.quiet_rotation_interval));
            thread::sleep(cadence.fast);
            let hurry = self.hurry.swap(false, Ordering::Relaxed);
            let handles: Vec<Arc<IsolateHandle>> = lock(&self.running).values().cloned().collect();
            let now = Instant::now();
            seen.retain(|k, _| handles.iter().any(|h| h.key == *k));
            for handle in handles {
                let (rotations, last) = seen.entry(handle.key).or_insert((0, now));
                let tick = SamplerTick {
                    rotations: *rotations,
                    // A sampler seen for the first time started within the last tick.
                    since_last: now.duration_since(*last).max(cadence.fast),
                    prompt: handle.prompt(),
                };
                if cadence.due(hurry, tick) {
                    *rotations = rotations.saturating_add(1);
                    *last = now;
                    handle.request_tick();
                }
            }
        }
    }
}

/// A fault inside the profiler is caught where it happens and counted; it is logged
/// once per process, not once per occurrence with a backtrace. The hook belongs to
/// this library's own Rust runtime: the host process's panics are not affected.
fn quiet_panics() {
    static LOGGED: AtomicBool = AtomicBool::new(false);
    std::panic::set_hook(Box::new(|info| {
        if !LOGGED.swap(true, Ordering::AcqRel) {
            eprintln!("ferroprof: internal fault, recovered and counted (enginePanics); further faults are not logged: {info}");
        }
    }));
}

/// Estimated bytes of a queued batch: samples plus the nodes they reach.
fn batch_bytes(batch: &Batch) -> usize {
    let nodes: usize = batch
        .nodes
        .iter()
        .map(|n| 64 + n.info.function_name.len() + n.info.script_name.len())
        .sum();
    std::mem::size_of::<Batch>() + batch.samples.len() * 24 + nodes
}
