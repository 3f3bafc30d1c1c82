import type { Frame, ModelThread, ProfileModel } from './model.js';
import { frameLocation, frameName, functionKey, sampleCount, samplePeriodNs } from './model.js';
import { ownFrames } from './own-frames.js';

/** One function's (or, by line, one line's) cost over all threads. */
export interface FunctionTime {
  function: string;
  /**
   * `file:line`: where the function starts (the first line it was sampled at when the
   * start is not known), or by line the line; `(native)` without a file.
   */
  location: string;
  /** Time with the function as the leaf frame. */
  selfNs: number;
  /** Time with the function anywhere on the stack (recursion counted once). */
  totalNs: number;
  selfSamples: number;
  totalSamples: number;
}

/** Where one thread's time went; the three parts add up to its duration. */
export interface ThreadTime {
  id: string;
  name: string;
  samples: number;
  /** From its first sample to the end of its last (one period after it). */
  durationNs: number;
  /** Samples with a stack: JavaScript or native code running. */
  busyNs: number;
  /** Samples with an empty stack: the event loop waiting. */
  idleNs: number;
  /** Gaps between samples longer than a period: no sample was taken (a pause, a stopped sampler). */
  notSampledNs: number;
}

/** Per-function self and total time, all threads together. */
export interface TopReport {
  /** Ranked by self time (ties by total); ferroprof's own frames left out. */
  bySelf: FunctionTime[];
  /** Ranked by total time (ties by self); ferroprof's own frames left out. */
  byTotal: FunctionTime[];
  /** Time in non-idle samples, all threads. */
  busyNs: number;
  /** Where each thread's time went. */
  threads: ThreadTime[];
  /** Self time in ferroprof's own frames (hidden from the tables). */
  ownNs: number;
}

/** How {@link computeTop} groups frames. */
export interface TopOptions {
  /** One row per function and executing line, instead of one per function. */
  lines?: boolean;
}

const lineKey = (f: Frame | undefined) => `${functionKey(f)}\u0000${f?.lineno ?? ''}`;

/** Each frame's row key and the location its row shows. */
function rowsOf(model: ProfileModel, byLine: boolean): { keys: string[]; locations: Map<string, string> } {
  const keys = model.frames.map(byLine ? lineKey : functionKey);
  const locations = new Map<string, string>();
  const firstLine = new Map<string, number>();
  model.frames.forEach((f, i) => {
    const key = keys[i]!;
    if (byLine || f.function_lineno !== undefined || !f.lineno) {
      if (!locations.has(key))
        locations.set(key, byLine || !f.lineno ? frameLocation(f) : frameLocation({ ...f, lineno: f.function_lineno }));
      return;
    }
    // The function's start is not known: its first sampled line stands for it.
    if (f.lineno < (firstLine.get(key) ?? Infinity)) {
      firstLine.set(key, f.lineno);
      locations.set(key, frameLocation(f));
    }
  });
  return { keys, locations };
}

/**
 * The time each sample stands for: its own weight, else until the next sample but at
 * most one period (a longer gap is time nobody sampled), the last one a period.
 */
export function sampleSpans(thread: ModelThread): number[] {
  const period = samplePeriodNs(thread);
  const s = thread.samples;
  return s.map((x, i) => x.weightNs ?? (i + 1 < s.length ? Math.min(period, s[i + 1]!.timestampNs - x.timestampNs) : period));
}

