// Renders the summary as Markdown tables (readable in a terminal, pasteable into BENCHMARKS.md).

const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const signed = (x, d = 2) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(d)}` : 'n/a');
const ms3 = (s) => (s?.n ? `${f(s.p50, 3)} / ${f(s.p99, 3)} / ${f(s.max, 3)}` : '—');

function md(headers, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

const own = (x) => (x ? `${f(x.p50Ms, 3)} / ${f(x.p99Ms, 3)} / ${f(x.maxMs, 3)} (${x.jsCalls} calls)` : '—');
const failed = (r) => (r.failures?.length ? ` ⚠ ${r.failures.length} failed: ${r.failures[0]}` : '');

export function renderTables(s) {
  const out = [];
  if (s.steady) {
    out.push('### steady (one long CPU-bound run)\n');
    out.push(
      md(
        [
          'variant',
          'api',
          'wall ms',
          'wall vs none',
          'min … max over rounds',
          'JS-thread CPU vs none',
          'process CPU vs none',
          'run-queue wait ms',
          'samples/s delivered',
          'profile bytes (gz)',
        ],
        s.steady.map((r) => [
          r.variant + failed(r),
          r.api ?? '',
          f(r.wallMs, 0),
          r.variant === 'none' ? '—' : `${signed(r.overheadPct)} %`,
          r.variant === 'none' ? '—' : `${signed(r.overheadRangePct[0], 1)} … ${signed(r.overheadRangePct[1], 1)} %`,
          r.variant === 'none' ? '—' : `${signed(r.jsCpuOverheadPct)} %`,
          r.variant === 'none' ? '—' : `${signed(r.procCpuOverheadPct)} %`,
          f(r.runQueueWaitMs, 0),
          r.profiler === 'none' ? '—' : f(r.effectiveHz, 0),
          r.profiler === 'none' ? '—' : f(r.profileGzBytes, 0),
        ]),
      ),
    );
  }
  if (s.short) {
    out.push('\n### many short transactions (1–5 ms each)\n');
    out.push(
      md(
        [
          'variant',
          'wall ms',
          'wall vs none',
          'wall vs own tracing-only',
          'JS-thread CPU vs own tracing-only',
          'run-queue wait ms',
          'event-loop delay max ms',
          'profiles (chunks) sent',
          'samples sent',
        ],
        s.short.map((r) => [
          r.variant + failed(r),
          f(r.wallMs, 0),
          r.variant === 'none' ? '—' : `${signed(r.overheadPct)} %`,
          r.overVsTracingPct !== undefined ? `${signed(r.overVsTracingPct)} %` : '—',
          r.jsCpuVsTracingPct !== undefined ? `${signed(r.jsCpuVsTracingPct)} %` : '—',
          f(r.runQueueWaitMs, 0),
          f(r.eldMaxMs, 2),
          r.profiler === 'none' || r.mode === 'tracing'
            ? '—'
            : `${f(r.profilesSent, 0)}${Number.isFinite(r.profilesTooShort) ? ` (${f(r.profilesTooShort, 0)} too short)` : ''}`,
          r.profiler === 'none' || r.mode === 'tracing' ? '—' : f(r.samples, 0),
        ]),
      ),
    );
  }
  if (s.http) {
    out.push('\n### HTTP service (autocannon, 127.0.0.1)\n');
    out.push(
      md(
        ['variant', 'req/s', 'throughput vs none', 'vs own tracing-only', 'p50 ms', 'p99 ms', 'p99 vs none', 'errors'],
        s.http.map((r) => [
          r.variant + failed(r),
          f(r.rps, 0),
          r.variant === 'none' ? '—' : `${f(r.throughputRatio * 100, 1)} %`,
          r.throughputVsTracing !== undefined ? `${f(r.throughputVsTracing * 100, 1)} %` : '—',
          f(r.latencyP50Ms, 1),
          f(r.latencyP99Ms, 1),
          r.variant === 'none' ? '—' : `${f(r.p99Ratio, 3)}×`,
          String(r.errors),
        ]),
      ),
    );
  }
  if (s.stalls) {
    out.push('\n### stalls: JS-thread ms per profiler call (p50 / p99 / max)\n');
    out.push(
      md(
        [
          'profiler',
          'start',
          'rotation',
          'stop',
          'txn start',
          'txn finish',
          'own stats, short txns',
          'own stats, continuous',
          'loop delay max (cont.)',
          'loop delay max (short txns)',
        ],
        s.stalls.map((r) => [
          r.profiler,
          ms3(r.start),
          r.profiler === 'ferroprof' ? `internal: mean ${f(r.afterStartMeanMs, 3)} per call after start` : ms3(r.rotate),
          ms3(r.stop),
          ms3(r.txnStart),
          ms3(r.txnFinish),
          own(r.selfTxn),
          own(r.selfCont),
          `${f(r.eldMaxMs, 2)} (${signed(r.eldOverBaselineMs)} vs none)`,
          `${f(r.eldShortMaxMs, 2)} (${signed(r.eldShortOverBaselineMs)} vs none)`,
        ]),
      ),
    );
  }
  if (s.memory) {
    const dur = s.memory.find((r) => r.durationS)?.durationS;
    out.push(`\n### memory after ${dur} s of continuous profiling at 101 Hz (after GC)\n`);
    out.push(
      md(
        ['variant', 'RSS MB', 'heap used MB', 'RSS growth after first chunk MB', 'profiler store MB'],
        s.memory.map((r) => [
          r.variant + failed(r),
          f(r.rssMb),
          f(r.heapMb),
          r.runs ? `${signed(r.rssGrowthAfterFirstChunkMb, 1)} (from ${r.growthFromS} s)` : 'n/a',
          f(r.bytesHeldMb, 2),
        ]),
      ),
    );
    out.push(`\n### wire (same runs): gzipped profile bytes\n`);
    out.push(
      md(
        ['variant', 'samples sent', 'samples/s', 'bytes/sample', 'bytes/minute', 'envelopes'],
        s.memory
          .filter((r) => r.profiler !== 'none' && r.runs && r.wire.samples > 0)
          .map((r) => [
            r.variant,
            String(r.wire.samples),
            f(r.wire.effectiveHz, 1),
            f(r.wire.bytesPerSample, 1),
            f(r.wire.bytesPerMinute, 0),
            String(r.wire.envelopes),
          ]),
      ),
    );
  }
  if (s.targets?.length) {
    out.push('\n### issue 7 targets (ferroprof)\n');
    out.push(
      md(
        ['target', 'measured', 'met?'],
        s.targets.map((t) => [t.target, t.value, t.met ? 'met' : '**missed**']),
      ),
    );
  }
  return out.join('\n');
}
