/**
 * Maps frames of generated code (tsc, esbuild, webpack, rollup output) back to the
 * files, lines and function names the developer wrote, through the generated file's
 * source map (`//# sourceMappingURL=`, inline `data:` or an external `.map`).
 * Done lazily by the CLI when it writes outputs; each generated file is read and its
 * map parsed once.
 *
 * What a frame brings: `lineno`, the line executing in the function (a caller's call
 * site, the leaf's hot line), and `colno`, the column where the function starts (the
 * only column V8 gives). The function is found on the text V8 ran (`function-span.ts`):
 * its name token is what the map's `names` rename (minified identifiers), and a line
 * outside it is V8's inlining defect, shown at the function's own line. Files without
 * a map get that check too, and every frame whose function was found carries the
 * line where it starts (`function_lineno`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  GREATEST_LOWER_BOUND,
  LEAST_UPPER_BOUND,
  TraceMap,
  originalPositionFor,
  sourceContentFor,
  traceSegment,
} from '@jridgewell/trace-mapping';

import { type FunctionSpan, SourceText, findFunction, lineInSpan } from './function-span.js';
import type { Frame } from './model.js';

/** A file V8 ran: its text, and its parsed map when it has one. */
interface Script {
  src: SourceText;
  map?: TraceMap;
  /** The map's folder: where a bundler's `webpack://` sources are looked up from. */
  mapDir?: string;
}

/** Larger generated files are left unmapped rather than slow the CLI down. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

const SOURCE_MAPPING_URL = /[#@]\s*sourceMappingURL=(\S+)\s*(?:\*\/)?\s*$/;

/** Reads the source map a generated file points to, or `undefined`. */
function readMap(file: string, lines: string[]): { map: TraceMap; mapDir: string } | undefined {
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
  return { map: new TraceMap(json, mapUrl), mapDir: dirname(mapUrl) };
}

/** A file's text (`text` when the run captured what V8 ran, else the file) and its map. */
function loadScript(file: string, text: string | undefined): Script | undefined {
  try {
    const content = text ?? readFileSync(file, 'utf8');
    if (content.length > MAX_FILE_BYTES) return undefined;
    const src = new SourceText(content);
    let map: ReturnType<typeof readMap>;
    try {
      map = readMap(file, src.lines);
    } catch {
      // A map that cannot be read or parsed: the file's frames keep their positions.
      map = undefined;
    }
    return map ? { src, ...map } : { src };
  } catch {
    // No such file (or not readable): the frame stays as it is.
    return undefined;
  }
}

/** The original position of a generated line: its first mapped segment. */
function mapLine(map: TraceMap, line: number, column: number) {
  const down = originalPositionFor(map, { line, column, bias: GREATEST_LOWER_BOUND });
  if (down.source !== null && down.line !== null) return down;
  const up = originalPositionFor(map, { line, column, bias: LEAST_UPPER_BOUND });
  return up.source !== null && up.line !== null ? up : undefined;
}

/** A declaration's name at the start of a text: `name`, `function name`, `async function* name`. */
const DECLARED_NAME = /^(?:async\s+)?(?:function\b\s*\*?\s*)?([A-Za-z_$][\w$]*)/;
const NOT_NAMES = new Set(['function', 'async', 'class', 'get', 'set', 'static', 'new', 'return', 'await', 'yield']);

/**
 * The name a function has in the original source at `line`/`column` (1-based line,
 * 0-based column), where a map put its generated name token. For minifiers that
 * rename a function without recording the name in the map's `names` (terser), or
 * that turned it into an anonymous function expression (inlined by the bundler).
 */
function originalName(lines: string[] | undefined, line: number, column: number): string | undefined {
  const text = lines?.[line - 1];
  if (text === undefined) return undefined;
  const m = DECLARED_NAME.exec(text.slice(column));
  return m && !NOT_NAMES.has(m[1]!) ? m[1] : undefined;
}

/** A bundler's source URL (`webpack://app/./src/a.ts`): the path after its scheme and namespace. */
const BUNDLER_URL = /^[a-z][\w+.-]*:\/\/[^/]*\/(.+)$/i;

/**
 * A source of a map as a path: `file:` URLs converted, bundler URLs (`webpack://name/./src/a.ts`,
 * relative to the bundler's project folder) found by looking up from the map's folder,
 * where bundles are written below the project, then from the working folder.
 */
