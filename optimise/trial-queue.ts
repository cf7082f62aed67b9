import type { Point } from './space.ts';

/** One trial a worker is asked to run: which study, strategy, window and number, and its point. */
export interface TrialTask {
  study_id: string;
  strategy_id: string;
  window_index: number;
  trial_no: number;
  params: Point;
}

/**
 * Where a distributed study's trials go and how their jobs fare: the port the optimiser
 * depends on, so optimise/ knows nothing of the job queue (its adapter is queue/trial-jobs.ts,
 * as engine/run/distributed/open-run.ts's JobSink is queue/enqueue.ts).
 */
export interface TrialQueue {
  /**
   * One job per trial. A trial's job id derives from the trial, so enqueueing it again adds
   * nothing; one that failed for good or was cancelled (a study resumed after that) is put back.
   */
  enqueue(tasks: readonly TrialTask[]): Promise<void>;
  /** Why one of these trials' jobs will never store its trial (failed for good, cancelled); null while none. */
  failure(tasks: readonly TrialTask[]): Promise<string | null>;
}
