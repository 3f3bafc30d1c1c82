// Turns the raw runs into medians, ratios to baselines, and the checks of issue 7's targets.
import { median, quantile } from './stats.mjs';
import { tracingBaseline } from './plan.mjs';

const okRuns = (runs) => (runs ?? []).filter((r) => r.ok).map((r) => r.result);

/** Median over rounds of `f(variant run) / f(baseline run)` for rounds where both ran. */
function pairedRatio(runsA, runsB, f) {
  const ratios = [];
  const n = Math.min(runsA?.length ?? 0, runsB?.length ?? 0);
  for (let i = 0; i < n; i++) {
    if (runsA[i]?.ok && runsB[i]?.ok) ratios.push(f(runsA[i].result) / f(runsB[i].result));
  }
  return median(ratios);
}

const pct = (ratio) => (ratio - 1) * 100;

/** [min, max] over rounds of the paired ratio, as percentages (the noise of the run). */
function pairedRange(runsA, runsB, f) {
  const ratios = [];
  const n = Math.min(runsA?.length ?? 0, runsB?.length ?? 0);
  for (let i = 0; i < n; i++) {
    if (runsA[i]?.ok && runsB[i]?.ok) ratios.push(pct(f(runsA[i].result) / f(runsB[i].result)));
  }
  return ratios.length ? [Math.min(...ratios), Math.max(...ratios)] : [NaN, NaN];
}

function timedScenario(scenario, runs, variants) {
  const rows = [];
  for (const v of variants) {
    const ok = okRuns(runs[v.id]);
    const tb = tracingBaseline(scenario, v);
    rows.push({
      variant: v.id,
      profiler: v.profiler,
      mode: v.mode,
      hz: v.hz,
      runs: ok.length,
      failures: (runs[v.id] ?? []).filter((r) => !r.ok).map((r) => r.error.split('\n')[0]),
      api: ok[0]?.api,
      wallMs: median(ok.map((r) => r.wallMs)),
      cpuMs: median(ok.map((r) => r.cpuMs)),
      overheadPct: pct(pairedRatio(runs[v.id], runs.none, (r) => r.wallMs)),
      overheadRangePct: pairedRange(runs[v.id], runs.none, (r) => r.wallMs),
      jsCpuOverheadPct: pct(pairedRatio(runs[v.id], runs.none, (r) => r.jsCpuMs)),
      procCpuOverheadPct: pct(pairedRatio(runs[v.id], runs.none, (r) => r.procCpuMs)),
      runQueueWaitMs: median(ok.map((r) => r.runQueueWaitMs)),
      jsCpuVsTracingPct: tb !== 'none' && tb !== v.id ? pct(pairedRatio(runs[v.id], runs[tb], (r) => r.jsCpuMs)) : undefined,
      vsTracing: tb !== 'none' && tb !== v.id ? tb : undefined,
      overVsTracingPct: tb !== 'none' && tb !== v.id ? pct(pairedRatio(runs[v.id], runs[tb], (r) => r.wallMs)) : undefined,
      samples: median(ok.map((r) => r.wire?.samples ?? 0)),
      profilesSent: median(ok.map((r) => r.wire?.items?.profile ?? r.wire?.items?.profile_chunk ?? r.wire?.items?.pprof ?? 0)),
      profilesTooShort: median(ok.map((r) => r.self?.profilesTooShort ?? NaN)),
      effectiveHz: median(ok.map((r) => (r.wire?.samples ?? 0) / (r.wallMs / 1000))),
      profileGzBytes: median(ok.map((r) => r.wire?.profileGzBytes ?? 0)),
      eldMaxMs: median(ok.map((r) => r.eldMaxMs)),
    });
  }
  return rows;
}

