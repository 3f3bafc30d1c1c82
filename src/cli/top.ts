import type { Frame, ProfileModel } from './model.js';
import { frameLocation, frameName, sampleCount, samplePeriodNs, sampleWeight } from './model.js';

/** One function's cost over all threads. */
export interface FunctionTime {
  function: string;
  /** `file:line` where the function starts, `(native)` without a file. */
  location: string;
  /** Time with the function as the leaf frame. */
  selfNs: number;
  /** Time with the function anywhere on the stack (recursion counted once). */
  totalNs: number;
  selfSamples: number;
  totalSamples: number;
}

/** Per-function self and total time, all threads together. */
export interface TopReport {
  /** Ranked by self time (ties by total). */
  bySelf: FunctionTime[];
  /** Ranked by total time (ties by self). */
  byTotal: FunctionTime[];
  /** Time in non-idle samples. */
  busyNs: number;
}

const keyOf = (f: Frame | undefined) => `${frameName(f)}\u0000${f?.abs_path ?? f?.filename ?? ''}\u0000${f?.lineno ?? ''}`;

/** Self and total time of every function; idle samples count toward nothing. */
export function computeTop(model: ProfileModel, limit = 10): TopReport {
  const byKey = new Map<string, FunctionTime>();
  const frameKey = model.frames.map(keyOf);
  let busyNs = 0;
  const seen = new Set<string>();
  for (const thread of model.threads) {
    const period = samplePeriodNs(thread);
    for (const sample of thread.samples) {
      if (sample.stack.length === 0) continue;
      const w = sampleWeight(sample, period);
      busyNs += w;
      seen.clear();
      sample.stack.forEach((fi, depth) => {
        const key = frameKey[fi]!;
        let cost = byKey.get(key);
        if (!cost) {
          const f = model.frames[fi];
          cost = { function: frameName(f), location: frameLocation(f), selfNs: 0, totalNs: 0, selfSamples: 0, totalSamples: 0 };
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
    }
  }
  const all = [...byKey.values()];
  return {
    bySelf: [...all].sort((a, b) => b.selfNs - a.selfNs || b.totalNs - a.totalNs).slice(0, limit),
    byTotal: [...all].sort((a, b) => b.totalNs - a.totalNs || b.selfNs - a.selfNs).slice(0, limit),
    busyNs,
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
  const lines = [title, `  ${'self ms'.padStart(9)} ${'self'.padStart(6)} ${'total ms'.padStart(9)} ${'total'.padStart(6)}  function (file:line)`];
  if (rows.length === 0) lines.push('  (no busy samples)');
  for (const r of rows) {
    lines.push(`  ${ms(r.selfNs)} ${pct(r.selfNs)} ${ms(r.totalNs)} ${pct(r.totalNs)}  ${r.function} (${r.location})`);
  }
  return lines;
}

/** The terminal summary: duration, samples, threads, top functions by self and by total. */
export function formatTop(model: ProfileModel, limit = 10): string {
  const top = computeTop(model, limit);
  const names = model.threads.map((t) => `${t.name} (${t.samples.length})`).join(', ');
  const lines = [
    `duration ${formatDuration(model.durationNs)}, ${sampleCount(model)} samples, ${model.threads.length} thread(s): ${names}`,
    `busy (non-idle) time ${formatDuration(top.busyNs)}`,
    '',
    ...table(`top ${limit} by self time`, top.bySelf, top.busyNs),
    '',
    ...table(`top ${limit} by total time`, top.byTotal, top.busyNs),
  ];
  return lines.join('\n');
}
