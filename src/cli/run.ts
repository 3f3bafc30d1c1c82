import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import { CliError } from './errors.js';
import { loaderFlags } from './loaders.js';

/** The signals `run` passes on to the script. */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type Forwarded = (typeof FORWARDED_SIGNALS)[number];

/** How long to wait for the script to say it got a signal itself before forwarding it. */
const NOTICE_WAIT_MS = 50;

/** The exit code of a child: its own, or 128 + signal number when a signal ended it. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (osConstants.signals[signal] ?? 1) : 1);
}

/** Checks the output folder before the script runs: created if missing, writable. */
export function prepareOutDir(out: string): string {
  const dir = resolve(out);
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw new Error('ENOTDIR');
    accessSync(dir, fsConstants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CliError(`--out ${out}: cannot write there (${code})`);
  }
  return dir;
}

/**
 * The folder the raw profile goes to, `<out>/raw`, emptied first: `ferroprof top`
 * reads it back later, and a stale profile of an earlier run would mix in.
 */
export function prepareRawDir(outDir: string): string {
  const raw = join(outDir, 'raw');
  try {
    if (existsSync(raw)) {
      for (const name of readdirSync(raw))
        if (/^window-\d+(\.sources)?\.json$/.test(name)) rmSync(join(raw, name), { force: true });
    }
    mkdirSync(raw, { recursive: true });
  } catch (err) {
    throw new CliError(`cannot prepare ${raw} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return raw;
}

/** What `run` starts: the script, its arguments, the user's loaders. */
export interface RunSpec {
  script: string;
  scriptArgs: string[];
  /** `--import X` / `--require X`, in the order given, passed to Node before the preload. */
  nodeFlags: string[];
  hz: number;
  rawDir: string;
  /** For `--format envelope`: where the SDK's continuous profiler writes chunks. */
  chunksDir?: string;
}

/** The script as Node is given it: a file or a folder (`run .` as `node .`). */
export function resolveScript(script: string): string {
  const path = resolve(script);
  if (!existsSync(path)) throw new CliError(`cannot find script ${script}`);
  return path;
}

/** The preload's URL, next to this module in `dist/`. */
function preloadUrl(): URL {
  const url = new URL('./preload.js', import.meta.url);
  if (!existsSync(fileURLToPath(url))) throw new CliError('dist/preload.js is missing; build ferroprof first (npm run build)');
  return url;
}

/** Checks everything that can be checked before the script runs; returns Node's arguments. */
export function nodeArgs(spec: RunSpec): string[] {
  const loader = loaderFlags(spec.script, spec.nodeFlags);
  return [...process.execArgv, ...spec.nodeFlags, ...loader, '--import', preloadUrl().href, spec.script, ...spec.scriptArgs];
}

/**
 * Passes SIGINT/SIGTERM/SIGHUP on to the script unless it got them itself (Ctrl-C
 * reaches the whole process group; `kill <pid of ferroprof>` reaches only us): the
 * preload writes each signal it receives to a pipe, and a signal it did not report
 * within {@link NOTICE_WAIT_MS} is forwarded. A second signal the script never reported
 * (its JavaScript is busy and cannot run the handler) ends it at once with SIGKILL.
 */
class SignalRelay {
  private readonly noticed = new Map<string, number>();
  /** Signals forwarded whose notice has not come back yet. */
  private readonly forwarded = new Map<string, number>();
  private readonly waiting = new Map<string, () => void>();
  private unanswered = 0;
  /** The first signal the user sent, for the exit code when the script is killed. */
  firstSignal: Forwarded | undefined;
  private readonly handlers = new Map<Forwarded, () => void>();

  constructor(
    private readonly child: ChildProcess,
    notices: Readable | null | undefined,
    private readonly say: (s: string) => void,
  ) {
    notices?.setEncoding('utf8');
    notices?.on('data', (text: string) => {
      for (const name of text.split('\n').filter(Boolean)) {
        this.unanswered = 0;
        const wake = this.waiting.get(name);
        const echo = this.forwarded.get(name) ?? 0;
        if (wake) wake();
        else if (echo > 0) this.forwarded.set(name, echo - 1);
        else this.noticed.set(name, (this.noticed.get(name) ?? 0) + 1);
      }
    });
    notices?.on('error', () => {});
    for (const signal of FORWARDED_SIGNALS) {
      const handler = () => this.onSignal(signal);
      this.handlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  private onSignal(signal: Forwarded): void {
    this.firstSignal ??= signal;
    const seen = this.noticed.get(signal) ?? 0;
    if (seen > 0) {
      this.noticed.set(signal, seen - 1);
      return;
    }
    const timer = setTimeout(() => {
      this.waiting.delete(signal);
      this.unanswered += 1;
      if (this.unanswered >= 2) {
        this.say(`ferroprof: ${signal} again and the script still does not answer: ending it now (SIGKILL), without a profile`);
        this.child.kill('SIGKILL');
        return;
      }
      if (this.unanswered === 1)
        this.say(
          `ferroprof: passing ${signal} on to the script; ${signal === 'SIGINT' ? 'Ctrl-C' : signal} again ends it at once`,
        );
      this.forwarded.set(signal, (this.forwarded.get(signal) ?? 0) + 1);
      this.child.kill(signal);
    }, NOTICE_WAIT_MS);
    this.waiting.set(signal, () => {
      clearTimeout(timer);
      this.waiting.delete(signal);
    });
  }

  stop(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
    for (const wake of this.waiting.values()) wake();
  }
}

/** Runs the script under the preload; resolves to its exit code (128 + signal when a signal ended it). */
export function runScript(spec: RunSpec, say: (s: string) => void): Promise<number> {
  const args = nodeArgs(spec);
  return new Promise<number>((done, fail) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      FERROPROF_RUN_DIR: spec.rawDir,
      FERROPROF_RUN_HZ: String(spec.hz),
      FERROPROF_RUN_SIGNAL_FD: '3',
    };
    if (spec.chunksDir) env.FERROPROF_RUN_CHUNKS_DIR = spec.chunksDir;
    const child = spawn(process.execPath, args, { stdio: ['inherit', 'inherit', 'inherit', 'pipe'], env });
    const relay = new SignalRelay(child, child.stdio[3] as Readable | null, say);
    child.on('error', (e) => {
      relay.stop();
      fail(new CliError(`cannot start node: ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      relay.stop();
      // Killed by us after the user's signal: report the user's signal, as a shell would.
      if (signal === 'SIGKILL' && relay.firstSignal) done(exitCodeOf(null, relay.firstSignal));
      else done(exitCodeOf(code, signal));
    });
  });
}

/** A temporary folder for the SDK's chunks (`--format envelope`). */
export function tempChunksDir(): string {
  return mkdtempSync(join(tmpdir(), 'ferroprof-run-chunks-'));
}
