import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type Db, type Queryable, queryRows } from '../../store/db.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import type { Client } from './auth.ts';
import { hashToken } from './tokens-repo.ts';

/**
 * Dashboard sessions (table http_sessions). The cookie's value is 32 random bytes; only
 * its sha256 is stored. The CSRF token of a session is derived from the cookie's value
 * (a page can show it; the cookie is HttpOnly, so no other site's script can compute it)
 * and is never stored. A session lives while it has not ended, has not expired and its
 * token is not revoked. Logins and logouts are audited by token name only.
 */

/** How long a session lasts after its login, unless `trader serve --session-hours` says otherwise. */
export const defaultSessionHours = 12;

const SessionRow = z.object({ token_id: z.coerce.number(), name: z.string(), expires_at: z.date() });
export type Session = Client & { expires_at: Date; csrf: string };

export const csrfOf = (cookie: string): string =>
  createHash('sha256').update(`csrf:${cookie}`, 'utf8').digest('base64url');

/** Starts a session for `client` at `now`; returns the cookie's value, the only time it exists. */
export async function startSession(db: Db, client: Client, now: Date, hours: number): Promise<{ cookie: string }> {
  const cookie = randomBytes(32).toString('base64url');
  await db.transaction(async (tx) => {
    await tx.query(
      `insert into http_sessions (session_hash, token_id, created_at, expires_at, last_seen_at)
       values ($1, $2, $3, $4, $3)`,
      [hashToken(cookie), client.token_id, now, new Date(now.getTime() + hours * 3_600_000)],
    );
    await recordAudit(tx, {
      mode: 'SYSTEM',
      actor: 'USER',
      action_type: 'DASHBOARD_LOGIN',
      status: 'SUCCESS',
      details: { client: client.name, hours },
      entity_type: 'http_token',
      entity_id: client.name,
    });
  });
  return { cookie };
}

/** The live session behind a cookie's value at `now`, or null (unknown, ended, expired, or its token revoked). */
export async function findSession(q: Queryable, cookie: string, now: Date): Promise<Session | null> {
  const [row] = await queryRows(
    q,
    SessionRow,
    `select s.token_id, t.name, s.expires_at from http_sessions s join http_tokens t using (token_id)
     where s.session_hash = $1 and s.ended_at is null and s.expires_at > $2 and t.revoked_at is null`,
    [hashToken(cookie), now],
  );
  if (!row) return null;
  await q.query(
    `update http_sessions set last_seen_at = $2 where session_hash = $1 and last_seen_at < $2::timestamptz - interval '1 minute'`,
    [hashToken(cookie), now],
  );
  return { token_id: row.token_id, name: row.name, expires_at: row.expires_at, csrf: csrfOf(cookie) };
}

/** Ends the session behind a cookie's value (logout); audited when there was one. */
export async function endSession(db: Db, cookie: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await queryRows(
      tx,
      z.object({ name: z.string() }),
      `update http_sessions s set ended_at = $2 from http_tokens t
       where s.session_hash = $1 and s.ended_at is null and t.token_id = s.token_id returning t.name`,
      [hashToken(cookie), now],
    );
    if (row)
      await recordAudit(tx, {
        mode: 'SYSTEM',
        actor: 'USER',
        action_type: 'DASHBOARD_LOGOUT',
        status: 'SUCCESS',
        details: { client: row.name },
        entity_type: 'http_token',
        entity_id: row.name,
      });
  });
}
