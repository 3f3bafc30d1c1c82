//! One isolate's mailbox of window results.
//!
//! The engine thread posts results here and wakes the isolate's event loop once;
//! JavaScript takes them with `takeResults()` whenever it runs — from the wake-up,
//! from a deadline timer, or synchronously in `closeWindowSync`. Results never sit in
//! a queue only the event loop can read, so a result that arrived during a long
//! synchronous job is found the moment anything asks for it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ferroprof_core::engine::{Delivery, Payload};

use crate::handle::IsolateHandle;
use crate::stats::Stats;

/// Which call a result answers: `closeWindow` returns it. `0` marks chunks the
/// engine cut on its own period.
pub type Ticket = u32;

/// Where a delivery goes: the closing isolate's mailbox, and which call it answers
/// (`0` for chunks the engine cut on its own).
#[derive(Clone)]
pub struct Reply {
    pub mailbox: Arc<Mailbox>,
    pub ticket: Ticket,
}

/// A result as it waits for JavaScript: the engine's delivery and the call it answers.
pub struct Posted {
    pub ticket: Ticket,
    pub result: Delivery<()>,
}

/// Most bytes of results a mailbox holds for an isolate that does not take them;
/// beyond it the oldest results lose their payload (counted, and still delivered as
/// failed, so their promises settle).
const MAX_BYTES: usize = 64 * 1024 * 1024;

#[derive(Default)]
struct State {
    items: VecDeque<Posted>,
    bytes: usize,
}

pub struct Mailbox {
    state: Mutex<State>,
    ready: Condvar,
    handle: Arc<IsolateHandle>,
    wake_queued: AtomicBool,
}

impl Mailbox {
    pub fn new(handle: Arc<IsolateHandle>) -> Self {
        Self {
            state: Mutex::new(State::default()),
            ready: Condvar::new(),
            handle,
            wake_queued: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a result (engine thread). Call [`Mailbox::wake`] after a group of posts.
    pub fn post(&self, d: Delivery<Reply>, stats: &Stats) {
        let (reply, result) = d.split();
        let mut state = self.lock();
        state.bytes += result.payload.heap_bytes();
        state.items.push_back(Posted {
            ticket: reply.ticket,
            result,
        });
        let mut i = 0;
        while state.bytes > MAX_BYTES && i < state.items.len() {
            let item = &mut state.items[i].result;
            let freed = item.payload.heap_bytes();
            if !matches!(item.payload, Payload::Failed(_)) {
                item.payload = Payload::Failed(
                    "dropped: results were not taken in time (mailbox full)".into(),
                );
                Stats::add(&stats.windows_dropped, 1);
                let added = item.payload.heap_bytes();
                state.bytes = state.bytes - freed + added;
            }
            i += 1;
        }
        Stats::add(&stats.windows_delivered, 1);
        drop(state);
        self.ready.notify_all();
    }

    /// Wakes the isolate's event loop once for everything posted so far.
    pub fn wake(self: &Arc<Self>) {
        if !self.wake_queued.swap(true, Ordering::AcqRel)
            && !self.handle.send(Box::new(WakeTask(self.clone())))
        {
            // The isolate is gone or closing: nobody will take these.
            self.wake_queued.store(false, Ordering::Release);
        }
    }

    /// Every result waiting (JS thread).
    pub fn take_all(&self) -> Vec<Posted> {
        let mut state = self.lock();
        state.bytes = 0;
        state.items.drain(..).collect()
    }

    /// Waits (at most `timeout`) for the result of `ticket` and takes it; other
    /// results stay for `take_all`.
    pub fn wait_for(&self, ticket: Ticket, timeout: Duration) -> Option<Posted> {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        loop {
            if let Some(pos) = state.items.iter().position(|p| p.ticket == ticket) {
                let item = state.items.remove(pos)?;
                state.bytes -= item.result.payload.heap_bytes().min(state.bytes);
                return Some(item);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            state = self
                .ready
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

/// Runs on the isolate's JS thread when results are waiting: calls `onReady()`,
/// which takes them.
struct WakeTask(Arc<Mailbox>);

impl crate::bridge::JsThreadTask for WakeTask {
    fn run(self: Box<Self>, env: napi::sys::napi_env, callback: napi::sys::napi_value) {
        self.0.wake_queued.store(false, Ordering::Release);
        crate::bridge::call_ready_callback(env, callback);
    }
}
