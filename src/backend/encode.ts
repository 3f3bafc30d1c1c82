/**
 * Sentry's sample formats v1 (`profile`) and v2 (`profile_chunk`) for the inspector
 * backend: the same payloads, field order and refusals as the native encoders
 * (crates/core/src/sentry/v1.rs, v2.rs, check.rs, normalize.rs), so the SDK cannot tell
 * which backend produced them. Internal.
 */
import type { ProfileFrame, VmState } from '../native-types.js';

/** A window's samples, frames and stacks (stacks leaf first, compacted to what it uses). */
export interface Slice {
  startNs: number;
  endNs: number;
  frames: ProfileFrame[];
  stacks: number[][];
  samples: { tsNs: number; threadId: number; stackId: number; state: VmState }[];
  threadNames: Map<number, string>;
}

/** Monotonic ↔ Unix time, as `[monoNs, unixNs]` in BigInt (Unix ns exceed 2^53). */
export interface Anchor {
  mono: bigint;
  unix: bigint;
}

/** `sdk`, `runtime`, `os`, `device`, ... as `setProfileMeta` receives them (camelCase). */
export interface ProfileMetaJson {
  sdk: { name: string; version: string };
  runtime: { name: string; version: string };
  os: { name: string; version: string; build_number?: string };
  device: { architecture: string; model?: string; manufacturer?: string; locale?: string; is_emulator?: boolean };
  release?: string | null;
  environment?: string | null;
  maxStackDepth?: number | null;
  /** Debug IDs by file path: each file the frames name gets a `sourcemap` image. */
  debugIds?: Record<string, string> | null;
}

export interface TransactionJson {
  profileId: string;
  id: string;
  name: string;
  traceId: string;
  activeThreadId?: number | null;
}

export interface ChunkJson {
  profilerId: string;
  chunkId: string;
}

/** A measurement series on the monotonic clock. */
export interface Series {
  unit: 'percent' | 'byte';
  values: { monoNs: number; value: number }[];
}

/** Why a payload is refused, with the native encoder's reason strings. */
export class Rejection extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_PROFILE_DURATION_NS = 30_000_000_000;
const MAX_CHUNK_DURATION_SECS = 66;
export const DEFAULT_MAX_STACK_DEPTH = 128;

function toUnixNs(a: Anchor, monoNs: number): bigint {
  return a.unix + (BigInt(Math.round(monoNs)) - a.mono);
}

/** RFC 3339 in UTC with `digits` fractional digits, as `format_rfc3339`. */
export function formatRfc3339(unixNs: bigint, digits: number): string {
  const secs = unixNs / 1_000_000_000n;
  const nanos = unixNs % 1_000_000_000n;
  const base = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
  if (digits <= 0) return `${base}Z`;
  const frac = (nanos / 10n ** BigInt(9 - digits)).toString().padStart(digits, '0');
  return `${base}.${frac}Z`;
}

