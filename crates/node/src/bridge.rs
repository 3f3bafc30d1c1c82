//! The V8 bridge: safe Rust wrappers over the C++ shim, and over the raw N-API
//! thread-safe function used to run work on an isolate's JS thread.
//!
//! This is the only module with `unsafe`. Its invariants: V8 objects are touched only
//! on the thread of the isolate that owns them (the types here are `!Send`), never
//! after that isolate's environment began to tear down (the owner drops them in the
//! environment cleanup hook), and profiles/nodes never outlive their profiler.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::marker::PhantomData;
use std::ptr;

use napi::sys;

#[repr(C)]
struct RawNodeInfo {
    function_name: *const c_char,
    script_name: *const c_char,
    line: c_int,
    column: c_int,
    source_type: c_int,
    node_id: u32,
    parent: *const c_void,
}

extern "C" {
    fn fp_current_isolate() -> *mut c_void;
    fn fp_profiler_new(isolate: *mut c_void, eager_logging: c_int) -> *mut c_void;
    fn fp_profiler_dispose(profiler: *mut c_void);
    fn fp_profiler_set_sampling_interval(profiler: *mut c_void, interval_us: c_int);
    fn fp_profiler_start(
        isolate: *mut c_void,
        profiler: *mut c_void,
        interval_us: c_int,
        max_samples: u32,
        caller_lines: c_int,
        out_id: *mut u32,
    ) -> c_int;
    fn fp_profiler_stop(isolate: *mut c_void, profiler: *mut c_void, id: u32) -> *mut c_void;
    fn fp_profile_sample_count(profile: *mut c_void) -> c_int;
    fn fp_profile_sample(
        profile: *mut c_void,
        index: c_int,
        ts_us: *mut i64,
        node: *mut *const c_void,
        state: *mut c_int,
    );
    fn fp_profile_end_time(profile: *mut c_void) -> i64;
    fn fp_profile_delete(profile: *mut c_void);
    fn fp_node_info(node: *const c_void, out: *mut RawNodeInfo);
    fn fp_node_line_ticks(node: *const c_void, lines: *mut c_int, hits: *mut u32, cap: u32) -> u32;
    fn fp_monotonic_now_ns() -> u64;
    fn fp_request_interrupt(
        isolate: *mut c_void,
        callback: unsafe extern "C" fn(*mut c_void, *mut c_void),
        data: *mut c_void,
    );
}

/// An isolate, as other threads may hold it: only to request interrupts.
pub struct IsolatePtr(*mut c_void);

// SAFETY: the pointer is only passed to `v8::Isolate::RequestInterrupt`, which V8
// documents as callable from any thread without a `Locker`; the owner clears it (on
// the isolate's thread, under the same lock every caller holds) before the isolate
// is disposed, so no call sees a dead isolate.
unsafe impl Send for IsolatePtr {}
// SAFETY: as above; `RequestInterrupt` may be called concurrently.
unsafe impl Sync for IsolatePtr {}

impl IsolatePtr {
    /// The isolate entered on this thread, if any.
    pub fn current() -> Option<Self> {
        // SAFETY: `TryGetCurrent` only reads V8's thread-local current isolate.
        let isolate = unsafe { fp_current_isolate() };
        (!isolate.is_null()).then_some(Self(isolate))
    }

    /// Asks V8 to run the handler given to [`on_interrupt_run`] with `key` on the
    /// isolate's thread at its next interrupt check: while JavaScript runs, even in a loop that
    /// never yields to the event loop. `key` identifies the sampler; no memory
    /// changes hands, so an interrupt that never runs leaks nothing.
    pub fn request_interrupt(&self, key: u64) {
        // SAFETY: the isolate is live (see the `Send` impl); the callback is a plain
        // function and `data` an integer, valid whenever and wherever it runs.
        unsafe { fp_request_interrupt(self.0, on_interrupt, key as usize as *mut c_void) }
    }
}

static INTERRUPT_HANDLER: std::sync::OnceLock<fn(u64)> = std::sync::OnceLock::new();

/// Sets what interrupts requested with [`IsolatePtr::request_interrupt`] run (the
/// layer above: the sampler's rotation), once per process; later calls are ignored.
/// The handler runs on the isolate's own thread and must not call into JavaScript.
pub fn on_interrupt_run(handler: fn(u64)) {
    let _ = INTERRUPT_HANDLER.set(handler);
}

