//! The sampler of one isolate: one V8 profile shared by every consumer on that
//! isolate, rotated without gaps (the next profile starts before the previous one
//! stops), with only the copying of raw samples done on the JS thread.
//!
//! All functions here run on the isolate's own JS thread — from an API call, from
//! the event loop, or from a V8 interrupt while JavaScript runs; the state lives in a
//! thread-local because each isolate (main thread, each worker) has its own thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferroprof_core::engine::{
    Batch, ChunkPlan, Close, Encoding, LineMode, Message, RawNode, RawSample, SampleFilter,
    Verdict, WindowId, WindowLimit,
};
use ferroprof_core::limits::check_frequency;
use ferroprof_core::pacing::Pacer;

use ferroprof_core::{ThreadId, V8NodeInfo, V8SourceType};

use crate::bridge::{self, IsolatePtr, JsThreadChannel, JsThreadTask, V8Profile, V8Profiler};
use crate::consumers::{Consumers, Release};
use crate::driver::EngineMsg;
use crate::handle::{IsolateHandle, Tasks};
use crate::mailbox::{Mailbox, Posted, Reply, Ticket};
use crate::runtime::runtime;
use crate::stats::Stats;

/// Seconds of samples one V8 profile may hold if the JS thread never yields for a
/// rotation; beyond that V8 discards samples instead of growing.
const MAX_PROFILE_SECONDS: f64 = 300.0;

/// The most samples one V8 profile at `interval_us` may hold (`MAX_PROFILE_SECONDS`).
fn max_samples_for(interval_us: i32) -> u32 {
    (1e6 / f64::from(interval_us.max(1)) * MAX_PROFILE_SECONDS) as u32
}

pub struct IsolateProfiler {
    key: u64,
    thread_id: ThreadId,
    thread_name: String,
    handle: Arc<IsolateHandle>,
    mailbox: Arc<Mailbox>,
    profiler: Option<V8Profiler>,
    /// The running V8 profile, if sampling.
    current: Option<u32>,
    interval_us: i32,
    /// The interval the running V8 profile was started with (the pacer's request).
    running_request_us: i32,
    /// When V8 sampling last started on this isolate (monotonic ns, whole µs; 0: never).
    run_started_ns: u64,
    /// Keeps the delivered rate at the configured one (see `ferroprof_core::pacing`).
    pacer: Option<Pacer>,
    /// Who needs samples, the linger, and the window messages held back for the next
    /// rotation (a transaction's profile then never wakes the engine thread: two futex
    /// wakes per transaction, measured ~3 µs of the JS thread; the engine keeps samples
    /// `prune_margin` (2 s) for windows it has not heard of yet, and rotations come
    /// every `rotationIntervalMs` (500 ms) even while JS never yields).
    consumers: Consumers<Reply>,
    /// Drops the overlap of rotations and V8's extra sample at each profile start.
    filter: SampleFilter,
    /// Exit handling ran on this isolate: V8 sampling never starts again here.
    shut_down: bool,
}

/// The main thread's exit handling ran: the process is going away, and no isolate
/// may start V8 sampling again (V8's sampler thread must not outlive the runtime).
static PROCESS_EXITING: AtomicBool = AtomicBool::new(false);

