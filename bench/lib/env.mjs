// Describes the machine and the versions a run used.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function version(pkg) {
  try {
    return require(`${pkg}/package.json`).version;
  } catch {
    return 'not installed';
  }
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function ferroprofVersion() {
  const url = new URL('../../package.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')).version;
}

export function environment() {
  return {
    nproc: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAvgStart: os.loadavg(),
    packages: {
      ferroprof: `${ferroprofVersion()} (git ${gitCommit()})`,
      '@sentry/node': version('@sentry/node'),
      '@sentry/profiling-node': version('@sentry/profiling-node'),
      '@sentry/node-cpu-profiler': version('@sentry/node-cpu-profiler'),
      '@datadog/pprof': version('@datadog/pprof'),
      autocannon: version('autocannon'),
    },
  };
}
