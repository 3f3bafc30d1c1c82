import { randomUUID } from 'node:crypto';
import { type Stats, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { type Envelope, EnvelopeError, type EnvelopeItemInput, isGzip, itemText, parseEnvelope, serializeEnvelope } from '../envelope.js';
import { addProfileChunk, addTransactionProfile, addWindowProfile, payloadKind } from './convert.js';
import { CliError } from './errors.js';
import type { ProfileModel } from './model.js';
import { ModelBuilder } from './model.js';
import { SourceMapper } from './sourcemap.js';

/** Reports progress while reading many or large inputs. */
export type Progress = (message: string) => void;

interface Payload {
  kind: 'window' | 'profile_chunk' | 'profile';
  value: Record<string, unknown>;
  what: string;
}

// Envelopes and profile JSON (optionally gzipped); ferroprof's own outputs are skipped.
const INPUT = /\.(envelope|json)(\.gz)?$/i;
const OWN_OUTPUT = /\.speedscope\.json$/i;

/** The input files under `path`: the file itself, or profile files in a folder (3 levels deep). */
export function listInputs(path: string): string[] {
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    throw new CliError(`cannot read ${path}: no such file or folder`);
  }
  if (st.isFile()) return [path];
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      throw new CliError(`cannot read folder ${dir}`);
    }
    for (const name of names) {
      const full = join(dir, name);
      const s = statSync(full, { throwIfNoEntry: false });
      if (s?.isDirectory() && depth < 3) walk(full, depth + 1);
      else if (s?.isFile() && INPUT.test(name) && !OWN_OUTPUT.test(name)) out.push(full);
    }
  };
  walk(path, 0);
  if (out.length === 0) throw new CliError(`${path}: no envelope or profile files in this folder`);
  return out;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${what} is not valid JSON`);
  }
}

/** Undoes gzip when the name ends in `.gz` or the bytes say so. */
export function maybeGunzip(bytes: Buffer, name: string): Buffer {
  if (!name.endsWith('.gz') && !isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch {
    throw new CliError(`${name}: not valid gzip data`);
  }
}

/** {@link parseEnvelope}, with a malformed envelope as a {@link CliError}. */
function readEnvelope(data: Buffer, name: string): Envelope {
  try {
    return parseEnvelope(data, name);
  } catch (err) {
    if (err instanceof EnvelopeError) throw new CliError(err.message);
    throw err;
  }
}

/** The profile payloads in one file: an envelope, or a bare JSON payload. */
export function payloadsOfFile(file: string, bytes: Buffer): Payload[] {
  const name = basename(file);
  const data = maybeGunzip(bytes, name);
  // A bare payload is one JSON document; an envelope is several lines of JSON.
  let whole: unknown;
  try {
    whole = JSON.parse(data.toString('utf8'));
  } catch {
    whole = undefined;
  }
  if (whole !== undefined) {
    const kind = payloadKind(whole);
    if (kind) return [{ kind, value: whole as Record<string, unknown>, what: name }];
    if (/\.json$/i.test(name.replace(/\.gz$/i, ''))) throw new CliError(`${name}: not a ferroprof or Sentry profile`);
  }
  const envelope = readEnvelope(data, name);
  const out: Payload[] = [];
  envelope.items.forEach((item, i) => {
    const type = item.header.type;
    if (type !== 'profile' && type !== 'profile_chunk') return;
    const what = `${name}: ${type} item ${i + 1}`;
    const value = parseJson(itemText(item), what);
    const kind = payloadKind(value);
    if (!kind) throw new CliError(`${what} is not a profile`);
    out.push({ kind, value: value as Record<string, unknown>, what });
  });
  return out;
}

/**
 * Reads a file or a folder of envelopes / profile JSON into one model. Chunks of one
 * `profiler_id` are joined in time order; with several profiler ids, each keeps its own
 * threads. Transaction profiles join the threads they sampled (duplicate instants drop).
 */
export function loadProfile(path: string, progress?: Progress): ProfileModel {
  const files = listInputs(path);
  const payloads: Payload[] = [];
  let bytesRead = 0;
  files.forEach((file, i) => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CliError(`cannot read ${file}${code ? ` (${code})` : ''}`);
    }
    bytesRead += bytes.length;
    payloads.push(...payloadsOfFile(file, bytes));
    progress?.(`reading ${i + 1}/${files.length} files, ${(bytesRead / 1e6).toFixed(1)} MB`);
  });
  if (payloads.length === 0) throw new CliError(`${path}: no profile or profile_chunk items found`);
  return buildModel(payloads, progress);
}

/**
 * The `profile_chunk` items found under `path` (envelopes or bare chunk JSON), as one
 * envelope: the chunks exactly as they were encoded (by ferroprof's native core, or by
 * whoever wrote them), never re-encoded. Other payloads have no chunk form and are refused.
 */
export function chunkEnvelope(path: string, sdk: { name: string; version: string }): Uint8Array {
  const items: EnvelopeItemInput[] = [];
  for (const file of listInputs(path)) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      throw new CliError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    for (const p of payloadsOfFile(file, bytes)) {
      if (p.kind !== 'profile_chunk') {
        throw new CliError(`${p.what}: --format envelope writes profile_chunk items only; this is a ${p.kind === 'window' ? 'ferroprof window profile' : 'transaction profile'} (use html, speedscope or pprof)`);
      }
      items.push({ header: { type: 'profile_chunk', platform: String(p.value.platform ?? 'node') }, payload: JSON.stringify(p.value) });
    }
  }
  if (items.length === 0) throw new CliError(`${path}: no profile_chunk was written (the run may have been shorter than two samples)`);
  return serializeEnvelope({ event_id: randomUUID().replace(/-/g, ''), sent_at: new Date().toISOString(), sdk }, items);
}

function buildModel(payloads: Payload[], progress?: Progress): ProfileModel {
  // Generated code is shown as written: through its source maps, each file read once.
  const mapper = new SourceMapper();
  const builder = new ModelBuilder(mapper.map);
  const profilers = new Set(
    payloads.filter((p) => p.kind === 'profile_chunk').map((p) => String(p.value.profiler_id ?? '')),
  );
  const several = profilers.size > 1;
  payloads.forEach((p, i) => {
    if (p.kind === 'window') addWindowProfile(builder, p.value, p.what);
    else if (p.kind === 'profile') addTransactionProfile(builder, p.value, p.what);
    else {
      const id = String(p.value.profiler_id ?? '');
      addProfileChunk(builder, p.value, p.what, several ? { threadKeyPrefix: `${id}:`, threadNameSuffix: ` (${id.slice(0, 8)})` } : {});
    }
    if (payloads.length > 20 && i % 20 === 19) progress?.(`converting ${i + 1}/${payloads.length} payloads`);
  });
  const model = builder.build();
  // Not enumerable: the model stays plain data (compared, serialised) with it attached.
  Object.defineProperty(model, 'sourceOf', { value: (path: string) => mapper.sourceOf(path), enumerable: false });
  return model;
}
