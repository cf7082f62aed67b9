import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideSymbolJob } from '../../engine/run/distributed/symbol-job.ts';
import { releaseSandbox, warmSandbox } from '../../sandbox/probe.ts';
import { setOperationalMode } from '../../trading/governance/operational-mode.ts';
import { tradingScope } from '../../trading/scope.ts';
import { deadPid } from '../helpers/cli.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { demoAsOf, demoDb } from '../helpers/pipeline.ts';
import { demoRun, expectError, gatedDb, type Harness, serveEnv, serveOn } from './harness.ts';

const scope = tradingScope('TEST');
/** The server's clock: an hour after the demo's decision, so an approval is priced on the next candle. */
const oneHourLater = new Date(demoAsOf.getTime() + 3_600_000);

const post = (h: Harness, path: string, body: unknown) => h.call(path, { method: 'POST', body: JSON.stringify(body) });

async function runRow(db: TestDb, runId: string) {
  const [row] = await db.query<{ status: string; trigger: string; trigger_ref: string | null }>(
    'select status, trigger, trigger_ref from pipeline_runs where run_id = $1',
    [runId],
  );
  return row;
}

/** A run answered before it is done: 202, its id, and where to look it up. */
function expectAccepted(r: { status: number; headers: Headers; body: any }): void {
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  expect(r.body).toEqual({
    ok: true,
    run_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    status: 'running',
    run_url: `/runs/${r.body.run_id}`,
  });
  expect(r.headers.get('location')).toBe(`/runs/${r.body.run_id}`);
}

/**
 * Runs and proposals over HTTP on the demo database: a run as the CLI runs it (trigger
 * 'http', the n8n execution id as its reference), a distributed one (its symbols decided
 * here by the workers' use case, no worker process), the no-interleave rule, the
 * Semi-Automatic review flow, and a shutdown that lets a running run finish.
 */
