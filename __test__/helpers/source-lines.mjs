// The source-lines fixture (__test__/fixtures/source-lines): its marked lines, its
// JavaScript twin for the bundlers, and the weight a speedscope profile gives frames.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'source-lines');

/** 1-based line of the line of fixture `file` that contains `marker`. */
export function lineOf(file, marker) {
  const i = readFileSync(join(fixture, file), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`${marker} not in ${file}`);
  return i + 1;
}

/** The fixture's known lines: hot lines and call sites, and where functions start. */
export const L = {
  hotA: lineOf('app.ts', 'HOT-A'),
  hotB: lineOf('app.ts', 'HOT-B'),
  callA: lineOf('app.ts', 'CALL-A'),
  callB: lineOf('app.ts', 'CALL-B'),
  other: lineOf('other.ts', 'OTHER-HOT'),
  compute: lineOf('app.ts', 'export function compute'),
  dispatch: lineOf('app.ts', 'export function dispatch'),
  otherCompute: lineOf('other.ts', 'export function compute'),
};

/**
 * Writes app.js and other.js into `dir`: the .ts files with their few type annotations
 * removed, line for line (so `L` holds for them), for bundlers without a TypeScript step.
 */
export function writeJsTwin(dir) {
  for (const name of ['app', 'other']) {
    const ts = readFileSync(join(fixture, `${name}.ts`), 'utf8');
    const js = ts.replace(/^declare .*$/m, '// (a declaration of the .ts file)').replaceAll('(n: number): number', '(n)');
    if (/:\s*(number|string)\b|^declare/m.test(js)) throw new Error(`${name}.ts has types the twin does not remove`);
    writeFileSync(join(dir, `${name}.js`), js);
  }
  return { app: join(dir, 'app.js'), other: join(dir, 'other.js') };
}

/** Weight of samples whose stack holds a frame matching `pick` (at the leaf only, or anywhere). */
export function weightOf(speedscope, pick, leafOnly) {
  const frames = speedscope.shared.frames;
  let w = 0;
  for (const p of speedscope.profiles) {
    p.samples.forEach((stack, i) => {
      const hit = leafOnly ? pick(frames[stack[stack.length - 1]]) : stack.some((f) => pick(frames[f]));
      if (hit) w += p.weights[i];
    });
  }
  return w;
}