thread_local! {
    static SAMPLER: RefCell<Option<IsolateProfiler>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's sampler, if attached.
pub fn with_isolate<R>(f: impl FnOnce(&mut IsolateProfiler) -> R) -> Option<R> {
    SAMPLER.with(|cell| cell.try_borrow_mut().ok()?.as_mut().map(f))
}

/// Attaches the current isolate: creates its JS-thread channel (with `callback`
/// receiving window results) and hooks its teardown. Idempotent.
///
/// Returns the channel-creation error text, if any.
pub fn attach(
    env: &napi::Env,
    callback: napi::sys::napi_value,
    thread_id: ThreadId,
    thread_name: String,
) -> Result<(), String> {
    let already = with_isolate(|s| {
        s.thread_name.clone_from(&thread_name);
        s.thread_id = thread_id;
    });
    if already.is_some() {
        return Ok(());
    }
    let channel = JsThreadChannel::new(env.raw(), callback)
        .ok_or("could not create the JS-thread channel")?;
    let rt = runtime();
    let key = rt.next_isolate_key();
    // Rotations asked for while JavaScript runs come through V8's interrupts.
    bridge::on_interrupt_run(serve_interrupt);
    let tasks = Tasks {
        tick: || Box::new(TickTask) as Box<dyn JsThreadTask>,
        follow: || Box::new(FollowTask) as Box<dyn JsThreadTask>,
    };
    let handle = Arc::new(IsolateHandle::new(
        key,
        channel,
        IsolatePtr::current(),
        tasks,
    ));
    let sampler = IsolateProfiler {
        key,
        thread_id,
        thread_name,
        mailbox: Arc::new(Mailbox::new(handle.clone())),
        handle,
        profiler: None,
        current: None,
        interval_us: 0,
        running_request_us: 0,
        run_started_ns: 0,
        pacer: None,
        consumers: Consumers::default(),
        filter: SampleFilter::default(),
        shut_down: false,
    };
    let handle = sampler.handle.clone();
    SAMPLER.with(|cell| *cell.borrow_mut() = Some(sampler));
    // With lazy code logging every cold start walks the heap (hundreds of ms on a
    // warmed-up service); an eager profiler walks it once, now, while it is small, and
    // is kept for the life of the isolate so that every later start is cheap. (A
    // worker loaded after the SDK configured profiling gets one at once.)
    if rt.setting(|c| c.eager_logging) {
        with_isolate(|s| s.ensure_profiler());
    }
    rt.register_isolate(handle);
    // A worker loaded while a session runs joins it at once.
    with_isolate(|s| s.apply_follow());
    // Registered after the channel exists, so it runs before N-API's own teardown of
    // that channel (cleanup hooks run in reverse order).
    env.add_env_cleanup_hook((), |()| detach())
        .map_err(|e| format!("could not hook isolate teardown: {e}"))?;
    Ok(())
}

/// Tears the sampler of this isolate down: final batch, profiler disposed, channel
/// closed. Runs in the environment cleanup hook, before the isolate is disposed.
pub fn detach() {
    let sampler = SAMPLER.with(|cell| cell.borrow_mut().take());
    if let Some(mut s) = sampler {
        runtime().unregister_isolate(s.key);
        // Windows this isolate left open would hold their samples in the store for
        // good: close them (their results go to a mailbox nobody reads any more).
        for id in s.consumers.open_ids() {
            s.close_window(id, Encoding::Raw, false, Some(Duration::ZERO));
        }
        s.stop_now();
        s.profiler = None;
        s.handle.close();
    }
}

impl IsolateProfiler {
    pub fn is_running(&self) -> bool {
        self.current.is_some()
    }

    pub fn frequency_hz(&self) -> f64 {
        if self.interval_us > 0 {
            1e6 / self.interval_us as f64
        } else {
            0.0
        }
    }

    /// The rate this isolate's sampler delivers, averaged over recent rotations (0
    /// when not sampling or not measured yet).
    pub fn delivered_hz(&self) -> f64 {
        match (&self.pacer, self.current) {
            (Some(p), Some(_)) => p.delivered_hz().unwrap_or(0.0),
            _ => 0.0,
        }
    }

    pub fn key(&self) -> u64 {
        self.key
    }

    /// Joins or leaves the process-wide following a continuous session asks for.
    pub fn apply_follow(&mut self) {
        let hz = runtime().follow_hz();
        if hz > 0.0 && !self.consumers.following() {
            if self.ensure_running(hz).is_ok() {
                self.consumers.set_following(true);
            }
        } else if hz <= 0.0 && self.consumers.following() {
            self.consumers.set_following(false);
            self.release_consumer();
        }
    }

    /// A consumer asks for samples: start V8 profiling if it is not running.
    pub fn start_sampling(&mut self, hz: f64) -> Result<f64, String> {
        let hz = check_frequency(hz)?;
        // An explicit request for another frequency restarts V8 profiling (V8 cannot
        // change the interval of a running profiler): rare, e.g. a second `init`.
        if self.current.is_some() && (self.frequency_hz() - hz).abs() > 0.5 {
            self.stop_now();
        }
        self.ensure_running(hz)?;
        self.consumers.add_explicit();
        Ok(self.frequency_hz())
    }

    /// A consumer is done. Stopping what was never started is a no-op (`false`).
    pub fn stop_sampling(&mut self) -> bool {
        if !self.consumers.remove_explicit() {
            return false;
        }
        self.release_consumer();
        true
    }

    fn ensure_running(&mut self, hz: f64) -> Result<(), String> {
        self.consumers.reset_idle();
        if self.current.is_some() {
            return Ok(());
        }
        let rt = runtime();
        if self.shut_down || PROCESS_EXITING.load(Ordering::Acquire) {
            // After exit handling a start is a no-op, counted: a V8 profile started
            // now would outlive the runtime's teardown (an abort in V8's sampler).
            Stats::add(&rt.stats.sampler_starts_refused, 1);
            return Ok(());
        }
        self.ensure_profiler();
        if self.profiler.is_none() {
            return Err("no V8 isolate is entered on this thread".into());
        }
        let interval_us = (1e6 / hz).round().max(1.0) as i32;
        // At the rate of the previous run, the interval its pacer learnt: a restart
        // (each run of root spans in the trace lifecycle) samples at the rate at once.
        let pacer = match &self.pacer {
            Some(previous) if (previous.target_us() - 1e6 / hz).abs() < 1e-9 => previous.resumed(),
            _ => Pacer::new(hz),
        };
        let request_us = pacer.request_us();
        let profiler = self.profiler.as_mut().expect("profiler was just created");
        // V8 snaps each profile's interval to a multiple of the profiler-wide base
        // (1 ms by default: 101 Hz would become 100): the pacer's quantum, so the
        // intervals it requests are taken exactly.
        profiler.set_sampling_interval(pacer.quantum_us());
        // Whole µs, as V8 stamps samples: its sample of the stack at the start is not
        // before this (see `open_window`).
        let started_ns = bridge::monotonic_now_ns() / 1_000 * 1_000;
        let id = profiler
            .start(request_us, max_samples_for(request_us), caller_lines())
            .map_err(|e| {
                Stats::add(&rt.stats.v8_start_failures, 1);
                format!("V8 refused to start profiling: {e:?}")
            })?;
        self.current = Some(id);
        self.interval_us = interval_us;
        self.running_request_us = request_us;
        self.run_started_ns = started_ns;
        self.pacer = Some(pacer);
        Stats::add(&rt.stats.sampler_starts, 1);
        self.post(Message::ThreadStarted {
            thread_id: self.thread_id,
            name: self.thread_name.clone(),
        });
        rt.schedule(self.handle.clone());
        Ok(())
    }

    /// Creates this isolate's V8 profiler if there is none yet (kept until detach).
    pub fn ensure_profiler(&mut self) {
        if self.profiler.is_none() {
            self.profiler = V8Profiler::for_current_isolate(runtime().setting(|c| c.eager_logging));
        }
    }

    /// Disposes an idle profiler (when the logging mode changes): the next one is made
    /// in the new mode. A running sampler keeps its profiler.
    pub fn drop_idle_profiler(&mut self) {
        if self.current.is_none() {
            self.profiler = None;
        }
    }

    fn release_consumer(&mut self) {
        if self.consumers.count() > 0 {
            // The common case (a window closes while others, or the SDK, need samples):
            // no configuration read.
            return;
        }
        let linger = runtime().setting(|c| c.linger);
        match self.consumers.release(Instant::now(), linger) {
            Release::Busy => {}
            Release::StopNow => self.stop_now(),
            // Ticks must come often enough to stop it when the linger time is over.
            Release::Linger => self.handle.set_prompt(true),
        }
    }

    /// Opens a window starting now; starts the sampler if needed. With `chunks`
    /// (`period`, `profiler_id`) the engine cuts it into `profile_chunk`s of that
    /// period on its own, delivered to this isolate as they complete.
    pub fn open_window(
        &mut self,
        chunks: Option<(Duration, String)>,
        max_ns: Option<u64>,
    ) -> Result<u32, String> {
        let starts_v8 = self.current.is_none();
        if starts_v8 {
            self.ensure_running(runtime().setting(|c| c.default_hz))?;
        }
        self.consumers.reset_idle();
        let rt = runtime();
        let id = rt.next_window_id();
        let now_ns = bridge::monotonic_now_ns();
        // V8 takes a sample of the stack as it starts sampling and the next one a whole
        // interval later: a window whose open started V8 begins at that start, so it
        // holds that first sample, as a profile started with the window would (the first
        // 100 ms then hold as many samples as `@sentry/profiling-node`'s). Only then:
        // a window opened just after someone else started V8 would begin before its
        // caller asked, and a transaction's profile would hold samples from before the
        // transaction.
        let start_ns = if starts_v8 {
            self.run_started_ns.min(now_ns)
        } else {
            now_ns
        };
        // The engine must hear of the window before it prunes the window's first samples.
        rt.hurry();
        Stats::add(&rt.stats.windows_opened, 1);
        let wait_ns = rt.setting(|c| c.max_window_wait.as_nanos() as u64);
        let chunked = chunks.is_some();
        let open = Message::OpenWindow {
            id,
            start_ns,
            chunks: chunks.map(|(period, profiler_id)| ChunkPlan {
                period_ns: period.as_nanos() as u64,
                profiler_id,
                reply: Reply {
                    mailbox: self.mailbox.clone(),
                    ticket: 0,
                },
                wait_ns,
            }),
            limit: max_ns.map(|max_ns| WindowLimit { max_ns, wait_ns }),
        };
        self.consumers.open(id, open);
        // The engine cuts a session's chunks on its own clock: it must know at once.
        if chunked {
            self.flush_unsent();
        }
        Ok(id)
    }

    /// Forgets window `id` if its open is still held back here; see
    /// [`crate::withdraw_window`].
    pub fn withdraw_window(&mut self, id: WindowId) -> bool {
        if !self.consumers.withdraw(id) {
            return false;
        }
        Stats::add(&runtime().stats.windows_withdrawn, 1);
        self.release_consumer();
        true
    }

    /// Queues the window messages held back since this isolate's last message.
    pub fn flush_unsent(&mut self) {
        let rt = runtime();
        for msg in self.consumers.take_held() {
            rt.send(msg);
        }
    }

    /// Queues `msg` after the window messages held back before it.
    fn post(&mut self, msg: EngineMsg) {
        self.flush_unsent();
        runtime().send(msg);
    }

    pub fn thread_id(&self) -> ThreadId {
        self.thread_id
    }

    /// Closes a window at now and returns the ticket its result will carry (`None`
    /// for a window that is not open here). The result reaches this isolate's
    /// mailbox once every sampled thread has handed over its samples up to now (or
    /// at the deadline); closing never starts or stops V8 profiling by itself. With
    /// `reopen` the same window goes on from just after now.
    pub fn close_window(
        &mut self,
        id: WindowId,
        encoding: Encoding,
        reopen: bool,
        wait: Option<Duration>,
    ) -> Option<Ticket> {
        if !self.consumers.close(id, reopen) {
            return None;
        }
        let rt = runtime();
        let max_wait = rt.setting(|c| c.max_window_wait);
        let wait = wait.map_or(max_wait, |w| w.min(max_wait));
        let ticket = rt.next_ticket();
        // Every thread the window covers hands its samples over at the next tick.
        rt.hurry();
        let msg = Message::CloseWindow(Close {
            id,
            end_ns: bridge::monotonic_now_ns(),
            active_thread_id: self.thread_id,
            reply: Reply {
                mailbox: self.mailbox.clone(),
                ticket,
            },
            encoding,
            reopen,
            wait_ns: wait.as_nanos() as u64,
        });
        // Held back while this thread samples (see `consumers`); a manual chunk cut
        // (`reopen`) goes at once.
        if self
            .consumers
            .may_hold_close(reopen, self.current.is_some())
        {
            self.consumers.hold(msg);
        } else {
            self.post(msg);
        }
        if !reopen {
            self.release_consumer();
        }
        Some(ticket)
    }

    /// Like `close_window`, but waits (at most `timeout`) for the result: for process
    /// exit, when no callback can run any more. This isolate's samples are handed
    /// over at once instead of at the next rotation.
    pub fn close_window_sync(
        &mut self,
        id: WindowId,
        encoding: Encoding,
        reopen: bool,
        timeout: Duration,
    ) -> Option<Posted> {
        // The engine gives up on busy threads a little before we stop waiting, so a
        // partial result still arrives.
        let wait = timeout.saturating_sub(Duration::from_millis(100));
        let ticket = self.close_window(id, encoding, reopen, Some(wait))?;
        // This thread blocks below, so it will not rotate again: hand over its samples
        // now and declare them complete up to now.
        self.rotate_covering_now();
        self.mailbox.wait_for(ticket, timeout)
    }

    /// Every result waiting in this isolate's mailbox.
    pub fn take_results(&self) -> Vec<Posted> {
        self.mailbox.take_all()
    }

    /// The scheduler's tick: stop if the linger time has passed, rotate otherwise.
    pub fn on_tick(&mut self) {
        if self.current.is_none() {
            return;
        }
        let linger = runtime().setting(|c| c.linger);
        if self.consumers.linger_over(Instant::now(), linger) {
            self.stop_now();
        } else {
            self.rotate();
        }
        self.handle
            .set_prompt(self.current.is_some() && self.consumers.lingering());
    }

    /// A rotation after which this thread's samples count as complete up to now (the
    /// caller will not rotate again soon, e.g. it blocks at exit).
    fn rotate_covering_now(&mut self) -> usize {
        let moved = self.rotate();
        if self.current.is_some() {
            self.post(Message::Covered {
                thread_id: self.thread_id,
                until_ns: bridge::monotonic_now_ns(),
            });
        }
        moved
    }

    /// Hands the samples collected so far to the engine thread without a gap: the
    /// next profile starts before the current one stops.
    pub fn rotate(&mut self) -> usize {
        self.flush_unsent();
        let Some(old_id) = self.current else {
            return 0;
        };
        let rt = runtime();
        let old_request = self.running_request_us;
        let request_us = self.pacer.as_ref().map_or(old_request, Pacer::request_us);
        let max_samples = max_samples_for(request_us);
        let Some(profiler) = self.profiler.as_mut() else {
            return 0;
        };
        let next = profiler.start(request_us, max_samples, caller_lines());
        let moved = match profiler.stop(old_id) {
            Some(profile) => {
                let c = collect_batch(&profile, self.thread_id, &mut self.filter, old_request);
                let n = c.batch.samples.len();
                if let Some(pacer) = self.pacer.as_mut() {
                    let ts = c.batch.samples.iter().map(|s| (s.ts_ns / 1000) as i64);
                    if pacing_enabled() {
                        pacer.observe(ts);
                    } else {
                        pacer.measure_only(ts);
                    }
                    warn_if_short(self.interval_us, pacer);
                }
                rt.send_batch(c.batch, c.copied, c.duplicate, c.near_duplicate);
                n
            }
            None => 0,
        };
        match next {
            Ok(id) => {
                self.current = Some(id);
                self.running_request_us = request_us;
            }
            Err(_) => {
                // V8 refused the next profile: restart after the stop (a short gap,
                // counted) rather than stop sampling.
                Stats::add(&rt.stats.v8_start_failures, 1);
                self.current = self
                    .profiler
                    .as_mut()
                    .and_then(|p| p.start(request_us, max_samples, caller_lines()).ok());
                self.running_request_us = request_us;
                if self.current.is_none() {
                    self.finish_thread();
                }
            }
        }
        Stats::add(&rt.stats.rotations, 1);
        moved
    }

    /// Stops V8 profiling on this isolate and hands over the last samples.
    /// Exit handling: stops sampling for good on this isolate (and, on the main
    /// thread, on every isolate of the process). Later starts are counted no-ops.
    pub fn shut_down(&mut self) {
        self.shut_down = true;
        if self.thread_id == 0 {
            PROCESS_EXITING.store(true, Ordering::Release);
        }
        self.stop_now();
    }

    pub fn stop_now(&mut self) {
        self.flush_unsent();
        let Some(id) = self.current.take() else {
            return;
        };
        let rt = runtime();
        if let Some(profiler) = self.profiler.as_mut() {
            if let Some(profile) = profiler.stop(id) {
                let c = collect_batch(
                    &profile,
                    self.thread_id,
                    &mut self.filter,
                    self.running_request_us,
                );
                rt.send_batch(c.batch, c.copied, c.duplicate, c.near_duplicate);
            }
        }
        Stats::add(&rt.stats.sampler_stops, 1);
        self.finish_thread();
    }

    fn finish_thread(&mut self) {
        let rt = runtime();
        rt.unschedule(self.key);
        // On the same ordered queue as the last batch: handled after it.
        self.post(Message::ThreadEnded {
            thread_id: self.thread_id,
        });
        self.consumers.reset_idle();
    }
}

/// `FERROPROF_PACING=0` keeps the nominal interval (for comparing, in benchmarks).
fn pacing_enabled() -> bool {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var("FERROPROF_PACING").as_deref() != Ok("0"))
}

