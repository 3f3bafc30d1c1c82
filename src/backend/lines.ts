/**
 * Which line a leaf sample executed, for the inspector backend: the inspector counts a
 * node's samples per line (`positionTicks`) without saying which sample was where, so
 * the node's samples get lines in time order by smooth weighted round-robin over those
 * counts (the native engine's rule, crates/core/src/engine/lines.rs): a whole profile
 * gets exactly the inspector's counts, any run of its samples gets them in proportion.
 * Internal.
 */

/** `ProfileNode.positionTicks` of the inspector protocol (1-based lines). */
export interface PositionTick {
  line: number;
  ticks: number;
}

/** Deals a node's samples out to its lines in proportion to its position ticks. */
export class LineSpread {
  private readonly lines: number[] = [];
  private readonly weights: number[] = [];
  private readonly credit: number[] = [];
  private total = 0;

  constructor(ticks: readonly PositionTick[] | undefined) {
    for (const t of ticks ?? []) {
      if (t.line > 0 && t.ticks > 0) {
        this.lines.push(t.line);
        this.weights.push(t.ticks);
        this.credit.push(0);
        this.total += t.ticks;
      }
    }
  }

  /** The line of the node's next sample; `undefined` when no line was counted. */
  next(): number | undefined {
    if (this.lines.length === 0) return undefined;
    let best = 0;
    for (let i = 0; i < this.lines.length; i++) {
      this.credit[i]! += this.weights[i]!;
      if (this.credit[i]! > this.credit[best]!) best = i;
    }
    this.credit[best]! -= this.total;
    return this.lines[best];
  }
}
