/**
 * The fallback backend: the operations of the native addon (see `NativeBinding`) on
 * top of `node:inspector`'s `Profiler` domain, for platforms and Node ABIs that have
 * no native binary. Internal.
 *
 * Sampling is gapless across rotations: the isolate's one in-process inspector session
 * runs V8 profiles named by title (`console.profile(title)` of `node:inspector`'s
 * console, which goes to the inspector only), and a rotation starts the next profile
 * before it ends the running one. Both are profiles of one V8 `CpuProfiler`, which
 * therefore stays alive with its code map: a rotation costs a fraction of a millisecond
 * and never walks the heap again (a profiler created anew per rotation would, and would
 * lose the names of code compiled before it started). Samples of the new profile up to
 * the last sample taken from the old one are dropped as duplicates. Rotations happen
 * when closed windows wait for their samples (batched, at most every 50 ms), on
 * `flush()`, at `closeWindowSync`, and every `quietRotationIntervalMs` (5 s by default)
 * so that V8's running profile stays small.
 *
 * Chunked windows (continuous profiling) are cut on the samples' clock at exact
 * multiples of their period, by a timer on the JS thread: a synchronous stretch delays
 * the cut (the chunks keep their length, they arrive when the thread yields).
 *
 * Limits against the native backend: a window holds the samples of the isolate that
 * opened it only (each worker that loads ferroprof profiles itself; `followSampling`
 * does not reach other threads), there is no VM state but `js`, `gc`, `idle` and `other`
 * (`(program)`), and
 * `validateEnvelope` needs the native addon.
 */
import { Session, console as inspectorConsole } from 'node:inspector';
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';

