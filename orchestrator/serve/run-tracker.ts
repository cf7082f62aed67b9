import { errorMessage, TraderError } from '../../core/errors.ts';
import { logger } from '../../core/logger.ts';
import type { Db } from '../../store/db.ts';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import type { RunOptions, RunSummary } from '../../engine/run/run-summary.ts';
import { quote } from '../../core/quote.ts';

/** What a run started here ends with: its id, and its summary (null when a distributed run was only opened: its workers finish it). */
export interface RunResult {
  run_id: string;
  summary: RunSummary | null;
}

/** Where a run's symbols are decided: in this process (localRunner), or by workers (startDistributedRun). */
export type Runner = (db: Db, o: RunOptions) => Promise<RunResult>;

export const localRunner: Runner = async (db, o) => {
  const summary = await runPipeline(db, o);
  return { run_id: summary.run_id, summary };
};

export interface StartedRun {
  /** The run id, once the run row (the lock) is written; rejects with whatever stopped the run before that (a plan problem, LOCKED). */
  opened: Promise<string>;
  /** The run's result when the runner is done. */
  done: Promise<RunResult>;
}

/**
 * The runs this server has started and not yet finished. It keeps the CLI's
 * no-interleave rule (one running run per pipeline; the database's run lock decides
 * across processes, and a second request here is told LOCKED at once without
 * planning) and lets shutdown wait for every run to finish. A distributed run is held
 * while it is opened and enqueued, and while a request waits for its summary.
 */
export class RunTracker {
  private readonly running = new Map<string, { runId?: string; since: Date; done: Promise<unknown> }>();

  get size(): number {
    return this.running.size;
  }

  /** Ids of the runs in progress (those whose row is written). */
  runIds(): string[] {
    return [...this.running.values()].flatMap((r) => (r.runId ? [r.runId] : []));
  }

  start(db: Db, options: RunOptions, runner: Runner = localRunner): StartedRun {
    const held = this.running.get(options.pipelineId);
    if (held) {
      throw new TraderError(
        'LOCKED',
        `Pipeline ${quote(options.pipelineId)} is already running (${held.runId ? `run ${held.runId}` : 'a run being planned'}, started through this server at ${held.since.toISOString()}); wait for it to finish.`,
      );
    }
    const entry: { runId?: string; since: Date; done: Promise<unknown> } = {
      since: new Date(),
      done: Promise.resolve(),
    };
    this.running.set(options.pipelineId, entry);
    let report!: (runId: string) => void;
    const whenOpened = new Promise<string>((resolve) => (report = resolve));
    const done = runner(db, { ...options, onOpened: report }).finally(() => this.running.delete(options.pipelineId));
    // Also marks the rejection handled: a caller that did not wait finds a failure in the run row.
    entry.done = done.catch((e: unknown) => {
      // A refusal before the run row (plan problem, LOCKED) is the requester's answer; a failure after it is logged here.
      if (entry.runId)
        logger.warn(
          { pipeline_id: options.pipelineId, run_id: entry.runId, error: errorMessage(e) },
          'run requested over http failed',
        );
    });
    // A run refused before its row (plan problem, LOCKED) never opens: `done` rejects first.
    const opened = Promise.race([whenOpened, done.then((r) => r.run_id)]).then((id) => {
      entry.runId = id;
      return id;
    });
    opened.catch(() => {});
    return { opened, done };
  }

  /** Resolves when every run started here has finished (successfully or not). */
  async drain(): Promise<void> {
    while (this.running.size > 0) {
      const ids = this.runIds();
      logger.info({ runs: ids }, `waiting for ${this.running.size} run(s) to finish`);
      await Promise.all([...this.running.values()].map((r) => r.done));
    }
  }
}