/// A delivered rate more than 10 % below the configured one, even after the pacer's
/// correction, means the machine cannot keep up: said once per process.
fn warn_if_short(interval_us: i32, pacer: &Pacer) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let configured = 1e6 / f64::from(interval_us.max(1));
    let Some(delivered) = pacer.delivered_hz() else {
        return;
    };
    // The pacer has done what it can once it requests its shortest interval.
    let saturated =
        f64::from(pacer.request_us()) <= pacer.target_us() / 4.0 + f64::from(pacer.quantum_us());
    if delivered < 0.9 * configured
        && saturated
        && !WARNED.swap(true, std::sync::atomic::Ordering::AcqRel)
    {
        eprintln!(
            "ferroprof: sampling at {configured:.0} Hz delivers only {delivered:.0} Hz: the machine cannot keep up (see getProfilerStats().deliveredHz)"
        );
    }
}

/// Which line frames carry, for the whole process: the line executing in each frame
/// unless `FERROPROF_LINES=function` asks for one frame per function (fewer nodes,
/// frames and stacks; see BENCHMARKS.md). Read once, so every profile agrees.
fn line_mode() -> LineMode {
    static MODE: std::sync::OnceLock<LineMode> = std::sync::OnceLock::new();
    *MODE.get_or_init(|| match std::env::var("FERROPROF_LINES").as_deref() {
        Ok("function") => LineMode::Function,
        _ => LineMode::Executing,
    })
}