function sourcePath(source: string, mapDir: string | undefined): string {
  if (source.startsWith('file:')) return fileURLToPath(source);
  const m = BUNDLER_URL.exec(source);
  if (!m) return source;
  const rel = decodeURIComponent(m[1]!.replace(/[?#].*$/, ''));
  if (isAbsolute(rel)) return existsSync(rel) ? rel : source;
  for (const base of [...ancestors(mapDir), process.cwd()]) {
    const candidate = resolve(base, rel);
    if (existsSync(candidate)) return candidate;
  }
  return source;
}

function ancestors(dir: string | undefined): string[] {
  const out: string[] = [];
  for (let d = dir; d && !out.includes(d); d = dirname(d)) out.push(d);
  return out;
}

/**
 * Maps frames through source maps; one per CLI command, caching per generated file.
 * `generated` holds the text V8 ran of files whose code was made in memory (a
 * TypeScript loader's output), by path: their maps come from that text, not the file.
 */
export class SourceMapper {
  private readonly files = new Map<string, Script | undefined>();
  private readonly frames = new Map<string, Frame>();
  /** Original files named by a map: the map and the source's name in it (for `sourcesContent`). */
  private readonly originals = new Map<string, { map: TraceMap; source: string }>();
  /** Resolved paths of map sources. */
  private readonly paths = new Map<string, string>();
  /** Lines of original files, for names the maps leave out. */
  private readonly originalLines = new Map<string, string[] | undefined>();

  constructor(private readonly generated: ReadonlyMap<string, string> = new Map()) {}

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

  private script(file: string): Script | undefined {
    if (!this.files.has(file)) this.files.set(file, loadScript(file, this.generated.get(file)));
    return this.files.get(file);
  }

  private pathOf(source: string, script: Script): string {
    const key = `${script.mapDir}\u0000${source}`;
    let path = this.paths.get(key);
    if (path === undefined) {
      path = sourcePath(source, script.mapDir);
      this.paths.set(key, path);
      if (script.map) this.originals.set(path, { map: script.map, source });
    }
    return path;
  }

  private mapUncached(frame: Frame, file: string, line: number): Frame {
    const script = this.script(file);
    if (!script) return frame;
    const span = frame.colno ? findFunction(script.src, line, frame.colno, frame.function ?? '') : undefined;
    // V8's inlining defect: a line outside the function (or beyond the file) is a line
    // of code inlined into it, not one of its own; the time goes to the function's line.
    const at = span && !lineInSpan(span, line, script.src.lines.length) ? span.line : line;
    const unmapped = span ? { ...frame, lineno: at, function_lineno: span.line } : frame;
    if (!script.map) return unmapped;
    const startPos = span ? mapLine(script.map, span.line, span.column) : undefined;
    // The executing line: mapped from the function's start when it is on that line
    // (a one-line bundle), else from the line's first token.
    const text = script.src.lines[at - 1] ?? '';
    const firstToken = Math.max(0, text.search(/\S/));
    const here = span && span.line === at ? startPos : mapLine(script.map, at, firstToken);
    const pos = here ?? startPos;
    if (!pos || pos.source === null || pos.line === null) return unmapped;
    const path = this.pathOf(pos.source, script);
    // The function's start, when it maps into the same original file as the line.
    const start = startPos && startPos.source === pos.source ? startPos : undefined;
    const out: Frame = {
      ...frame,
      function: start?.name ?? this.renamed(frame, script, span, path, start) ?? frame.function,
      abs_path: path,
      filename: path,
      lineno: pos.line,
    };
    if (start?.line != null) out.function_lineno = start.line;
    else delete out.function_lineno;
    if (start?.column != null) out.colno = start.column + 1;
    else delete out.colno;
    if (frame.in_app !== undefined) out.in_app = frame.in_app && !/[\\/]node_modules[\\/]/.test(path);
    return out;
  }

  /**
   * The original name of a function the map renames without saying so: read from the
   * original source, where a segment starting exactly at the generated name token
   * points; only when it differs from V8's name (a minified one, or none).
   */
  private renamed(
    frame: Frame,
    script: Script,
    span: FunctionSpan | undefined,
    path: string,
    start: { line: number | null; column: number | null } | undefined,
  ): string | undefined {
    if (!span || !script.map || start?.line == null || start.column == null) return undefined;
    const segment = traceSegment(script.map, span.line - 1, span.column);
    if (!segment || segment[0] !== span.column) return undefined;
    if (!this.originalLines.has(path)) this.originalLines.set(path, this.sourceOf(path)?.split(/\r?\n/));
    const name = originalName(this.originalLines.get(path), start.line, start.column);
    const v8 = (frame.function ?? '').split('.').pop();
    return name && name !== v8 ? name : undefined;
  }

  /** The original text of a mapped file: the map's `sourcesContent`, else the file. */
  sourceOf(path: string): string | undefined {
    const origin = this.originals.get(path);
    const content = origin ? sourceContentFor(origin.map, origin.source) : undefined;
    if (content != null) return content;
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  }
}
