/**
 * A progress line on stderr that only appears when work takes a while (so small
 * inputs print nothing) and is redrawn in place on a terminal, throttled otherwise.
 */
export class ProgressLine {
  private readonly started = Date.now();
  private lastPrint = 0;
  private shown = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly delayMs = 300,
  ) {}

  /** Reports the current step. */
  update = (message: string): void => {
    const now = Date.now();
    if (now - this.started < this.delayMs) return;
    const tty = this.stream.isTTY === true;
    if (now - this.lastPrint < (tty ? 100 : 1000)) return;
    this.lastPrint = now;
    this.shown = true;
    this.stream.write(tty ? `\r\x1b[2Kferroprof: ${message}` : `ferroprof: ${message}\n`);
  };

  /** Clears the line (on a terminal) once the work is done. */
  done(): void {
    if (this.shown && this.stream.isTTY) this.stream.write('\r\x1b[2K');
  }
}
