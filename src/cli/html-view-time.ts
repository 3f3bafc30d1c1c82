/**
 * The page's time-ordered view (browser JavaScript, part of the page's script): one
 * stack per pixel column in the order the samples were taken, equal prefixes of
 * neighbours merged into bars, under a time axis (time since the profile's start).
 * Gaps (idle, not sampled) stay blank. The viewport zooms and pans in time.
 */
export const TIME_VIEW_JS = String.raw`
  /** A tick step of 1, 2 or 5 × 10^k microseconds, about every 110 px. */
  function tickStep(spanUs, width) {
    var raw = spanUs / Math.max(width / 110, 1);
    var pow = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-3))));
    var m = raw / pow;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * pow;
  }
  function fmtTick(us, step) {
    if (step >= 1e6) return (us / 1e6).toFixed(step >= 1e7 ? 0 : 1) + ' s';
    if (step >= 1e3) return (us / 1e3).toFixed(step >= 1e4 ? 0 : 1) + ' ms';
    return us.toFixed(0) + ' \u00b5s';
  }
  function prefixEqual(a, b, d) {
    if (!a || !b || a.length <= d || b.length <= d) return false;
    if (a === b) return true;
    for (var i = 0; i <= d; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  VIEWS.time = {
    axisLabels: [],
    range: function () {
      var p = prepare(state.thread);
      var span = Math.max(p.t1 - p.t0, 1e-3);
      return [p.t0 + state.view[0] * span, p.t0 + state.view[1] * span];
    },
    draw: function () {
      var p = prepare(state.thread);
      var th = DATA.threads[state.thread];
      resize(p.maxDepth + 1);
      var r = this.range();
      var span = Math.max(r[1] - r[0], 1e-3);
      // The axis: times since the first sample of any thread (the profile's start).
      var AX = ROW;
      ctx.fillStyle = '#f3f3f3';
      ctx.fillRect(0, 0, W, AX);
      var step = tickStep(span, W);
      this.axisLabels = [];
      for (var t = Math.ceil(r[0] / step) * step; t <= r[1]; t += step) {
        var x = (t - r[0]) / span * W;
        ctx.fillStyle = '#999';
        ctx.fillRect(x, AX - 5, 1, 5);
        var label = fmtTick(t, step);
        this.axisLabels.push({ label: label, us: t, x: x });
        if (x + 4 < W - 30) text(label, x + 3, AX / 2 - 1, '#555');
      }
      var gap = 2.5 * th.periodNs / 1000;
      var cols = [];
      for (var c = 0; c < W; c++) {
        var tc = r[0] + (c + 0.5) * span / W;
        var lo = 0, hi = th.times.length - 1, at = -1;
        while (lo <= hi) { var mid = (lo + hi) >> 1; if (th.times[mid] <= tc) { at = mid; lo = mid + 1; } else hi = mid - 1; }
        var sid = at >= 0 && tc - th.times[at] <= gap ? th.ids[at] : -1;
        cols.push(sid >= 0 ? th.stacks[sid] : null);
      }
      for (var d = 0; d < p.maxDepth; d++) {
        var start = -1, cur = -1;
        for (var c2 = 0; c2 <= W; c2++) {
          var st = c2 < W ? cols[c2] : null;
          var f = st && st.length > d ? st[d] : -1;
          var same = f >= 0 && f === cur && c2 > 0 && prefixEqual(cols[c2 - 1], st, d);
          if (!same) {
            if (cur >= 0) bar(start, AX + d * ROW, c2 - start, cur, { range: [r[0] + start * span / W, r[0] + c2 * span / W] });
            start = c2; cur = f;
          }
        }
      }
    },
    click: function (b) {
      if (!b.range) return;
      var p = prepare(state.thread);
      var whole = Math.max(p.t1 - p.t0, 1e-3);
      setView((b.range[0] - p.t0) / whole, (b.range[1] - p.t0) / whole);
    },
    describe: function () {
      var r = this.range();
      return ' \u2014 showing ' + fmtMs(r[0] * 1000) + ' to ' + fmtMs(r[1] * 1000);
    },
  };
`;
