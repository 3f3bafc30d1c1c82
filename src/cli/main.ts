import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { SDK_NAME, SDK_VERSION } from '../sdk/version.js';
import { CliError } from './errors.js';
import { chunkEnvelope, loadProfile } from './load.js';
import type { ProfileModel } from './model.js';
import type { OutputFormat, WrittenFile } from './outputs.js';
import { DEFAULT_FORMATS, FORMATS, parseFormats, writeOutputs } from './outputs.js';
import { ProgressLine } from './progress.js';
import { formatTop } from './top.js';

const USAGE: Record<string, string> = {
  main: `Usage: ferroprof <command> [options]

Commands:
  run [options] script.js [args…]   profile a Node.js script (and its worker threads)
  view [options] PATH               turn envelopes (a file or a folder such as .ferroprof/) into outputs
  top PATH                          print the top functions of a profile

Run 'ferroprof <command> --help' for the options of a command.`,
  run: `Usage: ferroprof run [--hz N] [--out DIR] [--format LIST] script.js [args…]

Runs 'node script.js args…' with ferroprof preloaded, then writes the outputs and
prints a summary. The script's exit code is passed through.

Options:
  --hz N          sampling frequency, 1–10000 Hz (default 101)
  --out DIR       output folder (default ./ferroprof-out)
  --format LIST   comma-separated: ${FORMATS.join(',')} (default ${DEFAULT_FORMATS.join(',')})
                  envelope: the Sentry profile_chunk envelope of the run, from ferroprof's
                  continuous profiler (encoded and checked by its native core)
  -h, --help      show this help`,
  view: `Usage: ferroprof view [--out DIR] [--format LIST] PATH

Reads a Sentry envelope (.envelope, .envelope.gz), a profile JSON, or a folder of them
(such as the SDK's .ferroprof/ local folder) and writes the outputs.

Options:
  --out DIR       output folder (default ./ferroprof-out)
  --format LIST   comma-separated: ${FORMATS.join(',')} (default ${DEFAULT_FORMATS.join(',')})
                  envelope: the profile_chunk items of PATH in one envelope, unchanged
                  (other profiles have no chunk form and are refused)
  -h, --help      show this help`,
  top: `Usage: ferroprof top PATH

Prints duration, samples, threads and the top 10 functions by self and total time
of an envelope, profile JSON, or folder of them.`,
};

interface Options {
  hz: number;
  out: string;
  formats: OutputFormat[];
  help: boolean;
  positional: string[];
}

/** Parses options up to the first positional argument (the rest belong to the script). */
function parseArgs(args: string[], allowed: string[]): Options {
  const opts: Options = { hz: 101, out: 'ferroprof-out', formats: DEFAULT_FORMATS, help: false, positional: [] };
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '-h' || arg === '--help') {
      opts.help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (!arg.startsWith('--') || !allowed.includes(name)) throw new CliError(`unknown option ${arg} (see --help)`);
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) throw new CliError(`option --${name} needs a value`);
    if (name === 'hz') {
      const hz = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!(hz >= 1 && hz <= 10_000)) throw new CliError(`--hz must be a whole number between 1 and 10000, got ${value}`);
      opts.hz = hz;
    } else if (name === 'out') opts.out = value;
    else if (name === 'format') opts.formats = parseFormats(value);
  }
  opts.positional = args.slice(i);
  return opts;
}

function describeFiles(files: WrittenFile[]): string {
  return files.map((f) => `  ${f.format.padEnd(10)} ${f.path}`).join('\n');
}

/** `chunks`: where the `profile_chunk` envelopes of the `envelope` format are read from. */
function convert(model: ProfileModel, opts: Options, title: string, progress: ProgressLine, chunks: string): WrittenFile[] {
  progress.update(`writing ${opts.formats.join(', ')}`);
  const envelope = () => chunkEnvelope(chunks, { name: SDK_NAME, version: SDK_VERSION });
  const files = writeOutputs(model, resolve(opts.out), opts.formats, title, envelope);
  progress.done();
  return files;
}

function cmdTop(args: string[], out: (s: string) => void): number {
  const opts = parseArgs(args, []);
  if (opts.help) {
    out(USAGE.top!);
    return 0;
  }
  const path = opts.positional[0];
  if (!path || opts.positional.length > 1) throw new CliError('top needs exactly one PATH (see --help)');
  const progress = new ProgressLine();
  const model = loadProfile(path, progress.update);
  progress.done();
  out(formatTop(model));
  return 0;
}

