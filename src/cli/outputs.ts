import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { CliError } from './errors.js';
import { renderHtml } from './html.js';
import type { ProfileModel } from './model.js';
import { toPprof } from './pprof.js';
import { toSpeedscope } from './speedscope.js';

/** The files `run` and `view` can write. */
export const FORMATS = ['html', 'speedscope', 'pprof', 'envelope'] as const;
export type OutputFormat = (typeof FORMATS)[number];
export const DEFAULT_FORMATS: OutputFormat[] = ['html', 'speedscope', 'pprof'];

const FILE_NAMES: Record<OutputFormat, string> = {
  html: 'profile.html',
  speedscope: 'profile.speedscope.json',
  pprof: 'profile.pb.gz',
  envelope: 'profile.envelope',
};

/** Parses `html,speedscope,…`; throws a {@link CliError} naming unknown formats. */
export function parseFormats(list: string): OutputFormat[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !(FORMATS as readonly string[]).includes(n));
  if (bad.length > 0 || names.length === 0) {
    throw new CliError(`unknown --format ${bad.join(',') || '(empty)'}; choose from ${FORMATS.join(',')}`);
  }
  return [...new Set(names)] as OutputFormat[];
}

/** One written file. */
export interface WrittenFile {
  format: OutputFormat;
  path: string;
  bytes: number;
}

/**
 * Writes the chosen formats into `outDir` (created when missing). `envelope` gives the
 * bytes of the `envelope` format: Sentry `profile_chunk` items as they were encoded
 * (see `chunkEnvelope`), called only when that format is chosen.
 */
export function writeOutputs(
  model: ProfileModel,
  outDir: string,
  formats: OutputFormat[],
  title: string,
  envelope: () => Uint8Array,
): WrittenFile[] {
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (err) {
    throw new CliError(`cannot create output folder ${outDir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return formats.map((format) => {
    let data: string | Uint8Array;
    if (format === 'html') data = renderHtml(model, title);
    else if (format === 'speedscope') data = JSON.stringify(toSpeedscope(model, title));
    else if (format === 'pprof') data = toPprof(model);
    else data = envelope();
    const path = join(outDir, FILE_NAMES[format]);
    try {
      writeFileSync(path, data);
    } catch (err) {
      throw new CliError(`cannot write ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return { format, path, bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.length };
  });
}
