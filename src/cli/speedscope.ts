import type { ProfileModel } from './model.js';
import { frameName, samplePeriodNs, sampleWeight } from './model.js';

/** A speedscope frame (https://www.speedscope.app/file-format-schema.json). */
export interface SpeedscopeFrame {
  name: string;
  file?: string;
  line?: number;
  col?: number;
}

/** A speedscope "sampled" profile: stacks root first, one weight per sample. */
export interface SpeedscopeSampledProfile {
  type: 'sampled';
  name: string;
  unit: 'nanoseconds';
  startValue: number;
  endValue: number;
  samples: number[][];
  weights: number[];
}

/** A speedscope file. */
export interface SpeedscopeFile {
  $schema: 'https://www.speedscope.app/file-format-schema.json';
  shared: { frames: SpeedscopeFrame[] };
  profiles: SpeedscopeSampledProfile[];
  name: string;
  activeProfileIndex: number;
  exporter: string;
}

/** One sampled profile per thread; idle samples are left out (speedscope shows gaps as nothing). */
export function toSpeedscope(model: ProfileModel, name = 'ferroprof profile'): SpeedscopeFile {
  const frames: SpeedscopeFrame[] = model.frames.map((f) => {
    const out: SpeedscopeFrame = { name: frameName(f) };
    const file = f.abs_path || f.filename;
    if (file) out.file = file;
    if (f.lineno !== undefined) out.line = f.lineno;
    if (f.colno !== undefined) out.col = f.colno;
    return out;
  });
  const profiles = model.threads.map((thread): SpeedscopeSampledProfile => {
    const period = samplePeriodNs(thread);
    const samples: number[][] = [];
    const weights: number[] = [];
    for (const s of thread.samples) {
      if (s.stack.length === 0) continue;
      samples.push([...s.stack].reverse());
      weights.push(Math.round(sampleWeight(s, period)));
    }
    const first = thread.samples[0]?.timestampNs ?? 0;
    const last = thread.samples[thread.samples.length - 1]?.timestampNs ?? 0;
    return {
      type: 'sampled',
      name: `${thread.name} (thread ${thread.id})`,
      unit: 'nanoseconds',
      startValue: Math.round(first),
      endValue: Math.round(last + period),
      samples,
      weights,
    };
  });
  return {
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    shared: { frames },
    profiles,
    name,
    activeProfileIndex: 0,
    exporter: 'ferroprof',
  };
}
