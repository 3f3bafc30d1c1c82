//! A way to reach one isolate's JS thread from other threads (the scheduler, the
//! engine thread, other isolates): its event loop and V8's interrupts. What runs
//! there is given by the layer above ([`Tasks`]), so this module knows no sampler.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock};

use crate::bridge::{IsolatePtr, JsThreadChannel, JsThreadTask};

/// The JS-thread tasks a handle queues, made by the isolate layer.
#[derive(Clone, Copy)]
pub struct Tasks {
    /// A rotation the scheduler asked for, served from the event loop.
    pub tick: fn() -> Box<dyn JsThreadTask>,
    /// Join or leave the process's continuous session.
    pub follow: fn() -> Box<dyn JsThreadTask>,
}

/// A way to reach one isolate's JS thread from other threads: its event loop (an
/// unref'd thread-safe function) and, while JavaScript runs, V8's interrupts.
pub struct IsolateHandle {
    pub key: u64,
    tasks: Tasks,
    channel: RwLock<Option<JsThreadChannel>>,
    /// The isolate, for interrupts; cleared on its JS thread at teardown, before
    /// the isolate is disposed.
    isolate: Mutex<Option<IsolatePtr>>,
    /// Rotations asked for by the scheduler, and served by whichever of the
    /// interrupt or the event-loop task ran first.
    tick_requested: AtomicU64,
    tick_served: AtomicU64,
    tick_task_queued: AtomicBool,
    /// Rotate at every tick, not only at the quiet interval (see `set_prompt`).
    prompt: AtomicBool,
}

impl IsolateHandle {
    pub fn new(
        key: u64,
        channel: JsThreadChannel,
        isolate: Option<IsolatePtr>,
        tasks: Tasks,
    ) -> Self {
        Self {
            key,
            tasks,
            channel: RwLock::new(Some(channel)),
            isolate: Mutex::new(isolate),
            tick_requested: AtomicU64::new(0),
            tick_served: AtomicU64::new(0),
            tick_task_queued: AtomicBool::new(false),
            prompt: AtomicBool::new(false),
        }
    }

    /// On the JS thread: asks for rotations at every tick (while the sampler lingers,
    /// so it stops on time; held window messages hurry every sampler instead) or lets
    /// it fall back to the quiet interval.
    pub fn set_prompt(&self, prompt: bool) {
        self.prompt.store(prompt, Ordering::Relaxed);
    }

    /// Whether the sampler asked to rotate at every tick (see `set_prompt`).
    pub fn prompt(&self) -> bool {
        self.prompt.load(Ordering::Relaxed)
    }

    /// Asks the isolate to join or leave the process's continuous session (its
    /// `follow` task); false once the isolate is gone.
    pub fn follow(&self) -> bool {
        self.send((self.tasks.follow)())
    }

    /// Queues a task for the event loop; false once the isolate is gone.
    pub fn send(&self, task: Box<dyn JsThreadTask>) -> bool {
        match self.channel.read() {
            Ok(guard) => guard.as_ref().is_some_and(|c| c.send(task)),
            Err(_) => false,
        }
    }

    /// Closes the channel and forgets the isolate; on its JS thread, at teardown.
    pub fn close(&self) {
        *lock(&self.isolate) = None;
        let channel = match self.channel.write() {
            Ok(mut guard) => guard.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(c) = channel {
            c.release();
        }
    }

    /// Asks for a rotation: through V8's interrupt, which runs even while a
    /// synchronous job holds the JS thread, and through the event loop, which runs
    /// while the thread is idle. Nothing new is asked while a request is unserved.
    pub fn request_tick(&self) {
        let requested = self.tick_requested.load(Ordering::Acquire);
        if self.tick_served.load(Ordering::Acquire) < requested {
            return;
        }
        self.tick_requested.store(requested + 1, Ordering::Release);
        if let Some(isolate) = lock(&self.isolate).as_ref() {
            isolate.request_interrupt(self.key);
        }
        if !self.tick_task_queued.swap(true, Ordering::AcqRel) && !self.send((self.tasks.tick)()) {
            self.tick_task_queued.store(false, Ordering::Release);
        }
    }

    /// On the JS thread: whether a requested rotation is still to be done (and
    /// marks it done).
    pub fn take_tick(&self, from_task: bool) -> bool {
        if from_task {
            self.tick_task_queued.store(false, Ordering::Release);
        }
        let requested = self.tick_requested.load(Ordering::Acquire);
        if self.tick_served.load(Ordering::Acquire) >= requested {
            return false;
        }
        self.tick_served.store(requested, Ordering::Release);
        true
    }
}

/// Locks `m`, also when a panic poisoned it: the data here stays consistent (each
/// write is one assignment), and a profiler must not fail for it.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
