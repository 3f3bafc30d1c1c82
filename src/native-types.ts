/** The raw exports of the native addon (see crates/node/src/lib.rs). Internal. */
export interface NativeBinding {
  attach(onWindow: (id: number, kind: number, data: string) => void, threadId: number, threadName: string): void;
  startSampling(hz: number): number;
  stopSampling(): boolean;
  isSampling(): boolean;
  openWindow(): number;
  closeWindow(id: number, options?: CloseOptions): boolean;
  closeWindowSync(id: number, options?: CloseOptions, timeoutMs?: number): WindowResult | null;
  setProfileMeta(json: string): void;
  followSampling(hz: number): void;
  shutdown(): void;
  clockAnchor(): number[];
  validateEnvelope(bytes: Uint8Array, gzip?: boolean): ValidatedEnvelope;
  flush(): number;
  monotonicNowNs(): number;
  nativeAbi(): string;
  configure(options: NativeConfig): void;
  getStats(): SamplerStats;
}

/** Tunables of the native sampler. Omitted fields keep their current value. */
export interface NativeConfig {
  /** How often each sampler hands samples to the worker thread (10–60 000 ms, default 500). */
  rotationIntervalMs?: number;
  /** How long a sampler with no consumer keeps running before it stops (default 2000 ms). */
  lingerMs?: number;
  /** Frequency used when opening a window starts the sampler (default 101 Hz). */
  defaultHz?: number;
  /** Longest wait of a closed window for samples of busy threads (default 5000 ms). */
  maxWindowWaitMs?: number;
  /** Most frames kept per stack, leaf side (default 128). */
  maxStackDepth?: number;
  /** Most samples held in the store, all threads together (default 250 000). */
  maxSamples?: number;
  /** Most bytes held by the store, samples plus stack table (default 64 MiB). */
  maxBytes?: number;
  /**
   * V8 code logging for isolates not sampled yet: lazy (default) walks the heap at the
   * first start; eager logs code events all the time so starts are cheap.
   */
  eagerLogging?: boolean;
}

/** The sampler's own counters, process-wide. */
export interface SamplerStats {
  /** Cold starts of V8 profiling (not rotations). */
  samplerStarts: number;
  samplerStops: number;
  rotations: number;
  v8StartFailures: number;
  /** Samples copied out of V8 (after dropping rotation overlaps). */
  samplesReceived: number;
  /** Samples seen twice in a rotation overlap and dropped (not a loss). */
  samplesDuplicate: number;
  /** Samples lost because the worker queue was full. */
  samplesDroppedQueue: number;
  /** Oldest samples evicted because the store hit its bound. */
  samplesDroppedCapacity: number;
  samplesOutOfOrder: number;
  /** Samples whose stack was cut to `maxStackDepth` frames. */
  stacksTruncated: number;
  samplesHeld: number;
  bytesHeld: number;
  threads: number;
  storeCompactions: number;
  windowsOpened: number;
  windowsDelivered: number;
  windowsTimedOut: number;
  windowsDropped: number;
  /** Worker-thread messages whose handling panicked (caught and counted). */
  workerPanics: number;
  /** Calls into the profiler on JS threads, and the time they took. */
  jsCalls: number;
  jsNsTotal: number;
  jsNsMax: number;
  /** Upper bounds of the log2 histogram bucket holding the median / 99th percentile. */
  jsNsP50: number;
  jsNsP99: number;
  /** Frequency of this isolate's running sampler, 0 when not sampling. */
  samplingHz: number;
}

/** How a window is closed and what it becomes. Internal. */
export interface CloseOptions {
  encoding?: 'raw' | 'v1' | 'v2';
  meta?: string;
  reopen?: boolean;
}

/** `kind`: 0 raw window JSON, 1 encoded Sentry payload, 2 refused (`{reason, message, samples}`). */
export interface WindowResult {
  id: number;
  kind: number;
  data: string;
}

export const RESULT_RAW = 0;
export const RESULT_ENCODED = 1;
export const RESULT_REJECTED = 2;

/** An envelope Sentry's ingestion rules accept (see `validateEnvelope`). */
export interface ValidatedEnvelope {
  eventId?: string;
  items: { itemType: string; length: number; samples?: number; threads?: number }[];
}
