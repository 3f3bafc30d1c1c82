/**
 * A `node:inspector` CPU profile as one batch of the engine (crates/core's `Batch`, in
 * the JSON of crates/wasm's protocol): its samples, and the nodes they reach with what
 * V8 said of each. Classifying nodes, interning, lines and VM states are the engine's
 * (crates/core/src/frame.rs, engine/interner.rs); this only translates. Internal.
 *
 * Lines: the inspector profiles one node per function, not per call site, so no frame
 * knows the line its function called from. A caller's frame carries its function's
 * first line, the leaf's the line its sample executed, dealt out from the node's
 * `positionTicks` by the engine as it deals V8's line ticks. In the batch, a node's
 * `line` is the line its *parent's* frame carries when that parent calls (the engine's
 * caller-line mode), here the parent's first line; a node that counted no position
 * ticks counts its first line, so a leaf without them carries that.
 */

/** `Runtime.CallFrame` of the inspector protocol (0-based line and column, -1 for none). */
export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

/** `Profiler.ProfileNode` (position ticks have 1-based lines). */
export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  positionTicks?: { line: number; ticks: number }[];
}

/** `Profiler.Profile`: times in V8's monotonic microseconds. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** A node as the engine takes it (crates/wasm/src/protocol.rs `NodeIn`). */
export interface BatchNode {
  id: number;
  parent: number | null;
  functionName: string;
  url: string;
  line: number;
  column: number;
  ticks: [number, number][];
}

/** The `batch` command (crates/wasm/src/protocol.rs `BatchIn`). */
export interface BatchCommand {
  op: 'batch';
  threadId: number;
  intervalUs: number;
  coveredUs: number;
  nodes: BatchNode[];
  /** `[timestamp µs, node id, v8::StateTag]`. */
  samples: [number, number, number][];
}

// v8::StateTag of a sample, from its leaf node: the inspector gives no VM state.
const JS = 0;
const GC = 1;
const OTHER = 5;
const IDLE = 8;

function stateOf(cf: CallFrame): number {
  if (cf.url !== '') return JS;
  switch (cf.functionName) {
    case '(garbage collector)':
      return GC;
    // `(program)` is native work outside JavaScript, not waiting: V8's `other` state.
    case '(program)':
      return OTHER;
    case '(idle)':
      return IDLE;
    default:
      return JS;
  }
}

/** 1-based position of a 0-based one (-1: none, 0 for the engine). */
const oneBased = (n: number): number => (n >= 0 ? n + 1 : 0);

/**
 * The batch of a finished profile of thread `threadId`, sampled every `intervalUs`.
 * A finished profile holds every sample V8 took up to its end: that is how far the
 * thread is covered.
 */
export function batchOf(profile: CpuProfile, threadId: number, intervalUs: number): BatchCommand {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const ids = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const samples: [number, number, number][] = [];
  const reached = new Set<number>();
  let tUs = profile.startTime;
  for (let i = 0; i < ids.length; i++) {
    tUs += deltas[i] ?? 0;
    const id = ids[i]!;
    const leaf = byId.get(id);
    if (!leaf) continue;
    samples.push([tUs, id, stateOf(leaf.callFrame)]);
    for (let at: number | undefined = id; at !== undefined && !reached.has(at); at = parent.get(at)) reached.add(at);
  }
  const nodes: BatchNode[] = [];
  for (const id of reached) {
    const n = byId.get(id)!;
    const up = parent.get(id);
    const above = up === undefined ? undefined : byId.get(up);
    const cf = n.callFrame;
    const ticks = (n.positionTicks ?? []).map((t): [number, number] => [t.line, t.ticks]);
    nodes.push({
      id,
      parent: up ?? null,
      functionName: cf.functionName,
      url: cf.url,
      line: above ? oneBased(above.callFrame.lineNumber) : 0,
      column: oneBased(cf.columnNumber),
      ticks: ticks.length > 0 || cf.lineNumber < 0 ? ticks : [[cf.lineNumber + 1, 1]],
    });
  }
  return { op: 'batch', threadId, intervalUs, coveredUs: profile.endTime, nodes, samples };
}
