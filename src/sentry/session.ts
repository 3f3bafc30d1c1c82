import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads';

import { type ChunkOutcome, ContinuousSession } from '../sdk/continuous.js';
import { uuid4 } from '../sdk/ids.js';

/**
 * One continuous-profiling session per process, whatever number of threads run
 * `Sentry.init` with the integration. The main thread's integration hosts it: it owns
 * the `profiler_id`, cuts the chunks (each holds the samples of every profiled thread)
 * and sends them through its client. A worker's integration asks the host over a
 * `BroadcastChannel` to keep the session running (manual start/stop, or while the
 * worker has sampled root spans) and learns the session's intervals, each with its
 * `profiler_id`, from it, to link its spans to the same chunks.
 */
export interface ProcessSession {
  /** Asks for the session to run (`on`) or withdraws that ask, under `key`. */
  want(key: string, on: boolean): void;
  /** Ends the running session and starts the next at once (the host; a no-op elsewhere). */
  restart(): Promise<void>;
  /** The `profiler_id` of a session that ran during [startSec, endSec], if any. */
  profilerIdDuring(startSec: number, endSec: number): string | undefined;
  /** The running session's `profiler_id`. */
  readonly runningProfilerId: string | undefined;
  /** Resolves once what was asked so far took effect (a worker waits for the host's answer). */
  settled(timeoutMs: number): Promise<void>;
  /** Cuts the current chunk now (the session goes on); a no-op off the host. */
  cutChunk(): Promise<void>;
  /** Stops the session (host) or withdraws every ask (worker). */
  close(): Promise<void>;
}

interface Interval {
  start: number;
  end: number | undefined;
  /** The `profiler_id` of the session that ran in it. */
  profilerId?: string;
}

type Message =
  | { t: 'hello'; from: number }
  | { t: 'host-up'; from: number }
  | { t: 'demand'; from: number; seq: number; key: string; on: boolean }
  | {
      t: 'state';
      from: number;
      profilerId: string;
      running: boolean;
      sampled: boolean;
      intervals: Interval[];
      acks: Record<number, number>;
    };

const CHANNEL = 'ferroprof:sentry-session:v1';
const MAX_INTERVALS = 32;
/** How long a worker waits for the main thread's host to answer before it says there is none. */
const HOST_ANSWER_MS = 1000;

/** Seconds on the clock Sentry stamps spans with (sub-millisecond, so a span that ended
 * just before a start, or began just after a stop, is not counted in that run). */
