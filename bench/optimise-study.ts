// `npm run bench:optimise`: the optimiser issue's figure. A TPE study of each strategy in
// OPTIMISE_STRATEGIES (default: breakout) over BTC/USDT and ETH/USDT 1h 2019-01-01 to
// 2025-01-01 (../shared/data), OPTIMISE_TRIALS trials (default 500) in 5 rolling
// walk-forward windows, one module worker per core (OPTIMISE_WORKERS), seed 1, on a fresh
// embedded database (DATABASE_URL: on that Postgres). Prints the study's time next to its
// target ("in minutes") and each strategy's out-of-sample record next to buy-and-hold on
// the same windows. `npm run bench` measures a short study; this one is the whole figure.
process.env.TRADER_LOG_LEVEL = 'warn';
const { optimise } = await import('../optimise/optimise.ts');
const { defaultWorkers } = await import('../backtest/run-many.ts');
const { table } = await import('../orchestrator/cli/table.ts');
const { openSharedHistoryDb } = await import('./fixtures.ts');
const { studyRows, studyOptions } = await import('./optimise-figure.ts');

const strategies = (process.env.OPTIMISE_STRATEGIES ?? 'breakout').split(',');
const trials = Number(process.env.OPTIMISE_TRIALS ?? 500);
const workers = Number(process.env.OPTIMISE_WORKERS ?? defaultWorkers());
const symbols = ['BTC/USDT', 'ETH/USDT'];
const log = (s: string) => process.stderr.write(`optimise: ${s}\n`);

const b = await openSharedHistoryDb(symbols, 'optimise');
try {
  const rows: string[][] = [];
  for (const strategy of strategies) {
    log(`${strategy}: ${trials} TPE trials, 5 windows, ${workers} worker(s)`);
    const started = performance.now();
    let last = 0;
    const report = await optimise(
      b.db,
      { options: studyOptions({ strategies: [strategy], symbols, trials, workers }) },
      {
        onProgress: (p) => {
          if (p.done - last >= 25 || p.done === p.total) {
            last = p.done;
            log(`${p.done}/${p.total} trials, ${((performance.now() - started) / 1000).toFixed(0)} s`);
          }
        },
      },
    );
    rows.push(...studyRows(report, (performance.now() - started) / 1000));
  }
  process.stdout.write(
    `optimiser: ${trials} TPE trials per strategy over ${symbols.join(' and ')} 1h 2019-01-01..2025-01-01, 5 rolling walk-forward windows (fit 3 segments, test 1), objective sortino, medium profile, ${workers} worker(s); target: finishes in minutes\n\n${table(
      [
        'strategy',
        'trials',
        'time',
        'per trial',
        'OOS return',
        'OOS max DD',
        'OOS trades',
        'buy & hold',
        'WFE',
        'verdict',
        'outcome',
      ],
      rows,
    )}\n`,
  );
} finally {
  await b.dispose();
}