fn caller_lines() -> bool {
    line_mode() == LineMode::Executing
}

/// What one rotation copied out of V8, and where each sample went.
struct Collected {
    batch: Batch,
    copied: u64,
    duplicate: u64,
    near_duplicate: u64,
}

/// Copies a stopped profile's new samples, and the nodes they reach, out of V8.
/// This is the only per-sample work done on the JS thread.
fn collect_batch(
    profile: &V8Profile<'_>,
    thread_id: ThreadId,
    filter: &mut SampleFilter,
    interval_us: i32,
) -> Collected {
    let count = profile.sample_count();
    let mut samples = Vec::with_capacity(count);
    let mut nodes = Vec::new();
    let mut seen: HashMap<usize, ()> = HashMap::new();
    let (mut duplicate, mut near_duplicate) = (0u64, 0u64);
    for i in 0..count {
        let sample = profile.sample(i);
        match filter.classify(sample.ts_us, interval_us) {
            Verdict::Keep => {}
            Verdict::Duplicate => {
                duplicate += 1;
                continue;
            }
            Verdict::NearDuplicate => {
                near_duplicate += 1;
                continue;
            }
        }
        let leaf = sample.node;
        samples.push(RawSample {
            ts_ns: (sample.ts_us.max(0) as u64) * 1_000,
            node: leaf.key(),
            state: sample.state,
        });
        let mut cursor = Some(leaf);
        while let Some(node) = cursor {
            if seen.insert(node.key(), ()).is_some() {
                break;
            }
            let view = node.view();
            nodes.push(RawNode {
                key: node.key(),
                parent: view.parent.map(|p| p.key()),
                info: V8NodeInfo {
                    function_name: view.function_name.to_string_lossy().into_owned(),
                    script_name: view.script_name.to_string_lossy().into_owned(),
                    line: view.line.max(0) as u32,
                    column: view.column.max(0) as u32,
                    source_type: V8SourceType::from_raw(view.source_type),
                },
                line_ticks: if caller_lines() {
                    node.line_ticks()
                } else {
                    Vec::new()
                },
            });
            cursor = view.parent;
        }
    }
    // Samples are processed in order, so all samples up to the last one copied are
    // here; an idle thread still advances by the profile's end time.
    let end_us = profile.end_time_us() - 2 * interval_us as i64;
    let covered_us = filter.last_ts_us().unwrap_or(0).max(end_us).max(0);
    Collected {
        batch: Batch {
            lines: line_mode(),
            thread_id,
            nodes,
            samples,
            covered_until_ns: covered_us as u64 * 1_000,
        },
        copied: count as u64,
        duplicate,
        near_duplicate,
    }
}

/// The scheduler's rotation request, served from a V8 interrupt while JavaScript
/// runs (see `bridge::IsolatePtr::request_interrupt`).
fn serve_interrupt(key: u64) {
    with_isolate(|s| {
        if s.key == key && s.handle.take_tick(false) {
            let _timer = crate::stats::JsTimer::start(&runtime().stats);
            Stats::add(&runtime().stats.rotations_by_interrupt, 1);
            s.on_tick();
        }
    });
}

/// The same request, served from the event loop while the thread is idle.
pub struct TickTask;

impl JsThreadTask for TickTask {
    fn run(self: Box<Self>, _env: napi::sys::napi_env, _callback: napi::sys::napi_value) {
        with_isolate(|s| {
            if s.handle.take_tick(true) {
                let _timer = crate::stats::JsTimer::start(&runtime().stats);
                s.on_tick();
            }
        });
    }
}

/// A continuous session started or stopped: join or leave it on this isolate.
pub struct FollowTask;

impl JsThreadTask for FollowTask {
    fn run(self: Box<Self>, _env: napi::sys::napi_env, _callback: napi::sys::napi_value) {
        let _timer = crate::stats::JsTimer::start(&runtime().stats);
        with_isolate(|s| s.apply_follow());
    }
}
