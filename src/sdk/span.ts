import { argTypeError, checkObject, checkString } from '../args.js';
import { spanId as newSpanId, uuid4 } from './ids.js';
import { activeSpanStorage } from './scope.js';
import { nowSeconds } from './time.js';

/** Span statuses Sentry understands (`ok`, `internal_error`, `cancelled`, ...). */
export type SpanStatus = string;

/** What `startSpan` / `startChild` take. */
export interface SpanContext {
  op?: string;
  description?: string;
  tags?: Record<string, string>;
  data?: Record<string, unknown>;
}

/** Receives finished transactions (the client). */
export interface TransactionSink {
  captureTransaction(transaction: Transaction): void;
}

/** Most child spans one transaction keeps; more are dropped and counted. */
export const MAX_SPANS = 1000;

/**
 * A timed operation inside a transaction. Finish it with {@link Span.finish} (alias
 * `end`), or let `using` do it: spans are disposable.
 */
export class Span implements Disposable {
  readonly spanId = newSpanId();
  readonly traceId: string;
  readonly parentSpanId: string | undefined;
  op: string | undefined;
  description: string | undefined;
  status: SpanStatus | undefined;
  readonly tags: Record<string, string> = {};
  readonly data: Record<string, unknown> = {};
  readonly startTimestamp = nowSeconds();
  endTimestamp: number | undefined;
  /** The transaction this span belongs to (itself for a transaction). */
  readonly transaction: Transaction | undefined;

  protected constructor(
    traceId: string,
    parentSpanId: string | undefined,
    transaction: Transaction | undefined,
    ctx: SpanContext,
  ) {
    this.traceId = traceId;
    this.parentSpanId = parentSpanId;
    this.transaction = transaction;
    this.op = ctx.op;
    this.description = ctx.description;
    Object.assign(this.tags, ctx.tags);
    Object.assign(this.data, ctx.data);
  }

  /** Whether this span will be sent. */
  get sampled(): boolean {
    return this.transaction?.isSampled ?? false;
  }

  get finished(): boolean {
    return this.endTimestamp !== undefined;
  }

  /**
   * Sets a tag; numbers and booleans become strings.
   * @throws TypeError when `key` is not a non-empty string or `value` not a string, number or boolean.
   */
  setTag(key: string, value: string | number | boolean): this {
    checkString('setTag(key, value)', 'key', key);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw argTypeError('setTag(key, value)', 'value', 'a string, number or boolean', value);
    }
    this.tags[key] = String(value);
    return this;
  }

  /**
   * Sets a data field (any JSON-serialisable value).
   * @throws TypeError when `key` is not a non-empty string.
   */
  setData(key: string, value: unknown): this {
    checkString('setData(key, value)', 'key', key);
    this.data[key] = value;
    return this;
  }

  /**
   * Sets the status (`ok`, `internal_error`, ...).
   * @throws TypeError when `status` is not a non-empty string.
   */
  setStatus(status: SpanStatus): this {
    checkString('setStatus(status)', 'status', status);
    this.status = status;
    return this;
  }

  /**
   * Starts a span that is a child of this one.
   * @throws TypeError when `ctx` is given and is not an object.
   */
  startChild(ctx: SpanContext = {}): Span {
    checkObject('startChild(context)', 'context', ctx, true);
    const child = new ChildSpan(this.traceId, this.spanId, this.transaction, ctx);
    this.transaction?.addSpan(child);
    return child;
  }

  /**
   * Ends the span now (or at `endTimestamp`, Unix seconds). A second call does nothing.
   * @throws TypeError when `endTimestamp` is given and is not a finite number.
   */
  finish(endTimestamp?: number): void {
    checkEndTimestamp(endTimestamp);
    if (this.finished) return;
    this.endTimestamp = endTimestamp ?? nowSeconds();
  }

  /** Alias of {@link Span.finish}. */
  end(endTimestamp?: number): void {
    this.finish(endTimestamp);
  }

  [Symbol.dispose](): void {
    this.finish();
  }

  /** The span in Sentry's transaction-event `spans` form. */
  toSpanJSON(): Record<string, unknown> {
    return compact({
      span_id: this.spanId,
      parent_span_id: this.parentSpanId,
      trace_id: this.traceId,
      op: this.op,
      description: this.description,
      start_timestamp: this.startTimestamp,
      timestamp: this.endTimestamp ?? nowSeconds(),
      status: this.status,
      tags: Object.keys(this.tags).length ? this.tags : undefined,
      data: Object.keys(this.data).length ? this.data : undefined,
    });
  }
}

