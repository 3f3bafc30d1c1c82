// The V8 side of ferroprof's bridge: thin C wrappers over v8::CpuProfiler.
//
// Everything here runs on the isolate's own JS thread (the Rust bridge guarantees it)
// and does no allocation or policy of its own: the Rust code decides what to call
// and when. Functions that may create handles open a HandleScope.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include <v8.h>
#include <v8-profiler.h>

namespace {

v8::CpuProfiler* AsProfiler(void* p) { return static_cast<v8::CpuProfiler*>(p); }
v8::CpuProfile* AsProfile(void* p) { return static_cast<v8::CpuProfile*>(p); }
const v8::CpuProfileNode* AsNode(const void* p) {
  return static_cast<const v8::CpuProfileNode*>(p);
}

}  // namespace

extern "C" {

struct fp_node_info {
  const char* function_name;
  const char* script_name;
  int line;
  int column;
  int source_type;
  unsigned node_id;
  const void* parent;
};

void* fp_current_isolate() { return v8::Isolate::TryGetCurrent(); }

void* fp_profiler_new(void* isolate, int eager_logging) {
  // Debug naming infers names of anonymous functions from their scope. Eager logging
  // (the default) walks the heap here, once, and logs code events from then on, so no
  // start of a profile walks it again; lazy logging walks it at every cold start.
  return v8::CpuProfiler::New(static_cast<v8::Isolate*>(isolate), v8::kDebugNaming,
                              eager_logging ? v8::kEagerLogging : v8::kLazyLogging);
}

void fp_profiler_dispose(void* profiler) { AsProfiler(profiler)->Dispose(); }

void fp_profiler_set_sampling_interval(void* profiler, int interval_us) {
  AsProfiler(profiler)->SetSamplingInterval(interval_us);
}

// Returns v8::CpuProfilingStatus (0 started, 1 already started, 2 error).
int fp_profiler_start(void* isolate, void* profiler, int interval_us, unsigned max_samples,
                      int caller_lines, uint32_t* out_id) {
  v8::HandleScope scope(static_cast<v8::Isolate*>(isolate));
  // Caller line numbers: a node is split by the line its caller called it from, and
  // its GetLineNumber() is that line, so every caller frame can name its call site;
  // the leaf's executing lines come from its line ticks. Leaf-node line numbers: one
  // node per function, GetLineNumber() is the function's first line.
  v8::CpuProfilingOptions options(caller_lines ? v8::kCallerLineNumbers : v8::kLeafNodeLineNumbers,
                                  max_samples, interval_us);
  v8::CpuProfilingResult result = AsProfiler(profiler)->Start(std::move(options));
  *out_id = result.id;
  return static_cast<int>(result.status);
}

void* fp_profiler_stop(void* isolate, void* profiler, uint32_t id) {
  v8::HandleScope scope(static_cast<v8::Isolate*>(isolate));
  return AsProfiler(profiler)->Stop(id);
}

int fp_profile_sample_count(void* profile) { return AsProfile(profile)->GetSamplesCount(); }

void fp_profile_sample(void* profile, int index, int64_t* ts_us, const void** node,
                       int* state) {
  v8::CpuProfile* p = AsProfile(profile);
  *ts_us = p->GetSampleTimestamp(index);
  *node = p->GetSample(index);
  *state = static_cast<int>(p->GetSampleState(index));
}

int64_t fp_profile_start_time(void* profile) { return AsProfile(profile)->GetStartTime(); }
int64_t fp_profile_end_time(void* profile) { return AsProfile(profile)->GetEndTime(); }

void fp_profile_delete(void* profile) { AsProfile(profile)->Delete(); }

void fp_node_info(const void* node, fp_node_info* out) {
  const v8::CpuProfileNode* n = AsNode(node);
  out->function_name = n->GetFunctionNameStr();
  out->script_name = n->GetScriptResourceNameStr();
  out->line = n->GetLineNumber();
  out->column = n->GetColumnNumber();
  out->source_type = static_cast<int>(n->GetSourceType());
  out->node_id = n->GetNodeId();
  out->parent = n->GetParent();
}

// Copies up to `cap` of the node's line ticks (lines of its function where its own
// samples were, and how many) into `lines`/`hits`; returns how many it has in all.
unsigned fp_node_line_ticks(const void* node, int* lines, unsigned* hits, unsigned cap) {
  const v8::CpuProfileNode* n = AsNode(node);
  unsigned count = n->GetHitLineCount();
  if (count == 0 || count > cap) return count;
  std::vector<v8::CpuProfileNode::LineTick> ticks(count);
  if (!n->GetLineTicks(ticks.data(), count)) return 0;
  for (unsigned i = 0; i < count; i++) {
    lines[i] = ticks[i].line;
    hits[i] = ticks[i].hit_count;
  }
  return count;
}

// Asks V8 to run `callback(isolate, data)` on the isolate's thread at its next
// interrupt check, even while JavaScript runs a loop that never yields. Callable from
// any thread (V8 documents it so); the caller keeps the isolate alive meanwhile.
// The Rust side passes the same callback every time; a trampoline with V8's exact
// signature calls it, so no function pointer is cast to another type.
static std::atomic<void (*)(void*, void*)> g_interrupt_callback{nullptr};

static void InterruptTrampoline(v8::Isolate* isolate, void* data) {
  void (*callback)(void*, void*) = g_interrupt_callback.load(std::memory_order_acquire);
  if (callback != nullptr) callback(isolate, data);
}

void fp_request_interrupt(void* isolate, void (*callback)(void*, void*), void* data) {
  g_interrupt_callback.store(callback, std::memory_order_release);
  static_cast<v8::Isolate*>(isolate)->RequestInterrupt(InterruptTrampoline, data);
}

// The clock V8 stamps samples with: on Linux both are CLOCK_MONOTONIC, on macOS
// mach_absolute_time, on Windows QueryPerformanceCounter.
uint64_t fp_monotonic_now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // extern "C"