function cmdView(args: string[], out: (s: string) => void): number {
  const opts = parseArgs(args, ['out', 'format']);
  if (opts.help) {
    out(USAGE.view!);
    return 0;
  }
  const path = opts.positional[0];
  if (!path || opts.positional.length > 1) throw new CliError('view needs exactly one PATH (see --help)');
  const progress = new ProgressLine();
  const model = loadProfile(path, progress.update);
  const files = convert(model, opts, `ferroprof: ${path}`, progress, path);
  out(`${formatTop(model)}\n\nwrote:\n${describeFiles(files)}`);
  return 0;
}

/** The exit code of a child: its own, or 128 + signal number when a signal ended it. */
function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (osConstants.signals[signal] ?? 1) : 1);
}

async function cmdRun(args: string[], err: (s: string) => void): Promise<number> {
  const opts = parseArgs(args, ['hz', 'out', 'format']);
  if (opts.help) {
    err(USAGE.run!);
    return 0;
  }
  const [script, ...scriptArgs] = opts.positional;
  if (!script) throw new CliError('run needs a script to profile (see --help)');
  const scriptPath = resolve(script);
  if (!existsSync(scriptPath) || !statSync(scriptPath).isFile()) throw new CliError(`cannot find script ${script}`);
  const preload = new URL('./preload.js', import.meta.url);
  if (!existsSync(fileURLToPath(preload))) throw new CliError('dist/preload.js is missing; build ferroprof first (npm run build)');

  const rawDir = mkdtempSync(join(tmpdir(), 'ferroprof-run-'));
  // `--format envelope`: the SDK's continuous profiler writes native-encoded chunks here.
  const chunksDir = opts.formats.includes('envelope') ? mkdtempSync(join(tmpdir(), 'ferroprof-run-chunks-')) : undefined;
  try {
    const code = await new Promise<number>((done, fail) => {
      const child = spawn(process.execPath, [...process.execArgv, '--import', preload.href, scriptPath, ...scriptArgs], {
        stdio: 'inherit',
        env: { ...process.env, FERROPROF_RUN_DIR: rawDir, FERROPROF_RUN_HZ: String(opts.hz), ...(chunksDir ? { FERROPROF_RUN_CHUNKS_DIR: chunksDir } : {}) },
      });
      // Ctrl-C reaches the script too; ferroprof stays to write what was profiled.
      const ignore = () => {};
      process.on('SIGINT', ignore);
      process.on('SIGTERM', ignore);
      child.on('error', (e) => fail(new CliError(`cannot start node: ${e.message}`)));
      child.on('exit', (c, s) => {
        process.off('SIGINT', ignore);
        process.off('SIGTERM', ignore);
        done(exitCodeOf(c, s));
      });
    });
    let model: ProfileModel;
    try {
      model = loadProfile(rawDir);
    } catch {
      err(`ferroprof: ${script} exited with code ${code} before a profile was written`);
      return code === 0 ? 1 : code;
    }
    const progress = new ProgressLine();
    const files = convert(model, opts, `ferroprof: ${script}`, progress, chunksDir ?? rawDir);
    err(`\nferroprof: ${script} exited with code ${code}\n${formatTop(model)}\n\nwrote:\n${describeFiles(files)}`);
    return code;
  } finally {
    rmSync(rawDir, { recursive: true, force: true });
    if (chunksDir) rmSync(chunksDir, { recursive: true, force: true });
  }
}

/**
 * Runs the CLI with `argv` (without `node` and the script path). Returns the exit code;
 * user mistakes come back as one `ferroprof: …` line on stderr, never a stack trace.
 */
export async function main(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s + '\n'),
  err: (s: string) => void = (s) => process.stderr.write(s + '\n'),
): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === '-h' || command === '--help' || command === 'help') {
      (command ? out : err)(USAGE.main!);
      return command ? 0 : 1;
    }
    if (command === 'run') return await cmdRun(rest, err);
    if (command === 'view') return cmdView(rest, out);
    if (command === 'top') return cmdTop(rest, out);
    throw new CliError(`unknown command '${command}' (commands: run, view, top; see --help)`);
  } catch (e) {
    if (e instanceof CliError) {
      err(`ferroprof: ${e.message}`);
      return e.exitCode;
    }
    const message = e instanceof Error ? e.message : String(e);
    err(`ferroprof: internal error: ${message}${process.env.FERROPROF_DEBUG ? `\n${(e as Error).stack}` : ''}`);
    return 70;
  }
}
