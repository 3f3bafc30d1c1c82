import { rmSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { resolve } from 'node:path';

import { SDK_NAME, SDK_VERSION } from '../sdk/version.js';
import { CliError } from './errors.js';
import { type Selection, chunkEnvelope, describeInputs, loadProfile } from './load.js';
import type { ProfileModel } from './model.js';
import type { OutputFormat, WrittenFile } from './outputs.js';
import { DEFAULT_FORMATS, FORMATS, parseFormats, writeOutputs } from './outputs.js';
import { ProgressLine } from './progress.js';
import { type RunSpec, nodeArgs, prepareOutDir, prepareRawDir, resolveScript, runScript, tempChunksDir } from './run.js';
import { formatTop } from './top.js';

const SELECT_HELP = `  --transaction NAME|ID   only the profile of this transaction (name or event id)
  --profiler ID           only the chunk series of this profiler_id (or its first characters)
  --thread ID|NAME        only this thread
  --list                  list the transactions, chunk series and threads in PATH, and stop`;

const USAGE: Record<string, string> = {
  main: `Usage: ferroprof <command> [options]

Commands:
  run [options] script [args…]   profile a Node.js script (and its worker threads)
  view [options] PATH            turn profiles (a file or a folder such as .ferroprof/) into outputs
  top [options] PATH             print the top functions of a profile

Options:
  -v, --version   print ferroprof's version
  -h, --help      show this help

Run 'ferroprof <command> --help' for the options of a command.`,
  run: `Usage: ferroprof run [options] script [args…]

Runs 'node script args…' with ferroprof preloaded, then writes the outputs and prints
a summary. The script is what 'node' accepts: a file, or a folder ('run .' as 'node .').
Ctrl-C (or SIGTERM, SIGHUP) is passed on to the script; the profile of what ran is
written, and ferroprof exits as the script did (130 after Ctrl-C, 143 after SIGTERM).
A second Ctrl-C ends the script at once. The script's exit code is passed through.

TypeScript (.ts, .mts, .cts): run with tsx or ts-node when one is installed, else with
Node's own type stripping (Node >= 22.6); --import/--require choose a loader yourself.
Frames are mapped back to the .ts files; tsx compiles each file to one line, so its
frames name functions, not the lines within them: for lines, run with
NODE_OPTIONS=--experimental-strip-types (Node >= 22.6), which keeps every line.

Options:
  --hz N              sampling frequency, 1–10000 Hz (default 101)
  --out DIR           output folder (default ./ferroprof-out); the raw profile is kept
                      in DIR/raw, where 'ferroprof top DIR' reads it back
  --format LIST       comma-separated: ${FORMATS.join(',')} (default ${DEFAULT_FORMATS.join(',')})
                      envelope: the Sentry profile_chunk envelope of the run, from ferroprof's
                      continuous profiler (encoded and checked by its native core)
  --import MODULE     passed to node (a loader such as tsx); repeatable
  --require MODULE    passed to node (-r); repeatable
  -h, --help          show this help

Without the CLI: FERROPROF_RUN_DIR=DIR node --import ferroprof/preload script.js
writes the raw profile to DIR (FERROPROF_RUN_HZ sets the rate); 'ferroprof view DIR'
turns it into outputs.`,
  view: `Usage: ferroprof view [options] PATH

Reads what ferroprof and Sentry SDKs write: envelopes (.envelope, .envelope.gz),
profile JSON, ferroprof's raw profiles, speedscope (.speedscope.json) and pprof
(.pb.gz) files, or a folder of them (such as the SDK's .ferroprof/ folder or the
output folder of 'run'), and writes the outputs.

Options:
  --out DIR       output folder (default ./ferroprof-out)
  --format LIST   comma-separated: ${FORMATS.join(',')} (default ${DEFAULT_FORMATS.join(',')})
                  envelope: the profile_chunk items of PATH in one envelope, unchanged
                  (other profiles have no chunk form and are refused)
${SELECT_HELP}
  -h, --help      show this help`,
  top: `Usage: ferroprof top [options] PATH

Prints duration (busy + idle + not sampled), samples, threads and the top 10
functions by self and total time of PATH (any input 'view' reads). A function's
row adds up all its lines; --lines gives each line that ran its own row.

Options:
  -n N            rows per table (default 10)
  --lines         one row per function and line (the line executing: a caller's
                  call site, the hot line of a leaf)
${SELECT_HELP}
  -h, --help      show this help`,
};

interface Options {
  hz: number;
  out: string;
  formats: OutputFormat[];
  help: boolean;
  list: boolean;
  lines: boolean;
  rows: number;
  nodeFlags: string[];
  selection: Selection;
  positional: string[];
}

const SELECT = ['transaction', 'profiler', 'thread', 'list'];

/** Parses options up to the first positional argument (the rest belong to the script). */
function parseArgs(args: string[], allowed: string[]): Options {
  const opts: Options = {
    hz: 101,
    out: 'ferroprof-out',
    formats: DEFAULT_FORMATS,
    help: false,
    list: false,
    lines: false,
    rows: 10,
    nodeFlags: [],
    selection: {},
    positional: [],
  };
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
    const short: Record<string, string> = { '-r': 'require', '-n': 'n' };
    const name = short[arg] ?? (eq > 0 ? arg.slice(2, eq) : arg.slice(2));
    if (!(arg.startsWith('--') || short[arg]) || !allowed.includes(name))
      throw new CliError(`unknown option ${arg} (see --help)`);
    if (name === 'list' || name === 'lines') {
      opts[name] = true;
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) throw new CliError(`option ${arg} needs a value`);
    if (name === 'hz') {
      const hz = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!(hz >= 1 && hz <= 10_000)) throw new CliError(`--hz must be a whole number between 1 and 10000, got ${value}`);
      opts.hz = hz;
    } else if (name === 'n') {
      const n = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!(n >= 1 && n <= 1000)) throw new CliError(`-n must be a whole number between 1 and 1000, got ${value}`);
      opts.rows = n;
    } else if (name === 'out') {
      if (value === '') throw new CliError('--out needs a folder');
      opts.out = value;
    } else if (name === 'format') opts.formats = parseFormats(value);
    else if (name === 'import' || name === 'require') opts.nodeFlags.push(`--${name}`, value);
    else if (name === 'transaction' || name === 'profiler' || name === 'thread') opts.selection[name] = value;
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

