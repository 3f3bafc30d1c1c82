import { gzipSync } from 'node:zlib';

import type { ProfileModel } from './model.js';
import { frameName, functionKey, samplePeriodNs, sampleWeight } from './model.js';
import { ProtoWriter } from './protobuf.js';

// Field numbers of github.com/google/pprof/proto/profile.proto.
const P = {
  sampleType: 1,
  sample: 2,
  location: 4,
  function: 5,
  stringTable: 6,
  timeNanos: 9,
  durationNanos: 10,
  periodType: 11,
  period: 12,
  defaultSampleType: 14,
};

/**
 * Encodes the model as pprof's `profile.proto`, gzipped: sample types `samples/count`
 * and `cpu/nanoseconds`, one location per frame (its line: a caller's call site, the
 * leaf's executing line), one function per distinct name + file + start column (the
 * lines of one function are locations of one function), and a `thread` label on every
 * sample.
 */
export function toPprof(model: ProfileModel): Buffer {
  const strings: string[] = [''];
  const stringIds = new Map<string, number>([['', 0]]);
  const str = (s: string) => {
    let id = stringIds.get(s);
    if (id === undefined) {
      id = strings.length;
      strings.push(s);
      stringIds.set(s, id);
    }
    return id;
  };

  const functions: { id: number; name: number; file: number; line: number }[] = [];
  const functionIds = new Map<string, number>();
  const locationFunction = model.frames.map((f) => {
    const name = frameName(f);
    const file = f.abs_path || f.filename || '';
    const key = functionKey(f);
    let id = functionIds.get(key);
    if (id === undefined) {
      id = functions.length + 1;
      functions.push({ id, name: str(name), file: str(file), line: f.function_lineno ?? 0 });
      functionIds.set(key, id);
    }
    return id;
  });

  // Aggregate identical stacks of a thread: pprof sums values anyway, this keeps files small.
  const samples = new Map<string, { locations: number[]; count: number; ns: number; thread: number }>();
  let periodNs = 0;
  for (const thread of model.threads) {
    const period = samplePeriodNs(thread);
    periodNs ||= period;
    const threadName = str(`${thread.name} (${thread.id})`);
    for (const s of thread.samples) {
      if (s.stack.length === 0) continue;
      const key = `${thread.id}|${s.stack.join(',')}`;
      let agg = samples.get(key);
      if (!agg) {
        agg = { locations: s.stack.map((fi) => fi + 1), count: 0, ns: 0, thread: threadName };
        samples.set(key, agg);
      }
      agg.count += 1;
      agg.ns += sampleWeight(s, period);
    }
  }

  const w = new ProtoWriter();
  const threadKey = str('thread');
  const valueType = (type: string, unit: string) => (m: ProtoWriter) => {
    m.int(1, str(type)).int(2, str(unit));
  };
  w.message(P.sampleType, valueType('samples', 'count'));
  w.message(P.sampleType, valueType('cpu', 'nanoseconds'));
  for (const s of samples.values()) {
    w.message(P.sample, (m) => {
      m.packed(1, s.locations).packed(2, [s.count, Math.round(s.ns)]);
      m.message(3, (l) => l.int(1, threadKey).int(2, s.thread));
    });
  }
  model.frames.forEach((f, i) => {
    w.message(P.location, (m) => {
      m.int(1, i + 1);
      m.message(4, (line) => line.int(1, locationFunction[i]!).int(2, f.lineno ?? 0));
    });
  });
  for (const fn of functions) {
    w.message(P.function, (m) => m.int(1, fn.id).int(2, fn.name).int(3, fn.name).int(4, fn.file).int(5, fn.line));
  }
  w.int(P.timeNanos, BigInt(Math.round(model.startUnixNs)));
  w.int(P.durationNanos, Math.round(model.durationNs));
  w.message(P.periodType, valueType('cpu', 'nanoseconds'));
  w.int(P.period, Math.round(periodNs));
  w.int(P.defaultSampleType, str('cpu'));
  // The string table goes last: every index above has been assigned by now.
  for (const s of strings) w.string(P.stringTable, s);
  return gzipSync(w.finish());
}
