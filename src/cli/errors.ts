/** A user-facing failure: printed as one `ferroprof: …` line, never with a stack. */
export class CliError extends Error {
  /** Process exit code to use. */
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
