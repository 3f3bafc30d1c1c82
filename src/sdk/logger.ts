/**
 * The SDK's logging: every problem is said once per kind, never once per event, and
 * logging itself can never throw into the application.
 */
export class SdkLogger {
  private readonly said = new Set<string>();

  constructor(
    private debugEnabled = false,
    private readonly sink: (message: string) => void = (m) => console.warn(m),
  ) {}

  setDebug(enabled: boolean): void {
    this.debugEnabled = enabled;
  }

  get debugOn(): boolean {
    return this.debugEnabled;
  }

  /** Logs `message` the first time `key` is seen. */
  warnOnce(key: string, message: string): void {
    if (this.said.has(key)) return;
    this.said.add(key);
    this.emit(`ferroprof: ${message}`);
  }

  /** Logs only when `debug` is on. */
  debug(message: string): void {
    if (this.debugEnabled) this.emit(`ferroprof [debug]: ${message}`);
  }

  /** A transport-style logger that also de-duplicates. */
  asTransportLogger(): (message: string) => void {
    return (message) => this.warnOnce(`transport:${message}`, message.replace(/^ferroprof: /, ''));
  }

  private emit(message: string): void {
    try {
      this.sink(message);
    } catch {
      // A broken console must not break the host application.
    }
  }
}

/** The first line of an error's message: enough for a one-line log. */
export function errorLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

/** The process-wide logger of the SDK. */
export const logger = new SdkLogger();
