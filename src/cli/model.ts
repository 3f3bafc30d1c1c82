import type { ProfileFrame } from '../native-types.js';

/**
 * A frame, in the field names of Sentry's profile formats, plus the line where its
 * function starts when the CLI found it in the source (`lineno` is the executing line).
 */
export type Frame = ProfileFrame & { function_lineno?: number };

/** One sample of one thread. */
export interface ModelSample {
  /** Nanoseconds since {@link ProfileModel.startUnixNs}. */
  timestampNs: number;
  /** Indices into {@link ProfileModel.frames}, leaf first; empty when the thread was idle. */
  stack: number[];
  /** CPU time this sample stands for; the thread's sampling period when absent. */
  weightNs?: number;
}

/** The samples of one thread, in time order. */
export interface ModelThread {
  id: string;
  name: string;
  samples: ModelSample[];
}

/** The neutral profile every input is converted to and every output is made from. */
export interface ProfileModel {
  threads: ModelThread[];
  frames: Frame[];
  /** Wall-clock time of the earliest sample, Unix nanoseconds. */
  startUnixNs: number;
  /** From the first to the last sample, over all threads. */
  durationNs: number;
  /** The text of a source file: a source map's `sourcesContent`, else the file itself. */
  sourceOf?: (path: string) => string | undefined;
}

/** The display name of a frame. */
export function frameName(frame: Frame | undefined): string {
  return frame?.function || '<anonymous>';
}

/** `file:line` of a frame, `(native)` without a file. */
export function frameLocation(frame: Frame | undefined): string {
  const file = frame?.abs_path || frame?.filename;
  if (!file) return '(native)';
  return frame?.lineno ? `${file}:${frame.lineno}` : file;
}

/**
 * The function a frame runs in: its name, file and start (`function_lineno` where the
 * CLI found it, and the start column), the same for each of its executing lines.
 */
export function functionKey(frame: Frame | undefined): string {
  return `${frameName(frame)}\u0000${frame?.abs_path || frame?.filename || ''}\u0000${frame?.function_lineno ?? ''}\u0000${frame?.colno ?? 0}`;
}

/**
 * The sampling period of a thread: the median gap between its samples. Samples carry
 * no duration of their own; the median is robust to pauses (GC, a suspended process).
 */
export function samplePeriodNs(thread: ModelThread): number {
  const s = thread.samples;
  if (s.length < 2) return 10_000_000;
  const gaps: number[] = [];
  // A bounded sample of gaps keeps this cheap for very long profiles.
  const step = Math.max(1, Math.floor(s.length / 5000));
  for (let i = step; i < s.length; i += step) {
    const gap = (s[i]!.timestampNs - s[i - step]!.timestampNs) / step;
    if (gap > 0) gaps.push(gap);
  }
  if (gaps.length === 0) return 10_000_000;
  gaps.sort((a, b) => a - b);
  return gaps[gaps.length >> 1]!;
}

/** The weight of a sample given its thread's period. */
export function sampleWeight(sample: ModelSample, periodNs: number): number {
  return sample.weightNs ?? periodNs;
}

/** Total number of samples, idle ones included. */
export function sampleCount(model: ProfileModel): number {
  return model.threads.reduce((n, t) => n + t.samples.length, 0);
}

/**
 * Builds a model from sources whose timestamps are absolute: interns frames, sorts each
 * thread by time, drops samples seen twice at the same instant (overlapping windows
 * slice the same store), and makes timestamps relative to the earliest sample.
 */
export class ModelBuilder {
  private readonly frames: Frame[] = [];
  private readonly frameIds = new Map<string, number>();
  private refMs: number | undefined;
  private readonly threads = new Map<string, { name: string; samples: { t: number; stack: number[] }[] }>();

  /** `mapFrame` turns each frame into the one shown (source maps), before interning. */
  constructor(private readonly mapFrame: (frame: Frame) => Frame = (f) => f) {}

  /** Interns a frame; returns its index in the model. */
  frame(generated: Frame): number {
    const frame = this.mapFrame(generated);
    const key = JSON.stringify([
      frame.function,
      frame.abs_path,
      frame.filename,
      frame.module,
      frame.lineno,
      frame.colno,
      frame.in_app,
      frame.function_lineno,
    ]);
    let id = this.frameIds.get(key);
    if (id === undefined) {
      id = this.frames.length;
      const copy: Frame = {};
      for (const k of ['function', 'abs_path', 'filename', 'module', 'lineno', 'colno', 'in_app', 'function_lineno'] as const) {
        if (frame[k] !== undefined) (copy as Record<string, unknown>)[k] = frame[k];
      }
      this.frames.push(copy);
      this.frameIds.set(key, id);
    }
    return id;
  }

  /**
   * Adds a sample at Unix time `unixMs` plus `offsetNs` to thread `id`; a later name
   * replaces a default one. Times are kept relative to the first sample's millisecond,
   * so nanoseconds survive (a double holds Unix nanoseconds only to 256 ns).
   */
  sample(threadId: string, threadName: string | undefined, unixMs: number, offsetNs: number, stack: number[]): void {
    let thread = this.threads.get(threadId);
    if (!thread) {
      thread = { name: threadName ?? defaultThreadName(threadId), samples: [] };
      this.threads.set(threadId, thread);
    } else if (threadName && thread.name === defaultThreadName(threadId)) {
      thread.name = threadName;
    }
    const wholeMs = Math.floor(unixMs);
    this.refMs ??= wholeMs;
    const t = (wholeMs - this.refMs) * 1e6 + Math.round((unixMs - wholeMs) * 1e6) + offsetNs;
    thread.samples.push({ t, stack });
  }

  /** Finishes the model. */
  build(): ProfileModel {
    let start = Infinity;
    let end = -Infinity;
    for (const t of this.threads.values()) {
      for (const s of t.samples) {
        if (s.t < start) start = s.t;
        if (s.t > end) end = s.t;
      }
    }
    if (!Number.isFinite(start)) start = end = 0;
    const threads: ModelThread[] = [];
    const ids = [...this.threads.keys()].sort((a, b) => compareThreadIds(a, b));
    for (const id of ids) {
      const t = this.threads.get(id)!;
      t.samples.sort((a, b) => a.t - b.t);
      const samples: ModelSample[] = [];
      let last = NaN;
      for (const s of t.samples) {
        if (s.t === last) continue;
        last = s.t;
        samples.push({ timestampNs: s.t - start, stack: s.stack });
      }
      threads.push({ id, name: t.name, samples });
    }
    return { threads, frames: this.frames, startUnixNs: (this.refMs ?? 0) * 1e6 + start, durationNs: end - start };
  }
}

function defaultThreadName(id: string): string {
  return id === '0' ? 'main' : `thread ${id}`;
}

function compareThreadIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
