// Child process of figure 8 (bench/backtest-rate.ts): one backtest in its own process, so
// its peak RSS is that backtest's alone. Run as
//   node --import tsx bench/backtest-rate-child.ts '<BacktestCase JSON>'
// with TRADER_HOME pointing at the bench's PGlite directory (closed by the parent) and
// TRADER_MODULES_ROOT at the package root. Prints one JSON line (ChildResult) on stdout.
process.env.TRADER_LOG_LEVEL ??= 'warn';

export interface ChildCase {
  symbols: string[];
  pipelineId: string;
  strategyId: string | null;
  from: string;
  to: string;
  historyBars: number;
  /** Each symbol its own backtest (own account), this many at once on worker threads (backtest/run-many.ts). */
  workers?: number;
}

export interface ChildResult {
  bars_evaluated: number;
  replay_ms: number;
  duration_ms: number;
  /** process.resourceUsage().maxRSS at the end, KB. */
  max_rss_kb: number;
  /** RSS when the replay reported its first bar (plans, candles, macro and PGlite loaded), bytes. */
  rss_at_first_bar: number;
  /** Whole child, import to exit of runBacktest (saving included), ms. */
  wall_ms: number;
  trades: number;
  decisions: Record<string, number>;
  module_errors: number;
  /** Each erring module with its count and first message. */
  error_kinds: string[];
  /** Decisions (bars evaluated) per symbol. */
  per_symbol_bars: Record<string, number>;
}

const t0 = performance.now();
const c = JSON.parse(process.argv[2] ?? '') as ChildCase;
const { openDb } = await import('../store/open.ts');
const { runBacktest } = await import('../backtest/run-backtest.ts');
const { runBacktests } = await import('../backtest/run-many.ts');
const db = await openDb({ command: 'bench backtest' });
let rssAtFirstBar = 0;
try {
  const options = {
    symbols: c.symbols,
    exchange: 'binance',
    timeframe: '1h',
    from: new Date(c.from),
    to: new Date(c.to),
    pipelineId: c.pipelineId,
    strategyId: c.strategyId,
    initialEquity: 10_000,
    feeBps: 10,
    slippageBps: 5,
    historyBars: c.historyBars,
  };
  const started = performance.now();
  const results = c.workers
    ? await runBacktests(
        db,
        c.symbols.map((s) => ({ ...options, symbols: [s] })),
        { workers: c.workers },
      )
    : [
        await runBacktest(db, options, {
          onProgress: (done) => {
            if (done === 1) rssAtFirstBar = process.memoryUsage().rss;
          },
        }),
      ];
  const wall = performance.now() - started;
  const reports = results.map((r) => r.report);
  const decisions: Record<string, number> = {};
  for (const s of reports.flatMap((r) => r.symbols))
    for (const [k, v] of Object.entries(s.decisions)) decisions[k] = (decisions[k] ?? 0) + v;
  const errors = reports.flatMap((r) => r.module_errors);
  const out: ChildResult = {
    bars_evaluated: reports.reduce((n, r) => n + r.bars_evaluated, 0),
    // Several backtests at once: their wall time, which is what parallel runs save.
    replay_ms: c.workers ? wall : reports[0]!.replay_ms,
    duration_ms: c.workers ? wall : reports[0]!.duration_ms,
    max_rss_kb: process.resourceUsage().maxRSS,
    rss_at_first_bar: rssAtFirstBar,
    wall_ms: performance.now() - t0,
    trades: results.reduce((n, r) => n + r.trades.length, 0),
    decisions,
    module_errors: errors.reduce((n, e) => n + e.count, 0),
    error_kinds: errors.map((e) => `${e.module_id} x${e.count}: ${e.first}`),
    per_symbol_bars: Object.fromEntries(
      reports.flatMap((r) => r.symbols).map((s) => [s.symbol, Object.values(s.decisions).reduce((a, b) => a + b, 0)]),
    ),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  await db.close();
}