/// Runs inside a V8 interrupt on the isolate's own thread. It must not call into
/// JavaScript; rotation only stops and starts CPU profiles and copies samples.
unsafe extern "C" fn on_interrupt(_isolate: *mut c_void, data: *mut c_void) {
    let key = data as usize as u64;
    if let Some(handler) = INTERRUPT_HANDLER.get() {
        // A panic must not unwind into V8.
        let _ = std::panic::catch_unwind(|| handler(key));
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" {
    fn malloc_trim(pad: usize) -> c_int;
}

/// Gives the memory glibc's allocator holds free back to the system. Encoding a chunk
/// allocates buffers of megabytes; once one is freed, glibc raises its mmap threshold
/// above that size, so the next ones come from (and stay in) its arenas: measured at
/// 1001 Hz with 60 s chunks, RSS rose ~15 MB over a few minutes. A no-op elsewhere.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointer and is thread-safe (it locks each arena).
    unsafe {
        malloc_trim(0);
    }
}

/// Now, in the clock V8 stamps samples with (nanoseconds).
pub fn monotonic_now_ns() -> u64 {
    // SAFETY: a pure clock read with no arguments and no shared state.
    unsafe { fp_monotonic_now_ns() }
}

/// A `v8::CpuProfiler` for the isolate of the current thread.
pub struct V8Profiler {
    isolate: *mut c_void,
    raw: *mut c_void,
    // Raw pointers already make this !Send and !Sync: V8 objects stay on their thread.
}

/// Why V8 refused to start a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartError {
    AlreadyStarted,
    Failed,
}

impl V8Profiler {
    /// Creates a profiler for the isolate entered on this thread, if there is one.
    /// `eager_logging` makes V8 log code events from now on, so that starting a
    /// profile needs no heap walk.
    pub fn for_current_isolate(eager_logging: bool) -> Option<Self> {
        // SAFETY: `TryGetCurrent` only reads V8's thread-local current isolate.
        let isolate = unsafe { fp_current_isolate() };
        if isolate.is_null() {
            return None;
        }
        // SAFETY: `isolate` is the live isolate entered on this thread (we are on its
        // JS thread, called from N-API), so creating a profiler for it is allowed.
        let raw = unsafe { fp_profiler_new(isolate, c_int::from(eager_logging)) };
        (!raw.is_null()).then_some(Self { isolate, raw })
    }

    /// Sets the profiler-wide sampling interval; only while no profile is running.
    pub fn set_sampling_interval(&mut self, interval_us: i32) {
        // SAFETY: `self.raw` is a live profiler of this thread's isolate.
        unsafe { fp_profiler_set_sampling_interval(self.raw, interval_us) }
    }

    /// Starts a profile recording samples every `interval_us`; returns its id.
    /// `caller_lines`: V8's caller-line mode (nodes split by call site) rather than
    /// one node per function.
    pub fn start(
        &mut self,
        interval_us: i32,
        max_samples: u32,
        caller_lines: bool,
    ) -> Result<u32, StartError> {
        let mut id = 0u32;
        // SAFETY: live profiler and isolate of this thread; `id` is a valid out-pointer.
        let status = unsafe {
            fp_profiler_start(
                self.isolate,
                self.raw,
                interval_us,
                max_samples,
                c_int::from(caller_lines),
                &mut id,
            )
        };
        match status {
            0 => Ok(id),
            1 => Err(StartError::AlreadyStarted),
            _ => Err(StartError::Failed),
        }
    }

    /// Stops the profile `id` and hands it over (deleted when the value drops).
    pub fn stop(&mut self, id: u32) -> Option<V8Profile<'_>> {
        // SAFETY: live profiler and isolate of this thread; an unknown id yields null.
        let raw = unsafe { fp_profiler_stop(self.isolate, self.raw, id) };
        (!raw.is_null()).then_some(V8Profile {
            raw,
            _profiler: PhantomData,
        })
    }
}

impl Drop for V8Profiler {
    fn drop(&mut self) {
        // SAFETY: the owner drops the profiler on the isolate's thread, before the
        // isolate is disposed (environment cleanup hook); nothing uses it afterwards.
        unsafe { fp_profiler_dispose(self.raw) }
    }
}

/// A stopped `v8::CpuProfile`, deleted on drop.
pub struct V8Profile<'p> {
    raw: *mut c_void,
    _profiler: PhantomData<&'p mut V8Profiler>,
}

/// One sample of a profile.
pub struct RawSampleRef<'a> {
    pub ts_us: i64,
    pub node: V8Node<'a>,
    pub state: i32,
}

