/**
 * The page's sandwich view (browser JavaScript, part of the page's script): for one
 * function, who calls it (callers, the function on top, its callers below it) and what
 * it calls (callees, below the function). Each sample counts once, from the function's
 * outermost call on its stack, so recursion does not count twice.
 */
export const SANDWICH_VIEW_JS = String.raw`
  function sandwichTrees(ti, key) {
    var p = prepare(ti);
    var th = DATA.threads[ti];
    var callers = newNode(-1, 0, null), callees = newNode(-1, 0, null);
    for (var s = 0; s < th.stacks.length; s++) {
      var w = p.weights[s];
      if (!w) continue;
      var stack = th.stacks[s];
      var k = -1;
      for (var d = 0; d < stack.length; d++) if (fkey(stack[d]) === key) { k = d; break; }
      if (k < 0) continue;
      addPath(callees, stack.slice(k), w);
      addPath(callers, stack.slice(0, k + 1).reverse(), w);
    }
    sortTree(callers); sortTree(callees);
    return { callers: callers, callees: callees };
  }

  VIEWS.sandwich = {
    draw: function () {
      var p = prepare(state.thread);
      if (!state.fn || !p.fnTotal.has(state.fn)) state.fn = p.fns.length ? p.fns[0].key : null;
      if (!state.fn) { resize(1); return; }
      var t = sandwichTrees(state.thread, state.fn);
      var up = treeDepth(t.callers), down = treeDepth(t.callees);
      resize(up + down + 2);
      var name = state.fn.split('\u0000')[0];
      text('Callers of ' + name + ' (' + fmtMs(t.callers.total) + ', ' + pct(t.callers.total, p.busy) + ' of busy time)', 4, ROW / 2);
      drawTree(t.callers, ROW, 0, 1, function (node) { return { node: node, part: 'callers' }; });
      var y = (up + 1) * ROW;
      text('Callees of ' + name + ' (self ' + fmtMs(p.fnSelf.get(state.fn) || 0) + ')', 4, y + ROW / 2);
      drawTree(t.callees, y + ROW, 0, 1, function (node) { return { node: node, part: 'callees' }; });
    },
    click: function (b) {
      state.fn = fkey(b.f); state.view = [0, 1];
      render();
    },
    describe: function () { return state.fn ? ' \u2014 sandwich of ' + state.fn.split('\u0000')[0] : ''; },
  };
`;