class ChildSpan extends Span {
  constructor(traceId: string, parentSpanId: string, transaction: Transaction | undefined, ctx: SpanContext) {
    super(traceId, parentSpanId, transaction, ctx);
  }
}

/** Units Sentry accepts for custom measurements (`millisecond`, `byte`, `percent`, ...). */
export type MeasurementUnit = string;

/** Internal construction parameters of a transaction. */
export interface TransactionInit {
  name: string;
  op?: string;
  description?: string;
  traceId?: string;
  parentSpanId?: string;
  sampled: boolean;
  tags?: Record<string, string>;
  data?: Record<string, unknown>;
  sink: TransactionSink | undefined;
}

/**
 * The root span of a trace, sent to Sentry as a `transaction` event when finished.
 * `using txn = startTransaction(...)` finishes it at the end of the block.
 */
export class Transaction extends Span {
  name: string;
  /** The `event_id` of the transaction event. */
  readonly eventId = uuid4();
  /** The tracing decision: whether this transaction is sent. */
  readonly isSampled: boolean;
  readonly measurements: Record<string, { value: number; unit: MeasurementUnit }> = {};
  readonly spans: Span[] = [];
  /** Child spans not kept because the transaction already had {@link MAX_SPANS}. */
  droppedSpans = 0;
  /** Set by the client: the profile bound to this transaction, if profiled. */
  profile: import('./profile.js').Profile | undefined;
  /** Set by the client when a continuous session runs: its `profiler_id`. */
  profilerId: string | undefined;
  /** The thread the transaction started on (`0` for main). */
  threadId = 0;
  threadName = 'main';
  private readonly sink: TransactionSink | undefined;
  private previousActive: Span | undefined;
  private activated = false;

  constructor(init: TransactionInit) {
    super(init.traceId ?? uuid4(), init.parentSpanId, undefined, init);
    (this as { transaction: Transaction }).transaction = this;
    this.name = init.name;
    this.isSampled = init.sampled;
    this.sink = init.sink;
  }

  /**
   * Renames the transaction.
   * @throws TypeError when `name` is not a non-empty string.
   */
  setName(name: string): this {
    checkString('setName(name)', 'name', name);
    this.name = name;
    return this;
  }

  /**
   * Records a measurement (e.g. `setMeasurement('avg_time_per_call', 1.2, 'millisecond')`).
   * `NaN` and infinite values are ignored (Sentry cannot store them), so a division by
   * zero in the caller's arithmetic never throws here.
   * @throws TypeError when `name` is not a non-empty string, `value` not a number or `unit` not a string.
   */
  setMeasurement(name: string, value: number, unit: MeasurementUnit = ''): this {
    checkString('setMeasurement(name, value, unit)', 'name', name);
    if (typeof value !== 'number') throw argTypeError('setMeasurement(name, value, unit)', 'value', 'a number', value);
    checkString('setMeasurement(name, value, unit)', 'unit', unit, true);
    if (Number.isFinite(value)) this.measurements[name] = { value, unit };
    return this;
  }

  /** @internal */
  addSpan(span: Span): void {
    if (this.spans.length < MAX_SPANS) this.spans.push(span);
    else this.droppedSpans += 1;
  }

  /** @internal Makes this transaction the active span of the current async context. */
  activate(): void {
    this.previousActive = activeSpanStorage.getStore();
    activeSpanStorage.enterWith(this);
    this.activated = true;
  }

  override finish(endTimestamp?: number): void {
    checkEndTimestamp(endTimestamp);
    if (this.finished) return;
    // The profile's window closes before the end time is read, so every sample of
    // the profile lies within the transaction's [start, end].
    this.profile?.finish();
    super.finish(endTimestamp);
    if (this.activated && activeSpanStorage.getStore() === this) activeSpanStorage.enterWith(this.previousActive);
    this.sink?.captureTransaction(this);
  }
}

function checkEndTimestamp(endTimestamp: unknown): void {
  if (endTimestamp !== undefined && (typeof endTimestamp !== 'number' || !Number.isFinite(endTimestamp))) {
    throw argTypeError('finish(endTimestamp)', 'endTimestamp', 'a finite number of Unix seconds, or undefined', endTimestamp);
  }
}

/** Drops `undefined` fields (Sentry's ingestion rejects `null` in several places). */
function compact(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out;
}