/** Self and total time of every function (or line); idle samples count toward nothing. */
export function computeTop(model: ProfileModel, limit = 10, options: TopOptions = {}): TopReport {
  const byKey = new Map<string, FunctionTime & { own: boolean }>();
  const { keys: frameKey, locations } = rowsOf(model, options.lines === true);
  const own = ownFrames(model);
  let busyNs = 0;
  let ownNs = 0;
  const threads: ThreadTime[] = [];
  const seen = new Set<string>();
  for (const thread of model.threads) {
    const spans = sampleSpans(thread);
    const time: ThreadTime = {
      id: thread.id,
      name: thread.name,
      samples: thread.samples.length,
      durationNs: 0,
      busyNs: 0,
      idleNs: 0,
      notSampledNs: 0,
    };
    const n = thread.samples.length;
    if (n > 0) time.durationNs = thread.samples[n - 1]!.timestampNs - thread.samples[0]!.timestampNs + spans[n - 1]!;
    thread.samples.forEach((sample, i) => {
      const w = spans[i]!;
      if (sample.stack.length === 0) {
        time.idleNs += w;
        return;
      }
      time.busyNs += w;
      if (own.has(sample.stack[0]!)) ownNs += w;
      seen.clear();
      sample.stack.forEach((fi, depth) => {
        const key = frameKey[fi]!;
        let cost = byKey.get(key);
        if (!cost) {
          const f = model.frames[fi];
          cost = {
            function: frameName(f),
            location: locations.get(key)!,
            selfNs: 0,
            totalNs: 0,
            selfSamples: 0,
            totalSamples: 0,
            own: own.has(fi),
          };
          byKey.set(key, cost);
        }
        if (depth === 0) {
          cost.selfNs += w;
          cost.selfSamples += 1;
        }
        if (!seen.has(key)) {
          seen.add(key);
          cost.totalNs += w;
          cost.totalSamples += 1;
        }
      });
    });
    time.notSampledNs = Math.max(0, time.durationNs - time.busyNs - time.idleNs);
    busyNs += time.busyNs;
    threads.push(time);
  }
  const all = [...byKey.values()].filter((c) => !c.own).map(({ own: _own, ...c }) => c);
  return {
    bySelf: [...all].sort((a, b) => b.selfNs - a.selfNs || b.totalNs - a.totalNs).slice(0, limit),
    byTotal: [...all].sort((a, b) => b.totalNs - a.totalNs || b.selfNs - a.selfNs).slice(0, limit),
    busyNs,
    threads,
    ownNs,
  };
}

/** Milliseconds or seconds, whichever reads better. */
export function formatDuration(ns: number): string {
  if (ns >= 10e9) return `${(ns / 1e9).toFixed(1)} s`;
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  return `${(ns / 1e6).toFixed(1)} ms`;
}

function table(title: string, rows: FunctionTime[], busyNs: number): string[] {
  const pct = (x: number) => `${((100 * x) / Math.max(1, busyNs)).toFixed(1).padStart(5)}%`;
  const ms = (x: number) => `${(x / 1e6).toFixed(1).padStart(9)}`;
  const lines = [
    title,
    `  ${'self ms'.padStart(9)} ${'self'.padStart(6)} ${'total ms'.padStart(9)} ${'total'.padStart(6)}  function (file:line)`,
  ];
  if (rows.length === 0) lines.push('  (no busy samples)');
  for (const r of rows) {
    lines.push(`  ${ms(r.selfNs)} ${pct(r.selfNs)} ${ms(r.totalNs)} ${pct(r.totalNs)}  ${r.function} (${r.location})`);
  }
  return lines;
}

/** `main: 1.20 s = busy 1.10 s + idle 50.0 ms + not sampled 50.0 ms (119 samples)` */
export function formatThreadTime(t: ThreadTime): string {
  const d = formatDuration;
  return `  ${t.name} (thread ${t.id}): ${d(t.durationNs)} = busy ${d(t.busyNs)} + idle ${d(t.idleNs)} + not sampled ${d(t.notSampledNs)} (${t.samples} samples)`;
}

/**
 * The terminal summary: duration, where each thread's time went, top functions (or,
 * with `lines`, top lines) by self and by total.
 */
export function formatTop(model: ProfileModel, limit = 10, options: TopOptions = {}): string {
  const top = computeTop(model, limit, options);
  const what = options.lines ? 'lines' : '';
  const lines = [
    `duration ${formatDuration(model.durationNs)} (first to last sample), ${sampleCount(model)} samples, ${model.threads.length} thread(s):`,
    ...top.threads.map(formatThreadTime),
  ];
  if (top.ownNs > 0) lines.push(`  ferroprof's own code: ${formatDuration(top.ownNs)} of busy time (left out of the tables)`);
  lines.push(
    '',
    ...table(`top ${limit}${what && ` ${what}`} by self time (% of busy ${formatDuration(top.busyNs)})`, top.bySelf, top.busyNs),
    '',
    ...table(`top ${limit}${what && ` ${what}`} by total time`, top.byTotal, top.busyNs),
  );
  return lines.join('\n');
}
