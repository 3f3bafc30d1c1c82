/**
 * The fallback backend: the operations of the native addon (see `NativeBinding`) on
 * top of `node:inspector`'s `Profiler` domain, for platforms and Node ABIs that have
 * no native binary. The engine is the native one compiled to WebAssembly (`./wasm.ts`):
 * this adapter only runs the inspector, turns its profiles into batches
 * (`./profile.ts`), and feeds the engine with them, the windows and the clock.
 * Internal.
 *
 * Sampling is gapless across rotations: the isolate's one in-process inspector session
 * runs V8 profiles named by title (`console.profile(title)` of `node:inspector`'s
 * console, which goes to the inspector only), and a rotation starts the next profile
 * before it ends the running one. Both are profiles of one V8 `CpuProfiler`, which
 * therefore stays alive with its code map: a rotation costs a fraction of a millisecond
 * and never walks the heap again. The engine drops the overlap of two profiles and
 * V8's start-of-profile extras, as the native one does. Rotations happen when closed
 * windows wait for their samples (batched, at most every 50 ms), when a chunk of a
 * chunked window is due, on `flush()`, at `closeWindowSync`, and every
 * `quietRotationIntervalMs` (5 s by default) so that V8's running profile stays small.
 *
 * Everything runs on the JS thread: the engine's work is that of the native engine
 * thread, done at rotations. A chunk is cut on the samples' clock at exact multiples
 * of its period; a synchronous stretch of the application delays its delivery (the
 * chunks keep their length, they arrive when the thread yields).
 *
 * Faults: if the WebAssembly module cannot start, profiling is off (said once on
 * stderr) and every window closes with a failed result; a trap in the engine is
 * counted (`enginePanics`), pending windows fail, and a fresh engine goes on.
 *
 * Limits against the native backend: a window holds the samples of the isolate that
 * opened it only (each worker that loads ferroprof profiles itself; `followSampling`
 * does not reach other threads), and there is no VM state but `js`, `gc`, `idle` and
 * `other` (`(program)`).
 */
import { Session, console as inspectorConsole } from 'node:inspector';
import { availableParallelism } from 'node:os';

import { crypto } from '../builtins.js';
import { DEFAULT_FREQUENCY_HZ, DEFAULT_MAX_STACK_DEPTH, MAX_FREQUENCY_HZ, MIN_FREQUENCY_HZ } from '../limits.generated.js';
import type {
  CloseOptions,
  NativeBinding,
  NativeConfig,
  NativeStats,
  OpenOptions,
  ProfileMetadata,
  ResultKind,
  ValidatedEnvelope,
  WindowProfile,
  WindowResult,
} from '../native-types.js';
import type { CpuProfile } from './profile.js';
import { batchOf } from './profile.js';
import { WasmEngine, isTrap, splitData } from './wasm.js';

/** `EngineStats` of crates/core, as the engine serialises them. */
interface EngineStats {
  samples_ingested: number;
  samples_held: number;
  samples_pruned: number;
  samples_dropped_capacity: number;
  samples_out_of_order: number;
  samples_lost_reset: number;
  stacks_truncated: number;
  bytes_held: number;
  threads: number;
  store_compactions: number;
  windows_closed: number;
  chunks_cut: number;
  windows_timed_out: number;
  windows_failed: number;
}

interface StatsReply {
  engine: EngineStats;
  filter: { copied: number; duplicate: number; nearDuplicate: number };
}

type ResultHeader = Omit<WindowResult, 'data' | 'chunkId'> & { chunkId: string | null; dataLen: number };

/** The `open` command of a window still open, to open it again in a fresh engine. */
interface OpenWindow {
  id: number;
  startNs: number;
  chunk?: { periodNs: number; profilerId: string; waitNs: number };
  limit?: { maxNs: number; waitNs: number };
  /** A chunked window's next cut (the end of its running chunk). */
  nextCutNs?: number;
}

/** Posts a command on an in-process session: the reply arrives synchronously. */
function post<T>(session: Session, method: string, params?: object): T {
  let reply: unknown;
  let failure: Error | null = null;
  session.post(method, params ?? {}, (err, result) => {
    failure = err;
    reply = result;
  });
  if (failure) throw failure;
  return reply as T;
}

