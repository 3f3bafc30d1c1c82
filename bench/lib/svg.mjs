// A hand-written SVG grouped bar chart: overhead % per scenario, one bar per profiler.

const COLORS = { ferroprof: '#d9480f', sentry: '#5f3dc4', datadog: '#1971c2' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Rows of the chart: { label, values: { profiler: overhead % } } from the summary. */
export function chartRows(s) {
  const rows = [];
  const pick = (list, ids) =>
    Object.fromEntries(
      Object.entries(ids)
        .map(([p, id]) => [p, list?.find((r) => r.variant === id)])
        .filter(([, r]) => r),
    );
  const add = (label, picked, value) => {
    const values = {};
    for (const [p, r] of Object.entries(picked)) {
      const v = value(r);
      if (Number.isFinite(v)) values[p] = v;
    }
    if (Object.keys(values).length) rows.push({ label, values });
  };
  add(
    'steady, continuous ~101 Hz',
    pick(s.steady, {
      ferroprof: 'ferroprof continuous 101 Hz',
      sentry: 'sentry continuous',
      datadog: 'datadog continuous 101 Hz',
    }),
    (r) => r.overheadPct,
  );
  add(
    'steady, continuous 1001 Hz',
    pick(s.steady, {
      ferroprof: 'ferroprof continuous 1001 Hz',
      datadog: 'datadog continuous 1001 Hz',
    }),
    (r) => r.overheadPct,
  );
  add(
    'steady, one transaction',
    pick(s.steady, {
      ferroprof: 'ferroprof transaction',
      sentry: 'sentry transaction',
      datadog: 'datadog transaction (span label)',
    }),
    (r) => r.overheadPct,
  );
  add(
    'short txns, vs own tracing-only',
    pick(s.short, {
      ferroprof: 'ferroprof every txn profiled',
      sentry: 'sentry every txn profiled',
      datadog: 'datadog every txn labelled',
    }),
    (r) => r.overVsTracingPct ?? r.overheadPct,
  );
  add(
    'HTTP continuous, throughput loss',
    pick(s.http, {
      ferroprof: 'ferroprof continuous',
      sentry: 'sentry continuous',
      datadog: 'datadog continuous',
    }),
    (r) => (1 - r.throughputRatio) * 100,
  );
  add(
    'HTTP rate 1, throughput loss vs none',
    pick(s.http, {
      ferroprof: 'ferroprof rate 1',
      sentry: 'sentry rate 1',
      datadog: 'datadog rate 1 (span label)',
    }),
    (r) => (1 - r.throughputRatio) * 100,
  );
  return rows;
}

export function renderSvg(rows, title) {
  const profilers = Object.keys(COLORS).filter((p) => rows.some((r) => p in r.values));
  const all = rows.flatMap((r) => Object.values(r.values));
  const maxV = Math.max(5, ...all);
  const minV = Math.min(0, ...all);
  const labelW = 300;
  const plotW = 520;
  const barH = 14;
  const groupH = profilers.length * barH + 14;
  const top = 50;
  const height = top + rows.length * groupH + 50;
  const width = labelW + plotW + 80;
  const x = (v) => Math.round((labelW + ((v - minV) / (maxV - minV)) * plotW) * 10) / 10;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  // Grid lines every "nice" step.
  const step = maxV - minV > 60 ? 20 : maxV - minV > 25 ? 10 : maxV - minV > 10 ? 5 : 1;
  for (let g = Math.ceil(minV / step) * step; g <= maxV; g += step) {
    parts.push(`<line x1="${x(g)}" y1="${top - 6}" x2="${x(g)}" y2="${height - 40}" stroke="${g === 0 ? '#333' : '#ddd'}"/>`);
    parts.push(`<text x="${x(g)}" y="${height - 26}" text-anchor="middle" fill="#555">${g}%</text>`);
  }
  rows.forEach((row, i) => {
    const y0 = top + i * groupH;
    parts.push(
      `<text x="${labelW - 8}" y="${y0 + (profilers.length * barH) / 2 + 4}" text-anchor="end">${esc(row.label)}</text>`,
    );
    profilers.forEach((p, j) => {
      const v = row.values[p];
      if (v === undefined) return;
      const y = y0 + j * barH;
      const x0 = x(Math.min(0, v));
      const w = Math.max(1, Math.abs(x(v) - x(0)));
      parts.push(`<rect x="${x0}" y="${y}" width="${w}" height="${barH - 3}" fill="${COLORS[p]}"/>`);
      const label =
        v >= 0
          ? `<text x="${x(v) + 4}" y="${y + barH - 5}" font-size="10">${v.toFixed(1)}%</text>`
          : `<text x="${x(v) - 4}" y="${y + barH - 5}" font-size="10" text-anchor="end">${v.toFixed(1)}%</text>`;
      parts.push(label);
    });
  });
  profilers.forEach((p, j) => {
    const lx = labelW + j * 130;
    parts.push(`<rect x="${lx}" y="${height - 16}" width="12" height="10" fill="${COLORS[p]}"/>`);
    parts.push(`<text x="${lx + 16}" y="${height - 7}">${esc(p)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