/** The one PATH of view/top, or `--list` printed. */
function inputPath(opts: Options, command: string, out: (s: string) => void): string | undefined {
  const path = opts.positional[0];
  if (!path || opts.positional.length > 1) throw new CliError(`${command} needs exactly one PATH (see --help)`);
  if (opts.list) {
    out(describeInputs(path));
    return undefined;
  }
  return path;
}

function cmdTop(args: string[], out: (s: string) => void): number {
  const opts = parseArgs(args, ['n', 'lines', ...SELECT]);
  if (opts.help) {
    out(USAGE.top!);
    return 0;
  }
  const path = inputPath(opts, 'top', out);
  if (path === undefined) return 0;
  const progress = new ProgressLine();
  const model = loadProfile(path, progress.update, opts.selection);
  progress.done();
  out(formatTop(model, opts.rows, { lines: opts.lines }));
  return 0;
}

function cmdView(args: string[], out: (s: string) => void): number {
  const opts = parseArgs(args, ['out', 'format', ...SELECT]);
  if (opts.help) {
    out(USAGE.view!);
    return 0;
  }
  const path = inputPath(opts, 'view', out);
  if (path === undefined) return 0;
  const progress = new ProgressLine();
  const model = loadProfile(path, progress.update, opts.selection);
  const files = convert(model, opts, `ferroprof: ${path}`, progress, path);
  out(`${formatTop(model)}\n\nwrote:\n${describeFiles(files)}`);
  return 0;
}

async function cmdRun(args: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const opts = parseArgs(args, ['hz', 'out', 'format', 'import', 'require']);
  if (opts.help) {
    out(USAGE.run!);
    return 0;
  }
  const [script, ...scriptArgs] = opts.positional;
  if (!script) throw new CliError('run needs a script to profile (see --help)');
  // Everything that can fail is checked before the script runs.
  const spec: RunSpec = { script: resolveScript(script), scriptArgs, nodeFlags: opts.nodeFlags, hz: opts.hz, rawDir: '' };
  nodeArgs(spec);
  const outDir = prepareOutDir(opts.out);
  spec.rawDir = prepareRawDir(outDir);
  // `--format envelope`: the SDK's continuous profiler writes native-encoded chunks here.
  if (opts.formats.includes('envelope')) spec.chunksDir = tempChunksDir();
  try {
    const code = await runScript(spec, err);
    let model: ProfileModel;
    try {
      model = loadProfile(spec.rawDir);
    } catch {
      err(`ferroprof: ${script} ${describeExit(code)} before a profile was written`);
      return code === 0 ? 1 : code;
    }
    const progress = new ProgressLine();
    const files = convert(model, opts, `ferroprof: ${script}`, progress, spec.chunksDir ?? spec.rawDir);
    const raw = `  ${'raw'.padEnd(10)} ${spec.rawDir} (ferroprof top ${opts.out} reprints this summary)`;
    err(`\nferroprof: ${script} ${describeExit(code)}\n${formatTop(model)}\n\nwrote:\n${describeFiles(files)}\n${raw}`);
    return code;
  } finally {
    if (spec.chunksDir) rmSync(spec.chunksDir, { recursive: true, force: true });
  }
}

/** `exited with code 3`, or `was stopped by SIGINT (exit code 130)`. */
function describeExit(code: number): string {
  const signal = Object.entries(osConstants.signals).find(([, n]) => n === code - 128)?.[0];
  return code > 128 && signal ? `was stopped by ${signal} (exit code ${code})` : `exited with code ${code}`;
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
      out(USAGE.main!);
      return command ? 0 : 1;
    }
    if (command === '-v' || command === '--version' || command === 'version') {
      out(`ferroprof ${SDK_VERSION}`);
      return 0;
    }
    if (command === 'run') return await cmdRun(rest, out, err);
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