impl V8Profile<'_> {
    pub fn sample_count(&self) -> usize {
        // SAFETY: `self.raw` is a live profile until drop.
        unsafe { fp_profile_sample_count(self.raw) }.max(0) as usize
    }

    pub fn sample(&self, index: usize) -> RawSampleRef<'_> {
        debug_assert!(index < self.sample_count());
        let (mut ts_us, mut node, mut state) = (0i64, ptr::null(), 0 as c_int);
        // SAFETY: live profile, index in range, all out-pointers valid.
        unsafe { fp_profile_sample(self.raw, index as c_int, &mut ts_us, &mut node, &mut state) };
        RawSampleRef {
            ts_us,
            node: V8Node {
                raw: node,
                _profile: PhantomData,
            },
            state,
        }
    }

    /// When the profile stopped, in V8's clock (microseconds).
    pub fn end_time_us(&self) -> i64 {
        // SAFETY: live profile.
        unsafe { fp_profile_end_time(self.raw) }
    }
}

impl Drop for V8Profile<'_> {
    fn drop(&mut self) {
        // SAFETY: the profile is live and owned by us; after this nothing refers to it
        // (nodes borrow the profile, so none outlives it).
        unsafe { fp_profile_delete(self.raw) }
    }
}

/// A node of a profile's call tree.
#[derive(Clone, Copy)]
pub struct V8Node<'a> {
    raw: *const c_void,
    _profile: PhantomData<&'a ()>,
}

/// What a node says about itself; strings are borrowed from the profile.
pub struct V8NodeView<'a> {
    pub function_name: &'a CStr,
    pub script_name: &'a CStr,
    pub line: i32,
    pub column: i32,
    pub source_type: i32,
    pub parent: Option<V8Node<'a>>,
}

impl<'a> V8Node<'a> {
    /// Identity of the node within its profile.
    pub fn key(&self) -> usize {
        self.raw as usize
    }

    /// The lines of the node's function where its own samples were: `(line, samples)`.
    pub fn line_ticks(&self) -> Vec<(u32, u32)> {
        // Most nodes are callers with no ticks of their own; a leaf has a few lines.
        let mut lines = [0 as c_int; 16];
        let mut hits = [0u32; 16];
        // SAFETY: the node belongs to a live profile; the buffers hold `cap` entries.
        let n = unsafe { fp_node_line_ticks(self.raw, lines.as_mut_ptr(), hits.as_mut_ptr(), 16) };
        if n as usize <= lines.len() {
            return pairs(&lines[..n as usize], &hits[..n as usize]);
        }
        let mut lines = vec![0 as c_int; n as usize];
        let mut hits = vec![0u32; n as usize];
        // SAFETY: as above, with buffers of the size V8 reported.
        let got = unsafe { fp_node_line_ticks(self.raw, lines.as_mut_ptr(), hits.as_mut_ptr(), n) };
        let got = (got as usize).min(lines.len());
        pairs(&lines[..got], &hits[..got])
    }

    pub fn view(&self) -> V8NodeView<'a> {
        let mut info = RawNodeInfo {
            function_name: ptr::null(),
            script_name: ptr::null(),
            line: 0,
            column: 0,
            source_type: 0,
            node_id: 0,
            parent: ptr::null(),
        };
        // SAFETY: the node belongs to a live profile (lifetime 'a) and `info` is valid.
        unsafe { fp_node_info(self.raw, &mut info) };
        let empty = c"";
        let cstr = |p: *const c_char| -> &'a CStr {
            if p.is_null() {
                empty
            } else {
                // SAFETY: V8 returns NUL-terminated strings owned by the profile,
                // valid for 'a (null was mapped to the empty string above).
                unsafe { CStr::from_ptr(p) }
            }
        };
        V8NodeView {
            function_name: cstr(info.function_name),
            script_name: cstr(info.script_name),
            line: info.line,
            column: info.column,
            source_type: info.source_type,
            parent: (!info.parent.is_null()).then_some(V8Node {
                raw: info.parent,
                _profile: PhantomData,
            }),
        }
    }
}

fn pairs(lines: &[c_int], hits: &[u32]) -> Vec<(u32, u32)> {
    lines
        .iter()
        .zip(hits)
        .filter(|(&l, &h)| l > 0 && h > 0)
        .map(|(&l, &h)| (l as u32, h))
        .collect()
}