const UUID = /^[0-9a-f]{32}$/i;
function parseUuid(value: string): string | null {
  const hex = value.replaceAll('-', '');
  if (!UUID.test(hex)) return null;
  if (value.includes('-') && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return null;
  return hex.toLowerCase();
}

function checkUuid(field: string, value: string): void {
  if (parseUuid(value) === null) {
    throw new Rejection('invalid_field', `${field} must be a UUID (32 hex digits), got '${value}'`);
  }
}

function truncate(stacks: number[][], maxDepth: number): number[][] {
  return maxDepth > 0 ? stacks.map((s) => (s.length > maxDepth ? s.slice(0, maxDepth) : s)) : stacks;
}

function threadMetadata(slice: Slice): Record<string, { name?: string }> {
  const out: Record<string, { name?: string }> = {};
  const ids = [...new Set(slice.samples.map((s) => s.threadId))].sort((a, b) => a - b);
  // serde's BTreeMap orders keys as strings.
  for (const id of ids.map(String).sort()) {
    const name = slice.threadNames.get(Number(id));
    out[id] = name === undefined ? {} : { name };
  }
  return out;
}

function notEnoughSamples(): Rejection {
  return new Rejection(
    'not_enough_samples',
    'not enough samples: a profile needs at least 2 samples with a non-empty stack on one ' +
      'thread (after idle edges and single-sample threads are dropped)',
  );
}

function checkRangesAndStacks(
  kept: number[],
  stackOf: (i: number) => number,
  stacks: number[][],
  frames: number,
): void {
  const bad = kept.find((i) => stackOf(i) >= stacks.length);
  if (bad !== undefined) {
    throw new Rejection(
      'malformed_samples',
      `malformed samples: sample ${bad} uses stack_id ${stackOf(bad)} but there are ${stacks.length} stacks`,
    );
  }
  stacks.forEach((stack, i) => {
    const f = stack.find((x) => x >= frames);
    if (f !== undefined) {
      throw new Rejection('malformed_stacks', `malformed stacks: stack ${i} uses frame ${f} but there are ${frames} frames`);
    }
  });
}

function checkSorted(keys: number[], what: string): void {
  for (let i = 1; i < keys.length; i++) {
    if (keys[i]! < keys[i - 1]!) {
      throw new Rejection('not_sorted', `samples are not sorted by ${what}: sample ${i} at ${keys[i]} comes after ${keys[i - 1]}`);
    }
  }
}

/**
 * Idle samples (an empty stack) get a one-frame stack, `(idle)` or `(program)` by VM
 * state, as `label_idle` in crates/core/src/sentry/stacks.rs: Relay drops empty stacks.
 * Returns the frames, the stacks and each sample's stack id, in `slice.samples` order.
 */
function labelIdle(slice: Slice): { frames: ProfileFrame[]; stacks: number[][]; stackIds: number[] } {
  const frames = [...slice.frames];
  const stacks = [...slice.stacks];
  const added: (number | undefined)[] = [undefined, undefined];
  const stackIds = slice.samples.map((s) => {
    if (slice.stacks[s.stackId]?.length !== 0) return s.stackId;
    const kind = s.state === 'idle' ? 0 : 1;
    let id = added[kind];
    if (id === undefined) {
      frames.push({ function: kind === 0 ? '(idle)' : '(program)', in_app: false });
      stacks.push([frames.length - 1]);
      id = stacks.length - 1;
      added[kind] = id;
    }
    return id;
  });
  return { frames, stacks, stackIds };
}

/** `debug_meta` as `DebugMeta::for_frames`: a `sourcemap` image per file with a debug ID. */
function debugMeta(meta: ProfileMetaJson, frames: ProfileFrame[]): { images: object[] } | undefined {
  const ids = meta.debugIds;
  if (!ids) return undefined;
  const images: object[] = [];
  const seen = new Set<string>();
  for (const f of frames) {
    const path = f.abs_path;
    if (path === undefined || seen.has(path) || !Object.hasOwn(ids, path)) continue;
    seen.add(path);
    // Keys in serde_json's order (sorted), as the native encoder writes them.
    images.push({ code_file: path, debug_id: ids[path], type: 'sourcemap' });
  }
  return images.length > 0 ? { images } : undefined;
}

const nonIdle = (stacks: number[][], id: number): boolean => (stacks[id]?.length ?? 0) > 0;

/** Encodes a transaction's slice as a `profile` item payload (JSON), or throws a {@link Rejection}. */
export function encodeV1(
  slice: Slice,
  meta: ProfileMetaJson,
  txn: TransactionJson,
  activeThreadId: number,
  anchor: Anchor,
  measurements: Record<string, Series>,
): string {
  const startUnix = toUnixNs(anchor, slice.startNs);
  const originMono = slice.startNs - Number(startUnix % 1000n);
  const since = (mono: number): number => Math.max(0, Math.round(mono - originMono));
  const labelled = labelIdle(slice);
  const samples = slice.samples
    .map((s, i) => ({ stack_id: labelled.stackIds[i]!, thread_id: String(s.threadId), elapsed_since_start_ns: since(s.tsNs) }))
    .sort((a, b) => a.elapsed_since_start_ns - b.elapsed_since_start_ns);
  const relStart = since(slice.startNs);
  const relEnd = since(Math.max(slice.endNs, slice.startNs));
  const measured = encodeMeasurements(measurements, (p) => ({ elapsed_since_start_ns: since(p.monoNs), value: p.value }));
  const { frames } = labelled;
  const stacks = truncate(labelled.stacks, meta.maxStackDepth ?? DEFAULT_MAX_STACK_DEPTH);

  const payload: Record<string, unknown> = {
    event_id: txn.profileId,
    version: '1',
    platform: 'node',
    timestamp: formatRfc3339(toUnixNs(anchor, originMono), 6),
  };
  if (meta.release != null) payload.release = meta.release;
  if (meta.environment != null) payload.environment = meta.environment;
  payload.device = meta.device;
  payload.os = meta.os;
  payload.runtime = meta.runtime;
  payload.transaction = {
    id: txn.id,
    name: txn.name,
    trace_id: txn.traceId,
    active_thread_id: String(txn.activeThreadId ?? activeThreadId),
    relative_start_ns: String(relStart),
    relative_end_ns: String(relEnd),
  };
  // elapsed_since_start_ns and thread_id go out as decimal strings.
  const wire = samples.map((s) => ({ ...s, elapsed_since_start_ns: String(s.elapsed_since_start_ns) }));
  payload.profile = { frames, stacks, samples: wire, thread_metadata: threadMetadata(slice) };
  const debug = debugMeta(meta, frames);
  if (debug) payload.debug_meta = debug;
  if (measured) payload.measurements = measured;

  // check_v1
  checkUuid('event_id', txn.profileId);
  for (const [field, value] of [['id', txn.id], ['trace_id', txn.traceId]] as const) {
    const u = parseUuid(value);
    if (u === null || /^0+$/.test(u)) {
      throw new Rejection('invalid_transaction_metadata', `invalid transaction metadata: transaction.${field} must be a non-nil UUID`);
    }
  }
  if (txn.name === '') throw new Rejection('invalid_transaction_metadata', 'invalid transaction metadata: transaction.name is empty');
  const window = relEnd > 0 ? [relStart, relEnd] : null;
  const byThread = new Map<string, number[]>();
  samples.forEach((s, i) => {
    const t = s.elapsed_since_start_ns;
    if (window && (t < window[0]! || t > window[1]!)) return;
    const list = byThread.get(s.thread_id) ?? [];
    list.push(i);
    byThread.set(s.thread_id, list);
  });
  const kept: number[] = [];
  for (const idx of byThread.values()) {
    const busy = (i: number): boolean => nonIdle(stacks, samples[i]!.stack_id);
    const first = idx.findIndex(busy);
    let last = idx.length - 1;
    while (last >= 0 && !busy(idx[last]!)) last--;
    if (first >= 0 && last > first) kept.push(...idx.slice(first, last + 1));
  }
  if (kept.length === 0) throw notEnoughSamples();
  kept.sort((a, b) => a - b);
  checkRangesAndStacks(kept, (i) => samples[i]!.stack_id, stacks, frames.length);
  checkSorted(samples.map((s) => s.elapsed_since_start_ns), 'elapsed_since_start_ns');
  const lastTs = samples[kept[kept.length - 1]!]!.elapsed_since_start_ns;
  if (lastTs > MAX_PROFILE_DURATION_NS) {
    throw new Rejection('duration_too_long', `duration is too long: last sample at ${lastTs} ns, more than 30 s`);
  }
  return JSON.stringify(payload);
}

/** Encodes a chunk's slice as a `profile_chunk` item payload (JSON), or throws a {@link Rejection}. */
export function encodeV2(
  slice: Slice,
  meta: ProfileMetaJson,
  chunk: ChunkJson,
  anchor: Anchor,
  measurements: Record<string, Series>,
): string {
  const unixSecs = (mono: number): number => Number(toUnixNs(anchor, mono) / 1000n) / 1e6;
  const labelled = labelIdle(slice);
  const samples = slice.samples
    .map((s, i) => ({ tsNs: s.tsNs, stack_id: labelled.stackIds[i]!, thread_id: String(s.threadId) }))
    .sort((a, b) => a.tsNs - b.tsNs)
    .map((s) => ({ stack_id: s.stack_id, thread_id: s.thread_id, timestamp: unixSecs(s.tsNs) }));
  const measured = encodeMeasurements(measurements, (p) => ({ timestamp: unixSecs(p.monoNs), value: p.value }));
  const { frames } = labelled;
  const stacks = truncate(labelled.stacks, meta.maxStackDepth ?? DEFAULT_MAX_STACK_DEPTH);
  const payload: Record<string, unknown> = {
    chunk_id: chunk.chunkId,
    profiler_id: chunk.profilerId,
    version: '2',
    platform: 'node',
    release: meta.release ?? '',
  };
  if (meta.environment != null) payload.environment = meta.environment;
  payload.client_sdk = meta.sdk;
  payload.profile = { frames, stacks, samples, thread_metadata: threadMetadata(slice) };
  const debug = debugMeta(meta, frames);
  if (debug) payload.debug_meta = debug;
  if (measured) payload.measurements = measured;

  // check_v2
  checkUuid('chunk_id', chunk.chunkId);
  checkUuid('profiler_id', chunk.profilerId);
  const byThread = new Map<string, { idx: number[]; busy: number }>();
  samples.forEach((s, i) => {
    const e = byThread.get(s.thread_id) ?? { idx: [], busy: 0 };
    e.idx.push(i);
    if (nonIdle(stacks, s.stack_id)) e.busy += 1;
    byThread.set(s.thread_id, e);
  });
  const kept: number[] = [];
  for (const { idx, busy } of byThread.values()) if (busy >= 2) kept.push(...idx);
  if (kept.length === 0) throw notEnoughSamples();
  kept.sort((a, b) => a - b);
  checkRangesAndStacks(kept, (i) => samples[i]!.stack_id, stacks, frames.length);
  const odd = samples.findIndex((s) => !(s.timestamp >= 1e9 && s.timestamp < 1e10));
  if (odd >= 0) {
    throw new Rejection(
      'not_unix_seconds',
      `sample ${odd} timestamp ${samples[odd]!.timestamp} does not look like unix seconds (expected 1e9 <= t < 1e10)`,
    );
  }
  checkSorted(samples.map((s) => s.timestamp), 'timestamp');
  const times = kept.map((i) => samples[i]!.timestamp);
  const span = Math.max(...times) - Math.min(...times);
  if (span > MAX_CHUNK_DURATION_SECS) {
    throw new Rejection('duration_too_long', `duration is too long: samples span ${span.toFixed(3)} s, more than 66 s`);
  }
  return JSON.stringify(payload);
}

function encodeMeasurements<V>(
  measurements: Record<string, Series>,
  value: (p: { monoNs: number; value: number }) => V,
): Record<string, { unit: string; values: V[] }> | undefined {
  const names = Object.keys(measurements).sort();
  if (names.length === 0) return undefined;
  const out: Record<string, { unit: string; values: V[] }> = {};
  for (const name of names) {
    const series = measurements[name]!;
    const values = series.values.filter((p) => Number.isFinite(p.value)).map(value);
    if (values.length > 0) out[name] = { unit: series.unit, values };
  }
  return out;
}
