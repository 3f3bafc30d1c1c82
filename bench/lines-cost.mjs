// Non-timing cost of line-level frames: how many frames and stacks a window holds and
// how many bytes its JSON takes per sample, while the TypeScript compiler (third-party
// code doing real work) type-checks this repository's src/. Run it once per line mode:
//   node bench/lines-cost.mjs                  (lines: call sites and hot lines)
//   FERROPROF_LINES=function node bench/lines-cost.mjs   (one frame per function)
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';

import * as sampler from '../dist/sampler.js';

const require = createRequire(import.meta.url);
const ts = require('typescript');
const { readdirSync } = require('node:fs');
const { join } = require('node:path');

const root = new URL('..', import.meta.url).pathname;
const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) walk(join(dir, e.name));
    else if (e.name.endsWith('.ts')) files.push(join(dir, e.name));
  }
};
walk(join(root, 'src'));

sampler.startSampling(101);
const window = sampler.openWindow();
for (let round = 0; round < 2; round++) {
  const program = ts.createProgram(files, {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
    skipLibCheck: true,
  });
  ts.getPreEmitDiagnostics(program);
}
const p = await window.close();
sampler.stopSampling();
const json = JSON.stringify({ frames: p.frames, stacks: p.stacks, samples: p.samples });
const busy = p.samples.filter((s) => p.stacks[s.stackId].length > 0).length;
console.log(
  JSON.stringify({
    mode: process.env.FERROPROF_LINES ?? 'lines',
    samples: p.samples.length,
    busySamples: busy,
    frames: p.frames.length,
    stacks: p.stacks.length,
    stackFrameRefs: p.stacks.reduce((n, s) => n + s.length, 0),
    jsonBytesPerSample: +(json.length / p.samples.length).toFixed(1),
    gzipBytesPerSample: +(gzipSync(json).length / p.samples.length).toFixed(1),
  }),
);
