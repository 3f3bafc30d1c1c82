import type { RejectionReason, WindowResult } from '../native-types.js';
import {
  closeWindowAs,
  closeWindowSyncAs,
  encodedOutcome,
  followSampling,
  forgetChunkedWindow,
  openChunkedWindow,
  startSampling,
  stopSampling,
  takeChunks,
} from '../binding.js';
import { uuid4 } from './ids.js';
import { errorLine, logger } from './logger.js';

/** What became of one chunk. */
export type ChunkOutcome =
  | { kind: 'encoded'; chunkId: string; payload: string }
  | { kind: 'rejected'; chunkId: string; reason: RejectionReason; message: string; samples: number }
  | { kind: 'failed'; chunkId: string; message: string };

export interface SessionOptions {
  frequency: number;
  chunkDurationMs: number;
  onChunk(outcome: ChunkOutcome): void;
  /** The session's `profiler_id`; a new one when omitted. */
  profilerId?: string;
}

/**
 * A continuous-profiling session: one `profiler_id` from start to stop, a
 * `profile_chunk` per chunk period. The native worker cuts the chunks from one
 * window on the samples' own timestamps, so they are contiguous by construction (no
 * sample lost between chunks, none in two) and have their configured length even
 * while a synchronous job never lets the event loop turn.
 */
export class ContinuousSession {
  readonly profilerId: string;
  private windowId: number | undefined;
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly options: SessionOptions) {
    this.profilerId = options.profilerId ?? uuid4();
  }

  /** Starts sampling this isolate and every worker that loads ferroprof. */
  start(): boolean {
    try {
      startSampling(this.options.frequency);
    } catch (err) {
      logger.warnOnce('session-start', `cannot start continuous profiling: ${errorLine(err)}`);
      return false;
    }
    try {
      this.windowId = openChunkedWindow(this.options.chunkDurationMs, this.profilerId, (result) =>
        this.options.onChunk(toChunkOutcome(result)),
      );
    } catch (err) {
      stopSampling();
      logger.warnOnce('session-start', `cannot start continuous profiling: ${errorLine(err)}`);
      return false;
    }
    followSampling(this.options.frequency);
    return true;
  }

  get running(): boolean {
    return this.windowId !== undefined;
  }

  /** Cuts the current chunk now (it is sent once complete); the session goes on unless `final`. */
  cut(final: boolean): Promise<void> {
    const id = this.windowId;
    if (id === undefined) return Promise.resolve();
    if (final) this.windowId = undefined;
    const work = closeWindowAs(id, { reopen: !final }).then(
      (result) => this.options.onChunk(toChunkOutcome(result)),
      (err: unknown) => this.options.onChunk({ kind: 'failed', chunkId: uuid4(), message: errorLine(err) }),
    );
    const tracked = work.finally(() => {
      this.inflight.delete(tracked);
      if (final) forgetChunkedWindow(id);
    });
    this.inflight.add(tracked);
    return tracked;
  }

  /** Sends the last chunk and stops sampling (the sampler lingers briefly). */
  stop(): Promise<void> {
    if (!this.running) return Promise.resolve();
    followSampling(0);
    const last = this.cut(true);
    stopSampling();
    return last;
  }

  /**
   * At process exit, where nothing async runs: the chunks cut but not yet handed on
   * (a synchronous job may have held the event loop since), then the last one, all
   * synchronously.
   */
  stopSync(timeoutMs: number): ChunkOutcome[] {
    const id = this.windowId;
    if (id === undefined) return [];
    this.windowId = undefined;
    followSampling(0);
    const result = closeWindowSyncAs(id, {}, timeoutMs);
    const results = [...takeChunks(id), ...(result ? [result] : [])];
    forgetChunkedWindow(id);
    stopSampling();
    return results.map(toChunkOutcome);
  }

  /** Resolves when every chunk cut so far has been handed on. */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }
}

function toChunkOutcome(result: WindowResult): ChunkOutcome {
  return { ...encodedOutcome(result), chunkId: result.chunkId ?? uuid4() };
}
