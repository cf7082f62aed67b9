/**
 * The bounds of numbers a user hands trader (CLI flags and HTTP fields), in one place so
 * the CLI, the HTTP API and the README agree. Each bound is the sense of the value, well
 * inside its column's range (a Postgres integer stops at 2^31 - 1), so an out-of-range
 * number is one sentence naming the flag instead of a raw database error.
 */
export const bounds = {
  /** Closed candles handed to modules per symbol (`--history`, `history`): about eleven years of 1h bars. */
  historyBars: 100_000,
  /** `--max-age-bars`: how stale the newest candle may be, in bars. */
  maxAgeBars: 100_000,
  /** `schedule add --grace-minutes`: a week. */
  graceMinutes: 10_080,
  /** Rows a list command prints (`--limit`, `--trades`). */
  listRows: 10_000,
  /** `backtest --check-lookahead [samples]`: each sample replays a window again. */
  lookaheadSamples: 1_000,
  /** Money in the quote currency (`paper init --balance`, `backtest --equity`): from a cent to a trillion. */
  minAmount: 0.01,
  maxAmount: 1e12,
  /** `macro show --lookbacks` in days: ten years. */
  lookbackDays: 3_650,
  /** `macro fetch --timeout-ms`: ten minutes. */
  timeoutMs: 600_000,
  /** Symbols of a `POST /runs` that `trader serve` decides itself: the request holds the server's one run of the pipeline. */
  httpRunSymbols: 100,
  /**
   * Symbols of a distributed `POST /runs`: the server only plans them and enqueues one job each
   * (workers decide them); 2,000 common symbols are about 25 KB, inside the 64 KB body limit.
   */
  distributedRunSymbols: 2_000,
} as const;
