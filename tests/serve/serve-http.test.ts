import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, revokeToken } from '../../orchestrator/serve/tokens-repo.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { expectError, type Harness, serveOn } from './harness.ts';

/**
 * The HTTP surface of `trader serve`, over real requests: health, authentication and
 * its audit rows, body and query validation, size limit, routing. Every refusal is one
 * JSON error document with a code from core/errors.ts and no stack trace.
 */
describe.each(backends)('trader serve: protocol (%s)', (kind) => {
  let db: TestDb;
  let h: Harness;
  beforeAll(async () => {
    db = await freshDb(kind);
    h = await serveOn(db, { bodyLimit: 1024 });
  });
  afterAll(async () => {
    await h?.server.close();
    await db?.dispose();
  });

  const authRefusals = async () =>
    db.query<{ mode: string; actor: string; status: string; details: Record<string, unknown> }>(
      "select mode, actor, status, details from audit_trail where action_type = 'HTTP_AUTH_REFUSED' order by seq",
    );

  it('GET /health needs no token: the server is up and the database answers', async () => {
    const r = await h.call('/health', { auth: false });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true, status: 'ok', database: 'reachable', backend: kind, system_mode: 'TEST' });
  });

  it('no token, a malformed header or a wrong token: 401, audited as one row with the counts, no token material anywhere', async () => {
    const wrong = `trd_${'x'.repeat(43)}`;
    // A server of its own, so its window of refusals is written when it stops.
    const own = await serveOn(db);
    const missing = await own.call('/status', { auth: false });
    expectError(missing, 401, 'UNAUTHORIZED', /needs the header Authorization: Bearer <token>/);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="trader"');
    expectError(
      await own.call('/status', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }),
      401,
      'UNAUTHORIZED',
      /is not `Bearer <token>`/,
    );
    const bad = await own.call('/proposals?limit=5', { auth: wrong });
    expectError(bad, 401, 'UNAUTHORIZED', /not valid \(unknown or revoked\)/);
    expect(bad.headers.get('www-authenticate')).toBe('Bearer realm="trader", error="invalid_token"');
    // Refused before the body is read: a bad body does not change the answer.
    expectError(await own.call('/runs', { method: 'POST', auth: wrong, body: '{not json' }), 401, 'UNAUTHORIZED');
    expect(await authRefusals()).toEqual([]);
    await own.server.close();

    const rows = await authRefusals();
    expect(rows.map((r) => [r.mode, r.actor, r.status])).toEqual([['SYSTEM', 'SYSTEM', 'FAILURE']]);
    expect(rows[0]!.details).toMatchObject({
      remote: '127.0.0.1',
      count: 4,
      refused: 4,
      rate_limited: 0,
      reasons: { missing: 1, malformed: 1, unknown: 2 },
      requests: ['GET /status', 'GET /proposals', 'POST /runs'],
    });
    const trail = JSON.stringify(await db.query('select * from audit_trail'));
    for (const secret of [wrong, hashToken(wrong), h.token, hashToken(h.token), 'dXNlcjpwYXNz'])
      expect(trail).not.toContain(secret);
  });

  it('the right token works; a revoked one is refused at the next request', async () => {
    const status = await h.call('/status');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      ok: true,
      system_mode: 'TEST',
      operational_mode: 'observe',
      open_positions: 0,
      // As `trader status --json`: the server's connection (a superuser here) could cross the barrier.
      barrier: { holds: false, login: 'postgres' },
    });
    const [used] = await db.query<{ last_used_at: Date | null }>(
      'select last_used_at from http_tokens where token_hash = $1',
      [hashToken(h.token)],
    );
    expect(used!.last_used_at).toBeInstanceOf(Date);
    const other = await serveOn(db);
    try {
      expect((await other.call('/status', { auth: other.token })).status).toBe(200);
      const [row] = await db.query<{ name: string }>('select name from http_tokens where token_hash = $1', [
        hashToken(other.token),
      ]);
      await revokeToken(db, row!.name);
      expectError(await other.call('/status', { auth: other.token }), 401, 'UNAUTHORIZED', /unknown or revoked/);
      expect((await other.call('/status', { auth: h.token })).status).toBe(200);
    } finally {
      await other.server.close();
    }
  });

  it("malformed JSON is a 400 with the parser's reason; a wrong content type is named", async () => {
    expectError(
      await h.call('/runs', { method: 'POST', body: '{"symbols": ["BTC/USDT",' }),
      400,
      'BAD_INPUT',
      /^The request body is not valid JSON \(.+\); send one JSON object\.$/,
    );
    expectError(
      await h.call('/runs', {
        method: 'POST',
        body: 'symbols=BTC/USDT',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      400,
      'BAD_INPUT',
      /Content-Type: application\/json, not 'application\/x-www-form-urlencoded'/,
    );
  });

  it('a body that breaks the schema: 400 listing every zod issue with its path', async () => {
    const r = await h.call('/runs', {
      method: 'POST',
      body: JSON.stringify({ symbols: ['BTC/USDT', 'btc'], as_of: '2024-03-05T02:00', offline: 'yes', surprise: 1 }),
    });
    expectError(r, 400, 'BAD_INPUT', /^The request body is invalid: /);
    expect(r.body.error.issues).toEqual(
      expect.arrayContaining([
        { path: ['symbols', 1], message: 'a symbol like BTC/USDT' },
        { path: ['offline'], message: 'must be true or false, not text' },
        { path: [], message: 'has a field it does not know: surprise' },
      ]),
    );
    expect(r.body.error.message).toContain('body.symbols[1]: a symbol like BTC/USDT');
    // Schema problems are sentences with the path, never zod's own text.
    expect(r.body.error.message).toContain('body.offline must be true or false, not text');
    expect(r.body.error.message).toContain('body has a field it does not know: surprise');
    expect(r.body.error.message).not.toMatch(/Invalid input|Unrecognized key|expected \w+, received/);
    expect(r.body.error.message).toContain("body.as_of: as_of '2024-03-05T02:00' is not a UTC time");
    const empty = await h.call('/runs', { method: 'POST' });
    expectError(empty, 400, 'BAD_INPUT');
    expect(empty.body.error.issues.map((i: { path: unknown[] }) => i.path)).toEqual([['symbols']]);
    const twice = await h.call('/runs', { method: 'POST', body: JSON.stringify({ symbols: 'BTC/USDT,BTC/USDT' }) });
    expect(twice.body.error.issues).toEqual([{ path: ['symbols'], message: 'a symbol is listed twice' }]);
    const query = await h.call('/proposals?status=maybe&limit=0&x=1');
    expectError(query, 400, 'BAD_INPUT', /^The request query is invalid: /);
    expect(query.body.error.issues.map((i: { path: unknown[] }) => i.path)).toEqual([['status'], ['limit'], []]);
    expectError(
      await h.call('/runs?wait=soon', { method: 'POST', body: JSON.stringify({ symbols: ['BTC/USDT'] }) }),
      400,
      'BAD_INPUT',
      /query\.wait/,
    );
  });

  it('a body over the limit is a 413, whether announced by Content-Length or streamed', async () => {
    const big = JSON.stringify({ symbols: ['BTC/USDT'], trigger_ref: 'x'.repeat(5000) });
    const announced = await h.call('/runs', { method: 'POST', body: big });
    expectError(announced, 413, 'PAYLOAD_TOO_LARGE', /larger than 1024 bytes/);
    const chunk = new TextEncoder().encode('x'.repeat(700));
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 4; i++) c.enqueue(chunk);
        c.close();
      },
    });
    const streamed = await h.call('/runs', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expectError(streamed, 413, 'PAYLOAD_TOO_LARGE', /larger than 1024 bytes/);
    expect((await h.call('/health', { auth: false })).status).toBe(200);
  });

  it('headers over the parser limit (16 KiB): 431 with the JSON error document, nothing echoed; the server goes on', async () => {
    const filler = 'y'.repeat(20 * 1024);
    const r = await h.call('/status', { headers: { 'x-filler': filler } });
    expectError(r, 431, 'HEADERS_TOO_LARGE', /^The request line and headers are larger than 16 KiB together/);
    expect(JSON.stringify(r.body)).not.toContain('yyyy');
    const longPath = await h.call(`/runs/${'z'.repeat(20 * 1024)}`);
    expectError(longPath, 431, 'HEADERS_TOO_LARGE');
    expect((await h.call('/health', { auth: false })).status).toBe(200);
  });

  it('the Authorization scheme is case-insensitive', async () => {
    for (const scheme of ['bearer', 'BEARER', 'bEaReR'])
      expect((await h.call('/status', { headers: { authorization: `${scheme} ${h.token}` } })).status).toBe(200);
  });

  it('unknown run: 404; malformed run id: 400; unknown route: 404; wrong method: 405 with Allow', async () => {
    expectError(await h.call(`/runs/${randomUUID()}`), 404, 'NOT_FOUND', /^Run [0-9a-f-]{36} does not exist/);
    expectError(await h.call('/runs/not-a-uuid'), 400, 'BAD_INPUT', /is not a run id/);
    expectError(await h.call('/nowhere'), 404, 'NOT_FOUND', /^There is no endpoint \/nowhere; the endpoints are /);
    expectError(await h.call('/runs/'), 404, 'NOT_FOUND');
    const wrong = await h.call('/runs', { method: 'DELETE' });
    expectError(wrong, 405, 'METHOD_NOT_ALLOWED', /^\/runs does not accept DELETE; use POST, GET\.$/);
    expect(wrong.headers.get('allow')).toBe('POST, GET');
    expect((await h.call('/health', { method: 'DELETE', auth: false })).headers.get('allow')).toBe('GET');
    expectError(
      await h.call('/proposals/abc/approve', { method: 'POST' }),
      400,
      'BAD_INPUT',
      /positive whole number, not 'abc'/,
    );
    expectError(await h.call('/proposals/7/approve', { method: 'POST' }), 404, 'NOT_FOUND', /no proposal 7 in TEST/);
  });
});