import { DEFAULT_FREQUENCY_HZ, DEFAULT_MAX_STACK_DEPTH, MAX_FREQUENCY_HZ, MIN_FREQUENCY_HZ } from '../limits.generated.js';
import type {
  CloseOptions,
  NativeBinding,
  NativeConfig,
  NativeStats,
  OpenOptions,
  ProfileMetadata,
  RejectionReason,
  ValidatedEnvelope,
  WindowResult,
} from '../native-types.js';
import type { ProfileFrame, VmState } from '../native-types.js';
import type { Anchor, ChunkJson, ProfileMetaJson, Series, Slice, TransactionJson } from './encode.js';
import { Rejection, encodeV1, encodeV2 } from './encode.js';
import type { CallFrame } from './frames.js';
import { nodeRole } from './frames.js';
import type { PositionTick } from './lines.js';
import { LineSpread } from './lines.js';

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  positionTicks?: PositionTick[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

interface Sample {
  tsNs: number;
  stackId: number;
  state: VmState;
}

interface OpenWindow {
  startNs: number;
  /** A chunked window: cut every `periodNs` into `profile_chunk`s of `profilerId`. */
  chunk?: { periodNs: number; profilerId: string };
  /** `maxDurationMs`: the window ends this long after its start at the latest. */
  maxNs?: number;
}

type Encoding =
  | { kind: 'raw' }
  | { kind: 'v1'; txn: TransactionJson }
  | { kind: 'v2'; chunk: ChunkJson };

interface ClosedWindow {
  id: number;
  /** The `closeWindow` call this answers; 0 for a chunk cut on its period. */
  ticket: number;
  startNs: number;
  endNs: number;
  encoding: Encoding;
  /** Closed after its `maxDurationMs`: it ends there. */
  truncated: boolean;
}

function randomHex32(): string {
  return randomUUID().replaceAll('-', '');
}

function required<T extends object>(call: string, what: string, value: T | undefined | null, fields: (keyof T & string)[]): T {
  if (value == null) throw new Error(`ferroprof: ${call}: options.${what} is required with this encoding`);
  for (const f of fields) {
    if (typeof value[f] !== 'string') throw new Error(`ferroprof: ${call}: options.${what}.${f} must be a string`);
  }
  return value;
}

const MAX_HZ = MAX_FREQUENCY_HZ;
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

function emptyStats(): NativeStats {
  return {
    samplerStarts: 0,
    samplerStops: 0,
    rotations: 0,
    rotationsByInterrupt: 0,
    v8StartFailures: 0,
    samplerStartsRefused: 0,
    samplesCopied: 0,
    samplesDuplicate: 0,
    samplesNearDuplicate: 0,
    samplesDroppedQueue: 0,
    samplesInFlight: 0,
    samplesIngested: 0,
    samplesHeld: 0,
    samplesPruned: 0,
    samplesDroppedCapacity: 0,
    samplesOutOfOrder: 0,
    samplesLostReset: 0,
    stacksTruncated: 0,
    bytesHeld: 0,
    threads: 1,
    storeCompactions: 0,
    windowsOpened: 0,
    windowsWithdrawn: 0,
    windowsClosed: 0,
    chunksCut: 0,
    windowsDelivered: 0,
    windowsTimedOut: 0,
    windowsFailed: 0,
    windowsDropped: 0,
    enginePanics: 0,
    jsCalls: 0,
    jsNsTotal: 0,
    jsNsMax: 0,
    jsNsP50: 0,
    jsNsP99: 0,
    samplingHz: 0,
    deliveredHz: 0,
  };
}

/** Bytes a held sample is counted as (its record plus its share of the tables). */
const SAMPLE_BYTES = 48;

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
  private hz = 0;
  private consumers = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  private rotateTimer: NodeJS.Timeout | undefined;
  private lastTakenNs = -Infinity;
  private onReady: (() => void) | undefined;
  private readonly instance = `inspector-${randomHex32()}`;
  private results: WindowResult[] = [];
  private readyPending = false;
  private nextTicket = 1;
  private chunkTimer: NodeJS.Timeout | undefined;
  private threadId = 0;
  private threadName = 'main';
  private nextId = 1;
  private readonly open = new Map<number, OpenWindow>();
  private closed: ClosedWindow[] = [];
  private samples: Sample[] = [];
  private readonly frames: ProfileFrame[] = [];
  private readonly frameIds = new Map<string, number>();
  private readonly stacks: number[][] = [];
  private readonly stackIds = new Map<string, number>();
  private meta: ProfileMetaJson | undefined;
  private readonly anchor: Anchor;
  private readonly appRoot = process.cwd();
  private readonly cpu: Series = { unit: 'percent', values: [] };
  private readonly memory: Series = { unit: 'byte', values: [] };
  private lastCpu: { ns: number; usage: NodeJS.CpuUsage } | undefined;
  private readonly stats = emptyStats();
  private readonly config = {
    rotationIntervalMs: 500,
    quietRotationIntervalMs: 5000,
    lingerMs: 2000,
    defaultHz: DEFAULT_FREQUENCY_HZ,
    maxWindowWaitMs: 5000,
    maxStackDepth: DEFAULT_MAX_STACK_DEPTH,
    maxSamples: 250_000,
    maxBytes: 64 * 1024 * 1024,
  };

  constructor() {
    this.session = new Session();
    this.session.connect();
    post(this.session, 'Profiler.enable');
    this.session.on('Profiler.consoleProfileFinished', (m: { params: { title?: string; profile: CpuProfile } }) => {
      if (m.params.title === `ferroprof-${this.active}`) this.finished = m.params.profile;
    });
    const mono = process.hrtime.bigint();
    const unix = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e3)) * 1000n;
    this.anchor = { mono, unix };
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

  private ensureRunning(hz: number): void {
    this.cancelLinger();
    if (this.active >= 0) return;
    if (this.shutDown) {
      // After exit handling a start is a counted no-op (see the native `shutdown`).
      this.stats.samplerStartsRefused += 1;
      return;
    }
    this.hz = hz;
    try {
      // Takes effect when the first profile creates the CpuProfiler.
      post(this.session, 'Profiler.setSamplingInterval', { interval: Math.max(1, Math.round(1e6 / this.hz)) });
      const n = this.nextProfile++;
      inspectorConsole.profile(`ferroprof-${n}`);
      this.active = n;
    } catch (err) {
      this.stats.v8StartFailures += 1;
      throw err;
    }
    this.stats.samplerStarts += 1;
    this.readResources();
    this.rotationTimer = setInterval(() => {
      this.rotate();
      this.prune();
    }, Math.max(this.config.quietRotationIntervalMs, this.config.rotationIntervalMs));
    this.rotationTimer.unref();
    // CPU and memory at 10 Hz, as the native worker reads them.
    this.resourceTimer = setInterval(() => this.readResources(), 100);
    this.resourceTimer.unref();
  }

  /** Starts the next profile, then ends the running one: no gap. Returns the samples taken. */
  private rotate(): number {
    if (this.active < 0) return 0;
    const old = this.active;
    const next = this.nextProfile++;
    inspectorConsole.profile(`ferroprof-${next}`);
    const profile = this.endProfile(old);
    this.active = next;
    this.stats.rotations += 1;
    this.readResources();
    return this.ingest(profile);
  }

  private stopNow(): void {
    if (this.active < 0) return;
    const profile = this.endProfile(this.active);
    this.active = -1;
    if (this.rotationTimer) clearInterval(this.rotationTimer);
    this.rotationTimer = undefined;
    if (this.resourceTimer) clearInterval(this.resourceTimer);
    this.resourceTimer = undefined;
    this.stats.samplerStops += 1;
    this.ingest(profile);
    this.hz = 0;
    this.readResources();
  }

  private ingest(profile: CpuProfile): number {
    const byId = new Map<number, ProfileNode>();
    const parent = new Map<number, number>();
    for (const n of profile.nodes) {
      byId.set(n.id, n);
      for (const c of n.children ?? []) parent.set(c, n.id);
    }
    // The leaf's frame carries the line its sample executed (from the node's position
    // ticks); callers carry their function's first line: the inspector profiles one node
    // per function, so it has no call sites.
    const spreads = new Map<number, LineSpread>();
    const leafLine = (nodeId: number): number | undefined => {
      let spread = spreads.get(nodeId);
      if (!spread) {
        spread = new LineSpread(byId.get(nodeId)?.positionTicks);
        spreads.set(nodeId, spread);
      }
      return spread.next();
    };
    const memo = new Map<string, { stackId: number; state: VmState }>();
    const resolve = (nodeId: number, line: number | undefined): { stackId: number; state: VmState } => {
      const key = `${nodeId}:${line ?? 0}`;
      const known = memo.get(key);
      if (known) return known;
      const path: number[] = [];
      let idle = false;
      let program = false;
      let gc = false;
      for (let id: number | undefined = nodeId; id !== undefined; id = parent.get(id)) {
        const node = byId.get(id);
        if (!node) break;
        const role = nodeRole(node.callFrame, this.appRoot);
        if (role.kind === 'root') continue;
        if (role.kind === 'idle') {
          idle = true;
          program = role.program;
          break;
        }
        if (id === nodeId && role.gc) gc = true;
        const frame = id === nodeId && line !== undefined && role.frame.abs_path !== undefined ? { ...role.frame, lineno: line } : role.frame;
        path.push(this.internFrame(frame));
      }
      const frames = idle ? [] : path;
      if (frames.length > this.config.maxStackDepth) {
        frames.length = this.config.maxStackDepth;
        this.stats.stacksTruncated += 1;
      }
      // `(program)` is native work outside JavaScript, not waiting: V8's `other` state.
      const state: VmState = idle ? (program ? 'other' : 'idle') : gc ? 'gc' : 'js';
      const result = { stackId: this.internStack(frames), state };
      memo.set(key, result);
      return result;
    };
    const ids = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    let tUs = profile.startTime;
    let taken = 0;
    const minGapNs = 1e9 / Math.max(1, this.hz || this.config.defaultHz) / 4;
    for (let i = 0; i < ids.length; i++) {
      tUs += deltas[i] ?? 0;
      const tsNs = Math.round(tUs * 1000);
      this.stats.samplesCopied += 1;
      if (tsNs <= this.lastTakenNs) {
        this.stats.samplesDuplicate += 1;
        continue;
      }
      // V8 adds samples of the current stack when a profile starts, a fraction of an
      // interval apart (a burst of them on some Node lines while the new profiler logs
      // the heap's code); as in the native backend, they are dropped so the delivered
      // rate is the configured one.
      if (tsNs - this.lastTakenNs < minGapNs) {
        this.stats.samplesNearDuplicate += 1;
        continue;
      }
      this.lastTakenNs = tsNs;
      const { stackId, state } = resolve(ids[i]!, leafLine(ids[i]!));
      this.samples.push({ tsNs, stackId, state });
      this.stats.samplesIngested += 1;
      taken += 1;
    }
    this.enforceLimits();
    return taken;
  }

  private internFrame(frame: ProfileFrame): number {
    const key = `${frame.function}\u0000${frame.abs_path ?? ''}\u0000${frame.lineno ?? 0}\u0000${frame.colno ?? 0}`;
    let id = this.frameIds.get(key);
    if (id === undefined) {
      id = this.frames.length;
      this.frames.push(frame);
      this.frameIds.set(key, id);
    }
    return id;
  }

  private internStack(frames: number[]): number {
    const key = frames.join(',');
    let id = this.stackIds.get(key);
    if (id === undefined) {
      id = this.stacks.length;
      this.stacks.push(frames);
      this.stackIds.set(key, id);
    }
    return id;
  }

  private enforceLimits(): void {
    const max = Math.max(1, Math.min(this.config.maxSamples, Math.floor(this.config.maxBytes / SAMPLE_BYTES)));
    if (this.samples.length > max) {
      const drop = this.samples.length - max;
      this.samples.splice(0, drop);
      this.stats.samplesDroppedCapacity += drop;
    }
  }

  /** Forgets samples no open or closed window needs; resets the tables when none is held. */
  private prune(): void {
    const needed = Math.min(...[...this.open.values()].map((w) => w.startNs), ...this.closed.map((w) => w.startNs));
    if (!Number.isFinite(needed)) {
      this.stats.samplesPruned += this.samples.length;
      this.samples = [];
    } else {
      const first = this.samples.findIndex((s) => s.tsNs >= needed);
      this.stats.samplesPruned += this.samples.splice(0, first < 0 ? this.samples.length : first).length;
    }
    if (this.samples.length === 0 && this.open.size === 0 && this.closed.length === 0 && this.frames.length > 50_000) {
      this.frames.length = 0;
      this.frameIds.clear();
      this.stacks.length = 0;
      this.stackIds.clear();
    }
    const horizon = needed === Infinity ? nowNs() : needed;
    for (const series of [this.cpu, this.memory]) {
      const keepFrom = series.values.findIndex((p) => p.monoNs >= horizon - 1e9);
      series.values.splice(0, keepFrom < 0 ? Math.max(0, series.values.length - 1) : keepFrom);
    }
  }

  private readResources(): void {
    const ns = nowNs();
    const usage = process.cpuUsage();
    if (this.lastCpu) {
      const wallUs = (ns - this.lastCpu.ns) / 1000;
      if (wallUs > 0) {
        const used = usage.user - this.lastCpu.usage.user + (usage.system - this.lastCpu.usage.system);
        const cores = availableParallelism();
        this.cpu.values.push({ monoNs: ns, value: Math.min(100, Math.max(0, (100 * used) / wallUs / cores)) });
      }
    }
    this.lastCpu = { ns, usage };
    this.memory.values.push({ monoNs: ns, value: process.memoryUsage.rss() });
  }

  private cancelLinger(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
  }

  private releaseIfUnused(): void {
    if (this.active < 0 || this.consumers > 0 || this.open.size > 0 || this.closed.length > 0) return;
    this.cancelLinger();
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      if (this.consumers === 0 && this.open.size === 0 && this.closed.length === 0) {
        this.stopNow();
        this.prune();
      }
    }, this.config.lingerMs);
    this.lingerTimer.unref();
  }

  startSampling(hz: number): number {
    if (!(hz >= 1 && hz <= MAX_HZ)) throw new RangeError(`ferroprof: sampling frequency must be between 1 and ${MAX_HZ} Hz`);
    this.ensureRunning(hz);
    this.consumers += 1;
    return this.hz;
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
    let chunk: OpenWindow['chunk'];
    if (options?.chunkPeriodMs != null) {
      const ms = options.chunkPeriodMs;
      if (!(ms >= 100 && ms <= 60_000)) throw new Error(`ferroprof: chunkPeriodMs must be in [100, 60000], got ${ms}`);
      const profilerId = options.profilerId;
      if (typeof profilerId !== 'string' || !/^[0-9a-fA-F]{32}$/.test(profilerId)) {
        throw new Error('ferroprof: profilerId must be 32 hex digits');
      }
      chunk = { periodNs: Math.round(ms * 1e6), profilerId };
    }
    let maxNs: number | undefined;
    if (options?.maxDurationMs != null && !chunk) {
      const ms = options.maxDurationMs;
      if (!(ms >= 1 && ms <= 86_400_000)) throw new Error(`ferroprof: maxDurationMs must be between 1 and 86400000, got ${ms}`);
      maxNs = Math.round(ms * 1e6);
    }
    this.ensureRunning(this.hz || this.config.defaultHz);
    const id = this.nextId++;
    this.open.set(id, { startNs: nowNs(), chunk, maxNs });
    // CPU and memory readings at the window's edges, besides the 10 Hz ones.
    this.readResources();
    this.stats.windowsOpened += 1;
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

  private encodingOf(w: OpenWindow, options: CloseOptions | undefined | null): Encoding {
    if (w.chunk) return { kind: 'v2', chunk: { profilerId: w.chunk.profilerId, chunkId: randomHex32() } };
    const name = options?.encoding ?? 'raw';
    if (name === 'raw') return { kind: 'raw' };
    const call = 'closeWindow(id, options)';
    if (name === 'v1') {
      return { kind: 'v1', txn: required(call, 'transaction', options?.transaction, ['profileId', 'id', 'name', 'traceId']) };
    }
    if (name === 'v2') return { kind: 'v2', chunk: required(call, 'chunk', options?.chunk, ['profilerId', 'chunkId']) };
    throw new Error(`ferroprof: encoding must be 'raw', 'v1' or 'v2', got '${String(name)}'`);
  }

  private takeClose(id: number, options: CloseOptions | undefined | null, ticket: number): ClosedWindow | null {
    const w = this.open.get(id);
    if (!w) return null;
    const encoding = this.encodingOf(w, options);
    this.readResources();
    const now = nowNs();
    const cap = w.maxNs === undefined ? now : w.startNs + w.maxNs;
    const endNs = Math.min(now, cap);
    const closed: ClosedWindow = { id, ticket, startNs: w.startNs, endNs, encoding, truncated: now > cap };
    if (options?.reopen) {
      // The next window starts right after this one: no sample belongs to both.
      w.startNs = endNs + 1;
    } else {
      this.open.delete(id);
    }
    this.stats.windowsClosed += 1;
    return closed;
  }

  closeWindow(id: number, options?: CloseOptions | null): number | null {
    const closed = this.takeClose(id, options, this.nextTicket);
    if (!closed) return null;
    this.nextTicket += 1;
    this.closed.push(closed);
    this.scheduleRotation();
    return closed.ticket;
  }

  closeWindowSync(id: number, options?: CloseOptions | null, _timeoutMs?: number | null): WindowResult | null {
    const closed = this.takeClose(id, options, this.nextTicket);
    if (!closed) return null;
    this.nextTicket += 1;
    this.rotate();
    const result = this.result(closed);
    this.stats.windowsDelivered += 1;
    this.afterDelivery();
    return result;
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

  /** Cuts every chunked window whose period has passed, at its exact boundaries. */
  private cutChunks(): void {
    const now = nowNs();
    let cut = false;
    for (const [id, w] of this.open) {
      if (!w.chunk) continue;
      while (now >= w.startNs + w.chunk.periodNs) {
        const endNs = w.startNs + w.chunk.periodNs;
        this.closed.push({
          id,
          ticket: 0,
          startNs: w.startNs,
          endNs,
          encoding: { kind: 'v2', chunk: { profilerId: w.chunk.profilerId, chunkId: randomHex32() } },
          truncated: false,
        });
        this.stats.chunksCut += 1;
        w.startNs = endNs + 1;
        cut = true;
      }
    }
    if (cut) this.scheduleRotation();
    if (![...this.open.values()].some((w) => w.chunk) && this.chunkTimer) {
      clearInterval(this.chunkTimer);
      this.chunkTimer = undefined;
    }
  }

  private ensureChunkTimer(): void {
    if (this.chunkTimer) return;
    this.chunkTimer = setInterval(() => this.cutChunks(), 50);
    this.chunkTimer.unref();
  }

  private scheduleRotation(): void {
    if (this.rotateTimer) return;
    this.rotateTimer = setTimeout(() => {
      this.rotateTimer = undefined;
      this.deliverClosed();
    }, Math.min(this.config.rotationIntervalMs, 50));
  }

  /** Rotates once and delivers every closed window, in close order. */
  private deliverClosed(): void {
    this.rotate();
    const ready = this.closed;
    this.closed = [];
    for (const w of ready) {
      this.results.push(this.result(w));
      this.stats.windowsDelivered += 1;
    }
    this.afterDelivery();
    if (ready.length > 0 && !this.readyPending) {
      this.readyPending = true;
      setImmediate(() => {
        this.readyPending = false;
        this.onReady?.();
      });
    }
  }

  private afterDelivery(): void {
    this.prune();
    this.releaseIfUnused();
  }

  private slice(w: ClosedWindow): Slice {
    const frames: ProfileFrame[] = [];
    const frameMap = new Map<number, number>();
    const stacks: number[][] = [];
    const stackMap = new Map<number, number>();
    const samples: Slice['samples'] = [];
    for (const s of this.samples) {
      if (s.tsNs < w.startNs || s.tsNs > w.endNs) continue;
      let stackId = stackMap.get(s.stackId);
      if (stackId === undefined) {
        stackId = stacks.length;
        stackMap.set(s.stackId, stackId);
        stacks.push(
          this.stacks[s.stackId]!.map((f) => {
            let fid = frameMap.get(f);
            if (fid === undefined) {
              fid = frames.length;
              frameMap.set(f, fid);
              frames.push(this.frames[f]!);
            }
            return fid;
          }),
        );
      }
      samples.push({ tsNs: s.tsNs, threadId: this.threadId, stackId, state: s.state });
    }
    return { startNs: w.startNs, endNs: w.endNs, frames, stacks, samples, threadNames: new Map([[this.threadId, this.threadName]]) };
  }

  private measurements(w: ClosedWindow): Record<string, Series> {
    const out: Record<string, Series> = {};
    for (const [name, series] of [['cpu_usage', this.cpu], ['memory_footprint', this.memory]] as const) {
      const values = series.values.filter((p) => p.monoNs >= w.startNs && p.monoNs <= w.endNs);
      if (values.length > 0) out[name] = { unit: series.unit, values };
    }
    return out;
  }

  private result(w: ClosedWindow): WindowResult {
    const slice = this.slice(w);
    const base = {
      id: w.id,
      ticket: w.ticket,
      complete: true,
      samples: slice.samples.length,
      startNs: w.startNs,
      endNs: w.endNs,
      truncated: w.truncated,
      ...(w.encoding.kind === 'v2' ? { chunkId: w.encoding.chunk.chunkId } : {}),
    };
    if (w.encoding.kind === 'raw') {
      return {
        ...base,
        kind: 'raw',
        profile: {
          id: w.id,
          complete: true,
          activeThreadId: this.threadId,
          startNs: w.startNs,
          endNs: w.endNs,
          startUnixMs: Number(this.anchor.unix + (BigInt(w.startNs) - this.anchor.mono)) / 1e6,
          frames: slice.frames,
          stacks: slice.stacks,
          samples: slice.samples,
          threadNames: { [String(this.threadId)]: this.threadName },
        },
      };
    }
    try {
      const meta = this.meta;
      if (!meta) throw new Rejection('invalid_field', 'no profile metadata was set (setProfileMeta)');
      const payload =
        w.encoding.kind === 'v1'
          ? encodeV1(slice, meta, w.encoding.txn, this.threadId, this.anchor, this.measurements(w))
          : encodeV2(slice, meta, w.encoding.chunk, this.anchor, this.measurements(w));
      return { ...base, kind: 'encoded', payload };
    } catch (err) {
      if (!(err instanceof Rejection)) {
        this.stats.windowsFailed += 1;
        return { ...base, kind: 'failed', message: err instanceof Error ? err.message : String(err) };
      }
      return { ...base, kind: 'rejected', reason: err.reason as RejectionReason, message: err.message };
    }
  }

  // --- the rest of the binding -----------------------------------------------------

  setProfileMeta(meta: ProfileMetadata): void {
    const { os, device } = meta;
    this.meta = {
      ...meta,
      os: { name: os.name, version: os.version, build_number: os.buildNumber },
      device: {
        architecture: device.architecture,
        model: device.model,
        manufacturer: device.manufacturer,
        locale: device.locale,
        is_emulator: device.isEmulator,
      },
    };
  }

  shutdown(): void {
    this.shutDown = true;
    this.cancelLinger();
    if (this.chunkTimer) clearInterval(this.chunkTimer);
    this.chunkTimer = undefined;
    if (this.rotateTimer) clearTimeout(this.rotateTimer);
    this.rotateTimer = undefined;
    if (this.rotationTimer) clearInterval(this.rotationTimer);
    this.rotationTimer = undefined;
    if (this.resourceTimer) clearInterval(this.resourceTimer);
    this.resourceTimer = undefined;
    if (this.active >= 0) {
      try {
        this.endProfile(this.active);
      } catch {
        // Exiting.
      }
      this.active = -1;
    }
  }

  clockAnchor(): number[] {
    return [Number(this.anchor.mono), Number(this.anchor.unix)];
  }

  validateEnvelope(_bytes: Uint8Array, _gzip?: boolean | null): ValidatedEnvelope {
    throw new Error('ferroprof: validateEnvelope needs the native addon; this process runs the inspector backend');
  }

  flush(): number {
    return this.rotate();
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
    Object.assign(this.config, Object.fromEntries(Object.entries(options).filter(([k, v]) => v !== undefined && k !== 'eagerLogging')));
  }

  /** Samples per second over the last few seconds of held samples (0 with fewer than 10). */
  private deliveredHz(): number {
    if (this.active < 0) return 0;
    const recent = this.samples.slice(-200);
    if (recent.length < 10) return 0;
    const span = recent[recent.length - 1]!.tsNs - recent[0]!.tsNs;
    return span > 0 ? ((recent.length - 1) * 1e9) / span : 0;
  }

  getStats(): NativeStats {
    return {
      ...this.stats,
      deliveredHz: this.deliveredHz(),
      samplesHeld: this.samples.length,
      bytesHeld: this.samples.length * SAMPLE_BYTES,
      samplingHz: this.active >= 0 ? this.hz : 0,
    };
  }
}
