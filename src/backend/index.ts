/**
 * Chooses the profiling backend of this isolate: the native addon wherever a binary
 * fits the platform and the Node ABI, else the `node:inspector` fallback. Internal.
 *
 * `FERROPROF_BACKEND` overrides the choice: `native` (fail when no binary fits),
 * `inspector` (always the fallback), `auto` or unset (native, else the fallback).
 */
import { isMainThread } from 'node:worker_threads';

import { NativeBindingError, loadNativeBinding } from '../loader.js';
import type { NativeBinding } from '../native-types.js';
import { InspectorBinding } from './inspector.js';

/** Which backend profiles this isolate. */
export type BackendName = 'native' | 'inspector';

/** The chosen backend, and why it was chosen (one line). */
export interface BackendChoice {
  binding: NativeBinding;
  backend: BackendName;
  reason: string;
}

let chosen: BackendChoice | undefined;

const SHARED_PROTOCOL = 2;

/**
 * The inspector backend of this isolate, shared through `globalThis` by every copy of
 * the package loaded in it (an ESM app with a CJS dependency), as the native addon is:
 * one V8 profiler, one dispatcher (keyed by `instanceId()`), every window answered.
 */
function sharedInspector(): NativeBinding {
  const key = Symbol.for('ferroprof.inspectorBackend');
  const holder = globalThis as unknown as Record<symbol, { protocol: number; binding: NativeBinding } | undefined>;
  const existing = holder[key];
  if (existing && existing.protocol === SHARED_PROTOCOL) return existing.binding;
  const binding = new InspectorBinding();
  holder[key] = { protocol: SHARED_PROTOCOL, binding };
  return binding;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/^ferroprof: /, '');
}

function choose(): BackendChoice {
  const wanted = (process.env.FERROPROF_BACKEND ?? 'auto').trim().toLowerCase();
  if (wanted !== 'auto' && wanted !== 'native' && wanted !== 'inspector') {
    throw new Error(`ferroprof: FERROPROF_BACKEND must be native, inspector or auto, got '${wanted}'`);
  }
  if (wanted === 'inspector') {
    return { binding: sharedInspector(), backend: 'inspector', reason: 'FERROPROF_BACKEND=inspector' };
  }
  if (wanted === 'native') {
    return { binding: loadNativeBinding(), backend: 'native', reason: 'FERROPROF_BACKEND=native' };
  }
  try {
    const binding = loadNativeBinding();
    return { binding, backend: 'native', reason: `a native binary fits (ABI ${binding.nativeAbi()})` };
  } catch (err) {
    if (!(err instanceof NativeBindingError)) throw err;
    return { binding: sharedInspector(), backend: 'inspector', reason: firstLine(err) };
  }
}

/**
 * The backend of this isolate, chosen on first use. The fallback says so in one line
 * on stderr (from the main thread), naming why no native binary runs.
 */
export function loadBackend(): BackendChoice {
  if (chosen) return chosen;
  chosen = choose();
  // Once per isolate, however many copies of the package chose.
  const logged = Symbol.for('ferroprof.inspectorBackendLogged');
  const holder = globalThis as unknown as Record<symbol, boolean | undefined>;
  if (chosen.backend === 'inspector' && isMainThread && !holder[logged]) {
    holder[logged] = true;
    process.stderr.write(`ferroprof: profiling with the inspector backend (node:inspector): ${chosen.reason}\n`);
  }
  return chosen;
}

/** The backend chosen so far, without choosing one. */
export function currentBackend(): BackendChoice | undefined {
  return chosen;
}
