import { randomUUID } from 'node:crypto';
import { type Stats, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import {
  type Envelope,
  EnvelopeError,
  type EnvelopeItemInput,
  isGzip,
  itemText,
  parseEnvelope,
  serializeEnvelope,
} from '../envelope.js';
import { addProfileChunk, addTransactionProfile, addWindowProfile, payloadKind } from './convert.js';
import { CliError } from './errors.js';
import type { ProfileModel } from './model.js';
import { ModelBuilder } from './model.js';
import { addPprof, addSpeedscope, isPprofName, isSpeedscope } from './read-foreign.js';
import { SourceMapper } from './sourcemap.js';

/** Reports progress while reading many or large inputs. */
export type Progress = (message: string) => void;

interface Payload {
  kind: 'window' | 'profile_chunk' | 'profile' | 'speedscope' | 'pprof';
  value: Record<string, unknown>;
  /** The gunzipped bytes of a pprof file. */
  bytes?: Uint8Array;
  what: string;
}

const KIND_NAMES: Record<Payload['kind'], string> = {
  window: 'ferroprof window profile',
  profile: 'transaction profile',
  profile_chunk: 'profile chunk',
  speedscope: 'speedscope file',
  pprof: 'pprof file',
};

/** Which part of the inputs to read (`--transaction`, `--profiler`, `--thread`). */
export interface Selection {
  /** A transaction's name or event id: only its `profile` items. */
  transaction?: string;
  /** A `profiler_id` (or its first characters): only that series of `profile_chunk` items. */
  profiler?: string;
  /** A thread's id or name. */
  thread?: string;
}

// Envelopes and profile JSON (optionally gzipped), speedscope and pprof files. In a
// folder, ferroprof's own outputs are skipped: `<out>/raw` holds the same samples.
const INPUT = /\.(envelope|json|pb|pprof)(\.gz)?$/i;
const OWN_OUTPUT = /(^profile\.(speedscope\.json|pb\.gz|envelope)$)|\.speedscope\.json$/i;
/** Beside a raw profile of `run`: the code V8 ran of modules compiled in memory (see preload). */
const GENERATED = /^window-\d+\.sources\.json$/;

/** The input files under `path`: the file itself, or profile files in a folder (3 levels deep). */
export function listInputs(path: string): string[] {
  return scanInputs(path).inputs;
}

/** The inputs under `path`, and the generated-code files written beside them. */
function scanInputs(path: string): { inputs: string[]; generated: string[] } {
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    throw new CliError(`cannot read ${path}: no such file or folder`);
  }
  if (st.isFile()) {
    const beside = path.replace(/\.json$/, '.sources.json');
    return {
      inputs: [path],
      generated:
        beside !== path && GENERATED.test(basename(beside)) && statSync(beside, { throwIfNoEntry: false })?.isFile()
          ? [beside]
          : [],
    };
  }
  const out: string[] = [];
  const own: string[] = [];
  const generated: string[] = [];
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
      else if (s?.isFile() && GENERATED.test(name)) generated.push(full);
      else if (s?.isFile() && INPUT.test(name)) (OWN_OUTPUT.test(name) ? own : out).push(full);
    }
  };
  walk(path, 0);
  // Only ferroprof's outputs (the raw profile was not kept): read one of them.
  if (out.length === 0 && own.length > 0) {
    const rank = (f: string) => ['.envelope', '.speedscope.json', '.pb.gz'].findIndex((ext) => f.endsWith(ext));
    out.push(own.sort((a, b) => rank(a) - rank(b))[0]!);
  }
  if (out.length === 0) throw new CliError(`${path}: no envelope or profile files in this folder`);
  return { inputs: out, generated };
}

/** The code of in-memory modules, by path, from `window-<pid>.sources.json` files; unreadable ones are skipped. */
function readGenerated(files: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of files) {
    try {
      const { sources } = JSON.parse(readFileSync(file, 'utf8')) as { sources?: Record<string, unknown> };
      for (const [path, text] of Object.entries(sources ?? {})) if (typeof text === 'string') out.set(path, text);
    } catch {
      // Only the mapping of in-memory modules is lost; the profile itself is intact.
    }
  }
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
    if (isSpeedscope(whole)) return [{ kind: 'speedscope', value: whole, what: name }];
    if (/\.json$/i.test(name.replace(/\.gz$/i, ''))) throw new CliError(`${name}: not a ferroprof or Sentry profile`);
  }
  if (isPprofName(name)) return [{ kind: 'pprof', value: {}, bytes: data, what: name }];
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
export function loadProfile(path: string, progress?: Progress, selection: Selection = {}): ProfileModel {
  const { inputs: files, generated } = scanInputs(path);
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
  return selectThread(buildModel(select(payloads, selection), progress, readGenerated(generated)), selection.thread);
}

/** A transaction profile's name and id (`transaction.name`/`id`, or the legacy fields). */
function transactionOf(p: Payload): { name: string; id: string } | undefined {
  if (p.kind !== 'profile') return undefined;
  const t = p.value.transaction;
  const tx = typeof t === 'object' && t !== null ? (t as Record<string, unknown>) : {};
  const name = String(tx.name ?? p.value.transaction_name ?? '');
  const id = String(tx.id ?? p.value.transaction_id ?? p.value.event_id ?? '');
  return { name, id };
}

