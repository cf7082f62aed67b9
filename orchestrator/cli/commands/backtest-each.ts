import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { BacktestOptions } from '../../../backtest/backtest-setup.ts';
import { loadBacktest } from '../../../backtest/backtest-repo.ts';
import { renderBatch } from '../../../backtest/render-batch.ts';
import { lookaheadFailed } from '../../../backtest/render-report.ts';
import { batchTasks, runBatchHere } from '../../../backtest/run-batch.ts';
import { runBatchOnWorkers } from '../../../backtest/wait-batch.ts';
import { prewarmSandbox } from '../../../sandbox/probe.ts';
import { distributedBacktests } from '../../distributed-backtests.ts';
import { output, withDb, type JsonFlag } from '../command-kit.ts';
import { progressBar } from '../progress-bar.ts';

interface EachFlags extends JsonFlag {
  distributed?: boolean;
  out?: string;
}

/**
 * `trader backtest --each [--distributed]`: one backtest per symbol, each on an account of
 * its own, as one batch; here on worker threads, or as jobs for `trader worker` processes.
 * Both print the same rows and `--json` document ({ok, batch_id, backtests, failed}); a
 * symbol that failed is listed with its sentence (exit 1) and the others stand. `--out`
 * writes each stored backtest whole (report, trades, curves), read back from the database.
 */
export async function backtestEach(flags: EachFlags, options: BacktestOptions, samples: number): Promise<number> {
  const tasks = batchTasks(randomUUID(), options, samples);
  if (!flags.distributed) prewarmSandbox();
  const onProgress = progressBar(!flags.json && process.stderr.isTTY === true, 'backtests');
  const { outcome, saved } = await withDb('backtest', async (db) => {
    const outcome = flags.distributed
      ? await runBatchOnWorkers(db, distributedBacktests(db, process.env), tasks, { onProgress })
      : await runBatchHere(db, tasks, { env: process.env, onProgress });
    const saved = flags.out ? await Promise.all(outcome.backtests.map((r) => loadBacktest(db, r.backtest_id))) : [];
    return { outcome, saved };
  });
  if (flags.out) {
    const backtests = saved.map((b) => ({ ...b, curves: Object.fromEntries(b.curves) }));
    fs.writeFileSync(
      flags.out,
      `${JSON.stringify({ batch_id: outcome.batch_id, backtests, failed: outcome.failed }, null, 2)}\n`,
    );
  }
  output(flags, { ok: outcome.failed.length === 0, ...outcome }, () => renderBatch(outcome));
  return outcome.failed.length > 0 || outcome.backtests.some(lookaheadFailed) ? 1 : 0;
}
