import os from 'node:os';
import { TraderError } from '../../core/errors.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { runDueTicks } from '../../orchestrator/schedule/run-due.ts';
import { addSchedule, removeSchedule, type ScheduleInput } from '../../orchestrator/schedule/schedule-admin.ts';
import { listScheduleViews } from '../../orchestrator/schedule/schedule-view.ts';
import { runScheduler } from '../../orchestrator/schedule/scheduler-loop.ts';
import { claimTick } from '../../orchestrator/schedule/tick-claims.ts';
import type { Db } from '../../store/db.ts';
import { openPostgresDb } from '../../store/postgres-db.ts';
import { deadPid } from '../helpers/cli.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { rejection } from '../helpers/errors.ts';
import { demoDb } from '../helpers/pipeline.ts';

const testEnv: NodeJS.ProcessEnv = { ...process.env, TRADER_SYSTEM_MODE: 'TEST' };
const at = (s: string) => new Date(s);

interface TickRow {
  tick: Date;
  status: string;
  run_id: string | null;
  missed: number;
  first_missed: Date | null;
  error: string | null;
}

interface AuditRow {
  mode: string;
  actor: string;
  action_type: string;
  status: string;
  entity_id: string | null;
  details: Record<string, unknown>;
}

describe.each(backends)('the built-in scheduler on %s', (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await demoDb(kind);
  }, 120_000);
  afterAll(async () => db?.dispose());
  // runDueTicks looks at every schedule: each test starts with none.
  afterEach(async () => {
    await db.query('delete from schedules');
  });

  const add = (input: Partial<ScheduleInput> & { created: string }, env = testEnv) =>
    addSchedule(
      db,
      { cron: '0 * * * *', symbols: ['BTC/USDT', 'ETH/USDT'], offline: true, ...input },
      { now: at(input.created), env },
    );
  const ticks = (id: number) =>
    db.query<TickRow>(
      'select tick, status, run_id, missed, first_missed, error from schedule_ticks where schedule_id = $1 order by tick',
      [id],
    );
  const audits = (id: number) =>
    db.query<AuditRow>(
      "select mode, actor, action_type, status, entity_id, details from audit_trail where entity_type = 'schedule' and entity_id = $1 order by seq",
      [String(id)],
    );
  const runsOf = (id: number) =>
    db.query<{ run_id: string; trigger: string; trigger_ref: string; as_of: Date; status: string }>(
      'select run_id, trigger, trigger_ref, as_of, status from pipeline_runs where trigger_ref like $1 order by started_at',
      [`${id}@%`],
    );

  it('add, list and remove: inputs checked first, each change audited (mode SYSTEM, actor USER)', async () => {
    const s = await add({ created: '2024-03-05T00:00:00Z', name: 'hourly', timezone: 'europe/berlin' });
    expect(s).toMatchObject({
      name: 'hourly',
      cron: '0 * * * *',
      timezone: 'Europe/Berlin',
      system_mode: 'TEST',
      pipeline_id: 'default',
      strategy_id: null,
      grace_seconds: 600,
    });

    expect((await rejection(add({ created: '2024-03-05T00:00:00Z', cron: '0 25 * * *' }))).code).toBe('BAD_INPUT');
    expect((await rejection(add({ created: '2024-03-05T00:00:00Z', timezone: 'Europe/Atlantis' }))).message).toBe(
      "Unknown time zone 'Europe/Atlantis': use an IANA name such as UTC, Europe/Berlin or America/New_York.",
    );
    const dup = await rejection(add({ created: '2024-03-05T00:00:00Z', name: 'hourly' }));
    expect([dup.code, dup.message]).toEqual([
      'BAD_INPUT',
      "A schedule named 'hourly' already exists; choose another --name or remove it first.",
    ]);
    const pipeline = await rejection(add({ created: '2024-03-05T00:00:00Z', pipelineId: 'nope' }));
    expect([pipeline.code, pipeline.message]).toEqual([
      'NOT_FOUND',
      "No pipeline 'nope' in pipeline_config; run `trader db seed` or give an existing --pipeline.",
    ]);
    expect((await rejection(add({ created: '2024-03-05T00:00:00Z', strategyId: 'nope' }))).code).toBe('NOT_FOUND');
    expect((await rejection(add({ created: '2024-03-05T00:00:00Z', symbols: ['btc-usdt'] }))).code).toBe('BAD_INPUT');

    const listed = await listScheduleViews(db, at('2024-03-05T00:20:00Z'));
    expect(listed.map((l) => [l.schedule_id, l.next_tick, l.last_tick])).toEqual([
      [s.schedule_id, '2024-03-05T01:00:00.000Z', null],
    ]);

    expect((await rejection(removeSchedule(db, 'other'))).code).toBe('NOT_FOUND');
    expect((await removeSchedule(db, 'hourly')).schedule_id).toBe(s.schedule_id);
    expect(await listScheduleViews(db, new Date())).toEqual([]);
    const rows = await audits(s.schedule_id);
    expect(rows.map((r) => [r.mode, r.actor, r.action_type, r.status])).toEqual([
      ['SYSTEM', 'USER', 'SCHEDULE_ADDED', 'SUCCESS'],
      ['SYSTEM', 'USER', 'SCHEDULE_REMOVED', 'SUCCESS'],
    ]);
    expect(rows[0]!.details).toMatchObject({
      name: 'hourly',
      cron: '0 * * * *',
      timezone: 'Europe/Berlin',
      symbols: ['BTC/USDT', 'ETH/USDT'],
    });
  });

  it('a due tick runs the pipeline once with trigger schedule and ref <id>@<tick>, recorded and audited', async () => {
    // 03:00 in Berlin (CET) is 02:00 UTC: the demo's timestamp.
    const s = await add({ created: '2024-03-05T01:30:00Z', cron: '0 3 * * *', timezone: 'Europe/Berlin' });
    const ref = `${s.schedule_id}@2024-03-05T02:00:00.000Z`;
    const results = await runDueTicks(db, { now: at('2024-03-05T02:04:00Z'), env: testEnv });
    expect(results).toEqual([
      {
        schedule_id: s.schedule_id,
        name: null,
        tick: '2024-03-05T02:00:00.000Z',
        trigger_ref: ref,
        outcome: 'ran',
        status: 'succeeded',
        run_id: expect.any(String),
        error: null,
      },
    ]);
    const runs = await runsOf(s.schedule_id);
    expect(runs).toEqual([
      {
        run_id: (results[0] as { run_id: string }).run_id,
        trigger: 'schedule',
        trigger_ref: ref,
        as_of: at('2024-03-05T02:00:00Z'),
        status: 'succeeded',
      },
    ]);
    expect(await ticks(s.schedule_id)).toEqual([
      {
        tick: at('2024-03-05T02:00:00Z'),
        status: 'succeeded',
        run_id: runs[0]!.run_id,
        missed: 0,
        first_missed: null,
        error: null,
      },
    ]);
    const audit = (await audits(s.schedule_id)).filter((r) => r.action_type === 'SCHEDULED_RUN');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      mode: 'TEST',
      actor: 'SYSTEM',
      status: 'SUCCESS',
      details: {
        tick: '2024-03-05T02:00:00.000Z',
        trigger_ref: ref,
        run_id: runs[0]!.run_id,
        tick_status: 'succeeded',
      },
    });

    // The same tick never runs again, whatever the clock says later.
    expect(await runDueTicks(db, { now: at('2024-03-05T02:09:00Z'), env: testEnv })).toEqual([]);
    expect(await runsOf(s.schedule_id)).toHaveLength(1);
    const [view] = await listScheduleViews(db, at('2024-03-05T02:09:00Z'));
    expect(view!.last_tick).toEqual({
      tick: '2024-03-05T02:00:00.000Z',
      status: 'succeeded',
      run_id: runs[0]!.run_id,
      missed: 0,
      error: null,
    });
    expect(view!.next_tick).toBe('2024-03-06T02:00:00.000Z');
  });

  it('after downtime only the newest missed tick within the grace window runs; the older ones are recorded as skipped', async () => {
    const s = await add({ created: '2024-03-04T20:10:00Z', symbols: ['BTC/USDT'] });
    const results = await runDueTicks(db, { now: at('2024-03-05T02:05:00Z'), env: testEnv });
    expect(results.map((r) => [r.outcome, r.tick])).toEqual([
      ['skipped', '2024-03-05T01:00:00.000Z'],
      ['ran', '2024-03-05T02:00:00.000Z'],
    ]);
    expect(
      (await ticks(s.schedule_id)).map((t) => [
        t.tick.toISOString(),
        t.status,
        t.missed,
        t.first_missed?.toISOString() ?? null,
      ]),
    ).toEqual([
      ['2024-03-05T01:00:00.000Z', 'skipped', 5, '2024-03-04T21:00:00.000Z'],
      ['2024-03-05T02:00:00.000Z', 'succeeded', 0, null],
    ]);

    // Down again past the next tick's grace window (10 min): nothing runs late.
    const later = await runDueTicks(db, { now: at('2024-03-05T03:45:00Z'), env: testEnv });
    expect(later.map((r) => [r.outcome, r.tick])).toEqual([['skipped', '2024-03-05T03:00:00.000Z']]);
    expect(await runsOf(s.schedule_id)).toHaveLength(1);
    const rows = await audits(s.schedule_id);
    expect(rows.map((r) => [r.action_type, r.status])).toEqual([
      ['SCHEDULE_ADDED', 'SUCCESS'],
      ['SCHEDULED_TICKS_SKIPPED', 'WARNING'],
      ['SCHEDULED_RUN', 'SUCCESS'],
      ['SCHEDULED_TICKS_SKIPPED', 'WARNING'],
    ]);
    expect(rows[1]!.details).toMatchObject({
      missed: 5,
      first_missed: '2024-03-04T21:00:00.000Z',
      last_missed: '2024-03-05T01:00:00.000Z',
    });
  });

  it('two schedulers on the same tick: exactly one claims it and runs it', async () => {
    const s = await add({ created: '2024-03-05T01:30:00Z', symbols: ['BTC/USDT'] });
    // On Postgres the second scheduler has its own connection pool, as a second process would.
    const other: Db = kind === 'postgres' ? await openPostgresDb(db.url!) : db;
    try {
      const both = await Promise.all([
        runDueTicks(db, { now: at('2024-03-05T02:01:00Z'), env: testEnv }),
        runDueTicks(other, { now: at('2024-03-05T02:01:00Z'), env: testEnv }),
      ]);
      expect(both.flat().filter((r) => r.outcome === 'ran')).toHaveLength(1);
      expect(
        both
          .flat()
          .filter((r) => r.outcome !== 'ran')
          .every((r) => r.outcome === 'taken'),
      ).toBe(true);
      expect(await runsOf(s.schedule_id)).toHaveLength(1);
      expect((await audits(s.schedule_id)).filter((r) => r.action_type === 'SCHEDULED_RUN')).toHaveLength(1);

      // The claim itself, raced directly: one winner; and no second tick of the schedule while one runs.
      const claims = await Promise.all([
        claimTick(db, s, at('2024-03-05T03:00:00Z')),
        claimTick(other, s, at('2024-03-05T03:00:00Z')),
      ]);
      expect(claims.sort()).toEqual(['claimed', 'taken']);
      expect(await claimTick(other, s, at('2024-03-05T04:00:00Z'))).toBe('busy');
    } finally {
      if (other !== db) await other.close();
    }
  });

  it('a tick whose process died is reaped as crashed (audited), never re-run, and the schedule goes on', async () => {
    const s = await add({ created: '2024-03-05T00:30:00Z', symbols: ['BTC/USDT'] });
    await db.query(
      "insert into schedule_ticks (schedule_id, tick, status, pid, host) values ($1, $2, 'running', $3, $4)",
      [s.schedule_id, at('2024-03-05T01:00:00Z'), await deadPid(), os.hostname()],
    );
    const results = await runDueTicks(db, { now: at('2024-03-05T02:00:30Z'), env: testEnv });
    expect(results.map((r) => [r.outcome, r.tick, 'status' in r ? r.status : null])).toEqual([
      ['ran', '2024-03-05T02:00:00.000Z', 'succeeded'],
    ]);
    expect((await ticks(s.schedule_id)).map((t) => [t.tick.toISOString(), t.status])).toEqual([
      ['2024-03-05T01:00:00.000Z', 'crashed'],
      ['2024-03-05T02:00:00.000Z', 'succeeded'],
    ]);
    const crashed = (await audits(s.schedule_id)).find((r) => r.details.tick_status === 'crashed');
    expect(crashed).toMatchObject({
      mode: 'TEST',
      action_type: 'SCHEDULED_RUN',
      status: 'FAILURE',
      details: { tick: '2024-03-05T01:00:00.000Z' },
    });
    expect(String(crashed!.details.error)).toMatch(/^reaped: its process \d+ on .* is gone$/);
  });

  it('a run that cannot start (another run holds the pipeline lock) is recorded as an error and audited', async () => {
    const s = await add({ created: '2024-03-05T01:30:00Z', symbols: ['BTC/USDT'] });
    await db.query(
      "insert into pipeline_runs (run_id, pipeline_id, status, trigger, exchange, timeframe, symbols, as_of, pid, host) values ('00000000-0000-4000-8000-000000000001', 'default', 'running', 'cli', 'binance', '1h', '{BTC/USDT}', now(), $1, $2)",
      [process.pid, os.hostname()],
    );
    try {
      const [r] = await runDueTicks(db, { now: at('2024-03-05T02:00:00Z'), env: testEnv });
      expect(r).toMatchObject({
        outcome: 'ran',
        status: 'error',
        run_id: null,
        error: expect.stringMatching(/^LOCKED: Pipeline 'default' is already running/),
      });
      const [tick] = await ticks(s.schedule_id);
      expect(tick).toMatchObject({ status: 'error', error: expect.stringMatching(/^LOCKED: /) });
      expect((await audits(s.schedule_id)).at(-1)).toMatchObject({
        mode: 'TEST',
        action_type: 'SCHEDULED_RUN',
        status: 'FAILURE',
        details: { tick_status: 'error' },
      });
    } finally {
      await db.query(
        "update pipeline_runs set status = 'failed' where run_id = '00000000-0000-4000-8000-000000000001'",
      );
    }
  });

  it('a scheduler runs only the schedules of its own system mode', async () => {
    await add({ created: '2024-03-05T01:30:00Z', symbols: ['BTC/USDT'] }, { ...testEnv, TRADER_SYSTEM_MODE: 'LIVE' });
    expect(await runDueTicks(db, { now: at('2024-03-05T02:01:00Z'), env: testEnv })).toEqual([]);
  });

  it('the long-running loop wakes at each tick and, when stopped during a run, lets it finish, records it and exits', async () => {
    const s = await add({ created: '2024-03-05T00:40:00Z', symbols: ['BTC/USDT'] });
    let clock = at('2024-03-05T00:50:00Z');
    const slept: number[] = [];
    const stop = new AbortController();
    let runs = 0;
    const report = await runScheduler({
      openDb: async () => ({ ...db, close: async () => {} }),
      env: testEnv,
      signal: stop.signal,
      now: () => clock,
      sleep: async (ms) => {
        slept.push(ms);
        clock = new Date(clock.getTime() + ms);
      },
      pollMs: 6 * 3_600_000,
      runner: async (q, options) => {
        // SIGTERM arrives while the second run is under way.
        if (++runs === 2) stop.abort();
        return runPipeline(q, options);
      },
    });
    expect(slept).toEqual([10 * 60_000, 60 * 60_000]);
    expect(report.wakes).toBe(3);
    expect(report.ticks.map((r) => [r.tick, r.outcome, 'status' in r ? r.status : null])).toEqual([
      ['2024-03-05T01:00:00.000Z', 'ran', 'succeeded'],
      ['2024-03-05T02:00:00.000Z', 'ran', 'succeeded'],
    ]);
    expect((await ticks(s.schedule_id)).map((t) => t.status)).toEqual(['succeeded', 'succeeded']);
    expect((await runsOf(s.schedule_id)).map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
  });
  it('a wake that cannot open the database (e.g. the embedded lock is held) is retried, not fatal', async () => {
    const s = await add({ created: '2024-03-05T00:40:00Z', symbols: ['BTC/USDT'] });
    let clock = at('2024-03-05T00:59:00Z');
    const stop = new AbortController();
    let opens = 0;
    const slept: number[] = [];
    const report = await runScheduler({
      openDb: async () => {
        if (++opens === 2)
          throw new TraderError('LOCKED', 'The embedded database is in use by another trader process.');
        if (opens === 4) stop.abort();
        return { ...db, close: async () => {} };
      },
      env: testEnv,
      signal: stop.signal,
      now: () => clock,
      sleep: async (ms) => {
        slept.push(ms);
        clock = new Date(clock.getTime() + ms);
      },
      pollMs: 6 * 3_600_000,
      retryMs: 15_000,
    });
    // 00:59 nothing due; 01:00 the database is locked; 01:00:15 the tick runs (within its grace window); then stopped.
    expect(slept).toEqual([60_000, 15_000, 3_600_000 - 15_000]);
    expect(report.ticks.map((r) => [r.tick, r.outcome])).toEqual([['2024-03-05T01:00:00.000Z', 'ran']]);
    expect((await ticks(s.schedule_id)).map((t) => t.status)).toEqual(['succeeded']);
  });
});
