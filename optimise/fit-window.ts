import type { Sandbox } from '../sandbox/sandbox.ts';
import type { Observation, Sampler } from './samplers.ts';
import type { Point } from './space.ts';
import type { TrialRow } from './study-repo.ts';

/** Scores one point on one module worker; what it returns is stored as the trial. */
export type EvaluatePoint = (point: Point, sandbox: Sandbox) => Promise<Omit<TrialRow, 'trial_no' | 'params'>>;

/** A trial proposed and not stored yet. */
export interface PendingTrial {
  trial_no: number;
  params: Point;
}

/**
 * Runs and stores a batch's trials, calling `stored` with each row once it is stored (in
 * any order); resolves when all are. On the coordinator's lanes (`laneBatch`) or as jobs
 * for `trader worker` (distributed-batch.ts).
 */
export type RunBatch = (batch: readonly PendingTrial[], stored: (row: TrialRow) => void) => Promise<void>;

export interface WindowFit {
  trials: number;
  /** Trials proposed together: the study's `workers`, wherever they run. */
  batchSize: number;
  sampler: Sampler;
  /** Trials of this window already stored (a resumed study's): never run again. */
  done: readonly TrialRow[];
  runBatch: RunBatch;
  /** Told of each trial as it is stored. */
  onStored?(row: TrialRow): void;
}

/**
 * Runs a window's trials in batches of `batchSize`. Every point of a batch is proposed
 * from the trials numbered before the batch, so the study depends on its seed and its
 * batch size only, never on which trial of a batch finished first nor where it ran, and a
 * resumed study proposes the missing trials of a batch exactly as the killed one did.
 * Returns every trial of the window by number.
 */
export async function fitWindow(w: WindowFit): Promise<TrialRow[]> {
  const byNumber = new Map(w.done.map((t) => [t.trial_no, t]));
  for (let start = 0; start < w.trials; start += w.batchSize) {
    const numbers = Array.from({ length: Math.min(w.batchSize, w.trials - start) }, (_, i) => start + i);
    const missing = numbers.filter((n) => !byNumber.has(n));
    if (missing.length === 0) continue;
    const history: Observation[] = [...byNumber.values()]
      .filter((t) => t.trial_no < start)
      .sort((a, b) => a.trial_no - b.trial_no)
      .map((t) => ({ point: t.params, value: t.score }));
    const points = w.sampler.ask(history, numbers);
    await w.runBatch(
      missing.map((n) => ({ trial_no: n, params: points[n - start]! })),
      (row) => {
        byNumber.set(row.trial_no, row);
        w.onStored?.(row);
      },
    );
  }
  return [...byNumber.values()].filter((t) => t.trial_no < w.trials).sort((a, b) => a.trial_no - b.trial_no);
}

/** A batch on the coordinator's module workers, one trial per lane (a batch is never larger than the lanes). */
export function laneBatch(lanes: readonly Sandbox[], evaluate: EvaluatePoint, save: (row: TrialRow) => Promise<void>) {
  const run: RunBatch = async (batch, stored) => {
    // Settled, not all: a failing trial must not leave its neighbours running on workers about to be closed.
    const settled = await Promise.allSettled(
      batch.map(async (t, lane) => {
        const row: TrialRow = { ...(await evaluate(t.params, lanes[lane]!)), trial_no: t.trial_no, params: t.params };
        await save(row);
        stored(row);
      }),
    );
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  };
  return run;
}

/** The winner of a window: the feasible trial with the highest score, the lowest number on a tie; null when none is feasible. */
export function bestTrial(trials: readonly TrialRow[]): TrialRow | null {
  let best: TrialRow | null = null;
  for (const t of trials) if (t.score !== null && (best === null || t.score > best.score!)) best = t;
  return best;
}