function httpScenario(runs, variants) {
  return variants.map((v) => {
    const ok = okRuns(runs[v.id]);
    const tb = tracingBaseline('http', v);
    return {
      variant: v.id,
      profiler: v.profiler,
      mode: v.mode,
      sampleRate: v.sampleRate,
      runs: ok.length,
      failures: (runs[v.id] ?? []).filter((r) => !r.ok).map((r) => r.error.split('\n')[0]),
      rps: median(ok.map((r) => r.rps)),
      latencyP50Ms: median(ok.map((r) => r.latencyP50Ms)),
      latencyP99Ms: median(ok.map((r) => r.latencyP99Ms)),
      errors: ok.reduce((a, r) => a + (r.errors ?? 0), 0),
      throughputRatio: pairedRatio(runs[v.id], runs.none, (r) => r.rps),
      p99Ratio: pairedRatio(runs[v.id], runs.none, (r) => r.latencyP99Ms),
      vsTracing: tb !== 'none' && tb !== v.id ? tb : undefined,
      throughputVsTracing: tb !== 'none' && tb !== v.id ? pairedRatio(runs[v.id], runs[tb], (r) => r.rps) : undefined,
    };
  });
}

function callStats(results, ops) {
  const all = [];
  for (const r of results) for (const op of ops) all.push(...(r.calls?.[op] ?? []));
  return { n: all.length, p50: quantile(all, 0.5), p99: quantile(all, 0.99), max: all.length ? Math.max(...all) : NaN };
}

function stallsScenario(allRuns, profilers) {
  const stalls = allRuns.stalls ?? {};
  const short = allRuns.short ?? {};
  const baseEld = median(okRuns(stalls.none).map((r) => r.eldMaxMs));
  const baseEldShort = median(okRuns(short.none).map((r) => r.eldMaxMs));
  return profilers.map((p) => {
    const cont = okRuns(stalls[`${p} continuous`]);
    const txnId = Object.keys(short).find((id) => id.startsWith(p) && / (profiled|labelled)$/.test(id));
    const txn = okRuns(short[txnId]);
    const own = (results) => {
      const st = results.map((r) => r.self).filter((x) => x && x.jsCalls > 0);
      if (!st.length) return null;
      return {
        jsCalls: median(st.map((x) => x.jsCalls)),
        p50Ms: median(st.map((x) => x.jsNsP50 / 1e6)),
        // jsNsP99 is a log2 bucket's upper bound: never report it above the max.
        p99Ms: Math.max(...st.map((x) => Math.min(x.jsNsP99, x.jsNsMax) / 1e6)),
        maxMs: Math.max(...st.map((x) => x.jsNsMax / 1e6)),
      };
    };
    const eldMaxMs = median(cont.map((r) => r.eldMaxMs));
    const eldShortMs = median(txn.map((r) => r.eldMaxMs));
    return {
      profiler: p,
      start: callStats(cont, ['start']),
      rotate: callStats(cont, ['rotate']),
      stop: callStats(cont, ['stop']),
      txnStart: callStats(txn, ['txnStart']),
      txnFinish: callStats(txn, ['txnFinish']),
      // The profiler's own histogram: over the short-transaction runs (thousands of calls)
      // and over the continuous runs (a handful of calls, the start among them).
      selfTxn: own(txn),
      selfCont: own(cont),
      // Mean JS-thread ms per profiler call after the start (rotations and the stop).
      afterStartMeanMs: median(
        cont
          .filter((r) => r.self && r.selfAfterStart && r.self.jsCalls > r.selfAfterStart.jsCalls)
          .map((r) => (r.self.jsNsTotal - r.selfAfterStart.jsNsTotal) / 1e6 / (r.self.jsCalls - r.selfAfterStart.jsCalls)),
      ),
      eldMaxMs,
      eldOverBaselineMs: eldMaxMs - baseEld,
      eldShortMaxMs: eldShortMs,
      eldShortOverBaselineMs: eldShortMs - baseEldShort,
    };
  });
}

