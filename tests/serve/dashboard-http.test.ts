import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueClient } from '../../queue/boss.ts';
import { bossTx } from '../../queue/boss-tx.ts';
import { revokeToken } from '../../orchestrator/serve/tokens-repo.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import { tradingScope } from '../../trading/scope.ts';
import { loadState } from '../../trading/state-repo.ts';
import { initPin } from '../../trading/secrets/pin.ts';
import { insertVersion, setVersionStatus } from '../../trading/strategies/strategy-versions.ts';
import { seedDefaults } from '../../orchestrator/seed.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { seedHaltScene } from '../helpers/halt-scene.ts';
import { smallStudy } from '../helpers/scheduled-study.ts';
import { type Harness, serveEnv, serveOn } from './harness.ts';

/**
 * The dashboard over plain HTTP, on both backends (the browser suite drives the same pages
 * in Chromium): the login and its session cookie, the CSP, CSRF and origin refusals that
 * change nothing, the CLI's questions as pages, logout, expiry and revocation, and the
 * event stream with Last-Event-ID.
 */
const scope = tradingScope('TEST');
const pages = [
  '/ui',
  '/ui/positions',
  '/ui/proposals',
  '/ui/controls',
  '/ui/runs',
  '/ui/backtests',
  '/ui/studies',
  '/ui/workers',
];

