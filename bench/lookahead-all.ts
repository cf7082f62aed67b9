// `npm run bench:lookahead`: the look-ahead check over the whole shared history, for the
// default pipeline and every shipped strategy. Each case backtests BTC/USDT and ETH/USDT 1h
// from 2018-01-01 to 2025-01-01 (../shared/data) with its prepared columns computed once,
// and re-decides SAMPLES bars per symbol, spread over the seven years, on candles cut at
// that bar (prepare recomputed on the cut copy: what a live run at that time would see).
// Prints one row per case; exits 1 when any decision differs or any module read ahead.
// Needs ../shared/data (a fresh clone has only the 2024 sample: tests/backtest/prepare-parity
// covers that one bar for bar).
process.env.TRADER_LOG_LEVEL = 'warn';
const { runBacktest } = await import('../backtest/run-backtest.ts');
const { defaultPipelineId, packStrategies } = await import('../registry/default-pack.ts');
const { openSharedHistoryDb } = await import('./fixtures.ts');
const { fmt } = await import('./stats.ts');

const SAMPLES = Number(process.env.LOOKAHEAD_SAMPLES ?? 100);
const symbols = ['BTC/USDT', 'ETH/USDT'];
const span = { from: new Date('2018-01-01T00:00:00Z'), to: new Date('2025-01-01T00:00:00Z') };
const log = (s: string) => process.stderr.write(`lookahead: ${s}\n`);

const t0 = performance.now();
const b = await openSharedHistoryDb(symbols, 'lookahead');
let failed = false;
try {
  log(`setup ${fmt((performance.now() - t0) / 1000)} s`);

  const rows: string[][] = [
    ['case', 'sampled', 'differ', 'peeks', 'bars', 'trades', 'return', 'bars/s', 'time', 'first findings'],
  ];
  for (const strategyId of [null, ...packStrategies.map((s) => s.id)]) {
    const label = strategyId ?? 'default pipeline';
    log(
      `${label}: backtest ${symbols.join(', ')} ${span.from.toISOString().slice(0, 10)}..${span.to.toISOString().slice(0, 10)}, ${SAMPLES} samples per symbol`,
    );
    const started = performance.now();
    const { report } = await runBacktest(
      b.db,
      {
        symbols,
        exchange: 'binance',
        timeframe: '1h',
        ...span,
        pipelineId: defaultPipelineId,
        strategyId,
        initialEquity: 10_000,
        feeBps: 10,
        slippageBps: 5,
        historyBars: 500,
        env: process.env,
      },
      { lookaheadSamples: SAMPLES },
    );
    const l = report.lookahead!;
    if (l.differences > 0 || l.peeks > 0) failed = true;
    rows.push([
      label,
      `${l.sampled}`,
      `${l.differences}`,
      `${l.peeks}`,
      `${report.bars_evaluated}`,
      `${report.total.trades}`,
      `${fmt(report.total.total_return_pct, 1)} %`,
      `${fmt(report.bars_per_second, 0)}`,
      `${fmt((performance.now() - started) / 1000, 1)} s`,
      l.findings
        .map((f) => `${f.symbol} ${f.at}: ${f.detail}`)
        .slice(0, 3)
        .join('; '),
    ]);
  }
  process.stdout.write(
    `look-ahead check over ${symbols.join(' and ')} 1h ${span.from.toISOString().slice(0, 10)}..${span.to.toISOString().slice(0, 10)}, ${SAMPLES} sampled bars per symbol, each re-decided on candles cut at that bar\n\n` +
      `${rows
        .map((r) =>
          r
            .map((c, i) => c.padEnd(Math.max(...rows.map((x) => x[i]!.length))))
            .join('  ')
            .trimEnd(),
        )
        .join('\n')}\n`,
  );
} finally {
  await b.dispose();
}
process.exitCode = failed ? 1 : 0;
