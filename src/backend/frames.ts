/**
 * Inspector call frames → Sentry frames, by the native rules (crates/core/src/frame.rs):
 * `(root)` is no frame, `(program)`/`(idle)` make a sample idle, `(garbage collector)`
 * stays a frame with `in_app: false`, anonymous functions are `<anonymous>`. Internal.
 */
import type { ProfileFrame } from '../native-types.js';

/** `Runtime.CallFrame` of the inspector protocol (0-based line and column, -1 for none). */
export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export type NodeRole =
  | { kind: 'root' }
  | { kind: 'idle'; program: boolean }
  | { kind: 'frame'; frame: ProfileFrame; gc: boolean };

function percentDecode(s: string): string {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x25 && i + 2 < raw.length + 0) {
      const hex = raw.subarray(i + 1, i + 3).toString('latin1');
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
        continue;
      }
    }
    bytes.push(raw[i]!);
  }
  return Buffer.from(bytes).toString('utf8');
}

function isInAppPath(path: string): boolean {
  return !(
    path.startsWith('node:') ||
    path.includes('/node_modules/') ||
    path.includes('\\node_modules\\') ||
    !(path.includes('/') || path.includes('\\'))
  );
}

/** `module` of a frame: dotted folders and the file stem, relative to node_modules or the app root. */
export function moduleFromPath(path: string, appRoot: string | undefined): string | undefined {
  if (path.startsWith('node:')) return path.slice('node:'.length);
  const unified = path.replaceAll('\\', '/');
  let relative: string;
  const nm = unified.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    relative = unified.slice(nm + '/node_modules/'.length);
  } else {
    const root = appRoot?.replaceAll('\\', '/').replace(/\/+$/, '');
    relative = root && unified.startsWith(`${root}/`) ? unified.slice(root.length + 1) : (unified.split('/').pop() ?? unified);
  }
  const dot = relative.lastIndexOf('.');
  const slash = relative.lastIndexOf('/');
  const withoutExt = dot > (slash >= 0 ? slash + 1 : 0) ? relative.slice(0, dot) : relative;
  const parts = withoutExt.split('/').filter((p) => p !== '');
  const file = parts.pop();
  if (file === undefined) return undefined;
  return parts.length === 0 ? file : `${parts.join('.')}:${file}`;
}

/** Classifies one profile node and, for real frames, derives the Sentry frame. */
export function nodeRole(cf: CallFrame, appRoot: string | undefined): NodeRole {
  if (cf.url === '' && cf.functionName === '(root)') return { kind: 'root' };
  if (cf.url === '' && (cf.functionName === '(program)' || cf.functionName === '(idle)')) {
    return { kind: 'idle', program: cf.functionName === '(program)' };
  }
  const absPath = cf.url === '' ? undefined : percentDecode(cf.url.startsWith('file://') ? cf.url.slice(7) : cf.url);
  const frame: ProfileFrame = { function: cf.functionName === '' ? '<anonymous>' : cf.functionName };
  if (absPath !== undefined) {
    frame.abs_path = absPath;
    frame.filename = absPath;
    const module = moduleFromPath(absPath, appRoot);
    if (module !== undefined) frame.module = module;
  }
  if (cf.lineNumber >= 0) frame.lineno = cf.lineNumber + 1;
  if (cf.columnNumber >= 0) frame.colno = cf.columnNumber + 1;
  frame.in_app = absPath !== undefined && isInAppPath(absPath);
  return { kind: 'frame', frame, gc: cf.url === '' && cf.functionName === '(garbage collector)' };
}
