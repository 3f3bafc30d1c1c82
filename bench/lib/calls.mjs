// Records the JS-thread time of each profiler call the benchmark makes, by operation.
export class CallRecorder {
  constructor() {
    /** @type {Record<string, number[]>} milliseconds per call, by operation */
    this.ms = {};
  }

  /** Runs `fn` synchronously and records how long it held the JS thread. */
  time(op, fn) {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.add(op, performance.now() - t0);
    }
  }

  add(op, ms) {
    this.ms[op] ??= [];
    this.ms[op].push(ms);
  }
}