function memoryScenario(runs, variants) {
  return variants.map((v) => {
    const ok = okRuns(runs[v.id]);
    const r = ok[0];
    if (!r) return { variant: v.id, profiler: v.profiler, runs: 0, failures: (runs[v.id] ?? []).map((x) => x.error) };
    const series = r.series ?? [];
    const last = series.at(-1);
    // From the first snapshot after the first 60 s chunk; in shorter runs, from a third in.
    const afterFirstChunk = series.find((x) => x.s >= 60 && x !== last) ?? series[Math.floor(series.length / 3)];
    const durationS = r.durationMs / 1000;
    return {
      variant: v.id,
      profiler: v.profiler,
      runs: ok.length,
      durationS,
      rssMb: r.rssMb,
      heapMb: r.heapMb,
      rssGrowthAfterFirstChunkMb: afterFirstChunk ? last.rssMb - afterFirstChunk.rssMb : NaN,
      heapGrowthAfterFirstChunkMb: afterFirstChunk ? last.heapMb - afterFirstChunk.heapMb : NaN,
      growthFromS: afterFirstChunk?.s,
      bytesHeldMb: r.self?.bytesHeld !== undefined ? r.self.bytesHeld / 2 ** 20 : undefined,
      series,
      wire: {
        samples: r.wire.samples,
        effectiveHz: r.wire.samples / durationS,
        profileGzBytes: r.wire.profileGzBytes,
        envelopes: r.wire.envelopes,
        bytesPerSample: r.wire.samples ? r.wire.profileGzBytes / r.wire.samples : NaN,
        bytesPerMinute: r.wire.profileGzBytes / (durationS / 60),
        items: r.wire.items,
      },
    };
  });
}

const le = (a, b) => Number.isFinite(a) && Number.isFinite(b) && a <= b;

