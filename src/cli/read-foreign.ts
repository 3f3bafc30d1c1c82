import { CliError } from './errors.js';
import type { Frame, ModelBuilder } from './model.js';
import { type ProtoField, intField, readFields, repeatedInts } from './protobuf.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether a parsed JSON value is a speedscope file. */
export function isSpeedscope(v: unknown): v is Json {
  return isObject(v) && isObject(v.shared) && Array.isArray((v.shared as Json).frames) && Array.isArray(v.profiles);
}

const UNIT_NS: Record<string, number> = { nanoseconds: 1, microseconds: 1e3, milliseconds: 1e6, seconds: 1e9, none: 1 };

/** `main (thread 0)` → `['0', 'main']`, as ferroprof names its speedscope profiles. */
function threadOf(name: string, index: number): [string, string] {
  const m = /^(.*) \(thread ([^)]+)\)$/.exec(name) ?? /^(.*) \(([^)]+)\)$/.exec(name);
  return m ? [m[2]!, m[1]!] : [String(index), name || `profile ${index}`];
}

/**
 * Adds the sampled profiles of a speedscope file (one per thread, as ferroprof writes
 * them). Speedscope keeps weights, not times: each sample starts where the one before
 * it ended, so gaps (idle time) are gone; absolute time is unknown (the Unix epoch).
 */
export function addSpeedscope(builder: ModelBuilder, v: Json, what: string): void {
  const frames = ((v.shared as Json).frames as unknown[]).map((f): number => {
    const frame: Frame = {};
    if (isObject(f)) {
      if (typeof f.name === 'string') frame.function = f.name;
      if (typeof f.file === 'string') frame.abs_path = f.file;
      if (typeof f.line === 'number') frame.lineno = f.line;
      if (typeof f.col === 'number') frame.colno = f.col;
    }
    return builder.frame(frame);
  });
  (v.profiles as unknown[]).forEach((p, index) => {
    if (!isObject(p)) throw new CliError(`${what}: profile ${index} is not an object`);
    if (p.type !== 'sampled')
      throw new CliError(`${what}: profile ${index} is ${String(p.type)}; only sampled profiles are read`);
    const samples = p.samples;
    const weights = p.weights;
    if (!Array.isArray(samples) || !Array.isArray(weights) || samples.length !== weights.length) {
      throw new CliError(`${what}: profile ${index} needs samples and weights of the same length`);
    }
    const unit = UNIT_NS[String(p.unit ?? 'none')] ?? 1;
    const [tid, name] = threadOf(String(p.name ?? ''), index);
    let t = (typeof p.startValue === 'number' ? p.startValue : 0) * unit;
    samples.forEach((s, i) => {
      if (!Array.isArray(s)) throw new CliError(`${what}: profile ${index}, sample ${i} is not an array`);
      const stack = s.map((fi) => {
        const id = typeof fi === 'number' ? frames[fi] : undefined;
        if (id === undefined) throw new CliError(`${what}: profile ${index}, sample ${i} references a missing frame`);
        return id;
      });
      builder.sample(tid, name, 0, Math.round(t), stack.reverse());
      t += Number(weights[i]) * unit;
    });
  });
}

/** Whether bytes (gunzipped) look like a pprof profile: the name says so. */
export function isPprofName(name: string): boolean {
  return /\.(pb|pprof|prof)(\.gz)?$/i.test(name);
}

/**
 * Adds a pprof `profile.proto` (gunzipped). pprof aggregates: each sample's count is
 * spread evenly, one period apart, in the order of the file; a `thread` label (as
 * ferroprof writes it, `main (0)`) picks the thread.
 */
export function addPprof(builder: ModelBuilder, bytes: Uint8Array, what: string): void {
  let top: ProtoField[];
  try {
    top = readFields(bytes);
  } catch (err) {
    throw new CliError(`${what}: not a pprof profile (${(err as Error).message})`);
  }
  const strings = top.filter((f) => f.field === 6).map((f) => Buffer.from(f.bytes ?? new Uint8Array()).toString('utf8'));
  const str = (i: number) => strings[i] ?? '';
  const functions = new Map<number, { name: string; file: string; line: number }>();
  for (const f of top.filter((x) => x.field === 5 && x.bytes)) {
    const m = readFields(f.bytes!);
    functions.set(intField(m, 1), { name: str(intField(m, 2)), file: str(intField(m, 4)), line: intField(m, 5) });
  }
  // A location is one or more lines, the callee (inlined) first.
  const locations = new Map<number, number[]>();
  for (const f of top.filter((x) => x.field === 4 && x.bytes)) {
    const m = readFields(f.bytes!);
    const lines = m.filter((x) => x.field === 4 && x.bytes).map((x) => readFields(x.bytes!));
    locations.set(
      intField(m, 1),
      lines.map((line) => {
        const fn = functions.get(intField(line, 1));
        const frame: Frame = { function: fn?.name || '<unknown>' };
        if (fn?.file) frame.abs_path = fn.file;
        const lineno = intField(line, 2) || fn?.line || 0;
        if (lineno) frame.lineno = lineno;
        return builder.frame(frame);
      }),
    );
  }
  const types = top
    .filter((x) => x.field === 1 && x.bytes)
    .map((x) => readFields(x.bytes!))
    .map((m) => [str(intField(m, 1)), str(intField(m, 2))]);
  const countIdx = types.findIndex(([type, unit]) => unit === 'count' || type === 'samples');
  const timeIdx = types.findIndex(([, unit]) => unit === 'nanoseconds');
  const periodNs = intField(top, 12) || 10_000_000;
  const startNs = intField(top, 9);
  const startMs = Math.floor(startNs / 1e6);
  const clock = new Map<string, number>();
  for (const f of top.filter((x) => x.field === 2 && x.bytes)) {
    const m = readFields(f.bytes!);
    const stack = repeatedInts(m, 1).flatMap((id) => locations.get(id) ?? []);
    const values = repeatedInts(m, 2);
    let count = countIdx >= 0 ? (values[countIdx] ?? 0) : 0;
    if (countIdx < 0 && timeIdx >= 0) count = Math.round((values[timeIdx] ?? 0) / periodNs);
    let label = '';
    for (const l of m.filter((x) => x.field === 3 && x.bytes).map((x) => readFields(x.bytes!))) {
      if (str(intField(l, 1)) === 'thread') label = str(intField(l, 2));
    }
    const [tid, name] = label ? threadOf(label, 0) : ['0', 'main'];
    let t = clock.get(tid) ?? 0;
    for (let i = 0; i < count; i++, t += periodNs) builder.sample(tid, name, startMs, t, stack);
    clock.set(tid, t);
  }
}