describe.each(backends)('the dashboard over HTTP (%s)', (kind) => {
  let db: TestDb;
  let h: Harness;
  let now = new Date('2026-06-01T12:00:00Z');

  beforeAll(async () => {
    db = await freshDb(kind);
    h = await serveOn(db, { clock: () => now, sessionHours: 2, env: serveEnv(db) });
  });
  afterAll(async () => {
    await h?.server.close();
    await db?.dispose();
  });

  const get = (path: string, cookie?: string, headers: Record<string, string> = {}) =>
    fetch(`${h.server.url}${path}`, { headers: { ...(cookie ? { cookie } : {}), ...headers }, redirect: 'manual' });
  const post = (path: string, form: Record<string, string>, cookie?: string, headers: Record<string, string> = {}) =>
    fetch(`${h.server.url}${path}`, {
      method: 'POST',
      body: new URLSearchParams(form),
      headers: { ...(cookie ? { cookie } : {}), ...headers },
      redirect: 'manual',
    });
  const csrfOf = async (cookie: string, path = '/ui') =>
    /name="csrf" value="([^"]+)"/.exec(await (await get(path, cookie)).text())![1]!;
  const audit = (action: string) =>
    db.query<{ actor: string; status: string; details: Record<string, unknown> }>(
      'select actor, status, details from audit_trail where action_type = $1 order by seq',
      [action],
    );

  async function logIn(token = h.token): Promise<string> {
    const r = await post('/ui/login', { token, next: '/ui/runs' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/ui/runs');
    return r.headers.get('set-cookie')!.split(';')[0]!;
  }

  it('sends a visitor to the login; a wrong token is refused; the right one starts a strict, HttpOnly session', async () => {
    const first = await get('/ui/audit?actor=USER');
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/ui/login?next=%2Fui%2Faudit%3Factor%3DUSER');
    expect((await get('/')).headers.get('location')).toBe('/ui');

    const wrong = await post('/ui/login', { token: 'trd_not-a-token' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('That token is not valid');
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const r = await post('/ui/login', { token: h.token, next: 'https://evil.example/' });
    expect(r.headers.get('location')).toBe('/ui');
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^trader_session=[A-Za-z0-9_-]{43}; Max-Age=7200; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(h.token);
    const [login] = await audit('DASHBOARD_LOGIN');
    expect(login).toMatchObject({ actor: 'USER', status: 'SUCCESS', details: { hours: 2 } });
    expect(JSON.stringify(await db.query('select * from http_sessions'))).not.toContain(
      cookie.split(';')[0]!.slice(15),
    );
  });

  it('answers every page with a strict CSP and never shows the token', async () => {
    const cookie = await logIn();
    for (const path of pages) {
      const r = await get(path, cookie);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-security-policy'), path).toContain("default-src 'none'; script-src 'self'");
      expect(r.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      const body = await r.text();
      expect(body).not.toContain(h.token);
      expect(body).not.toMatch(/<script>|\sstyle="|\son[a-z]+="/);
    }
    expect((await get('/ui/nowhere', cookie)).status).toBe(404);
  });

  it('refuses a form without its CSRF token, with another, or from another origin, and changes nothing', async () => {
    const cookie = await logIn();
    const csrf = await csrfOf(cookie);
    const refusals = [
      await post('/ui/controls/halt', { reason: 'x', a1: 'yes' }, cookie),
      await post('/ui/controls/halt', { reason: 'x', a1: 'yes', csrf: `${csrf.slice(1)}x` }, cookie),
      await post('/ui/controls/halt', { reason: 'x', a1: 'yes', csrf }, cookie, { origin: 'http://evil.example' }),
    ];
    expect(refusals.map((r) => r.status)).toEqual([403, 403, 403]);
    expect(await refusals[0]!.text()).toContain('security token (CSRF)');
    expect((await loadState(db, scope)).halted).toBe(false);
    expect(await audit('TRADING_HALTED')).toEqual([]);
    // A session's token does not work for another session.
    const other = await logIn();
    expect((await post('/ui/controls/halt', { a1: 'yes', csrf }, other)).status).toBe(403);
  });

  it("asks the CLI's question as a page, then does it with the answer: audited USER like the CLI", async () => {
    const cookie = await logIn();
    const csrf = await csrfOf(cookie);
    const ask = await post('/ui/controls/halt', { reason: 'news', csrf }, cookie);
    expect(ask.status).toBe(200);
    const page = await ask.text();
    expect(page).toContain('Halt trading in TEST? No new trades or proposals until you run `trader resume`');
    expect(page).toMatch(/<button type="submit" name="a1" value="yes">Confirm<\/button>/);
    expect((await loadState(db, scope)).halted).toBe(false);

    const done = await post('/ui/controls/halt', { reason: 'news', csrf, a1: 'yes' }, cookie);
    expect(done.status).toBe(303);
    expect((await loadState(db, scope)).halt_reason).toBe('MANUAL: news');
    const name = (await db.query<{ name: string }>('select name from http_tokens where revoked_at is null'))[0]!.name;
    expect((await audit('TRADING_HALTED')).at(-1)).toMatchObject({
      actor: 'USER',
      status: 'SUCCESS',
      details: { reason: 'MANUAL: news', via: 'dashboard', client: name },
    });
    const declined = await post('/ui/controls/resume', { csrf, a1: 'no' }, cookie);
    expect(declined.status).toBe(400);
    expect((await audit('TRADING_RESUMED')).at(-1)).toMatchObject({
      status: 'REJECTED',
      details: { confirmation: 'declined', via: 'dashboard', client: name },
    });
    expect((await post('/ui/controls/resume', { csrf, a1: 'yes' }, cookie)).status).toBe(303);
    expect((await loadState(db, scope)).halted).toBe(false);
    expect((await post('/ui/controls/launch', { csrf }, cookie)).status).toBe(404);
  });

  it('clears an emergency halt with the master PIN asked on a page; a wrong PIN changes nothing', async () => {
    await initPin(db, 'dash-pin-314159');
    await db.query(
      "update trading_test.state set halted = true, emergency = true, halt_reason = 'DRAWDOWN 21% over 20%', halted_at = now() where id = 1",
    );
    const cookie = await logIn();
    expect(await (await get('/ui/controls', cookie)).text()).toContain('Clear the emergency halt (master PIN)');
    const csrf = await csrfOf(cookie, '/ui/controls');
    const ask = await (await post('/ui/controls/clear', { csrf }, cookie)).text();
    expect(ask).toMatch(/<label for="a1">Master PIN<\/label>\s*<input id="a1" name="a1" type="password"/);
    const wrong = await post('/ui/controls/clear', { csrf, a1: 'not-it' }, cookie);
    expect(wrong.status).toBe(400);
    expect((await loadState(db, scope)).emergency).toBe(true);
    expect((await post('/ui/controls/clear', { csrf, a1: 'dash-pin-314159' }, cookie)).status).toBe(303);
    const state = await loadState(db, scope);
    expect({ halted: state.halted, mode: state.operational_mode }).toEqual({ halted: false, mode: 'observe' });
    expect(JSON.stringify(await db.query('select details from audit_trail'))).not.toContain('dash-pin-314159');
  });

  it('enables leverage stage by stage as the CLI does (the typed phrase, then the PIN), and turns it off at once', async () => {
    await db.query("update trading_test.risk_profiles set allow_leverage = true where profile = 'high'");
    await db.query("update trading_test.state set risk_profile = 'high' where id = 1");
    const cookie = await logIn();
    const csrf = await csrfOf(cookie, '/ui/controls');
    const phrase = await (await post('/ui/controls/leverage-on', { csrf }, cookie)).text();
    expect(phrase).toMatch(/Type <code>CONFIRM LEVERAGE<\/code> to confirm/);
    const pinPage = await (await post('/ui/controls/leverage-on', { csrf, a1: 'CONFIRM LEVERAGE' }, cookie)).text();
    expect(pinPage).toContain('<input type="hidden" name="a1" value="CONFIRM LEVERAGE" />');
    expect(pinPage).toMatch(/<label for="a2">Master PIN<\/label>/);
    expect((await loadState(db, scope)).leverage_enabled).toBe(false);
    const wrongPhrase = await post(
      '/ui/controls/leverage-on',
      { csrf, a1: 'confirm leverage', a2: 'dash-pin-314159' },
      cookie,
    );
    expect(wrongPhrase.status).toBe(400);
    expect((await loadState(db, scope)).leverage_enabled).toBe(false);
    const on = await post('/ui/controls/leverage-on', { csrf, a1: 'CONFIRM LEVERAGE', a2: 'dash-pin-314159' }, cookie);
    expect(on.status).toBe(303);
    expect((await loadState(db, scope)).leverage_enabled).toBe(true);
    expect(await (await get('/ui', cookie)).text()).toContain('LEVERAGE ACTIVE');
    expect((await post('/ui/controls/leverage-off', { csrf }, cookie)).status).toBe(303);
    expect((await loadState(db, scope)).leverage_enabled).toBe(false);
    await db.query("update trading_test.state set risk_profile = 'medium' where id = 1");
  });

  it("approves an optimiser's proposed strategy version from its comparison, named by the token", async () => {
    await seedDefaults(db);
    const version = await insertVersion(db, {
      strategy_id: 'breakout',
      params: {},
      suitable_risk_profiles: ['medium'],
      markets: null,
      study_id: null,
      report: null,
    });
    await setVersionStatus(db, scope, { strategy_id: 'breakout', version, status: 'PROPOSED', by: 'test', note: null });
    const cookie = await logIn();
    const page = await (await get('/ui/controls', cookie)).text();
    expect(page).toContain(`Strategy breakout: version ${version} proposed`);
    const csrf = await csrfOf(cookie, '/ui/controls');
    const form = { csrf, strategy_id: 'breakout', verb: 'approve', note: 'looks sound' };
    const ask = await (await post('/ui/controls/version', form, cookie)).text();
    expect(ask).toContain('name="a1" value="yes"');
    expect((await post('/ui/controls/version', { ...form, a1: 'yes' }, cookie)).status).toBe(303);
    const [active] = await db.query<{ status: string; decided_by: string }>(
      "select status, decided_by from trading_test.strategy_status where strategy_id = 'breakout' and version = $1",
      [version],
    );
    const name = (await db.query<{ name: string }>('select name from http_tokens where revoked_at is null'))[0]!.name;
    expect(active).toEqual({ status: 'ACTIVE', decided_by: name });
  });

  it("shows the exposure by holding and by category against the cap, and the account's record", async () => {
    await seedHaltScene(db, 'HALT_ONLY', 0);
    const cookie = await logIn();
    const overview = await (await get('/ui', cookie)).text();
    const exposure = overview.slice(overview.indexOf('id="h-exposure"'), overview.indexOf('id="h-value"'));
    // One BTC position of 10 at 100 marked at 96, and the rest in cash.
    expect(exposure).toMatch(/<td>BTC\/USDT<\/td>\s*<td class="num">960<\/td>/);
    expect(exposure).toMatch(/<td>Free cash<\/td>/);
    expect(exposure).toMatch(/<meter\s+min="0"\s+max="100"\s+value="[\d.]+"/);
    // Planned risk 100 in category major, against the medium profile's cap.
    expect(exposure).toMatch(/<td>major<\/td>\s*<td class="num">100<\/td>/);
    expect(exposure).toMatch(/Against the medium cap/);
    const positions = await (await get('/ui/positions', cookie)).text();
    expect(positions).toContain('Record (paper)');
    expect(positions).toMatch(/<dt>Sharpe<\/dt>/);
    expect(positions).toMatch(/<dt>Max drawdown<\/dt>/);
  });

  it('requests a manual optimisation for a profile from the controls (the scheduler runs it); the overview sums up the system', async () => {
    const [s] = await db.query<{ schedule_id: number }>(
      `insert into schedules (name, cron, system_mode, symbols, job, job_args)
       values ('weekly-study', '0 2 * * 0', 'TEST', '{BTC/USDT}', 'optimise', $1) returning schedule_id`,
      [smallStudy()],
    );
    const cookie = await logIn();
    const controls = await (await get('/ui/controls', cookie)).text();
    expect(controls).toMatch(/<option value="\d+">\s*weekly-study: breakout on\s+BTC\/USDT\s*<\/option>/);
    const csrf = await csrfOf(cookie, '/ui/controls');
    const r = await post('/ui/controls/optimise', { csrf, schedule: String(s!.schedule_id), profile: 'low' }, cookie);
    expect(r.status).toBe(303);
    expect(await db.query('select requested_by, profile, taken_at from schedule_requests')).toEqual([
      { requested_by: expect.stringMatching(/^test-/), profile: 'low', taken_at: null },
    ]);
    const [requested] = await audit('SCHEDULE_RUN_REQUESTED');
    expect(requested).toMatchObject({
      actor: 'USER',
      status: 'PENDING',
      details: { via: 'dashboard', profile: 'low' },
    });
    expect(await (await get('/ui/controls', cookie)).text()).toContain('waiting for the scheduler');
    expect((await post('/ui/controls/optimise', { csrf, schedule: 'nosuch' }, cookie)).status).toBe(404);

    const overview = await (await get('/ui', cookie)).text();
    expect(overview).toMatch(/<dt>Server up since<\/dt>/);
    expect(overview).toMatch(/<dt>Last optimisation<\/dt>\s*<dd>\s*none yet/);
    expect(overview).toMatch(/<dt>Last backup<\/dt>\s*<dd>none yet/);
    // A failed backup is loud on the overview until a later one succeeds.
    await recordAudit(db, {
      mode: 'SYSTEM',
      actor: 'SYSTEM',
      action_type: 'BACKUP_RUN',
      status: 'FAILURE',
      details: { error: 'CONFIG_INVALID: no passphrase' },
    });
    expect(await (await get('/ui', cookie)).text()).toMatch(
      /<dt>Last backup<\/dt>\s*<dd class="warn">FAILED .*: CONFIG_INVALID: no passphrase \(last good: none yet\)<\/dd>/,
    );
    await db.query('delete from schedules');
  });

  it.runIf(kind === 'postgres')(
    'Workers & jobs: each worker with its health, a failed job with its error; Retry and Cancel are `trader jobs retry|cancel`, audited, never without the CSRF token',
    async () => {
      const boss = queueClient(serveEnv(db));
      const q = { db: bossTx(db) };
      const failed = randomUUID();
      const waiting = randomUUID();
      await boss.insert([{ name: 'ping', id: failed, data: { probe: 1 }, retryLimit: 0 }], q);
      const [job] = await boss.fetch('ping', { batchSize: 1, ...q });
      await boss.fail('ping', job!.id, { message: 'exchange timed out' }, q);
      await boss.insert([{ name: 'backtests', id: waiting, data: { study: 7 } }], q);
      await db.query(
        `insert into queue_workers (worker_id, host, pid, mode, queues, concurrency, version, current_jobs, jobs_done, jobs_failed, heartbeat_at)
         values ('host-a:101:aa', 'host-a', 101, 'TEST', '{runs,trials}', 2, '1.0.0',
                 '[{"queue": "backtests", "job_id": "${waiting}", "started_on": "2026-06-01T12:00:00Z"}]', 7, 1, now()),
                ('host-b:202:bb', 'host-b', 202, 'TEST', '{runs}', 1, '1.0.0', '[]', 0, 0, now() - interval '10 minutes')`,
      );
      const cookie = await logIn();
      const page = await (await get('/ui/workers', cookie)).text();
      // The status bar counts as `trader status` does, loud while a job failed in the last day.
      expect(page).toMatch(
        /<div class="sb-item alarm"><span class="sb-label">Workers<\/span> <span class="sb-value">1 alive, 1 stale</,
      );
      expect(page).toContain('Workers: 1 alive (host-a x1), 1 stale; jobs: 1 queued, 0 active, 1 failed in 24 h.');
      expect(page).toMatch(
        new RegExp(
          `<td>host-a</td>\\s*<td class="num">101</td>\\s*<td>TEST: runs, trials</td>\\s*<td class="num">2</td>\\s*<td class="num">\\d+ s ago</td>\\s*<td>backtests ${waiting.slice(0, 8)}</td>\\s*<td class="num">7</td>\\s*<td class="num">1</td>\\s*<td class="status-alive">alive</td>`,
        ),
      );
      expect(page).toMatch(/<td>host-b<\/td>[\s\S]*?10 min ago[\s\S]*?<td class="status-stale">stale<\/td>/);
      expect(page).toMatch(/<td class="status-failed">failed<\/td>[\s\S]*?<td class="alarm">exchange timed out<\/td>/);
      expect(page).toContain(`action="/ui/workers/jobs/${failed}"`);

      const stateOf = async (id: string) =>
        (await db.query<{ state: string }>('select state::text as state from pgboss.job where id = $1', [id]))[0]!
          .state;
      const forged = await post(`/ui/workers/jobs/${failed}`, { verb: 'retry' }, cookie);
      expect(forged.status).toBe(403);
      expect(await stateOf(failed)).toBe('failed');

      const csrf = await csrfOf(cookie, '/ui/workers');
      const retried = await post(`/ui/workers/jobs/${failed}`, { csrf, verb: 'retry', state: 'failed' }, cookie);
      expect(retried.status).toBe(303);
      expect(retried.headers.get('location')).toBe(`/ui/workers?state=failed&done=retry&job=${failed}`);
      expect(await stateOf(failed)).toBe('retry');
      const after = await (await get(retried.headers.get('location')!, cookie)).text();
      expect(after).toContain(`Job ${failed} is back on its queue: a worker takes it next.`);
      expect(after).toContain('No job matches.');
      const [audited] = await audit('JOB_RETRIED');
      expect(audited).toMatchObject({
        actor: 'USER',
        status: 'SUCCESS',
        details: {
          job_id: failed,
          from: 'failed',
          to: 'retry',
          via: 'dashboard',
          client: expect.stringMatching(/^test-/),
        },
      });
      const twice = await post(`/ui/workers/jobs/${failed}`, { csrf, verb: 'retry' }, cookie);
      expect(twice.status).toBe(400);
      expect(await twice.text()).toContain('only failed or cancelled jobs can be retried');

      expect((await post(`/ui/workers/jobs/${waiting}`, { csrf, verb: 'cancel' }, cookie)).status).toBe(303);
      expect(await stateOf(waiting)).toBe('cancelled');
      expect((await get('/ui/workers?queue=nope', cookie)).status).toBe(400);
    },
  );

  it.runIf(kind === 'pglite')(
    'Workers & jobs on the embedded database: one sentence naming `trader db move`',
    async () => {
      const cookie = await logIn();
      const page = await (await get('/ui/workers', cookie)).text();
      expect(page).toContain(
        '<p class="notice">Workers and the job queue need Postgres: move this installation with `trader db move --to &lt;postgres-url&gt;` first.</p>',
      );
      expect(page).not.toContain('sb-label">Workers');
      const csrf = await csrfOf(cookie, '/ui/workers');
      const refused = await post(`/ui/workers/jobs/${randomUUID()}`, { csrf, verb: 'retry' }, cookie);
      expect(refused.status).toBe(422);
      expect(await refused.text()).toContain('need Postgres: move this installation with `trader db move');
    },
  );

  it('ends a session at logout, at expiry and when its token is revoked', async () => {
    const cookie = await logIn();
    const csrf = await csrfOf(cookie);
    expect((await post('/ui/logout', { csrf }, cookie)).headers.get('location')).toBe('/ui/login');
    expect((await get('/ui/runs', cookie)).headers.get('location')).toBe('/ui/login?next=%2Fui%2Fruns&expired=1');
    expect((await audit('DASHBOARD_LOGOUT')).length).toBe(1);

    const later = await logIn();
    now = new Date(now.getTime() + 2 * 3_600_000 + 1000);
    expect((await get('/ui', later)).headers.get('location')).toBe('/ui/login?next=%2Fui&expired=1');

    const kept = await logIn();
    expect((await get('/ui', kept)).status).toBe(200);
    const name = (await db.query<{ name: string }>('select name from http_tokens where revoked_at is null'))[0]!.name;
    await revokeToken(db, name);
    expect((await get('/ui', kept)).status).toBe(303);
    expect((await audit('HTTP_TOKEN_REVOKED')).at(-1)!.details.sessions_ended).toBeGreaterThanOrEqual(1);
    // Unauthenticated, the event stream and forms are refused rather than redirected.
    expect((await get('/ui/events', kept)).status).toBe(401);
  });

  it('streams the event bus with each event’s seq as its id, and resumes after Last-Event-ID', async () => {
    const h2 = await serveOn(db, { clock: () => now });
    try {
      const login = await fetch(`${h2.server.url}/ui/login`, {
        method: 'POST',
        body: new URLSearchParams({ token: h2.token }),
        redirect: 'manual',
      });
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const read = async (headers: Record<string, string>, until: (text: string) => boolean) => {
        const controller = new AbortController();
        const res = await fetch(`${h2.server.url}/ui/events`, {
          headers: { cookie, ...headers },
          signal: controller.signal,
        });
        expect(res.headers.get('content-type')).toContain('text/event-stream');
        const reader = res.body!.getReader();
        let text = '';
        while (!until(text)) text += new TextDecoder().decode((await reader.read()).value);
        controller.abort();
        return text;
      };
      const first = read({}, (t) => /event: bus/.test(t));
      await new Promise((r) => setTimeout(r, 300));
      await recordAudit(db, { mode: 'TEST', actor: 'USER', action_type: 'TRADING_HALTED', status: 'SUCCESS' });
      const text = await first;
      const id = Number(/id: (\d+)\n/.exec(text)![1]);
      expect(text).toContain(`data: {"seq":${id},"mode":"TEST","event_type":"EMERGENCY_HALT_TRIGGERED"}`);
      const again = await read({ 'last-event-id': String(id - 1) }, (t) => /event: bus/.test(t));
      expect(Number(/id: (\d+)\n/.exec(again)![1])).toBe(id);
    } finally {
      await h2.server.close();
    }
  });
});
