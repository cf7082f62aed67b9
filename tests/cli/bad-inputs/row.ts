/**
 * One bad input a user can hand `trader`, and what it must answer: the documented exit code
 * and one clear sentence on stderr, no stack trace, no hang, nothing written.
 *
 * Rows live in `*.rows.ts` files beside this one, one file per area; `bad-inputs.test.ts`
 * collects every file and runs each row through the real bin.
 */
export interface BadInput {
  /** The input, in words: what a user did wrong. */
  what: string;
  /** The arguments after `trader`. `{tmp}` is replaced by a folder of the row's own. */
  args: string[];
  /** Extra environment (same `{tmp}` placeholder); `null` removes a variable. */
  env?: Record<string, string | null>;
  /** Lines piped to stdin (prompt answers); without it stdin is closed. */
  stdin?: string;
  /** Prepares files in the row's own folder before the command runs (a FIFO, a file where a folder belongs). */
  setup?: (tmp: string) => void;
  /** The documented exit code. */
  exit: number;
  /** The first stderr line, after `trader: `. */
  message: RegExp;
  /** Commander's usage errors add one "(run with --help for usage)" line. */
  usageHint?: boolean;
  /** Lines after the first that the answer may carry (e.g. a list of problems). */
  extraLines?: RegExp;
  /**
   * Which database the command runs against: a prepared Postgres database (default: a
   * spawn costs far less CPU there), the prepared embedded one (for what only the
   * embedded default does: its data directory, TRADER_HOME), or both.
   */
  backends?: ('pglite' | 'postgres')[];
}
