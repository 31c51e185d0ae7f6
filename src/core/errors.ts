/**
 * The base of every error trellis expects and explains (a bad recipe, a missing run, a refused
 * plan...). The CLI prints its message alone, no stack trace, and exits with its `exitCode`
 * (2: the input; 1: the work failed); anything else is a bug and gets its stack.
 */
export class TrellisError extends Error {
  readonly exitCode: number = 2;
  /** The message begins with the file and line it is about: printed without the `trellis:` prefix. */
  readonly located: boolean = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
