import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { readEventId } from './envelope.js';
import {
  DiscardCounter,
  IdleWaiters,
  OnceLogger,
  copyInfo,
  defaultLogger,
  describeError,
  toBytes,
} from './support.js';
import type { DataCategory, DiscardReason, DroppedCount, EnvelopeInfo, Transport, TransportLogger } from './types.js';

/** Options of {@link LocalTransport}. */
export interface LocalTransportOptions {
  /** Directory the envelopes go to, created if missing (default `.ferroprof`, relative to the cwd at construction). */
  dir?: string;
  /** Writes in progress at once; beyond it new envelopes are dropped as `queue_overflow` (default 100). */
  maxPendingWrites?: number;
  /** Where problems are logged, once per kind (default `console.warn`). */
  logger?: TransportLogger;
}

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/**
 * Writes each envelope to its own file, `<dir>/<unix ms>-<event id or random>.envelope`.
 * Each file is written to `<dir>/.tmp-<random>`, synced, then renamed into place, so a
 * reader never sees a half-written envelope. Pending file operations keep the process
 * alive until they finish (they are short); failures are logged once and counted.
 */
export class LocalTransport implements Transport {
  /** The absolute directory envelopes are written to. */
  readonly dir: string;
  private readonly maxPending: number;
  private readonly log: OnceLogger;
  private readonly discards = new DiscardCounter();
  private pending = 0;
  private failures = 0;
  /** `failures` as of the last flush that resolved. */
  private failuresReported = 0;
  private accepting = true;
  private dirReady: Promise<unknown> | undefined;
  private readonly idle = new IdleWaiters(() => this.pending === 0);

  constructor(options: LocalTransportOptions = {}) {
    this.dir = resolve(options.dir ?? '.ferroprof');
    const max = options.maxPendingWrites;
    this.maxPending = typeof max === 'number' && max >= 1 ? Math.floor(max) : 100;
    this.log = new OnceLogger(options.logger ?? defaultLogger);
  }

  /** Starts writing the envelope; never throws, never blocks. */
  send(envelope: Uint8Array | string, info: EnvelopeInfo): void {
    try {
      const copied = copyInfo(info);
      if (!this.accepting) {
        this.discards.recordEnvelope('internal_sdk_error', copied, false);
        this.log.log('closed', 'ferroprof: an envelope was sent after the transport was closed; dropped');
        return;
      }
      if (this.pending >= this.maxPending) {
        this.discards.recordEnvelope('queue_overflow', copied);
        this.log.log('overflow', `ferroprof: ${this.maxPending} envelope writes already pending in ${this.dir}; dropping (counted as queue_overflow)`);
        return;
      }
      this.pending += 1;
      void this.write(toBytes(envelope), copied).finally(() => {
        this.pending -= 1;
        this.idle.check();
      });
    } catch (err) {
      this.log.log('internal', `ferroprof: local transport error, envelope dropped: ${describeError(err)}`);
    }
  }

  /** Resolves `true` when every write has finished in time and none failed since the previous flush. */
  flush(timeoutMs?: number): Promise<boolean> {
    return this.idle.wait(timeoutMs).then((idle) => this.settleFlush(idle));
  }

  /** Flushes, then drops later envelopes. */
  close(timeoutMs?: number): Promise<boolean> {
    this.accepting = false;
    return this.flush(timeoutMs);
  }

  /** A flush is clean only if nothing was given up on since the previous flush resolved. */
  private settleFlush(idle: boolean): boolean {
    const clean = this.failures === this.failuresReported;
    this.failuresReported = this.failures;
    return idle && clean;
  }

  /** Cumulative discarded items per (reason, category). */
  getDroppedCounts(): DroppedCount[] {
    return this.discards.totals();
  }

  /** Counts discards made elsewhere in the SDK. */
  recordDroppedEvent(reason: DiscardReason, category: DataCategory, quantity = 1): void {
    this.discards.record(reason, category, quantity);
  }

  private ensureDir(): Promise<unknown> {
    this.dirReady ??= mkdir(this.dir, { recursive: true });
    return this.dirReady;
  }

  private async write(bytes: Uint8Array, info: EnvelopeInfo): Promise<void> {
    const id = info.eventId ?? readEventId(bytes);
    const safeId = id !== undefined && /^[0-9a-zA-Z-]{1,64}$/.test(id) ? id : randomHex(16);
    const target = join(this.dir, `${Date.now()}-${safeId}.envelope`);
    const tmp = join(this.dir, `.tmp-${randomHex(8)}`);
    let created = false;
    try {
      await this.ensureDir();
      const file = await open(tmp, 'wx');
      created = true;
      try {
        await file.writeFile(bytes);
        await file.datasync(); // the rename must never expose a file whose data is not on disk
      } finally {
        await file.close();
      }
      await rename(tmp, target);
    } catch (err) {
      this.dirReady = undefined; // the directory may have been removed: recreate it next time
      if (created) await unlink(tmp).catch(() => undefined);
      this.failures += 1;
      this.discards.recordEnvelope('send_error', info);
      const why = describeError(err);
      this.log.log(`fs:${why}`, `ferroprof: cannot write envelopes to ${this.dir}: ${why} (counted as send_error)`);
    }
  }
}
