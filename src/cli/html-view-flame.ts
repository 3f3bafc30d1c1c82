/**
 * The page's left-heavy flame graph (browser JavaScript, part of the page's script):
 * identical stacks merged, widest first; click zooms to a node, its ancestors stay
 * dimmed above it.
 */
export const FLAME_VIEW_JS = String.raw`
  VIEWS.flame = {
    draw: function () {
      var p = prepare(state.thread);
      var focus = state.zoom || p.root;
      var chain = [];
      for (var a = focus; a && a !== p.root; a = a.parent) chain.unshift(a);
      resize(p.maxDepth);
      for (var i = 0; i < chain.length - 1; i++) bar(0, i * ROW, W, chain[i].f, { node: chain[i], dim: true });
      var info = function (node) { return { node: node }; };
      if (focus === p.root) { drawTree(p.root, 0, 0, 1, info); return; }
      var y = (chain.length - 1) * ROW;
      bar(vx(0), y, vx(1) - vx(0), focus.f, { node: focus });
      drawTree(focus, y + ROW, 0, 1, info);
    },
    click: function (b) {
      if (!b.node) return;
      state.zoom = b.node; state.view = [0, 1];
      render();
    },
    describe: function () { return state.zoom ? ' \u2014 zoomed to ' + fname(state.zoom.f) : ''; },
  };
`;
