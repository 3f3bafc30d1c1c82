/**
 * Maps frames of generated code (tsc, esbuild, webpack, rollup output) back to the
 * files, lines and function names the developer wrote, through the generated file's
 * source map (`//# sourceMappingURL=`, inline `data:` or an external `.map`).
 * Done lazily by the CLI when it writes outputs; each generated file is read and its
 * map parsed once.
 *
 * What a frame brings: `lineno`, the line executing in the function (a caller's call
 * site, the leaf's hot line), and `colno`, the column where the function starts (the
 * only column V8 gives). The function's start is found on the generated text: the
 * nearest line at or above `lineno` where the function's name ends right before
 * `colno`; its name token is what the map's `names` rename (minified identifiers).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { GREATEST_LOWER_BOUND, LEAST_UPPER_BOUND, TraceMap, originalPositionFor, sourceContentFor } from '@jridgewell/trace-mapping';

import type { Frame } from './model.js';

/** A generated file and its parsed map. */
interface Generated {
  lines: string[];
  map: TraceMap;
}

/** How far above the executing line the function's start is looked for. */
const MAX_SCAN_LINES = 20_000;
/** Larger generated files are left unmapped rather than slow the CLI down. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

const SOURCE_MAPPING_URL = /[#@]\s*sourceMappingURL=(\S+)\s*(?:\*\/)?\s*$/;

/** Reads the source map a generated file points to, or `undefined`. */
function readMap(file: string, lines: string[]): TraceMap | undefined {
  let url: string | undefined;
  for (let i = lines.length - 1; i >= 0 && i >= lines.length - 5; i--) {
    const m = SOURCE_MAPPING_URL.exec(lines[i]!);
    if (m) {
      url = m[1];
      break;
    }
  }
  if (!url) return undefined;
  let json: string;
  let mapUrl: string;
  if (url.startsWith('data:')) {
    const comma = url.indexOf(',');
    const payload = url.slice(comma + 1);
    json = /;base64$/.test(url.slice(0, comma)) ? Buffer.from(payload, 'base64').toString('utf8') : decodeURIComponent(payload);
    mapUrl = file;
  } else {
    const mapFile = url.startsWith('file:') ? fileURLToPath(url) : resolve(dirname(file), decodeURIComponent(url));
    json = readFileSync(mapFile, 'utf8');
    mapUrl = mapFile;
  }
  // Sources are resolved against the map's own location (absolute paths).
  return new TraceMap(json, mapUrl);
}

function loadGenerated(file: string): Generated | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    if (text.length > MAX_FILE_BYTES) return undefined;
    const lines = text.split(/\r?\n/);
    const map = readMap(file, lines);
    return map ? { lines, map } : undefined;
  } catch {
    // No file, no map, or a map that does not parse: the frame stays as it is.
    return undefined;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The generated position (1-based line, 0-based column) of the name token of the
 * function that starts at 1-based column `startCol` and runs line `line`.
 */
function findFunctionStart(lines: string[], line: number, startCol: number, name: string): { line: number; column: number } | undefined {
  const col = startCol - 1;
  const named = name && name !== '<anonymous>' ? escapeRegExp(name.split('.').pop()!) : undefined;
  // `name(`, `name = (`, `name: function (`, `function name(`, `async name(`.
  const pattern = named
    ? new RegExp(`(?:^|[^\\w$])(${named})\\s*(?:[:=]\\s*(?:async\\s*)?(?:function\\s*\\*?\\s*)?)?$`)
    : /(?:^|[^\w$])(function\s*\*?\s*|async\s*)$/;
  for (let l = line; l >= 1 && l > line - MAX_SCAN_LINES; l--) {
    const text = lines[l - 1];
    if (text === undefined || text.length < col) continue;
    const m = pattern.exec(text.slice(0, col));
    if (m) return { line: l, column: m.index + m[0].indexOf(m[1]!) };
  }
  return undefined;
}

/** The original position of a generated line: its first mapped segment. */
function mapLine(g: Generated, line: number, column: number) {
  const down = originalPositionFor(g.map, { line, column, bias: GREATEST_LOWER_BOUND });
  if (down.source !== null && down.line !== null) return down;
  const up = originalPositionFor(g.map, { line, column, bias: LEAST_UPPER_BOUND });
  return up.source !== null && up.line !== null ? up : undefined;
}

function toPath(source: string): string {
  return source.startsWith('file:') ? fileURLToPath(source) : source;
}

/** Maps frames through source maps; one per CLI command, caching per generated file. */
export class SourceMapper {
  private readonly files = new Map<string, Generated | undefined>();
  private readonly frames = new Map<string, Frame>();

  /** The frame as the developer wrote it, or the frame itself when no map applies. */
  readonly map = (frame: Frame): Frame => {
    const file = frame.abs_path || frame.filename;
    if (!file || !isAbsolute(file) || !frame.lineno) return frame;
    const key = `${file}\u0000${frame.lineno}\u0000${frame.colno ?? 0}\u0000${frame.function ?? ''}`;
    const cached = this.frames.get(key);
    if (cached) return cached;
    const mapped = this.mapUncached(frame, file, frame.lineno);
    this.frames.set(key, mapped);
    return mapped;
  };

  private generated(file: string): Generated | undefined {
    if (!this.files.has(file)) this.files.set(file, loadGenerated(file));
    return this.files.get(file);
  }

  private mapUncached(frame: Frame, file: string, line: number): Frame {
    const g = this.generated(file);
    if (!g) return frame;
    const start = frame.colno ? findFunctionStart(g.lines, line, frame.colno, frame.function ?? '') : undefined;
    const startPos = start ? mapLine(g, start.line, start.column) : undefined;
    // The executing line: mapped from the function's start when it is on that line
    // (a one-line bundle), else from the line's first token.
    const text = g.lines[line - 1] ?? '';
    const firstToken = Math.max(0, text.search(/\S/));
    const here = start && start.line === line ? startPos : mapLine(g, line, firstToken);
    const pos = here ?? startPos;
    if (!pos || pos.source === null || pos.line === null) return frame;
    const path = toPath(pos.source);
    const out: Frame = {
      ...frame,
      function: (startPos?.source === pos.source ? startPos?.name : undefined) ?? frame.function,
      abs_path: path,
      filename: path,
      lineno: pos.line,
    };
    if (startPos && startPos.source === pos.source && startPos.column !== null) out.colno = startPos.column + 1;
    else delete out.colno;
    if (frame.in_app !== undefined) out.in_app = frame.in_app && !/[\\/]node_modules[\\/]/.test(path);
    return out;
  }

  /** The original text of a mapped file: the map's `sourcesContent`, else the file. */
  sourceOf(path: string): string | undefined {
    for (const g of this.files.values()) {
      if (!g) continue;
      const content = sourceContentFor(g.map, path) ?? sourceContentFor(g.map, `file://${path}`);
      if (content != null) return content;
    }
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  }
}
