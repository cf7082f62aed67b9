/**
 * Studies from the scheduler (`schedule add --job optimise`): checked whole when added,
 * run at their tick over the days before it, the tick keeping its study, audited; a
 * scheduler process of one job leaves the other's schedules alone. Both backends.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadStudy } from '../../optimise/study-repo.ts';
import { runDueTicks } from '../../orchestrator/schedule/run-due.ts';
import { addSchedule } from '../../orchestrator/schedule/schedule-admin.ts';
import { claimTick } from '../../orchestrator/schedule/tick-claims.ts';
import { recentRequests, requestScheduleRun } from '../../orchestrator/schedule/schedule-requests.ts';
import type { ScheduledStudy } from '../../orchestrator/schedule/scheduled-study.ts';
import { smallStudy } from '../helpers/scheduled-study.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { expectTraderError } from '../helpers/errors.ts';
import { demoDb } from '../helpers/pipeline.ts';

const env: NodeJS.ProcessEnv = { ...process.env, TRADER_SYSTEM_MODE: 'TEST' };
const study = smallStudy;

describe.each(backends)('scheduled studies on %s', (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await demoDb(kind);
  }, 300_000);
  afterAll(async () => db?.dispose());
  afterEach(async () => {
    await db.query('delete from schedules');
  });

  const add = (s: ScheduledStudy, symbols = ['BTC/USDT']) =>
    addSchedule(
      db,
      { cron: '0 3 * * *', symbols, name: 'nightly-study', study: s },
      { now: new Date('2024-03-02T00:00:00Z'), env },
    );

  it('refuses a study that cannot run when it is added, and stores nothing', async () => {
    await expectTraderError(add(study({ strategies: ['nosuch'] })), 'NOT_FOUND', /No strategy 'nosuch'/);
    await expectTraderError(
      add(study({ settings: { ...study().settings, method: 'grid', gridLevels: 10 } })),
      'BAD_INPUT',
      /^The grid of 'breakout' has \d+ points, more than the 4 trials each window gets/,
    );
    expect(await db.query('select 1 from schedules')).toHaveLength(0);
  });

  it('runs the study at its tick over the days before it, keeps its id on the tick and audits it', async () => {
    const s = await add(study());
    expect(s).toMatchObject({ job: 'optimise', strategy_id: null, job_args: study() });

    // A scheduler of pipeline runs only leaves the study to its own process.
    expect(await runDueTicks(db, { now: new Date('2024-03-02T03:00:10Z'), env, job: 'run' })).toEqual([]);

    const [tick] = await runDueTicks(db, { now: new Date('2024-03-02T03:00:10Z'), env, job: 'optimise' });
    expect(tick).toMatchObject({ outcome: 'ran', status: 'succeeded', run_id: null, study_id: expect.any(String) });
    const studyId = (tick as { study_id: string }).study_id;
    const row = await loadStudy(db, studyId);
    expect(row.status).toBe('finished');
    expect(row.request).toMatchObject({
      strategies: ['breakout'],
      symbols: ['BTC/USDT'],
      from: '2024-01-02T03:00:00.000Z',
      to: '2024-03-02T03:00:00.000Z',
      trials: 4,
    });
    const [t] = await db.query<{ status: string; study_id: string }>(
      'select status, study_id from schedule_ticks where schedule_id = $1',
      [s.schedule_id],
    );
    expect(t).toEqual({ status: 'succeeded', study_id: studyId });
    const [audit] = await db.query<{ status: string; details: Record<string, unknown> }>(
      `select status, details from audit_trail where action_type = 'SCHEDULED_RUN' and entity_id = $1`,
      [String(s.schedule_id)],
    );
    expect(audit).toMatchObject({ status: 'SUCCESS', details: { job: 'optimise', study_id: studyId } });
    // The study's own trail is there too, as for `trader optimise`.
    const trail = await db.query<{ status: string }>(
      `select status from audit_trail where action_type = 'OPTIMIZATION_RUN' and entity_id = $1 order by seq`,
      [studyId],
    );
    expect(trail.map((a) => a.status)).toEqual(['PENDING', 'SUCCESS']);
  }, 300_000);

  it('runs a manual request at the next wake, once, for the chosen profile; the cron ticks carry on after it', async () => {
    const s = await add(study());
    const asked = await requestScheduleRun(db, 'nightly-study', { by: 'test', mode: 'TEST', profile: 'low' });
    expect(asked).toMatchObject({ already_waiting: false, request: { profile: 'low', taken_at: null } });
    const again = await requestScheduleRun(db, String(s.schedule_id), { by: 'test', mode: 'TEST' });
    expect(again).toMatchObject({ already_waiting: true, request: { request_id: asked.request.request_id } });
    const requested = await db.query<{ actor: string; status: string }>(
      `select actor, status from audit_trail where action_type = 'SCHEDULE_RUN_REQUESTED'`,
    );
    expect(requested).toEqual([{ actor: 'USER', status: 'PENDING' }]);

    // 01:00 is no tick of '0 3 * * *': only the request runs, as a tick at the wake.
    const wake = new Date('2024-03-02T01:00:00Z');
    const [tick, ...more] = await runDueTicks(db, { now: wake, env, job: 'optimise' });
    expect(more).toEqual([]);
    expect(tick).toMatchObject({ outcome: 'ran', status: 'succeeded', tick: wake.toISOString() });
    const studyId = (tick as { study_id: string }).study_id;
    expect((await loadStudy(db, studyId)).request).toMatchObject({ profile: 'low', to: wake.toISOString() });
    expect(await runDueTicks(db, { now: new Date('2024-03-02T01:05:00Z'), env, job: 'optimise' })).toEqual([]);
    const [view] = await recentRequests(db, 'TEST', 10);
    expect(view).toMatchObject({ name: 'nightly-study', status: 'succeeded', study_id: studyId, trials: 4 });
    expect(await recentRequests(db, 'LIVE', 10)).toEqual([]);

    const [cron] = await runDueTicks(db, { now: new Date('2024-03-02T03:00:10Z'), env, job: 'optimise' });
    expect(cron).toMatchObject({ outcome: 'ran', tick: '2024-03-02T03:00:00.000Z' });
  }, 300_000);

  it('refuses a request for a schedule of the other mode, or a profile for a pipeline schedule', async () => {
    await add(study());
    await expectTraderError(
      requestScheduleRun(db, 'nightly-study', { by: 'test', mode: 'LIVE' }),
      'BAD_INPUT',
      /^schedule \d+ \(nightly-study\) runs in TEST; trigger it with TRADER_SYSTEM_MODE=TEST\.$/,
    );
    const pipeline = await addSchedule(
      db,
      { cron: '0 * * * *', symbols: ['BTC/USDT'], name: 'hourly', offline: true },
      { now: new Date('2024-03-02T00:00:00Z'), env },
    );
    await expectTraderError(
      requestScheduleRun(db, 'hourly', { by: 'test', mode: 'TEST', profile: 'high' }),
      'BAD_INPUT',
      /runs the pipeline, which trades with the active profile/,
    );
    await expectTraderError(requestScheduleRun(db, 'nosuch', { by: 'test', mode: 'TEST' }), 'NOT_FOUND', /nosuch/);
    expect(await db.query('select 1 from schedule_requests')).toEqual([]);
    expect(pipeline.job).toBe('run');
  });

  it('leaves a request waiting while another tick of the schedule still runs', async () => {
    const s = await add(study());
    expect(await claimTick(db, s, new Date('2024-03-02T00:30:00Z'))).toBe('claimed');
    await requestScheduleRun(db, 'nightly-study', { by: 'test', mode: 'TEST' });
    const [busy] = await runDueTicks(db, { now: new Date('2024-03-02T01:00:00Z'), env, job: 'optimise' });
    expect(busy).toMatchObject({ outcome: 'busy' });
    expect(await db.query('select taken_at, tick from schedule_requests')).toEqual([{ taken_at: null, tick: null }]);
  });
});
