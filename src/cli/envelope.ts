import { gunzipSync } from 'node:zlib';

import { CliError } from './errors.js';

/** One item of a Sentry envelope. */
export interface EnvelopeItem {
  header: Record<string, unknown>;
  payload: Buffer;
}

/** Whether bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
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

function parseHeader(line: Buffer, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(line.toString('utf8'));
  } catch {
    throw new CliError(`${what} is not valid JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CliError(`${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

/**
 * Splits a Sentry envelope into its items: a header line, then per item a header line
 * and a payload of `length` bytes (or up to the next newline when `length` is absent).
 */
export function parseEnvelope(bytes: Buffer, name = 'envelope'): { header: Record<string, unknown>; items: EnvelopeItem[] } {
  let pos = 0;
  const nextLine = (): Buffer | undefined => {
    if (pos >= bytes.length) return undefined;
    let end = bytes.indexOf(0x0a, pos);
    if (end < 0) end = bytes.length;
    const line = bytes.subarray(pos, end);
    pos = end + 1;
    return line;
  };
  const first = nextLine();
  if (!first || first.length === 0) throw new CliError(`${name}: empty envelope`);
  const header = parseHeader(first, `${name}: envelope header`);
  const items: EnvelopeItem[] = [];
  for (;;) {
    const line = nextLine();
    if (line === undefined) break;
    if (line.length === 0) continue; // tolerate a blank trailing line
    const itemHeader = parseHeader(line, `${name}: item header ${items.length + 1}`);
    if (typeof itemHeader.type !== 'string') throw new CliError(`${name}: item ${items.length + 1} has no type`);
    let payload: Buffer;
    if (itemHeader.length !== undefined) {
      const len = itemHeader.length;
      if (typeof len !== 'number' || !Number.isInteger(len) || len < 0) {
        throw new CliError(`${name}: item ${items.length + 1} has a bad length`);
      }
      if (pos + len > bytes.length) throw new CliError(`${name}: item ${items.length + 1} runs past the end of the file`);
      payload = bytes.subarray(pos, pos + len);
      pos += len;
      if (pos < bytes.length && bytes[pos] !== 0x0a) {
        throw new CliError(`${name}: item ${items.length + 1} payload is not followed by a newline`);
      }
      pos += 1;
    } else {
      payload = nextLine() ?? Buffer.alloc(0);
    }
    items.push({ header: itemHeader, payload });
  }
  return { header, items };
}

/** Frames payloads as an envelope (each item with its `length`). */
export function buildEnvelope(header: Record<string, unknown>, items: { header: Record<string, unknown>; payload: string }[]): Buffer {
  const parts: Buffer[] = [Buffer.from(JSON.stringify(header) + '\n')];
  for (const item of items) {
    const payload = Buffer.from(item.payload, 'utf8');
    parts.push(Buffer.from(JSON.stringify({ ...item.header, length: payload.length }) + '\n'));
    parts.push(payload, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}
