import type { Sandbox } from '../sandbox/sandbox.ts';
import type { Observation, Sampler } from './samplers.ts';
import type { Point } from './space.ts';
import type { TrialRow } from './study-repo.ts';

/** Scores one point on one module worker; what it returns is stored as the trial. */
export type EvaluatePoint = (point: Point, sandbox: Sandbox) => Promise<Omit<TrialRow, 'trial_no' | 'params'>>;

export interface WindowFit {
  trials: number;
  sampler: Sampler;
  /** One module worker per lane: trials of a batch run side by side, one per worker. */
  lanes: readonly Sandbox[];
  /** Trials of this window already stored (a resumed study's): never run again. */
  done: readonly TrialRow[];
  evaluate: EvaluatePoint;
  /** Stores a finished trial before the next batch is proposed. */
  save(row: TrialRow): Promise<void>;
}

/**
 * Runs a window's trials in batches of one trial per lane. Every point of a batch is
 * proposed from the trials numbered before the batch, so the study depends on its seed and
 * its number of workers only, never on which trial of a batch finished first, and a resumed
 * study proposes the missing trials of a batch exactly as the killed one did. Returns every
 * trial of the window by number.
 */
export async function fitWindow(w: WindowFit): Promise<TrialRow[]> {
  const byNumber = new Map(w.done.map((t) => [t.trial_no, t]));
  const batch = w.lanes.length;
  for (let start = 0; start < w.trials; start += batch) {
    const numbers = Array.from({ length: Math.min(batch, w.trials - start) }, (_, i) => start + i);
    const missing = numbers.filter((n) => !byNumber.has(n));
    if (missing.length === 0) continue;
    const history: Observation[] = [...byNumber.values()]
      .filter((t) => t.trial_no < start)
      .sort((a, b) => a.trial_no - b.trial_no)
      .map((t) => ({ point: t.params, value: t.score }));
    const points = w.sampler.ask(history, numbers);
    // Settled, not all: a failing trial must not leave its neighbours running on workers about to be closed.
    const settled = await Promise.allSettled(
      missing.map(async (n, lane) => {
        const params = points[n - start]!;
        const row: TrialRow = { ...(await w.evaluate(params, w.lanes[lane]!)), trial_no: n, params };
        await w.save(row);
        byNumber.set(n, row);
      }),
    );
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  }
  return [...byNumber.values()].filter((t) => t.trial_no < w.trials).sort((a, b) => a.trial_no - b.trial_no);
}

/** The winner of a window: the feasible trial with the highest score, the lowest number on a tie; null when none is feasible. */
export function bestTrial(trials: readonly TrialRow[]): TrialRow | null {
  let best: TrialRow | null = null;
  for (const t of trials) if (t.score !== null && (best === null || t.score > best.score!)) best = t;
  return best;
}
