import { closeSync, fdatasyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { crypto } from '../builtins.js';
import { checkObject, checkString } from '../args.js';
import { readEventId } from '../envelope.js';
import { DEFAULT_MAX_PENDING, DEFAULT_MAX_PENDING_BYTES, PendingWorkTransport, positiveInt } from './pending.js';
import { copyInfo, describeError, toBytes } from './support.js';
import type { EnvelopeInfo, TransportLogger } from './types.js';

/** Options of {@link LocalTransport}. */
export interface LocalTransportOptions {
  /** Directory the envelopes go to, created if missing (default `.ferroprof`, relative to the cwd at construction). */
  dir?: string;
  /** Writes in progress at once; beyond it new envelopes are dropped as `queue_overflow` (default 10 000). */
  maxPendingWrites?: number;
  /** Bytes of envelopes in flight at once; beyond it new envelopes are dropped as `queue_overflow` (default 16 MiB). */
  maxPendingBytes?: number;
  /** Where problems are logged, once per kind (default `console.warn`). */
  logger?: TransportLogger;
}

function randomHex(bytes: number): string {
  return crypto().randomBytes(bytes).toString('hex');
}

/**
 * Writes each envelope to its own file, `<dir>/<unix ms>-<event id or random>.envelope`.
 * Each file is written to `<dir>/.tmp-<random>`, synced, then renamed into place, so a
 * reader never sees a half-written envelope. Pending file operations keep the process
 * alive until they finish (they are short); failures are logged once and counted.
 */
export class LocalTransport extends PendingWorkTransport {
  /** The absolute directory envelopes are written to. */
  readonly dir: string;
  private dirReady: Promise<unknown> | undefined;

  /** @throws TypeError when `options` is not an object or `options.dir` not a non-empty string. */
  constructor(options: LocalTransportOptions = {}) {
    checkObject('new LocalTransport(options)', 'options', options, true);
    if (options.dir !== undefined) checkString('new LocalTransport(options)', 'options.dir', options.dir);
    super(
      positiveInt(options.maxPendingWrites, DEFAULT_MAX_PENDING),
      options.logger,
      positiveInt(options.maxPendingBytes, DEFAULT_MAX_PENDING_BYTES),
    );
    this.dir = resolve(options.dir ?? '.ferroprof');
  }

  /** Starts writing the envelope; never throws, never blocks. */
  send(envelope: Uint8Array | string, info: EnvelopeInfo): void {
    try {
      const copied = copyInfo(info);
      const bytes = toBytes(envelope);
      const overflow = () =>
        `ferroprof: ${this.maxPending} envelope writes (${this.maxPendingBytes} bytes) already pending in ${this.dir}; dropping (counted as queue_overflow)`;
      if (!this.admit(copied, bytes.length, overflow)) return;
      this.track(this.write(bytes, copied), bytes.length);
    } catch (err) {
      this.log.log('internal', `ferroprof: local transport error, envelope dropped: ${describeError(err)}`);
    }
  }

  /**
   * Writes the envelope now, synchronously and atomically (same file name and
   * temporary-file-then-rename as {@link LocalTransport.send}). For `process.on('exit')`,
   * where no asynchronous write completes any more. Never throws: returns whether the
   * file was written; a failure is logged once and counted as `send_error`.
   */
  writeSync(envelope: Uint8Array | string, info: EnvelopeInfo): boolean {
    let tmp: string | undefined;
    let copied: EnvelopeInfo = { categories: [] };
    try {
      copied = copyInfo(info);
      const bytes = toBytes(envelope);
      const target = join(this.dir, `${Date.now()}-${this.fileId(bytes, copied)}.envelope`);
      mkdirSync(this.dir, { recursive: true });
      tmp = join(this.dir, `.tmp-${randomHex(8)}`);
      const fd = openSync(tmp, 'wx');
      try {
        writeSync(fd, bytes);
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, target);
      return true;
    } catch (err) {
      if (tmp !== undefined) {
        try {
          unlinkSync(tmp);
        } catch {
          // never created, or already gone
        }
      }
      this.recordFailure(copied);
      const why = describeError(err);
      this.log.log(`fs:${why}`, `ferroprof: cannot write envelopes to ${this.dir}: ${why} (counted as send_error)`);
      return false;
    }
  }

  /** The event id of the file name: the envelope's, or a random one. */
  private fileId(bytes: Uint8Array, info: EnvelopeInfo): string {
    const id = info.eventId ?? readEventId(bytes);
    return id !== undefined && /^[0-9a-zA-Z-]{1,64}$/.test(id) ? id : randomHex(16);
  }

  private ensureDir(): Promise<unknown> {
    this.dirReady ??= mkdir(this.dir, { recursive: true });
    return this.dirReady;
  }

  private async write(bytes: Uint8Array, info: EnvelopeInfo): Promise<void> {
    const target = join(this.dir, `${Date.now()}-${this.fileId(bytes, info)}.envelope`);
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
      this.recordFailure(info);
      const why = describeError(err);
      this.log.log(`fs:${why}`, `ferroprof: cannot write envelopes to ${this.dir}: ${why} (counted as send_error)`);
    }
  }
}
