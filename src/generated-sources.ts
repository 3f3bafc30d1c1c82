/**
 * The code V8 ran of files whose code a loader made in memory: a TypeScript loader (tsx,
 * ts-node) compiles `app.ts` and hands the result, with its source map inline, to V8
 * under the `.ts` path, so the positions V8 reports are in text that exists nowhere on
 * disk. At the end of `ferroprof run` the preload asks V8 for that text
 * (`node:inspector`, `Debugger.getScriptSource`) for the files the profile's frames
 * name that point to a source map and differ from the file on disk; the CLI maps their
 * frames through it. The debugger is only enabled when some file may be such code (see
 * `mayBeInMemory`), once, after the profile was written. Internal.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { findSourceMap } from 'node:module';

import { profilePath } from './debug-ids.js';

/** Past this much text in all, further scripts are left out (their frames stay unmapped). */
const MAX_TOTAL_CHARS = 64 * 1024 * 1024;

/** Files a loader compiles (TypeScript, JSX). */
const COMPILED = /\.[cm]?tsx?$|\.jsx$/i;

/**
 * Whether V8 may have run something else than the file on disk: a file a loader
 * compiles, one Node holds a source map for, or one that is not on disk. Plain
 * JavaScript on disk (most of an application) costs no debugger at all.
 */
function mayBeInMemory(path: string): boolean {
  if (COMPILED.test(path)) return true;
  try {
    if (findSourceMap(path)) return true;
  } catch {
    // not a path Node knows
  }
  return !existsSync(path);
}

function differsFromDisk(path: string, text: string): boolean {
  try {
    const disk = readFileSync(path, 'utf8');
    return disk !== text && disk.replace(/^\uFEFF/, '') !== text;
  } catch {
    return true;
  }
}

/**
 * The text V8 ran, by path, for those of `frameFiles` that V8 ran as text with a
 * `sourceMappingURL` other than the file on disk. Synchronous (a same-thread inspector
 * session answers at once); any failure leaves a file out.
 */
export function generatedSources(frameFiles: Iterable<string>): Record<string, string> {
  const out: Record<string, string> = {};
  const paths = new Set([...frameFiles].filter(mayBeInMemory));
  if (paths.size === 0) return out;
  const session = new Session();
  try {
    session.connect();
    const wanted = new Map<string, string>();
    session.on('Debugger.scriptParsed', (message) => {
      const { scriptId, url, sourceMapURL } = message.params;
      if (!sourceMapURL) return;
      const path = profilePath(url);
      if (paths.has(path)) wanted.set(path, scriptId);
    });
    // Enabling the debugger reports every script V8 holds, synchronously.
    session.post('Debugger.enable');
    let total = 0;
    for (const [path, scriptId] of wanted) {
      session.post('Debugger.getScriptSource', { scriptId }, (err, result) => {
        const text = err ? undefined : result?.scriptSource;
        if (text === undefined || total + text.length > MAX_TOTAL_CHARS || !differsFromDisk(path, text)) return;
        total += text.length;
        out[path] = text;
      });
    }
    session.post('Debugger.disable');
  } catch {
    // No inspector in this build of Node, or it refused: frames stay as V8 named them.
  } finally {
    try {
      session.disconnect();
    } catch {
      // already disconnected
    }
  }
  return out;
}