const listOf = (values: string[]) => {
  const unique = [...new Set(values.filter(Boolean))];
  return unique.length === 0 ? 'none' : unique.slice(0, 12).join(', ') + (unique.length > 12 ? `, … (${unique.length})` : '');
};

/** Keeps the payloads the selection names; a selection that matches nothing names the choices. */
function select(payloads: Payload[], selection: Selection): Payload[] {
  let out = payloads;
  if (selection.transaction !== undefined) {
    const want = selection.transaction;
    out = out.filter((p) => {
      const t = transactionOf(p);
      return t !== undefined && (t.name === want || t.id === want || (want.length >= 8 && t.id.startsWith(want)));
    });
    if (out.length === 0) {
      const names = payloads.map((p) => transactionOf(p)?.name ?? '');
      throw new CliError(`no transaction profile named or with id ${want}; transactions: ${listOf(names)}`);
    }
  }
  if (selection.profiler !== undefined) {
    const want = selection.profiler.replace(/-/g, '');
    const idOf = (p: Payload) => String(p.value.profiler_id ?? '').replace(/-/g, '');
    out = out.filter((p) => p.kind === 'profile_chunk' && want !== '' && idOf(p).startsWith(want));
    if (out.length === 0) {
      const ids = payloads.filter((p) => p.kind === 'profile_chunk').map(idOf);
      throw new CliError(`no profile_chunk of profiler ${selection.profiler}; profilers: ${listOf(ids)}`);
    }
  }
  return out;
}

function selectThread(model: ProfileModel, thread: string | undefined): ProfileModel {
  if (thread === undefined) return model;
  const threads = model.threads.filter((t) => t.id === thread || t.name === thread);
  if (threads.length === 0) {
    throw new CliError(`no thread ${thread}; threads: ${listOf(model.threads.map((t) => `${t.id} (${t.name})`))}`);
  }
  return { ...model, threads };
}

/** What PATH holds, for `--list`: transactions, profiler ids and threads. */
export function describeInputs(path: string): string {
  const payloads: Payload[] = [];
  for (const file of listInputs(path)) payloads.push(...payloadsOfFile(file, readFileSync(file)));
  const model = buildModel(payloads);
  const txns = payloads.map(transactionOf).filter((t): t is { name: string; id: string } => t !== undefined);
  const profilers = new Map<string, number>();
  for (const p of payloads) {
    if (p.kind === 'profile_chunk')
      profilers.set(String(p.value.profiler_id ?? ''), (profilers.get(String(p.value.profiler_id ?? '')) ?? 0) + 1);
  }
  const lines = [`transactions (--transaction NAME|ID): ${txns.length === 0 ? 'none' : ''}`];
  for (const t of txns) lines.push(`  ${t.name}  ${t.id}`);
  lines.push(`chunk series (--profiler ID): ${profilers.size === 0 ? 'none' : ''}`);
  for (const [id, n] of profilers) lines.push(`  ${id}  ${n} chunk(s)`);
  lines.push('threads (--thread ID|NAME):');
  for (const t of model.threads) lines.push(`  ${t.id}  ${t.name}  ${t.samples.length} samples`);
  return lines.join('\n');
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
        throw new CliError(
          `${p.what}: --format envelope writes profile_chunk items only; this is a ${KIND_NAMES[p.kind]} (use html, speedscope or pprof)`,
        );
      }
      items.push({
        header: { type: 'profile_chunk', platform: String(p.value.platform ?? 'node') },
        payload: JSON.stringify(p.value),
      });
    }
  }
  if (items.length === 0)
    throw new CliError(`${path}: no profile_chunk was written (the run may have been shorter than two samples)`);
  return serializeEnvelope({ event_id: randomUUID().replace(/-/g, ''), sent_at: new Date().toISOString(), sdk }, items);
}

function buildModel(payloads: Payload[], progress?: Progress, generated?: Map<string, string>): ProfileModel {
  // Generated code is shown as written: through its source maps, each file read once.
  const mapper = new SourceMapper(generated);
  const builder = new ModelBuilder(mapper.map);
  const profilers = new Set(payloads.filter((p) => p.kind === 'profile_chunk').map((p) => String(p.value.profiler_id ?? '')));
  const several = profilers.size > 1;
  payloads.forEach((p, i) => {
    if (p.kind === 'window') addWindowProfile(builder, p.value, p.what);
    else if (p.kind === 'profile') addTransactionProfile(builder, p.value, p.what);
    else if (p.kind === 'speedscope') addSpeedscope(builder, p.value, p.what);
    else if (p.kind === 'pprof') addPprof(builder, p.bytes ?? new Uint8Array(), p.what);
    else {
      const id = String(p.value.profiler_id ?? '');
      addProfileChunk(
        builder,
        p.value,
        p.what,
        several ? { threadKeyPrefix: `${id}:`, threadNameSuffix: ` (${id.slice(0, 8)})` } : {},
      );
    }
    if (payloads.length > 20 && i % 20 === 19) progress?.(`converting ${i + 1}/${payloads.length} payloads`);
  });
  const model = builder.build();
  // Not enumerable: the model stays plain data (compared, serialised) with it attached.
  Object.defineProperty(model, 'sourceOf', { value: (path: string) => mapper.sourceOf(path), enumerable: false });
  return model;
}