function targets(s, long) {
  const t = [];
  const row = (rows, id) => rows?.find((r) => r.variant === id);
  if (s.steady) {
    const f101 = row(s.steady, 'ferroprof continuous 101 Hz');
    const inc = s.steady.filter((r) => ['sentry continuous', 'datadog continuous 101 Hz'].includes(r.variant));
    const best = Math.min(...inc.map((r) => r.overheadPct).filter(Number.isFinite));
    if (f101)
      t.push({
        target: 'steady 101 Hz ≤ 1 % and ≤ best incumbent',
        value: `${f101.overheadPct.toFixed(2)} % (best incumbent ${Number.isFinite(best) ? best.toFixed(2) : 'n/a'} %)`,
        met: le(f101.overheadPct, 1) && (!Number.isFinite(best) || f101.overheadPct <= Math.max(best, 0) + 0.5),
      });
    const f1001 = row(s.steady, 'ferroprof continuous 1001 Hz');
    if (f1001)
      t.push({ target: 'steady 1001 Hz ≤ 5 %', value: `${f1001.overheadPct.toFixed(2)} %`, met: le(f1001.overheadPct, 5) });
  }
  if (s.short) {
    const f = row(s.short, 'ferroprof every txn profiled');
    if (f)
      t.push({
        target: 'short transactions, all profiled ≤ 3 % over tracing-only',
        value: `${f.overVsTracingPct.toFixed(2)} %`,
        met: le(f.overVsTracingPct, 3),
      });
  }
  if (s.http) {
    const f = row(s.http, 'ferroprof rate 1');
    if (f)
      t.push({
        target: 'HTTP rate 1: throughput ≥ 98 %, p99 ≤ 1.05× of unprofiled',
        value: `${(f.throughputRatio * 100).toFixed(1)} %, p99 ${f.p99Ratio.toFixed(3)}×`,
        met: f.throughputRatio >= 0.98 && le(f.p99Ratio, 1.05),
      });
  }
  if (s.stalls) {
    const f = s.stalls.find((r) => r.profiler === 'ferroprof');
    if (f) {
      // The one-off session start (V8's code-logging heap walk) is reported apart.
      const p99s = [f.txnStart.p99, f.txnFinish.p99, f.selfTxn?.p99Ms, f.afterStartMeanMs].filter(Number.isFinite);
      const worst = Math.max(...p99s);
      t.push({
        target: 'JS-thread time per profiler call p99 < 0.5 ms',
        value: `txn start p99 ${f.txnStart.p99?.toFixed(3)} ms, finish p99 ${f.txnFinish.p99?.toFixed(3)} ms, own stats p99 ${f.selfTxn?.p99Ms?.toFixed(3)} ms over ${f.selfTxn?.jsCalls} calls; rotation mean ${f.afterStartMeanMs?.toFixed(3)} ms; session start ${f.start.max?.toFixed(1)} ms (one-off)`,
        met: worst < 0.5,
      });
      t.push({
        target: 'event-loop delay max ≤ baseline + 2 ms',
        value: `${f.eldOverBaselineMs >= 0 ? '+' : ''}${f.eldOverBaselineMs.toFixed(2)} ms continuous, ${f.eldShortOverBaselineMs >= 0 ? '+' : ''}${(f.eldShortOverBaselineMs ?? NaN).toFixed(2)} ms short txns`,
        met: le(f.eldOverBaselineMs, 2) && (!Number.isFinite(f.eldShortOverBaselineMs) || f.eldShortOverBaselineMs <= 2),
      });
    }
  }
  if (s.memory) {
    const f = row(s.memory, 'ferroprof continuous 101 Hz');
    const sen = row(s.memory, 'sentry continuous 101 Hz');
    const none = row(s.memory, 'none');
    // What the profiler adds: RSS over the same SDK with profiling off (over none without one).
    const own = (p) => row(s.memory, `${p} SDK, profiling off`);
    const base = (p) => (own(p)?.runs ? own(p).rssMb : (none?.rssMb ?? 0));
    if (f?.runs) {
      const fOver = f.rssMb - base('ferroprof');
      const sOver = sen?.runs ? sen.rssMb - base('sentry') : NaN;
      t.push({
        target: `memory: whole process below the incumbent's${long ? ', flat after the first chunk' : ''}`,
        value: `RSS ${f.rssMb.toFixed(1)} MB vs sentry ${sen?.runs ? sen.rssMb.toFixed(1) : 'n/a'} MB; ferroprof RSS growth after ${f.growthFromS} s: ${f.rssGrowthAfterFirstChunkMb.toFixed(1)} MB`,
        met: (!sen?.runs || f.rssMb < sen.rssMb) && (!long || f.rssGrowthAfterFirstChunkMb < 5),
      });
      t.push({
        target: "memory: what profiling adds (over the same SDK, profiling off) below the incumbent's",
        value: `ferroprof +${fOver.toFixed(1)} MB vs sentry ${sOver >= 0 ? '+' : ''}${sOver.toFixed(1)} MB`,
        met: !Number.isFinite(sOver) || fOver < sOver,
      });
      if (sen?.runs)
        t.push({
          target: 'bytes per sample on the wire below the incumbent',
          value: `${f.wire.bytesPerSample.toFixed(1)} B vs sentry ${sen.wire.bytesPerSample.toFixed(1)} B`,
          met: f.wire.bytesPerSample < sen.wire.bytesPerSample,
        });
    }
  }
  return t;
}

export function summarize(allRuns, plan, profilers, { long }) {
  const s = {};
  for (const [scenario, variants] of Object.entries(plan)) {
    const runs = allRuns[scenario] ?? {};
    if (scenario === 'steady' || scenario === 'short') s[scenario] = timedScenario(scenario, runs, variants);
    else if (scenario === 'http') s.http = httpScenario(runs, variants);
    else if (scenario === 'memory') s.memory = memoryScenario(runs, variants);
  }
  if (plan.stalls) s.stalls = stallsScenario(allRuns, profilers);
  s.targets = targets(s, long);
  return s;
}