function nowNs(): number {
  return Number(process.hrtime.bigint());
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const MAX_HZ = 10_000;
const RANGES: Record<string, [number, number]> = {
  rotationIntervalMs: [10, 60_000],
  quietRotationIntervalMs: [10, 600_000],
  lingerMs: [0, 3_600_000],
  defaultHz: [1, MAX_HZ],
  maxWindowWaitMs: [1, 600_000],
  maxStackDepth: [1, 4096],
  maxSamples: [1, 100_000_000],
  maxBytes: [1024, 16 * 1024 * 1024 * 1024],
};

/** The inspector backend of one isolate; implements the native addon's operations. */
export class InspectorBinding implements NativeBinding {
  readonly MIN_FREQUENCY_HZ = MIN_FREQUENCY_HZ;
  readonly MAX_FREQUENCY_HZ = MAX_FREQUENCY_HZ;
  readonly DEFAULT_FREQUENCY_HZ = DEFAULT_FREQUENCY_HZ;
  readonly DEFAULT_MAX_STACK_DEPTH = DEFAULT_MAX_STACK_DEPTH;
  private readonly session: Session;
  /** Number of the running profile (its title is `ferroprof-<n>`); -1 when stopped. */
  private active = -1;
  /** Exit handling ran: profiling never starts again in this isolate. */
  private shutDown = false;
  private nextProfile = 1;
  private finished: CpuProfile | undefined;
  private rotationTimer: NodeJS.Timeout | undefined;
  private resourceTimer: NodeJS.Timeout | undefined;
  private chunkTimer: NodeJS.Timeout | undefined;
  private deliverTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private hz = 0;
  private consumers = 0;
  private onReady: (() => void) | undefined;
  private readonly instance = `inspector-${crypto().randomUUID().replaceAll('-', '')}`;
  private results: WindowResult[] = [];
  private readyPending = false;
  private nextTicket = 1;
  private threadId = 0;
  private threadName = 'main';
  private nextId = 1;
  private readonly open = new Map<number, OpenWindow>();
  /** Closes not yet answered, ticket → window id. */
  private readonly waiting = new Map<number, number>();
  private metaJson: string | undefined;
  private readonly anchor: { mono: bigint; unix: bigint };
  private lastCpu: { ns: number; usage: NodeJS.CpuUsage } | undefined;
  /** `[time ns, samples kept so far]` at recent rotations, for `deliveredHz`. */
  private readonly kept: [number, number][] = [];
  private keptTotal = 0;
  private readonly own = {
    samplerStarts: 0,
    samplerStops: 0,
    rotations: 0,
    v8StartFailures: 0,
    samplerStartsRefused: 0,
    windowsOpened: 0,
    windowsDelivered: 0,
    enginePanics: 0,
  };
  private readonly config = {
    rotationIntervalMs: 500,
    quietRotationIntervalMs: 5000,
    lingerMs: 2000,
    defaultHz: 101,
    maxWindowWaitMs: 5000,
    maxStackDepth: 128,
    maxSamples: 250_000,
    maxBytes: 64 * 1024 * 1024,
  };
  /** The engine; undefined when it could not start (`off` says why). */
  private engine: WasmEngine | undefined;
  private off: string | undefined;

  constructor() {
    this.session = new Session();
    this.session.connect();
    post(this.session, 'Profiler.enable');
    this.session.on('Profiler.consoleProfileFinished', (m: { params: { title?: string; profile: CpuProfile } }) => {
      if (m.params.title === `ferroprof-${this.active}`) this.finished = m.params.profile;
    });
    // Samples and windows are on V8's monotonic clock (`process.hrtime`).
    const mono = process.hrtime.bigint();
    const unix = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e3)) * 1000n;
    this.anchor = { mono, unix };
    this.engine = this.startEngine();
  }

  // --- the engine -----------------------------------------------------------------

  /** A fresh engine with this backend's settings; undefined (profiling off) if none starts. */
  private startEngine(): WasmEngine | undefined {
    try {
      const engine = new WasmEngine();
      engine.call({
        op: 'init',
        anchor: { monoNs: String(this.anchor.mono), unixNs: String(this.anchor.unix) },
        appRoot: process.cwd(),
      });
      engine.call({ op: 'configure', ...this.engineConfig() });
      if (this.metaJson !== undefined) engine.call({ op: 'profileMeta', json: this.metaJson });
      // A thread is waited for only while it samples (see `ensureRunning`, `stopNow`).
      if (this.active >= 0) engine.call({ op: 'threadStarted', threadId: this.threadId, name: this.threadName });
      return engine;
    } catch (err) {
      this.off = message(err);
      process.stderr.write(
        `ferroprof: profiling is off: the inspector backend's WebAssembly engine could not start: ${this.off}\n`,
      );
      return undefined;
    }
  }

  private engineConfig(): object {
    return {
      maxStackDepth: this.config.maxStackDepth,
      maxSamples: this.config.maxSamples,
      maxBytes: this.config.maxBytes,
      // Samples of windows opened just before a rotation must survive pruning.
      pruneMarginNs: Math.max(4 * this.config.rotationIntervalMs, 2000) * 1e6,
    };
  }

  /**
   * Runs `f` on the engine. A trap (a panic in the engine) is counted, every waiting
   * close fails, and a fresh engine takes the open windows on from now; a command the
   * engine refuses (bad metadata) throws to the caller, as the native addon does.
   */
  private withEngine<T>(f: (engine: WasmEngine) => T, fallback: T): T {
    const engine = this.engine;
    if (!engine) return fallback;
    try {
      return f(engine);
    } catch (err) {
      if (!isTrap(err)) throw err;
      this.recover(err as Error);
      return fallback;
    }
  }

  private recover(err: Error): void {
    this.own.enginePanics += 1;
    if (this.own.enginePanics === 1) {
      process.stderr.write(`ferroprof: the inspector backend's engine failed and was restarted: ${err.message}\n`);
    }
    for (const [ticket, id] of this.waiting)
      this.results.push(this.failed(id, ticket, 'the profiler recovered from an internal fault'));
    this.waiting.clear();
    this.engine = this.startEngine();
    // No engine: no sampling either (windows close with failed results).
    if (!this.engine) this.stopNow();
    const now = nowNs();
    for (const w of this.open.values()) {
      w.startNs = now;
      if (w.chunk) w.nextCutNs = now + w.chunk.periodNs;
      this.engine?.call({ op: 'open', id: w.id, startNs: w.startNs, chunk: w.chunk, limit: w.limit });
    }
    this.wake();
  }

  private failed(id: number, ticket: number, why: string): WindowResult {
    this.own.windowsDelivered += 1;
    const now = nowNs();
    return {
      id,
      ticket,
      kind: 'failed',
      message: why,
      complete: false,
      samples: 0,
      startNs: now,
      endNs: now,
      truncated: false,
    };
  }

  /** Every delivery the engine has due now, as window results. */
  private poll(): WindowResult[] {
    return this.withEngine((engine) => {
      const { json, data } = engine.call<{ results: ResultHeader[] }>({ op: 'poll', nowNs: nowNs() });
      const bodies = splitData(
        data,
        json.results.map((r) => r.dataLen),
      );
      return json.results.map(({ dataLen: _, chunkId, ...r }, i) => {
        this.waiting.delete(r.ticket);
        this.own.windowsDelivered += 1;
        return { ...r, ...(chunkId === null ? {} : { chunkId }), ...typedResult(r.kind, bodies[i]!) };
      });
    }, []);
  }

  attach(onReady: () => void, threadId: number, threadName: string): void {
    this.onReady = onReady;
    this.threadId = threadId;
    this.threadName = threadName;
  }

  // --- sampling -------------------------------------------------------------------

  /** Ends the running profile; its result arrives synchronously as an inspector event. */
  private endProfile(n: number): CpuProfile {
    this.finished = undefined;
    const previous = this.active;
    this.active = n;
    inspectorConsole.profileEnd(`ferroprof-${n}`);
    this.active = previous;
    const profile = this.finished as CpuProfile | undefined;
    this.finished = undefined;
    if (!profile) throw new Error(`ferroprof: the inspector returned no profile for ferroprof-${n}`);
    return profile;
  }

  private intervalUs(): number {
    return Math.max(1, Math.round(1e6 / (this.hz || this.config.defaultHz)));
  }

  private ensureRunning(hz: number): void {
    this.cancelLinger();
    if (this.active >= 0 || !this.engine) return;
    if (this.shutDown) {
      // After exit handling a start is a counted no-op (see the native `shutdown`).
      this.own.samplerStartsRefused += 1;
      return;
    }
    this.hz = hz;
    try {
      // Takes effect when the first profile creates the CpuProfiler.
      post(this.session, 'Profiler.setSamplingInterval', { interval: this.intervalUs() });
      const n = this.nextProfile++;
      inspectorConsole.profile(`ferroprof-${n}`);
      this.active = n;
    } catch (err) {
      this.own.v8StartFailures += 1;
      throw err;
    }
    this.own.samplerStarts += 1;
    this.withEngine((e) => e.call({ op: 'threadStarted', threadId: this.threadId, name: this.threadName }), undefined);
    this.readResources();
    this.rotationTimer = setInterval(
      () => {
        this.rotate();
        this.deliver();
      },
      Math.max(this.config.quietRotationIntervalMs, this.config.rotationIntervalMs),
    );
    this.rotationTimer.unref();
    // CPU and memory at 10 Hz, as the native engine thread reads them.
    this.resourceTimer = setInterval(() => this.readResources(), 100);
    this.resourceTimer.unref();
  }

  /** Starts the next profile, then ends the running one (no gap); feeds its samples. */
  private rotate(): number {
    if (this.active < 0) return 0;
    const old = this.active;
    const next = this.nextProfile++;
    inspectorConsole.profile(`ferroprof-${next}`);
    const profile = this.endProfile(old);
    this.active = next;
    this.own.rotations += 1;
    this.readResources();
    return this.feed(profile);
  }

  private stopNow(): void {
    if (this.active < 0) return;
    const profile = this.endProfile(this.active);
    this.active = -1;
    for (const timer of [this.rotationTimer, this.resourceTimer]) clearInterval(timer);
    this.rotationTimer = undefined;
    this.resourceTimer = undefined;
    this.own.samplerStops += 1;
    this.feed(profile);
    // Nothing waits for this thread's samples any more.
    this.withEngine((e) => e.call({ op: 'threadEnded', threadId: this.threadId }), undefined);
    this.hz = 0;
    this.kept.length = 0;
  }

  /** Feeds a finished profile to the engine; returns the samples it kept. */
  private feed(profile: CpuProfile): number {
    const batch = batchOf(profile, this.threadId, this.intervalUs());
    const kept = this.withEngine((e) => e.call<{ kept: number }>(batch).json.kept, 0);
    this.keptTotal += kept;
    this.kept.push([profile.endTime * 1000, this.keptTotal]);
    if (this.kept.length > 4) this.kept.shift();
    return kept;
  }

  private readResources(): void {
    const ns = nowNs();
    const usage = process.cpuUsage();
    let cpu: number | undefined;
    if (this.lastCpu) {
      const wallUs = (ns - this.lastCpu.ns) / 1000;
      if (wallUs > 0) {
        const used = usage.user - this.lastCpu.usage.user + (usage.system - this.lastCpu.usage.system);
        // Percent of the whole machine, as Sentry's SDKs report it.
        cpu = (100 * used) / wallUs / availableParallelism();
      }
    }
    this.lastCpu = { ns, usage };
    this.withEngine((e) => e.call({ op: 'reading', monoNs: ns, cpu, rss: process.memoryUsage.rss() }), undefined);
  }

  private cancelLinger(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
  }

  private releaseIfUnused(): void {
    if (this.active < 0 || this.consumers > 0 || this.open.size > 0 || this.waiting.size > 0) return;
    this.cancelLinger();
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      if (this.consumers === 0 && this.open.size === 0 && this.waiting.size === 0) this.stopNow();
    }, this.config.lingerMs);
    this.lingerTimer.unref();
  }

  startSampling(hz: number): number {
    if (!(hz >= 1 && hz <= MAX_HZ)) throw new RangeError(`ferroprof: sampling frequency must be between 1 and ${MAX_HZ} Hz`);
    this.ensureRunning(hz);
    this.consumers += 1;
    return this.hz || hz;
  }

  stopSampling(): boolean {
    if (this.consumers === 0) return false;
    this.consumers -= 1;
    this.releaseIfUnused();
    return true;
  }

  isSampling(): boolean {
    return this.active >= 0;
  }

  followSampling(_hz: number): void {
    // Other threads are not reached by this backend (see the module comment).
  }

  // --- windows --------------------------------------------------------------------

  openWindow(options?: OpenOptions | null): number {
    const waitNs = this.config.maxWindowWaitMs * 1e6;
    let chunk: OpenWindow['chunk'];
    if (options?.chunkPeriodMs != null) {
      const ms = options.chunkPeriodMs;
      if (!(ms >= 100 && ms <= 60_000)) throw new Error(`ferroprof: chunkPeriodMs must be in [100, 60000], got ${ms}`);
      const profilerId = options.profilerId;
      if (typeof profilerId !== 'string' || !/^[0-9a-fA-F]{32}$/.test(profilerId)) {
        throw new Error('ferroprof: profilerId must be 32 hex digits');
      }
      chunk = { periodNs: Math.round(ms * 1e6), profilerId, waitNs };
    }
    let limit: OpenWindow['limit'];
    if (options?.maxDurationMs != null && !chunk) {
      const ms = options.maxDurationMs;
      if (!(ms >= 1 && ms <= 86_400_000)) throw new Error(`ferroprof: maxDurationMs must be between 1 and 86400000, got ${ms}`);
      limit = { maxNs: Math.round(ms * 1e6), waitNs };
    }
    this.ensureRunning(this.hz || this.config.defaultHz);
    const id = this.nextId++;
    const startNs = nowNs();
    const w: OpenWindow = { id, startNs, chunk, limit };
    if (chunk) w.nextCutNs = startNs + chunk.periodNs;
    this.open.set(id, w);
    this.withEngine((e) => e.call({ op: 'open', id, startNs, chunk, limit }), undefined);
    // CPU and memory readings at the window's edges, besides the 10 Hz ones.
    this.readResources();
    this.own.windowsOpened += 1;
    if (chunk) this.ensureChunkTimer();
    return id;
  }

  minSampleSpacingMs(_hz: number): number {
    // No filter spaces this backend's samples: every profile is left to the encoder.
    return 0;
  }

  withdrawWindow(_id: number): boolean {
    // Nothing is held back here: the caller closes the window instead.
    return false;
  }

  /** Sends the close to the engine; returns its ticket, or null for a window not open. */
  private close(id: number, options: CloseOptions | undefined | null): number | null {
    const w = this.open.get(id);
    if (!w) return null;
    const ticket = this.nextTicket;
    this.readResources();
    const now = nowNs();
    // Throws (before anything changed) when the engine refuses the metadata.
    const sent = this.withEngine((e) => {
      e.call({
        op: 'close',
        id,
        endNs: now,
        nowNs: now,
        activeThreadId: this.threadId,
        ticket,
        encoding: options?.encoding ?? 'raw',
        // The module's protocol is JSON (crates/wasm/src/meta_json.rs).
        meta: metaJsonOf(options),
        reopen: options?.reopen ?? false,
        waitNs: this.config.maxWindowWaitMs * 1e6,
      });
      return true;
    }, false);
    this.nextTicket += 1;
    if (sent) {
      this.waiting.set(ticket, id);
    } else {
      const why = this.engine ? 'the profiler recovered from an internal fault' : `profiling is off: ${this.off}`;
      this.results.push(this.failed(id, ticket, why));
      this.wake();
    }
    if (options?.reopen) {
      // The next part starts right after this one: no sample belongs to both.
      w.startNs = now + 1;
      if (w.chunk) w.nextCutNs = w.startNs + w.chunk.periodNs;
    } else {
      this.open.delete(id);
    }
    return ticket;
  }

  closeWindow(id: number, options?: CloseOptions | null): number | null {
    const ticket = this.close(id, options);
    if (ticket === null) return null;
    this.scheduleDelivery();
    return ticket;
  }

  closeWindowSync(id: number, options?: CloseOptions | null, _timeoutMs?: number | null): WindowResult | null {
    const ticket = this.close(id, options);
    if (ticket === null) return null;
    this.rotate();
    const ready = [...this.results.splice(0), ...this.poll()];
    const own = ready.find((r) => r.ticket === ticket);
    this.results.push(...ready.filter((r) => r !== own));
    this.afterDelivery();
    if (this.results.length > 0) this.wake();
    if (own) return own;
    // Not deliverable yet (the engine waits for samples): answered later, like a close.
    this.scheduleDelivery();
    return null;
  }

  takeResults(): WindowResult[] {
    const out = this.results;
    this.results = [];
    return out;
  }

  /** The native fault-injection hook: this backend has no engine thread to fault. */
  injectFault(): void {
    throw new Error('ferroprof: injectFault needs the native addon; this process runs the inspector backend');
  }

  instanceId(): string {
    return this.instance;
  }

  /** Rotates when a chunked window's chunk has ended, so the engine can cut it. */
  private checkChunks(): void {
    const now = nowNs();
    // Samples up to a cut are in once the profile after it ends: a few intervals later.
    const margin = 3 * this.intervalUs() * 1000;
    let due = false;
    for (const w of this.open.values()) {
      if (!w.chunk || w.nextCutNs === undefined) continue;
      if (now >= w.nextCutNs + margin) {
        due = true;
        while (w.nextCutNs <= now) w.nextCutNs += w.chunk.periodNs;
      }
    }
    if (due) {
      this.rotate();
      this.deliver();
    }
    if (![...this.open.values()].some((w) => w.chunk) && this.chunkTimer) {
      clearInterval(this.chunkTimer);
      this.chunkTimer = undefined;
    }
  }

  private ensureChunkTimer(): void {
    if (this.chunkTimer) return;
    this.chunkTimer = setInterval(() => this.checkChunks(), 50);
    this.chunkTimer.unref();
  }

  private scheduleDelivery(): void {
    if (this.deliverTimer) return;
    this.deliverTimer = setTimeout(
      () => {
        this.deliverTimer = undefined;
        this.rotate();
        this.deliver();
        // Closed windows still waiting (for samples of a later rotation) try again.
        if (this.waiting.size > 0) this.scheduleDelivery();
      },
      Math.min(this.config.rotationIntervalMs, 50),
    );
  }

  /** Takes what the engine has due and wakes the dispatcher for it. */
  private deliver(): void {
    const ready = this.poll();
    this.results.push(...ready);
    this.afterDelivery();
    if (this.results.length > 0) this.wake();
  }

  private wake(): void {
    if (this.readyPending) return;
    this.readyPending = true;
    setImmediate(() => {
      this.readyPending = false;
      this.onReady?.();
    });
  }

  private afterDelivery(): void {
    this.releaseIfUnused();
  }

  // --- the rest of the binding -----------------------------------------------------

  setProfileMeta(meta: ProfileMetadata): void {
    const { os, device } = meta;
    const json = JSON.stringify({
      ...meta,
      os: { name: os.name, version: os.version, build_number: os.buildNumber },
      device: {
        architecture: device.architecture,
        model: device.model,
        manufacturer: device.manufacturer,
        locale: device.locale,
        is_emulator: device.isEmulator,
      },
    });
    this.withEngine((e) => e.call({ op: 'profileMeta', json }), undefined);
    this.metaJson = json;
  }

  shutdown(): void {
    this.shutDown = true;
    this.cancelLinger();
    for (const timer of [this.chunkTimer, this.rotationTimer, this.resourceTimer]) clearInterval(timer);
    clearTimeout(this.deliverTimer);
    this.chunkTimer = this.rotationTimer = this.resourceTimer = this.deliverTimer = undefined;
    if (this.active >= 0) {
      try {
        // Windows closed at exit still get the samples taken so far.
        this.feed(this.endProfile(this.active));
      } catch {
        // Exiting.
      }
      this.active = -1;
      this.withEngine((e) => e.call({ op: 'threadEnded', threadId: this.threadId }), undefined);
    }
  }

  clockAnchor(): number[] {
    return [Number(this.anchor.mono), Number(this.anchor.unix)];
  }

  validateEnvelope(bytes: Uint8Array, gzip?: boolean | null): ValidatedEnvelope {
    if (!this.engine) throw new Error(`ferroprof: validateEnvelope needs the engine, which could not start: ${this.off}`);
    return this.engine.validate<ValidatedEnvelope>(bytes, gzip ?? false);
  }

  flush(): number {
    const kept = this.rotate();
    this.deliver();
    return kept;
  }

  monotonicNowNs(): number {
    return nowNs();
  }

  nativeAbi(): string {
    return process.versions.modules;
  }

  configure(options: NativeConfig): void {
    for (const [key, value] of Object.entries(options) as [string, unknown][]) {
      if (value === undefined) continue;
      if (key === 'eagerLogging') continue; // No such choice through the inspector.
      const range = RANGES[key];
      if (!range) throw new Error(`unknown sampler option '${key}'`);
      if (typeof value !== 'number' || !Number.isInteger(value) || value < range[0] || value > range[1]) {
        throw new Error(`${key} must be an integer in [${range[0]}, ${range[1]}], got ${String(value)}`);
      }
    }
    Object.assign(
      this.config,
      Object.fromEntries(Object.entries(options).filter(([k, v]) => v !== undefined && k !== 'eagerLogging')),
    );
    this.withEngine((e) => e.call({ op: 'configure', ...this.engineConfig() }), undefined);
  }

  /** Samples kept per second over the last few rotations (0 when not sampling). */
  private deliveredHz(): number {
    if (this.active < 0 || this.kept.length < 2) return 0;
    const [t0, n0] = this.kept[0]!;
    const [t1, n1] = this.kept[this.kept.length - 1]!;
    return t1 > t0 ? ((n1 - n0) * 1e9) / (t1 - t0) : 0;
  }

  getStats(): NativeStats {
    const s = this.withEngine((e) => e.call<StatsReply>({ op: 'stats' }).json, undefined);
    const e = s?.engine;
    const f = s?.filter;
    return {
      ...this.own,
      rotationsByInterrupt: 0,
      samplesCopied: f?.copied ?? 0,
      samplesDuplicate: f?.duplicate ?? 0,
      samplesNearDuplicate: f?.nearDuplicate ?? 0,
      samplesDroppedQueue: 0,
      samplesInFlight: 0,
      samplesIngested: e?.samples_ingested ?? 0,
      samplesHeld: e?.samples_held ?? 0,
      samplesPruned: e?.samples_pruned ?? 0,
      samplesDroppedCapacity: e?.samples_dropped_capacity ?? 0,
      samplesOutOfOrder: e?.samples_out_of_order ?? 0,
      samplesLostReset: e?.samples_lost_reset ?? 0,
      stacksTruncated: e?.stacks_truncated ?? 0,
      bytesHeld: e?.bytes_held ?? 0,
      threads: e?.threads ?? 1,
      storeCompactions: e?.store_compactions ?? 0,
      windowsWithdrawn: 0,
      windowsClosed: e?.windows_closed ?? 0,
      chunksCut: e?.chunks_cut ?? 0,
      windowsTimedOut: e?.windows_timed_out ?? 0,
      windowsFailed: e?.windows_failed ?? 0,
      windowsDropped: 0,
      jsCalls: 0,
      jsNsTotal: 0,
      jsNsMax: 0,
      jsNsP50: 0,
      jsNsP99: 0,
      samplingHz: this.active >= 0 ? this.hz : 0,
      deliveredHz: this.deliveredHz(),
    };
  }
}

/** The JSON metadata the WebAssembly engine reads for a `v1` or `v2` close. */
function metaJsonOf(options: CloseOptions | undefined | null): string | undefined {
  if (options?.encoding === 'v1' && options.transaction) return JSON.stringify(options.transaction);
  if (options?.encoding === 'v2' && options.chunk) return JSON.stringify(options.chunk);
  return undefined;
}

/** A result's typed fields from the WebAssembly engine's text for it. */
function typedResult(kind: ResultKind, text: string): Partial<WindowResult> {
  if (kind === 'encoded') return { payload: text };
  try {
    const parsed = JSON.parse(text) as Partial<WindowProfile> & { reason?: WindowResult['reason']; message?: string };
    if (kind === 'raw') return { profile: parsed as WindowProfile };
    return { reason: parsed.reason, message: parsed.message ?? kind };
  } catch {
    return { kind: 'failed', message: `unreadable ${kind} result` };
  }
}