function nowSec(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

/** Whether [startSec, endSec] and the run share time (touching at an end is not enough). */
function overlaps(i: Interval, startSec: number, endSec: number): boolean {
  return i.start < endSec && (i.end ?? Number.POSITIVE_INFINITY) > startSec;
}

function during(intervals: readonly Interval[], startSec: number, endSec: number): boolean {
  return intervals.some((i) => overlaps(i, startSec, endSec));
}

/** The latest interval that overlaps [startSec, endSec]: a span is linked to the session current when it ended. */
function latestDuring(intervals: readonly Interval[], startSec: number, endSec: number): Interval | undefined {
  for (let k = intervals.length - 1; k >= 0; k--) {
    const i = intervals[k];
    if (i && overlaps(i, startSec, endSec)) return i;
  }
  return undefined;
}

/** What the host needs from its integration. */
export interface HostOptions {
  frequency: number;
  chunkDurationMs: number;
  /** The session is sampled (`profileSessionSampleRate`); an unsampled host never runs one. */
  sampled: boolean;
  onChunk(outcome: ChunkOutcome, profilerId: string): void;
  onStartFailed(): void;
  /**
   * A new `profiler_id` at every start, as `@sentry/profiling-node` 10.x's legacy
   * `start()`; otherwise one for the host's lifetime, as its current API.
   */
  newIdPerStart?: boolean;
}

/** The process's session, hosted on this (main) thread. */
export class SessionHost implements ProcessSession {
  /** The current `profiler_id`: the host's lifetime's, or this run's (`newIdPerStart`). */
  private profilerId = uuid4();
  private readonly asks = new Set<string>();
  private readonly intervals: Interval[] = [];
  private session: ContinuousSession | undefined;
  private readonly channel: BroadcastChannel | undefined;
  private readonly inflight = new Set<Promise<void>>();
  /** The last ask handled, per worker thread. */
  private readonly acks: Record<number, number> = {};

  constructor(private readonly options: HostOptions) {
    try {
      this.channel = new BroadcastChannel(CHANNEL);
      this.channel.unref();
      this.channel.onmessage = (event: unknown) => this.onMessage((event as { data: Message }).data);
      this.post({ t: 'host-up', from: threadId });
    } catch {
      this.channel = undefined;
    }
  }

  get runningProfilerId(): string | undefined {
    return this.session?.running ? this.profilerId : undefined;
  }

  get running(): boolean {
    return this.session?.running ?? false;
  }

  want(key: string, on: boolean): void {
    if (on) this.asks.add(key);
    else this.asks.delete(key);
    this.update();
  }

  profilerIdDuring(startSec: number, endSec: number): string | undefined {
    return latestDuring(this.intervals, startSec, endSec)?.profilerId;
  }

  restart(): Promise<void> {
    if (!this.session?.running) return Promise.resolve();
    const last = this.stop();
    this.start();
    return last;
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }

  /** Whether a chunk was cut and is not yet handed to the client. */
  get chunksInFlight(): boolean {
    return this.inflight.size > 0;
  }

  /** Chunks cut and not yet handed to the client. */
  async chunksSettled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  cutChunk(): Promise<void> {
    if (!this.session?.running) return Promise.resolve();
    return this.track(this.session.cut(false));
  }

  async close(): Promise<void> {
    this.asks.clear();
    this.update();
    this.channel?.close();
    await this.chunksSettled();
  }

  private update(): void {
    const wanted = this.asks.size > 0 && this.options.sampled;
    if (wanted && !this.session?.running) this.start();
    else if (!wanted && this.session?.running) this.stop();
  }

  private start(): void {
    if (this.options.newIdPerStart) this.profilerId = uuid4();
    const profilerId = this.profilerId;
    const session = new ContinuousSession({
      frequency: this.options.frequency,
      chunkDurationMs: this.options.chunkDurationMs,
      profilerId,
      onChunk: (outcome) => this.options.onChunk(outcome, profilerId),
    });
    if (!session.start()) {
      this.options.onStartFailed();
      return;
    }
    this.session = session;
    this.intervals.push({ start: nowSec(), end: undefined, profilerId });
    if (this.intervals.length > MAX_INTERVALS) this.intervals.shift();
    this.broadcast();
  }

  private stop(): Promise<void> {
    const session = this.session;
    if (!session) return Promise.resolve();
    this.session = undefined;
    const last = this.intervals[this.intervals.length - 1];
    if (last && last.end === undefined) last.end = nowSec();
    const work = this.track(session.stop());
    this.broadcast();
    return work;
  }

  private track(work: Promise<void>): Promise<void> {
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work));
    return work;
  }

  private onMessage(msg: Message): void {
    if (!msg || typeof msg !== 'object') return;
    if (msg.t === 'hello') this.broadcast();
    else if (msg.t === 'demand') {
      // A worker's asks are kept under its thread id, so one thread cannot withdraw another's.
      this.want(`${msg.from}:${msg.key}`, msg.on);
      this.acks[msg.from] = Math.max(this.acks[msg.from] ?? 0, msg.seq);
      // Every ask is answered, also one that changed nothing, so the worker knows it arrived.
      this.broadcast();
    }
  }

  private broadcast(): void {
    this.post({
      t: 'state',
      from: threadId,
      profilerId: this.profilerId,
      running: this.running,
      sampled: this.options.sampled,
      intervals: this.intervals,
      acks: this.acks,
    });
  }

  private post(msg: Message): void {
    try {
      this.channel?.postMessage(msg);
    } catch {
      // The channel is closed: nobody listens any more.
    }
  }
}

/** A worker's view of the process's session, hosted on the main thread. */
export class SessionClient implements ProcessSession {
  private readonly asks = new Set<string>();
  private intervals: Interval[] = [];
  private profilerId: string | undefined;
  private running = false;
  private hostSampled = false;
  /** When this thread asked for the session: the host starts it a message later. */
  private readonly askIntervals: Interval[] = [];
  private readonly channel: BroadcastChannel | undefined;
  /** Resolvers waiting for the host to answer every ask sent so far. */
  private waiting: (() => void)[] = [];
  private sent = 0;
  private answered = 0;
  /** Set when a wait for the host timed out and no host ever answered: waits stop. */
  private noHost = false;
  private hostSeen = false;
  private hostTimer: NodeJS.Timeout | undefined;
  private expecting = false;
  private readonly onExit = (): void => {
    for (const key of this.asks) this.send(key, false);
  };