describe.each(backends)('trader serve: runs and proposals (%s)', (kind) => {
  let db: TestDb;
  let h: Harness;
  beforeAll(async () => {
    db = await demoDb(kind);
    h = await serveOn(db, { clock: () => oneHourLater, env: serveEnv(db) });
  }, 120_000);
  afterAll(async () => {
    await h?.server.close();
    await db?.dispose();
  });

  it('POST /runs with wait returns the run summary; GET /runs/:id returns the stored run with its trace', async () => {
    const r = await post(h, '/runs?wait=true', { ...demoRun, trigger_ref: 'n8n-exec-41' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      schema_version: 1,
      ok: true,
      status: 'succeeded',
      trigger: 'http',
      as_of: '2024-03-05T02:00:00.000Z',
      pipeline_id: 'default',
      trigger_ref: 'n8n-exec-41',
    });
    expect(r.body.symbols.map((s: { symbol: string; outcome: string }) => [s.symbol, s.outcome])).toEqual([
      ['BTC/USDT', 'trade_intent'],
      ['ETH/USDT', 'trade_intent'],
    ]);
    const shown = await h.call(`/runs/${r.body.run_id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.run).toMatchObject({
      run_id: r.body.run_id,
      status: 'succeeded',
      trigger: 'http',
      trigger_ref: 'n8n-exec-41',
      symbols: demoRun.symbols,
    });
    expect(shown.body.run.summary.run_id).toBe(r.body.run_id);
    expect(shown.body.logs.filter((l: { event: string }) => l.event === 'decision')).toHaveLength(2);
    // The run an n8n execution started, found by its reference.
    const found = await h.call('/runs?trigger_ref=n8n-exec-41&limit=5');
    expect(found.status).toBe(200);
    expect(found.body.runs.map((r: { run_id: string; trigger: string }) => [r.run_id, r.trigger])).toEqual([
      [r.body.run_id, 'http'],
    ]);
    expect((await h.call('/runs?trigger=cli')).body.runs).toEqual([]);
    expectError(await h.call('/runs?limit=0'), 400, 'BAD_INPUT', /query\.limit: limit is at least 1/);
    expectError(await h.call('/runs?run=1'), 400, 'BAD_INPUT', /query/);
  });

  it('POST /runs without wait answers 202 with the run id once the run holds its lock; the run finishes on its own', async () => {
    const r = await post(h, '/runs', { ...demoRun, symbols: 'BTC/USDT', trigger_ref: 'n8n-exec-42' });
    expectAccepted(r);
    for (let i = 0; i < 200 && (await runRow(db, r.body.run_id))?.status === 'running'; i++)
      await new Promise((res) => setTimeout(res, 50));
    expect(await runRow(db, r.body.run_id)).toEqual({
      status: 'succeeded',
      trigger: 'http',
      trigger_ref: 'n8n-exec-42',
    });
  });

  it('a plan problem is refused before anything runs (422); an unknown strategy names itself', async () => {
    const r = await post(h, '/runs', { ...demoRun, strategy: 'no_such_strategy', wait: true });
    expectError(r, 422, 'CONFIG_INVALID', /no_such_strategy/);
  });

  it('two concurrent runs of the same pipeline: one runs, the other is refused LOCKED (409)', async () => {
    const [a, b] = await Promise.all([post(h, '/runs?wait=1', demoRun), post(h, '/runs?wait=1', demoRun)]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const refused = a.status === 409 ? a : b;
    expectError(refused, 409, 'LOCKED', /^Pipeline 'default' is already running .*; wait for it to finish\.$/);
  });

  it('a run held by another process (the database lock) is refused LOCKED too, naming the holder', async () => {
    const holder = randomUUID();
    await db.query(
      `insert into pipeline_runs (run_id, pipeline_id, status, trigger, exchange, timeframe, symbols, as_of, pid, host)
       values ($1, 'default', 'running', 'cli', 'binance', '1h', '{BTC/USDT}', now(), $2, $3)`,
      [holder, process.pid, os.hostname()],
    );
    try {
      expectError(
        await post(h, '/runs', demoRun),
        409,
        'LOCKED',
        new RegExp(`already running \\(run ${holder}, process ${process.pid} `),
      );
    } finally {
      await db.query("update pipeline_runs set status = 'crashed', finished_at = now() where run_id = $1", [holder]);
    }
  });

  it('a running row whose process is gone is shown as crashed by GET /runs and GET /runs/:id at once', async () => {
    const killed = randomUUID();
    await db.query(
      `insert into pipeline_runs (run_id, pipeline_id, status, trigger, exchange, timeframe, symbols, as_of, pid, host)
       values ($1, 'default', 'running', 'cli', 'binance', '1h', '{BTC/USDT}', now(), $2, $3)`,
      [killed, await deadPid(), os.hostname()],
    );
    const listed = await h.call('/runs?limit=1000');
    expect(listed.body.runs.find((r: { run_id: string }) => r.run_id === killed)).toMatchObject({
      status: 'crashed',
      error: expect.stringMatching(/^reaped: its process \d+ on .* is gone$/),
    });
    expect((await h.call(`/runs/${killed}`)).body.run.status).toBe('crashed');
  });

  /** A distributed run's symbol jobs as the queue holds them. */
  const jobsOf = (runId: string) =>
    db.query<{ symbol: string; state: string }>(
      "select data->>'symbol' as symbol, state::text as state from pgboss.job where name = 'test-runs' and data->>'run_id' = $1 order by 1",
      [runId],
    );

  /** What a worker does with each of a run's symbol jobs, in this process: the last one closes the run. */
  async function decideOnWorker(runId: string) {
    const sandbox = warmSandbox();
    try {
      for (const symbol of demoRun.symbols) {
        const job = { run_id: runId, symbol, mode: 'TEST' as const, env: serveEnv(db) };
        expect(await decideSymbolJob(db, job, sandbox, { worker_id: 'test-worker', attempt: 0 })).toBe('decided');
      }
    } finally {
      await releaseSandbox(sandbox);
    }
  }

  it.runIf(kind === 'postgres')(
    'POST /runs {"distributed": true} without wait: 202 once the run holds its lock, one job per symbol on the queue; the workers close it',
    async () => {
      const r = await post(h, '/runs', {
        ...demoRun,
        as_of: '2024-03-05T01:00:00Z',
        distributed: true,
        trigger_ref: 'n8n-dist-1',
      });
      expectAccepted(r);
      // The server holds the run only until its jobs are enqueued (the workers finish it).
      await h.server.runs.drain();
      expect(
        await db.query('select distributed, status, trigger, trigger_ref from pipeline_runs where run_id = $1', [
          r.body.run_id,
        ]),
      ).toEqual([{ distributed: true, status: 'running', trigger: 'http', trigger_ref: 'n8n-dist-1' }]);
      expect(await jobsOf(r.body.run_id)).toEqual([
        { symbol: 'BTC/USDT', state: 'created' },
        { symbol: 'ETH/USDT', state: 'created' },
      ]);
      await decideOnWorker(r.body.run_id);
      const shown = await h.call(`/runs/${r.body.run_id}`);
      expect(shown.body.run).toMatchObject({ status: 'succeeded', trigger_ref: 'n8n-dist-1' });
    },
  );

  it.runIf(kind === 'postgres')(
    'POST /runs?wait=true {"distributed": true} answers the summary a local run gives once every symbol is decided; the tick runs distributed once',
    async () => {
      const waiting = post(h, '/runs?wait=true', { ...demoRun, distributed: true, trigger_ref: 'n8n-dist-2' });
      await expect.poll(() => h.server.runs.runIds(), { timeout: 20_000 }).toHaveLength(1);
      const runId = h.server.runs.runIds()[0]!;
      await expect.poll(async () => (await jobsOf(runId)).length, { timeout: 20_000 }).toBe(2);
      await decideOnWorker(runId);
      const r = await waiting;
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({
        schema_version: 1,
        ok: true,
        run_id: runId,
        status: 'succeeded',
        trigger: 'http',
        as_of: '2024-03-05T02:00:00.000Z',
        trigger_ref: 'n8n-dist-2',
      });
      expect(r.body.symbols.map((s: { symbol: string; outcome: string }) => [s.symbol, s.outcome])).toEqual([
        ['BTC/USDT', 'trade_intent'],
        ['ETH/USDT', 'trade_intent'],
      ]);
      expectError(
        await post(h, '/runs', { ...demoRun, distributed: true }),
        409,
        'LOCKED',
        /already run as of 2024-03-05T02:00:00\.000Z by a distributed run/,
      );
    },
  );

  it.runIf(kind === 'pglite')(
    'POST /runs {"distributed": true} on the embedded database is refused with the way out; only a distributed run takes over 100 symbols',
    async () => {
      const many = (n: number) => Array.from({ length: n }, (_, i) => `S${i}/USDT`);
      expectError(
        await post(h, '/runs', { ...demoRun, symbols: many(101), distributed: true }),
        422,
        'CONFIG_INVALID',
        /^Distributed runs need Postgres: move this installation with `trader db move --to <postgres-url>` first\.$/,
      );
      expectError(
        await post(h, '/runs', { ...demoRun, symbols: many(101) }),
        400,
        'BAD_INPUT',
        /body\.symbols must have at most 100 symbols for a run decided by trader serve itself; "distributed": true takes up to 2000/,
      );
      expectError(
        await post(h, '/runs', { ...demoRun, symbols: many(2001), distributed: true }),
        400,
        'BAD_INPUT',
        /body\.symbols must have at most 2000 items/,
      );
      expect(await db.query('select run_id from pipeline_runs where distributed')).toEqual([]);
    },
  );

  it('Semi-Automatic over HTTP: a run proposes; GET /proposals lists them; approve fills, reject is final; both audited with the token', async () => {
    await setOperationalMode(db, scope, 'semi_auto', { confirm: async () => true });
    const run = await post(h, '/runs', { ...demoRun, wait: true });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const ids = run.body.symbols.map(
      (s: { actions: { action: string; proposal_id: number }[] }) => s.actions[0]!.proposal_id,
    );
    expect(run.body.symbols.map((s: { actions: { action: string }[] }) => s.actions[0]!.action)).toEqual([
      'proposed',
      'proposed',
    ]);

    const list = await h.call('/proposals?status=pending&limit=10');
    expect(list.status).toBe(200);
    expect(list.body.mode).toBe('TEST');
    expect(
      list.body.proposals.map((p: { proposal_id: number; symbol: string; side: string }) => [
        p.proposal_id,
        p.symbol,
        p.side,
      ]),
    ).toEqual([
      [ids[1], 'ETH/USDT', 'buy'],
      [ids[0], 'BTC/USDT', 'buy'],
    ]);

    const approved = await h.call(`/proposals/${ids[0]}/approve`, { method: 'POST' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({
      ok: true,
      status: 'approved',
      position_id: expect.any(Number),
      proposal: { proposal_id: ids[0], status: 'approved' },
    });
    const rejected = await post(h, `/proposals/${ids[1]}/reject`, { note: 'news risk' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      ok: true,
      status: 'rejected',
      proposal: { status: 'rejected', decision_note: 'news risk' },
    });
    expectError(await h.call(`/proposals/${ids[1]}/approve`, { method: 'POST' }), 400, 'BAD_INPUT', /already rejected/);
    expectError(
      await post(h, `/proposals/${ids[1]}/reject`, { note: 'x', pin: '123456' }),
      400,
      'BAD_INPUT',
      /^The request body is invalid: body has a field it does not know: pin\.$/,
    );
    expectError(await h.call('/proposals/999/reject', { method: 'POST' }), 404, 'NOT_FOUND');

    const status = await h.call('/status');
    expect(status.body).toMatchObject({ operational_mode: 'semi_auto', open_positions: 1, pending_proposals: 0 });
    const audit = await db.query<{
      action_type: string;
      status: string;
      entity_id: string | null;
      details: Record<string, unknown>;
    }>(
      "select action_type, status, entity_id, details from audit_trail where action_type like 'TRADE_PROPOSAL_REVIEW%' order by seq",
    );
    expect(audit.map((a) => `${a.entity_id ?? '-'} ${a.action_type} ${a.status}`)).toEqual([
      `- TRADE_PROPOSAL_REVIEW SUCCESS`,
      `${ids[0]} TRADE_PROPOSAL_REVIEWED APPROVED`,
      `- TRADE_PROPOSAL_REVIEW SUCCESS`,
      `${ids[1]} TRADE_PROPOSAL_REVIEWED REJECTED`,
      `- TRADE_PROPOSAL_REVIEW SUCCESS`,
      `${ids[1]} TRADE_PROPOSAL_REVIEW_REFUSED FAILURE`,
      '999 TRADE_PROPOSAL_REVIEW_REFUSED FAILURE',
    ]);
    expect(audit[0]!.details).toMatchObject({
      verb: 'approve',
      proposal_id: ids[0],
      confirmation: 'http_request',
      client: expect.stringMatching(/^test-/),
    });
    await setOperationalMode(db, scope, 'observe', { confirm: async () => true });
  });
});

describe.each(backends)('trader serve: graceful shutdown (%s)', (kind) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await demoDb(kind);
  }, 120_000);
  afterAll(async () => db?.dispose());

  it('stops accepting at once, lets the running run finish and answer, then resolves', async () => {
    const gated = gatedDb(db);
    const h = await serveOn(gated.db);
    const waiting = post(h, '/runs', { ...demoRun, wait: true, trigger_ref: 'before-shutdown' });
    await gated.opened;
    expect(h.server.runs.size).toBe(1);

    let closed = false;
    const closing = h.server.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(closed).toBe(false);
    await expect(fetch(`${h.server.url}/health`)).rejects.toThrow();

    gated.release();
    const r = await waiting;
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ status: 'succeeded', trigger: 'http' });
    await closing;
    expect(closed).toBe(true);
    expect(h.server.runs.size).toBe(0);
    expect(await runRow(db, r.body.run_id)).toEqual({
      status: 'succeeded',
      trigger: 'http',
      trigger_ref: 'before-shutdown',
    });
  });
});
