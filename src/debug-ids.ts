/**
 * Debug IDs of bundled or transpiled files, as Sentry's bundler plugins register them:
 * `globalThis._sentryDebugIds` (and the native `_debugIds`) map a stack string taken in
 * the file to its debug ID. Profiles carry a `sourcemap` image per file their frames
 * name (`debug_meta`), so Sentry resolves those frames through the uploaded source maps.
 *
 * The map from file path to debug ID is rebuilt only when the number of registered
 * files changes, and each stack string is parsed once: a check costs two key counts.
 * Internal.
 */

type DebugIdMap = Record<string, string>;

interface DebugIdGlobals {
  _sentryDebugIds?: DebugIdMap;
  _debugIds?: DebugIdMap;
}

/** Stack strings already parsed, to the path of their innermost frame (or `null`). */
const parsedStacks = new Map<string, string | null>();
let lastCounts = '';
let cached: Readonly<DebugIdMap> = Object.freeze({});

/** `at fn (location)` or `at location`, where location is `path:line:col`. */
const FRAME = /^\s*at (?:.*? \()?(.+?):\d+:\d+\)?\s*$/;

/** The path a frame of this location has in profiles (as crates/core/src/frame.rs). */
export function profilePath(location: string): string {
  const path = location.startsWith('file://') ? location.slice(7) : location;
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** The file a registered stack string was taken in: its innermost frame with a location. */
function fileOfStack(stack: string): string | null {
  let known = parsedStacks.get(stack);
  if (known !== undefined) return known;
  known = null;
  for (const line of stack.split('\n')) {
    const m = FRAME.exec(line);
    if (m?.[1] && !m[1].startsWith('eval at ')) {
      known = profilePath(m[1]);
      break;
    }
  }
  parsedStacks.set(stack, known);
  return known;
}

/**
 * File path → debug ID for every file registered so far. The same object comes back
 * while nothing new is registered, so callers can compare by identity.
 */
export function debugIdsByPath(): Readonly<DebugIdMap> {
  const g = globalThis as DebugIdGlobals;
  const sentry = g._sentryDebugIds;
  const native = g._debugIds;
  if (!sentry && !native) return cached;
  const sentryKeys = sentry ? Object.keys(sentry) : [];
  const nativeKeys = native ? Object.keys(native) : [];
  const counts = `${sentryKeys.length}/${nativeKeys.length}`;
  if (counts === lastCounts) return cached;
  lastCounts = counts;
  const out: DebugIdMap = {};
  // The native map wins for a file both name, as in @sentry/core.
  for (const [keys, map] of [
    [sentryKeys, sentry],
    [nativeKeys, native],
  ] as const) {
    for (const key of keys) {
      const id = map?.[key];
      const file = typeof id === 'string' ? fileOfStack(key) : null;
      if (file !== null && typeof id === 'string') out[file] = id;
    }
  }
  cached = Object.freeze(out);
  return cached;
}