  constructor() {
    try {
      this.channel = new BroadcastChannel(CHANNEL);
      this.channel.unref();
      this.channel.onmessage = (event: unknown) => this.onMessage((event as { data: Message }).data);
      this.post({ t: 'hello', from: threadId });
      // A worker that ends with an ask open withdraws it, so the session does not run on for it.
      process.once('exit', this.onExit);
    } catch {
      this.channel = undefined;
    }
  }

  get runningProfilerId(): string | undefined {
    return this.running ? this.profilerId : undefined;
  }

  want(key: string, on: boolean): void {
    if (on === this.asks.has(key)) return;
    const before = this.asks.size;
    if (on) this.asks.add(key);
    else this.asks.delete(key);
    if (before === 0 && this.asks.size > 0) {
      this.askIntervals.push({ start: nowSec(), end: undefined });
      if (this.askIntervals.length > MAX_INTERVALS) this.askIntervals.shift();
    } else if (before > 0 && this.asks.size === 0) {
      const last = this.askIntervals[this.askIntervals.length - 1];
      if (last) last.end = nowSec();
    }
    this.send(key, on);
    if (on && !this.hostSeen) {
      const timer = setTimeout(() => this.checkHost(), HOST_ANSWER_MS);
      timer.unref();
    }
  }

  /** Whether the main thread's host has answered: only then does this worker profile. */
  get hostKnown(): boolean {
    return this.hostSeen;
  }

  /**
   * This worker would profile (a per-transaction profile) but has heard of no host yet:
   * if none answers in time, say once that the main thread needs the integration.
   */
  expectHost(): void {
    // The transaction's event waits (settled) for the host's answer, or says it never came.
    this.expecting = true;
    if (this.hostSeen || this.noHost || this.hostTimer) return;
    this.hostTimer = setTimeout(() => this.checkHost(), HOST_ANSWER_MS);
    this.hostTimer.unref();
  }

  private checkHost(): void {
    if (this.hostSeen || this.noHost) return;
    this.noHost = true;
    console.warn(
      "ferroprof: this worker's profiling session is hosted by the main thread, which has no ferroprofIntegration(); add it to the main thread's Sentry.init",
    );
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w();
  }

  private send(key: string, on: boolean): void {
    this.sent += 1;
    this.post({ t: 'demand', from: threadId, seq: this.sent, key, on });
  }

  restart(): Promise<void> {
    return Promise.resolve();
  }

  profilerIdDuring(startSec: number, endSec: number): string | undefined {
    if (!this.profilerId) return undefined;
    const ran = latestDuring(this.intervals, startSec, endSec);
    if (ran) return ran.profilerId ?? this.profilerId;
    // Asked during the span, and the host's session is sampled: it runs from the ask on.
    return this.hostSampled && during(this.askIntervals, startSec, endSec) ? this.profilerId : undefined;
  }

  settled(timeoutMs: number): Promise<void> {
    const answered = this.answered >= this.sent && (this.hostSeen || !this.expecting);
    if (answered || !this.channel || this.noHost) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.checkHost();
        done();
      }, timeoutMs);
      this.waiting.push(done);
    });
  }

  cutChunk(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.onExit();
    this.asks.clear();
    process.removeListener('exit', this.onExit);
    this.channel?.close();
    return Promise.resolve();
  }

  private onMessage(msg: Message): void {
    if (!msg || typeof msg !== 'object') return;
    if (msg.t === 'host-up') {
      // A host that started after this worker: tell it what this thread asks for.
      for (const key of this.asks) this.send(key, true);
      return;
    }
    if (msg.t !== 'state') return;
    this.hostSeen = true;
    this.noHost = false;
    this.profilerId = msg.profilerId;
    this.running = msg.running;
    this.hostSampled = msg.sampled;
    this.intervals = msg.intervals;
    this.answered = Math.max(this.answered, msg.acks?.[threadId] ?? 0);
    if (this.answered < this.sent) return;
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w();
  }

  private post(msg: Message): void {
    try {
      this.channel?.postMessage(msg);
    } catch {
      // Closed.
    }
  }
}

/** The host on the main thread, a client of it in a worker. */
export function isHostThread(): boolean {
  return isMainThread;
}
