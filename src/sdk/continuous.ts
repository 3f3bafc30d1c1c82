import { RESULT_ENCODED, RESULT_REJECTED } from '../native-types.js';
import type { WindowResult } from '../native-types.js';
import { closeWindowAs, closeWindowSyncAs, followSampling, openWindowId, startSampling, stopSampling } from '../sampler.js';
import { uuid4 } from './ids.js';
import { errorLine, logger } from './logger.js';

/** What became of one chunk. */
export type ChunkOutcome =
  | { kind: 'encoded'; chunkId: string; payload: string }
  | { kind: 'rejected'; chunkId: string; reason: string; message: string; samples: number }
  | { kind: 'failed'; chunkId: string; message: string };

export interface SessionOptions {
  frequency: number;
  chunkDurationMs: number;
  onChunk(outcome: ChunkOutcome): void;
}

/**
 * A continuous-profiling session: one `profiler_id` from start to stop, a
 * `profile_chunk` per chunk period. Chunks are cut from one window that is closed and
 * reopened at the same instant in the worker thread, so they are contiguous by
 * construction: no sample is lost between chunks and none is in two.
 */
export class ContinuousSession {
  readonly profilerId = uuid4();
  private windowId: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly options: SessionOptions) {}

  /** Starts sampling this isolate and every worker that loads ferroprof. */
  start(): boolean {
    try {
      startSampling(this.options.frequency);
    } catch (err) {
      logger.warnOnce('session-start', `cannot start continuous profiling: ${errorLine(err)}`);
      return false;
    }
    try {
      this.windowId = openWindowId();
    } catch (err) {
      stopSampling();
      logger.warnOnce('session-start', `cannot start continuous profiling: ${errorLine(err)}`);
      return false;
    }
    followSampling(this.options.frequency);
    this.timer = setInterval(() => this.cut(false), this.options.chunkDurationMs);
    // A session never keeps the process alive by itself.
    this.timer.unref();
    return true;
  }

  get running(): boolean {
    return this.windowId !== undefined;
  }

  /** Cuts the current chunk now; the session goes on unless `final`. */
  cut(final: boolean): Promise<void> {
    const id = this.windowId;
    if (id === undefined) return Promise.resolve();
    if (final) this.windowId = undefined;
    const { chunkId, meta } = this.nextChunk();
    const work = closeWindowAs(id, { encoding: 'v2', meta, reopen: !final }).then(
      (result) => this.options.onChunk(toChunkOutcome(chunkId, result)),
      (err: unknown) => this.options.onChunk({ kind: 'failed', chunkId, message: errorLine(err) }),
    );
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work));
    return work;
  }

  /** Sends the last chunk and stops sampling (the sampler lingers briefly). */
  stop(): Promise<void> {
    if (!this.running) return Promise.resolve();
    clearInterval(this.timer);
    followSampling(0);
    const last = this.cut(true);
    stopSampling();
    return last;
  }

  /** At process exit, where nothing async runs: the last chunk, synchronously. */
  stopSync(timeoutMs: number): ChunkOutcome | undefined {
    const id = this.windowId;
    if (id === undefined) return undefined;
    this.windowId = undefined;
    clearInterval(this.timer);
    followSampling(0);
    const { chunkId, meta } = this.nextChunk();
    const result = closeWindowSyncAs(id, { encoding: 'v2', meta }, timeoutMs);
    stopSampling();
    return result ? toChunkOutcome(chunkId, result) : undefined;
  }

  /** A new chunk id and the metadata the native encoder takes for it. */
  private nextChunk(): { chunkId: string; meta: string } {
    const chunkId = uuid4();
    return { chunkId, meta: JSON.stringify({ profilerId: this.profilerId, chunkId }) };
  }

  /** Resolves when every chunk cut so far has been handed on. */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }
}

function toChunkOutcome(chunkId: string, result: WindowResult): ChunkOutcome {
  if (result.kind === RESULT_ENCODED) return { kind: 'encoded', chunkId, payload: result.data };
  if (result.kind === RESULT_REJECTED) {
    const r = JSON.parse(result.data) as { reason: string; message: string; samples: number };
    return { kind: 'rejected', chunkId, ...r };
  }
  return { kind: 'failed', chunkId, message: `unexpected result kind ${result.kind}` };
}
