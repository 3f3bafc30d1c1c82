import type { DataCategory, DiscardReason, DroppedCount, EnvelopeInfo, TransportLogger } from './types.js';

/** The default logger: one `console.warn` line. */
export const defaultLogger: TransportLogger = (message) => console.warn(message);

/** Logs each distinct kind of problem once, so an outage gives one line, not one per envelope. */
export class OnceLogger {
  private readonly seen = new Set<string>();
  constructor(private readonly logger: TransportLogger) {}

  /** Logs `message` unless `kind` was already logged (and not re-armed since). */
  log(kind: string, message: string): void {
    if (this.seen.has(kind)) return;
    this.seen.add(kind);
    try {
      this.logger(message);
    } catch {
      // A logger that throws must not take the transport (or the app) down.
    }
  }

  /** Lets kinds starting with `prefix` be logged again (e.g. after the server came back). */
  rearm(prefix: string): void {
    for (const kind of this.seen) if (kind.startsWith(prefix)) this.seen.delete(kind);
  }
}

/**
 * Discarded-item counts per (reason, category): a cumulative total for the SDK's stats,
 * and the part not yet sent in a client report.
 */
export class DiscardCounter {
  private readonly total = new Map<string, number>();
  private pending = new Map<string, number>();

  /** Counts `quantity` items; `report: false` keeps them out of client reports (the server already knows). */
  record(reason: DiscardReason, category: DataCategory, quantity = 1, report = true): void {
    if (!(quantity > 0)) return;
    const key = `${reason}:${category}`;
    this.total.set(key, (this.total.get(key) ?? 0) + quantity);
    if (report && category !== 'internal') this.pending.set(key, (this.pending.get(key) ?? 0) + quantity);
  }

  /** Counts every item of an envelope. */
  recordEnvelope(reason: DiscardReason, info: EnvelopeInfo, report = true): void {
    for (const category of info.categories) this.record(reason, category, 1, report);
  }

  /** Cumulative counts. */
  totals(): DroppedCount[] {
    return toList(this.total);
  }

  /** Takes the counts not yet reported (clearing them); `undefined` when there are none. */
  takePending(): DroppedCount[] | undefined {
    if (this.pending.size === 0) return undefined;
    const list = toList(this.pending);
    this.pending = new Map();
    return list;
  }

  /** Puts back counts whose client report could not be delivered. */
  restorePending(list: readonly DroppedCount[]): void {
    for (const c of list) {
      const key = `${c.reason}:${c.category}`;
      this.pending.set(key, (this.pending.get(key) ?? 0) + c.quantity);
    }
  }
}

function toList(map: Map<string, number>): DroppedCount[] {
  return [...map].map(([key, quantity]) => {
    const [reason, category] = key.split(':') as [DiscardReason, DataCategory];
    return { reason, category, quantity };
  });
}

/**
 * Resolves waiters when some piece of work becomes idle, or `false` after their timeout.
 * While anyone waits, a ref'd timer keeps the process alive: the transport's own sockets
 * and timers are unref'd, so only an awaited flush holds the process open.
 */
export class IdleWaiters {
  private readonly waiters = new Set<(idle: boolean) => void>();

  constructor(private readonly isIdle: () => boolean) {}

  /** Resolves `true` once idle, `false` if `timeoutMs` passes first; never rejects. */
  wait(timeoutMs?: number): Promise<boolean> {
    if (this.isIdle()) return Promise.resolve(true);
    const limit = normalizeTimeout(timeoutMs);
    if (limit === 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      // Max setTimeout delay; re-armed forever when there is no limit.
      const step = Math.min(limit, 2_147_483_647);
      let timer: NodeJS.Timeout;
      const done = (idle: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(idle);
      };
      const arm = () => {
        timer = setTimeout(() => (limit === Infinity ? arm() : done(false)), step);
      };
      arm();
      this.waiters.add(done);
    });
  }

  /** Call whenever work finishes; resolves every waiter if idle now. */
  check(): void {
    if (this.waiters.size === 0 || !this.isIdle()) return;
    for (const done of [...this.waiters]) done(true);
  }

  /** Resolves every waiter with `false` (e.g. when the work was abandoned). */
  abandon(): void {
    for (const done of [...this.waiters]) done(false);
  }
}

/** `undefined`/`Infinity` → wait forever; negative or NaN → 0. */
export function normalizeTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined || timeoutMs === Infinity) return Infinity;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) return 0;
  return timeoutMs;
}

const encoder = new TextEncoder();

/**
 * The envelope as bytes (strings are UTF-8 encoded).
 * @throws TypeError for anything else, which the transports catch and log.
 */
export function toBytes(envelope: Uint8Array | string): Uint8Array {
  if (typeof envelope === 'string') return encoder.encode(envelope);
  if (envelope instanceof Uint8Array) return envelope;
  throw new TypeError(`an envelope must be a string or a Uint8Array, got ${envelope === null ? 'null' : typeof envelope}`);
}

/** A defensive copy of `info`, so later mutation by the caller cannot change what is counted. */
export function copyInfo(info: EnvelopeInfo | undefined): EnvelopeInfo {
  const categories = Array.isArray(info?.categories) ? [...info.categories] : [];
  const copy: EnvelopeInfo = { categories };
  if (typeof info?.eventId === 'string') copy.eventId = info.eventId;
  return copy;
}

/** A short description of a thrown value for a log line. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? `${code}` : err.message;
  }
  return String(err);
}
