//! Process-wide state shared by every isolate: configuration, statistics, the
//! channel to the worker thread, and the rotation scheduler.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Sender, TrySendError};
use ferroprof_core::StoreLimits;

use crate::bridge::{JsThreadChannel, JsThreadTask};
use crate::stats::Stats;
use crate::worker::{self, WorkerMsg};

/// Tunables, changed through `configure()`.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// How often each running sampler hands its samples to the worker thread.
    pub rotation_interval: Duration,
    /// How long a sampler with no consumer keeps running before V8 profiling stops,
    /// so back-to-back transactions do not restart it.
    pub linger: Duration,
    /// Frequency used when a window starts the sampler.
    pub default_hz: f64,
    /// Longest wait of a closed window for samples of busy threads.
    pub max_window_wait: Duration,
    /// Most frames kept per stack (leaf side).
    pub max_stack_depth: usize,
    pub limits: StoreLimits,
    /// Create V8 profilers with eager code logging (for isolates not yet sampled).
    pub eager_logging: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            rotation_interval: Duration::from_millis(500),
            linger: Duration::from_secs(2),
            default_hz: 101.0,
            max_window_wait: Duration::from_secs(5),
            max_stack_depth: 128,
            limits: StoreLimits::default(),
            eager_logging: false,
        }
    }
}

/// A way to run tasks on one isolate's JS thread, shared with other threads.
pub struct IsolateHandle {
    channel: RwLock<Option<JsThreadChannel>>,
    /// A rotation task is queued and not yet run: do not queue another.
    pub rotate_pending: AtomicBool,
}

impl IsolateHandle {
    pub fn new(channel: JsThreadChannel) -> Self {
        Self {
            channel: RwLock::new(Some(channel)),
            rotate_pending: AtomicBool::new(false),
        }
    }

    /// Queues a task; false once the isolate is gone.
    pub fn send(&self, task: Box<dyn JsThreadTask>) -> bool {
        match self.channel.read() {
            Ok(guard) => guard.as_ref().is_some_and(|c| c.send(task)),
            Err(_) => false,
        }
    }

    /// Closes the channel; on the isolate's JS thread, at teardown.
    pub fn close(&self) {
        let channel = match self.channel.write() {
            Ok(mut guard) => guard.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(c) = channel {
            c.release();
        }
    }
}

pub struct Runtime {
    pub stats: Stats,
    config: Mutex<Config>,
    worker_tx: Sender<WorkerMsg>,
    /// Isolates whose sampler runs, by isolate key: the scheduler ticks these.
    running: Mutex<HashMap<u64, Arc<IsolateHandle>>>,
    /// Every attached isolate, sampling or not, by isolate key.
    attached: Mutex<HashMap<u64, Arc<IsolateHandle>>>,
    /// Frequency every attached isolate should sample at (0 = none): set while a
    /// continuous session runs, so workers are threads of its chunks.
    follow_hz: Mutex<f64>,
    scheduler_started: AtomicBool,
    next_window_id: AtomicU32,
    next_isolate_key: AtomicU64,
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The process-wide runtime, started on first use.
pub fn runtime() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        let config = Config::default();
        let worker_tx = worker::spawn(config);
        Runtime {
            stats: Stats::default(),
            config: Mutex::new(config),
            worker_tx,
            running: Mutex::new(HashMap::new()),
            attached: Mutex::new(HashMap::new()),
            follow_hz: Mutex::new(0.0),
            scheduler_started: AtomicBool::new(false),
            next_window_id: AtomicU32::new(1),
            next_isolate_key: AtomicU64::new(1),
        }
    })
}

impl Runtime {
    pub fn config(&self) -> Config {
        *self.config.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_config(&self, config: Config) {
        *self.config.lock().unwrap_or_else(|p| p.into_inner()) = config;
        self.send(WorkerMsg::Configure(config));
    }

    pub fn next_window_id(&self) -> u32 {
        self.next_window_id.fetch_add(1, Ordering::Relaxed)
    }

    pub fn next_isolate_key(&self) -> u64 {
        self.next_isolate_key.fetch_add(1, Ordering::Relaxed)
    }

    /// Hands a message to the worker thread without blocking. A full queue drops
    /// the message; a dropped batch is counted as lost samples.
    pub fn send(&self, msg: WorkerMsg) -> bool {
        match self.worker_tx.try_send(msg) {
            Ok(()) => true,
            Err(TrySendError::Full(msg) | TrySendError::Disconnected(msg)) => {
                if let WorkerMsg::Batch(batch) = &msg {
                    Stats::add(
                        &self.stats.samples_dropped_queue,
                        batch.samples.len() as u64,
                    );
                }
                false
            }
        }
    }

    /// Puts a running sampler under the scheduler's ticks.
    pub fn schedule(&'static self, key: u64, handle: Arc<IsolateHandle>) {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, handle);
        if !self.scheduler_started.swap(true, Ordering::AcqRel) {
            let spawned = thread::Builder::new()
                .name("ferroprof-scheduler".into())
                .spawn(move || self.scheduler_loop());
            if spawned.is_err() {
                self.scheduler_started.store(false, Ordering::Release);
            }
        }
    }

    pub fn register_isolate(&self, key: u64, handle: Arc<IsolateHandle>) {
        lock(&self.attached).insert(key, handle);
    }

    pub fn unregister_isolate(&self, key: u64) {
        lock(&self.attached).remove(&key);
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
            handle.send(Box::new(crate::sampler::FollowTask));
        }
    }

    pub fn unschedule(&self, key: u64) {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key);
    }

    /// Every rotation interval, asks each running sampler to rotate on its own JS
    /// thread. Nothing is queued for isolates that are not sampling, so an idle
    /// process is never woken.
    fn scheduler_loop(&self) {
        loop {
            thread::sleep(self.config().rotation_interval);
            let handles: Vec<Arc<IsolateHandle>> = self
                .running
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .values()
                .cloned()
                .collect();
            for handle in handles {
                if !handle.rotate_pending.swap(true, Ordering::AcqRel)
                    && !handle.send(Box::new(crate::sampler::TickTask))
                {
                    handle.rotate_pending.store(false, Ordering::Release);
                }
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
