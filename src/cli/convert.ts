import { CliError } from './errors.js';
import type { Frame } from './model.js';
import type { ModelBuilder } from './model.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A u64 sent as a JSON integer or a decimal string (Sentry accepts both). */
function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return NaN;
}

function readFrame(v: unknown): Frame {
  if (!isObject(v)) return {};
  const f: Frame = {};
  const str = (a: string, b?: string) => {
    const x = v[a] ?? (b ? v[b] : undefined);
    return typeof x === 'string' ? x : undefined;
  };
  const num = (a: string, b?: string) => {
    const x = v[a] ?? (b ? v[b] : undefined);
    return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
  };
  const fn = str('function', 'name');
  if (fn !== undefined) f.function = fn;
  const abs = str('abs_path');
  if (abs !== undefined) f.abs_path = abs;
  const file = str('filename', 'file');
  if (file !== undefined) f.filename = file;
  const mod = str('module');
  if (mod !== undefined) f.module = mod;
  const line = num('lineno', 'line');
  if (line !== undefined) f.lineno = line;
  const col = num('colno', 'column');
  if (col !== undefined) f.colno = col;
  if (typeof v.in_app === 'boolean') f.in_app = v.in_app;
  return f;
}

/** Frames and stacks of a payload, as model frame indices (leaf first). */
function readStacks(builder: ModelBuilder, frames: unknown, stacks: unknown, what: string): number[][] {
  if (!Array.isArray(frames) || !Array.isArray(stacks)) {
    throw new CliError(`${what} has no frames/stacks arrays`);
  }
  const ids = frames.map((f) => builder.frame(readFrame(f)));
  // Sentry payloads carry idle samples on a one-frame `(idle)` stack (Relay drops empty
  // stacks); here, as in windows, idle is the empty stack, counted as idle time.
  const idleFrame = frames.findIndex((f) => isObject(f) && f.function === '(idle)' && f.abs_path === undefined);
  return stacks.map((s, i) => {
    if (!Array.isArray(s)) throw new CliError(`${what}: stack ${i} is not an array`);
    if (idleFrame >= 0 && s.length === 1 && s[0] === idleFrame) return [];
    return s.map((fi) => {
      const id = typeof fi === 'number' ? ids[fi] : undefined;
      if (id === undefined) throw new CliError(`${what}: stack ${i} references a missing frame`);
      return id;
    });
  });
}

function threadNames(meta: unknown): Map<string, string> {
  const names = new Map<string, string>();
  if (isObject(meta)) {
    for (const [id, m] of Object.entries(meta)) {
      if (typeof m === 'string') names.set(id, m);
      else if (isObject(m) && typeof m.name === 'string') names.set(id, m.name);
    }
  }
  return names;
}

/** Whether a parsed JSON value is the low-level `WindowProfile` of `ferroprof/sampler`. */
export function isWindowProfile(v: unknown): v is Json {
  return isObject(v) && typeof v.startUnixMs === 'number' && Array.isArray(v.samples) && Array.isArray(v.stacks);
}

/** Adds a low-level `WindowProfile` (monotonic `tsNs`, `startUnixMs`) to a builder. */
export function addWindowProfile(builder: ModelBuilder, v: Json, what = 'window profile'): void {
  const stacks = readStacks(builder, v.frames, v.stacks, what);
  const startNs = toNumber(v.startNs);
  const startUnixMs = toNumber(v.startUnixMs);
  if (!Number.isFinite(startNs) || !Number.isFinite(startUnixMs)) throw new CliError(`${what} has no start time`);
  const names = threadNames(v.threadNames);
  for (const s of v.samples as unknown[]) {
    if (!isObject(s)) throw new CliError(`${what}: a sample is not an object`);
    const stack = stacks[toNumber(s.stackId)];
    const ts = toNumber(s.tsNs);
    if (!stack || !Number.isFinite(ts)) throw new CliError(`${what}: malformed sample`);
    const tid = String(s.threadId ?? '0');
    builder.sample(tid, names.get(tid), startUnixMs, ts - startNs, stack);
  }
}

/** How to key threads: a chunk's `profiler_id` tells processes apart when several are mixed. */
export interface SentryAddOptions {
  threadKeyPrefix?: string;
  threadNameSuffix?: string;
}

/** Adds a Sentry sample-format v2 `profile_chunk` payload (unix-seconds timestamps). */
export function addProfileChunk(builder: ModelBuilder, v: Json, what = 'profile_chunk', opts: SentryAddOptions = {}): void {
  const profile = v.profile;
  if (!isObject(profile) || !Array.isArray(profile.samples)) throw new CliError(`${what} has no profile.samples`);
  const stacks = readStacks(builder, profile.frames, profile.stacks, what);
  const names = threadNames(profile.thread_metadata);
  for (const s of profile.samples as unknown[]) {
    if (!isObject(s)) throw new CliError(`${what}: a sample is not an object`);
    const stack = stacks[toNumber(s.stack_id)];
    const ts = toNumber(s.timestamp);
    if (!stack || !Number.isFinite(ts)) throw new CliError(`${what}: malformed sample`);
    const tid = String(s.thread_id ?? '0');
    const name = names.get(tid);
    builder.sample(
      (opts.threadKeyPrefix ?? '') + tid,
      name === undefined ? undefined : name + (opts.threadNameSuffix ?? ''),
      ts * 1e3,
      0,
      stack,
    );
  }
}

/** Adds a Sentry sample-format v1 `profile` payload (RFC 3339 start + elapsed ns). */
export function addTransactionProfile(builder: ModelBuilder, v: Json, what = 'profile'): void {
  const profile = v.profile;
  if (!isObject(profile) || !Array.isArray(profile.samples)) throw new CliError(`${what} has no profile.samples`);
  const startMs = typeof v.timestamp === 'string' ? Date.parse(v.timestamp) : NaN;
  if (!Number.isFinite(startMs)) throw new CliError(`${what} has no RFC 3339 timestamp`);
  const stacks = readStacks(builder, profile.frames, profile.stacks, what);
  const names = threadNames(profile.thread_metadata);
  for (const s of profile.samples as unknown[]) {
    if (!isObject(s)) throw new CliError(`${what}: a sample is not an object`);
    const stack = stacks[toNumber(s.stack_id)];
    const elapsed = toNumber(s.elapsed_since_start_ns);
    if (!stack || !Number.isFinite(elapsed)) throw new CliError(`${what}: malformed sample`);
    const tid = String(s.thread_id ?? '0');
    builder.sample(tid, names.get(tid), startMs, elapsed, stack);
  }
}

/** The kind of a parsed JSON payload, or `undefined` when it is none ferroprof reads. */
export function payloadKind(v: unknown): 'window' | 'profile_chunk' | 'profile' | undefined {
  if (isWindowProfile(v)) return 'window';
  if (!isObject(v) || !isObject(v.profile)) return undefined;
  if (v.version === '2' || typeof v.profiler_id === 'string') return 'profile_chunk';
  if (typeof v.timestamp === 'string') return 'profile';
  return undefined;
}
