import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientKey } from '../../orchestrator/serve/auth-limiter.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { expectError, type Harness, serveOn } from './harness.ts';

/**
 * Failed authentication against a real `trader serve`: limited per client address (429
 * with Retry-After once the window's allowance is spent, even for the right token), and
 * audited as one row per address and window with the counts, however many requests came.
 * The server's clock is a variable here, so windows end when the test says so.
 */
describe.each(backends)('trader serve: failed authentication is limited and summarised (%s)', (kind) => {
  let db: TestDb;
  let h: Harness;
  let now = new Date('2026-12-03T11:00:00Z');
  const wrong = `trd_${'x'.repeat(43)}`;
  const refusalRows = () =>
    db.query<{ details: Record<string, unknown> }>(
      "select details from audit_trail where action_type = 'HTTP_AUTH_REFUSED' order by seq",
    );

  beforeAll(async () => {
    db = await freshDb(kind);
    h = await serveOn(db, { clock: () => now, authLimits: { failures: 3, windowSeconds: 60 } });
  });
  afterAll(async () => {
    await h?.server.close();
    await db?.dispose();
  });

  it('after 3 refusals in a window: 429 with Retry-After for every token, /health still open, no row per request', async () => {
    for (let i = 0; i < 3; i++) expectError(await h.call('/status', { auth: wrong }), 401, 'UNAUTHORIZED');
    for (let i = 0; i < 40; i++) {
      const limited = await h.call('/status', { auth: i % 2 === 0 ? wrong : h.token });
      expectError(
        limited,
        429,
        'RATE_LIMITED',
        /^Too many failed authentications from this address; try again in 60 s/,
      );
      expect(limited.headers.get('retry-after')).toBe('60');
    }
    now = new Date(now.getTime() + 45_000);
    expect((await h.call('/status')).headers.get('retry-after')).toBe('15');
    expect((await h.call('/health', { auth: false })).status).toBe(200);
    expect(await refusalRows()).toEqual([]);
  });

  it('when the window ends the address may try again, and the window is one audit row with its counts', async () => {
    now = new Date(now.getTime() + 15_000);
    expect((await h.call('/status')).status).toBe(200);
    const rows = await refusalRows();
    expect(rows.map((r) => r.details)).toEqual([
      {
        remote: '127.0.0.1',
        count: 44,
        refused: 3,
        rate_limited: 41,
        reasons: { missing: 0, malformed: 0, unknown: 3 },
        requests: ['GET /status'],
        first_at: '2026-12-03T11:00:00.000Z',
        last_at: '2026-12-03T11:00:45.000Z',
        window_seconds: 60,
      },
    ]);
    expect(JSON.stringify(rows)).not.toContain(wrong);
  });

  it('a new window starts from zero, and stopping the server writes the open one', async () => {
    expectError(await h.call('/proposals', { auth: false }), 401, 'UNAUTHORIZED');
    expect((await h.call('/status')).status).toBe(200);
    await h.server.close();
    const rows = await refusalRows();
    expect(rows).toHaveLength(2);
    expect(rows[1]!.details).toMatchObject({
      count: 1,
      refused: 1,
      reasons: { missing: 1 },
      requests: ['GET /proposals'],
    });
  });
});

describe('client addresses', () => {
  it('IPv4 (also mapped into IPv6) as is; IPv6 by its /64, however it is written', () => {
    expect(clientKey('127.0.0.1')).toBe('127.0.0.1');
    expect(clientKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(clientKey('2001:db8:0:1:aaaa::1')).toBe('2001:db8:0:1::/64');
    expect(clientKey('2001:0db8:0000:0001:ffff:ffff:ffff:ffff')).toBe('2001:db8:0:1::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey(undefined)).toBe('unknown');
  });
});