/// Work that has to run on an isolate's JS thread, queued from any thread.
pub trait JsThreadTask: Send + 'static {
    /// Runs on the JS thread; `callback` is the JS function the channel was made with.
    fn run(self: Box<Self>, env: sys::napi_env, callback: sys::napi_value);
}

/// An N-API thread-safe function: the way other threads queue work on a JS thread.
/// It is unref'd, so it never keeps the event loop (or the process) alive.
pub struct JsThreadChannel {
    raw: sys::napi_threadsafe_function,
}

// SAFETY: N-API documents thread-safe functions as callable from any thread; the
// handle is released exactly once, by its owner, on the JS thread.
unsafe impl Send for JsThreadChannel {}
// SAFETY: as above; `napi_call_threadsafe_function` is safe to call concurrently.
unsafe impl Sync for JsThreadChannel {}

type BoxedTask = Box<dyn JsThreadTask>;

unsafe extern "C" fn call_js(
    env: sys::napi_env,
    callback: sys::napi_value,
    _context: *mut c_void,
    data: *mut c_void,
) {
    if data.is_null() {
        return;
    }
    // SAFETY: `data` was produced by `Box::into_raw(Box<BoxedTask>)` in `send`, and
    // N-API hands each queued item to this callback exactly once.
    let task: Box<BoxedTask> = unsafe { Box::from_raw(data.cast()) };
    if env.is_null() {
        // The environment is tearing down: drop the task without running it.
        return;
    }
    // A panic must not unwind into Node: catch it and drop the task.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        (*task).run(env, callback)
    }));
}

impl JsThreadChannel {
    /// Creates the channel on the current JS thread, calling `callback` for tasks.
    pub fn new(env: sys::napi_env, callback: sys::napi_value) -> Option<Self> {
        let mut raw = ptr::null_mut();
        let mut name = ptr::null_mut();
        // SAFETY: `env` is the live environment of the calling JS thread; the literal
        // is a valid UTF-8 string of the given length.
        let ok = unsafe {
            sys::napi_create_string_utf8(env, c"ferroprof".as_ptr(), 9, &mut name)
                == sys::Status::napi_ok
                && sys::napi_create_threadsafe_function(
                    env,
                    callback,
                    ptr::null_mut(),
                    name,
                    0,
                    1,
                    ptr::null_mut(),
                    None,
                    ptr::null_mut(),
                    Some(call_js),
                    &mut raw,
                ) == sys::Status::napi_ok
        };
        if !ok {
            return None;
        }
        // SAFETY: `raw` was just created on this thread with this env.
        unsafe { sys::napi_unref_threadsafe_function(env, raw) };
        Some(Self { raw })
    }

    /// Queues `task` for the JS thread without blocking; false if it was refused
    /// (queue closing), in which case the task is dropped here.
    pub fn send(&self, task: BoxedTask) -> bool {
        let data = Box::into_raw(Box::new(task));
        // SAFETY: `self.raw` is live until `release`, which the owner calls only after
        // removing this channel from every sender (under the registry lock).
        let status = unsafe {
            sys::napi_call_threadsafe_function(
                self.raw,
                data.cast(),
                sys::ThreadsafeFunctionCallMode::nonblocking,
            )
        };
        if status != sys::Status::napi_ok {
            // SAFETY: N-API did not take the item, so we still own it.
            drop(unsafe { Box::from_raw(data) });
            return false;
        }
        true
    }

    /// Releases the channel; called once, on the JS thread, at teardown.
    pub fn release(self) {
        // SAFETY: the handle is live and released exactly once (this consumes self).
        unsafe {
            sys::napi_release_threadsafe_function(
                self.raw,
                sys::ThreadsafeFunctionReleaseMode::release,
            )
        };
    }
}

/// Calls a JS callback with no arguments, on its JS thread.
pub fn call_ready_callback(env: sys::napi_env, callback: sys::napi_value) {
    let mut undefined = ptr::null_mut();
    let mut result = ptr::null_mut();
    // SAFETY: on the JS thread with a live env (checked by `call_js`); every
    // out-pointer is valid and no argument is passed.
    unsafe {
        if sys::napi_get_undefined(env, &mut undefined) != sys::Status::napi_ok {
            return;
        }
        if sys::napi_call_function(env, undefined, callback, 0, ptr::null(), &mut result)
            != sys::Status::napi_ok
        {
            // The callback threw: clear the exception so it does not leak into Node's
            // next tick; the JS side logs its own failures.
            let mut exc = ptr::null_mut();
            sys::napi_get_and_clear_last_exception(env, &mut exc);
        }
    }
}
