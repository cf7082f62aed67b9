import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { correlationWarning } from '../../analysis/correlation-ranking.ts';
import { runCorrelationAnalysis } from '../../analysis/correlation-run.ts';
import { readCorrelationSettings, writeCorrelationSettings } from '../../analysis/correlation-settings.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { importQ1, Q1_FROM, Q1_TO } from '../analysis/q1-sample.ts';
import { type Harness, serveOn } from './harness.ts';

/**
 * The dashboard's correlation page over HTTP, on both backends: one line saying how to turn
 * the analysis on while it is off; once on, the ranked pairs (the ranking of `trader
 * correlation show`) under the seed's warning.
 */
describe.each(backends)('the dashboard correlation page (%s)', (kind) => {
  let db: TestDb;
  let h: Harness;
  let cookie: string;
  beforeAll(async () => {
    db = await freshDb(kind);
    await importQ1(db);
    h = await serveOn(db, { clock: () => new Date('2024-04-02T00:00:00Z') });
    const login = await fetch(`${h.server.url}/ui/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: h.token, next: '/ui/correlation' }),
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  }, 60_000);
  afterAll(async () => {
    await h?.server.close();
    await db?.dispose();
  });

  const page = async () => {
    const r = await fetch(`${h.server.url}/ui/correlation`, { headers: { cookie }, redirect: 'manual' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'; script-src 'self'");
    const body = await r.text();
    expect(body).not.toContain(h.token);
    expect(body).not.toMatch(/<script>|\sstyle="|\son[a-z]+="/);
    return body;
  };

  it('says the analysis is off and how to enable it, with no table', async () => {
    const body = await page();
    expect(body).toContain('The correlation analysis is off; enable it with');
    expect(body).toContain('<a href="/ui/correlation" aria-current="page">Correlation</a>');
    expect(body).not.toContain('<table');
  });

  it('once enabled, shows the ranked pairs under the seed’s warning', async () => {
    await runCorrelationAnalysis(
      db,
      { from: new Date(Q1_FROM), to: new Date(Q1_TO), alts: ['SOL/USDT', 'XRP/USDT', 'ADA/USDT'] },
      { actor: 'USER' },
    );
    await writeCorrelationSettings(db, { ...(await readCorrelationSettings(db)), enable_correlation_analysis: true });
    const body = await page();
    expect(body).toContain(`<strong>${correlationWarning}</strong>`);
    const rows = [...body.matchAll(/<tr>\s*((?:<td[^>]*>[^<]*<\/td>\s*)+)<\/tr>/g)].map((m) =>
      [...m[1]!.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((c) => c[1]!.trim()),
    );
    expect(rows).toHaveLength(6);
    expect(rows[0]!.slice(0, 6)).toEqual(['1', 'ADA/USDT / BTC/USDT', '1.14', '0.67', '30', '31']);
    expect(body).not.toContain('The correlation analysis is off');
  });

  it("shows each profile's correlated-cluster cap on the controls page: off, or the cap and its link", async () => {
    await db.query(`update trading_test.risk_profiles set cluster_cap_pct = 1.5 where profile = 'medium'`);
    const r = await fetch(`${h.server.url}/ui/controls`, { headers: { cookie }, redirect: 'manual' });
    const body = await r.text();
    expect(body).toContain('<th>Cluster cap</th>');
    const cells = (profile: string) =>
      [...body.matchAll(new RegExp(`<td>${profile}[^<]*</td>((?:\\s*<td[^>]*>[^<]*</td>)+)`, 'g'))].map((m) =>
        [...m[1]!.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((c) => c[1]!.trim()),
      )[0];
    expect(cells('medium')?.[4]).toBe('1.5% (ρ ≥ 0.7, 30 d)');
    expect(cells('low')?.[4]).toBe('off');
  });
});
