/**
 * A study killed with SIGKILL mid-way resumes with `--resume` and finishes without running
 * a stored trial again, with exactly the trials an uninterrupted study of the same seed and
 * workers has. The embedded database is shared while a study runs, so the test watches its
 * progress through `optimise list` from another process, as a user would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBackends, ok, runTrader, spawnTrader, type Target } from '../helpers/cli.ts';
import { demoTarget } from '../helpers/demo-template.ts';

// Two months of bars: what is proved is about trials (which are kept, which run again), not
// about the span, and a trial's backtest costs in proportion to its bars; two windows there
// still both find feasible trials with trades. 60 trials leave a wide margin to kill it mid-way.
const study = [
  'optimise',
  '--strategy',
  'breakout',
  '--symbols',
  'BTC/USDT',
  '--from',
  '2024-01-01',
  '--to',
  '2024-03-01',
  '--trials',
  '60',
  '--walk-forward',
  '2',
  '--workers',
  '2',
  '--min-trades',
  '1',
  '--seed',
  '9',
  '--history',
  '300',
];

interface Listed {
  study_id: string;
  status: string;
  trials_done: number;
}

async function studies(t: Target): Promise<Listed[]> {
  const r = await runTrader(['optimise', 'list', '--json'], t.env);
  return r.code === 0 ? (JSON.parse(r.stdout) as { studies: Listed[] }).studies : [];
}

/** Each study's trials, read through one `trader db sql`. */
async function trialRows(t: Target, ...ids: string[]): Promise<unknown[][]> {
  const { rows } = JSON.parse(
    (
      await ok(
        t,
        'db',
        'sql',
        '--json',
        `select study_id, window_index, trial_no, params, score, infeasible, metrics - 'per_bar' as m from optimiser_trials where study_id in (${ids.map((id) => `'${id}'`).join(', ')}) order by 2, 3`,
      )
    ).stdout,
  ) as { rows: { study_id: string }[] };
  return ids.map((id) => rows.filter((r) => r.study_id === id).map(({ study_id: _id, ...row }) => row));
}

describe.each(cliBackends)('optimise after kill -9 (%s)', (kind) => {
  let t: Target;
  beforeAll(async () => {
    t = await demoTarget(kind);
  }, 240_000);
  afterAll(async () => t?.dispose());

  it('resumes the killed study without repeating a trial, to the same trials as an uninterrupted one', async () => {
    const child = spawnTrader(study, t.env);
    let exited: string | null = null;
    void child.done.then((r) => (exited = `exit ${r.code}: ${r.stderr}`));
    let killedAt: Listed | undefined;
    // Long enough (60 trials) that a poll through another process sees it mid-way even on a fast machine.
    const deadline = Date.now() + 180_000;
    // Polled only once the study holds the database and shares it: a poll that held the embedded
    // database while the study opened it would make the study's open fail as LOCKED.
    while (!/^study [0-9a-f-]{36} /m.test(child.stderr()) && exited === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    while (!killedAt && exited === null && Date.now() < deadline) {
      const running = (await studies(t)).find((s) => s.status === 'running' && s.trials_done >= 3);
      if (running) {
        process.kill(child.pid, 'SIGKILL');
        killedAt = running;
      } else await new Promise((r) => setTimeout(r, 200));
    }
    expect(killedAt, `the study never reached 3 stored trials (${exited ?? 'still running'})`).toBeDefined();
    expect((await child.done).code).toBeNull();
    const id = killedAt!.study_id;
    const [kept] = (await trialRows(t, id)) as [unknown[]];
    expect(kept.length).toBeGreaterThanOrEqual(3);
    expect(kept.length).toBeLessThan(60);

    const resumed = await ok(t, 'optimise', '--resume', id, '--json');
    const doc = JSON.parse(resumed.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ ok: true, study_id: id, strategy_id: 'breakout' });
    for (const key of ['best', 'walk_forward', 'out_of_sample', 'overfitting', 'proposal_id'])
      expect(doc).toHaveProperty(key);
    expect((doc.walk_forward as unknown[]).length).toBe(2);

    const again = JSON.parse((await ok(t, ...study, '--json')).stdout) as { study_id: string };
    // The resumed study's trials are final once it has finished: read with the uninterrupted one's.
    const [all, uninterrupted] = (await trialRows(t, id, again.study_id)) as [unknown[], unknown[]];
    expect(all).toHaveLength(60);
    for (const row of kept) expect(all).toContainEqual(row);
    expect(uninterrupted).toEqual(all);
    const shown = await ok(t, 'optimise', 'show', id);
    expect(shown.stdout).toMatch(/OUT OF SAMPLE/);
  }, 300_000);
});
