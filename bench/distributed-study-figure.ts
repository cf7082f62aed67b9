import os from 'node:os';
import { optimise } from '../optimise/optimise.ts';
import type { StudyOptions } from '../optimise/plan-study.ts';
import { distributedTrials } from '../orchestrator/distributed-study.ts';
import path from 'node:path';
import { sampleDataDir } from '../core/paths.ts';
import { importCandleCsv } from '../market/import-csv.ts';
import { seedDefaults } from '../orchestrator/seed.ts';
import { migrate } from '../store/migrate.ts';
import { type BenchDb, openBenchDb } from './fixtures.ts';
import { studyOptions } from './optimise-figure.ts';
import { startWorkers, stopWorkers } from './scale-out-figure.ts';
import { fmt, type Row } from './stats.ts';

/**
 * Figure 18 of `npm run bench` (alone: `npx tsx bench/scale-out-only.ts`): one 500-trial TPE
 * study of trend_following on BTC/USDT 1h (the shipped 2024 sample: 3 walk-forward windows),
 * its trials run by 1, 2 and 4 `trader worker` processes. The batch is 4 points in every case
 * (the study's stored `workers`), so the three studies must store the same trials; the figure
 * checks it.
 */
const TRIALS = Number(process.env.SCALE_OUT_TRIALS ?? 500);
const WORKERS = [1, 2, 4];
const sampleCsv = path.join(sampleDataDir, 'binance_BTC-USDT_1h_2024.csv');

const study = (env: NodeJS.ProcessEnv, seed: number): StudyOptions => ({
  ...studyOptions({ strategies: ['trend_following'], symbols: ['BTC/USDT'], trials: TRIALS, workers: 4 }),
  from: new Date('2024-01-01T00:00:00Z'),
  to: new Date('2024-12-31T00:00:00Z'),
  windows: 3,
  minTrades: 5,
  seed,
  env,
});

/** What must be the same whichever workers ran them: each trial's params and score. */
async function trialsOf(b: BenchDb, studyId: string): Promise<string> {
  const rows = await b.db.query(
    'select window_index, trial_no, params, score from optimiser_trials where study_id = $1 order by 1, 2',
    [studyId],
  );
  return JSON.stringify(rows);
}

export async function measureDistributedStudy(open: Set<BenchDb>): Promise<{ rows: Row[]; notes: string[] }> {
  const b = await openBenchDb('postgres');
  open.add(b);
  await migrate(b.db);
  await seedDefaults(b.db);
  await importCandleCsv(b.db, { file: sampleCsv, symbol: 'BTC/USDT', timeframe: '1h', exchange: 'binance' });
  const env = { ...process.env, ...b.cliEnv, TRADER_LOG_LEVEL: 'warn' };
  const rows: Row[] = [];
  let first: { ms: number; trials: string } | undefined;
  for (const n of WORKERS) {
    const workers = startWorkers(n, env, 'trials');
    try {
      const t0 = performance.now();
      // The same seed every time: the studies differ only in who ran their trials.
      const report = await optimise(b.db, { options: study(env, 7) }, { distributed: distributedTrials(b.db, env) });
      const ms = performance.now() - t0;
      const trials = await trialsOf(b, report.study_id);
      first ??= { ms, trials };
      const speedUp = first.ms / ms;
      rows.push({
        figure: `18. optimiser study, ${TRIALS} trials`,
        backend: `${n} worker${n > 1 ? 's' : ''} (distributed)`,
        median: `${fmt(ms / 1000)} s`,
        range: '-',
        reps: '1 study',
        notes: `${fmt((TRIALS / ms) * 60_000)} trials/min; speed-up vs 1 worker ${fmt(speedUp, 2)}x (${fmt(speedUp / n, 2)} per worker); trials ${trials === first.trials ? 'identical to' : 'DIFFERENT from'} the 1-worker study`,
      });
    } finally {
      await stopWorkers(workers);
    }
  }
  return {
    rows,
    notes: [
      `figure 18: trend_following on BTC/USDT 1h 2024 (the shipped sample), TPE, seed 7, batches of 4, 3 rolling windows; ${os.availableParallelism()} cores shared with Postgres and the coordinating process`,
    ],
  };
}
