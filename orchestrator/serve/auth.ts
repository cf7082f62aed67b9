import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { logger } from '../../core/logger.ts';
import type { Queryable } from '../../store/db.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import { HttpRefusal } from './http-errors.ts';
import { activeTokens, hashToken, touchToken } from './tokens-repo.ts';

/** Who made an authenticated request: the name the token was created with. */
export interface Client {
  token_id: number;
  name: string;
}

export type AuthFailure = 'missing' | 'malformed' | 'unknown';

const bearer = /^Bearer +([A-Za-z0-9._~+/=-]{1,512}) *$/;

/**
 * The client behind `Authorization: Bearer <token>`, or why there is none. The presented
 * token's sha256 is compared with every active token's stored hash in constant time
 * (timingSafeEqual on equal-length digests), without stopping at a match.
 */
export async function identify(q: Queryable, header: string | undefined): Promise<Client | AuthFailure> {
  if (header === undefined || header.trim() === '') return 'missing';
  const m = bearer.exec(header);
  if (!m) return 'malformed';
  const presented = Buffer.from(hashToken(m[1]!), 'hex');
  let found: Client | undefined;
  for (const t of await activeTokens(q)) {
    const stored = Buffer.from(t.token_hash, 'hex');
    if (stored.length === presented.length && timingSafeEqual(stored, presented) && !found) found = { token_id: t.token_id, name: t.name };
  }
  return found ?? 'unknown';
}

const reasons: Record<AuthFailure, string> = {
  missing: 'This endpoint needs the header Authorization: Bearer <token>; create a token with `trader serve token create`.',
  malformed: 'The Authorization header is not `Bearer <token>`; send Authorization: Bearer <token>.',
  unknown: 'The bearer token is not valid (unknown or revoked); create one with `trader serve token create`.',
};

/**
 * Authenticates a request or throws 401. Every refusal is an audit row (mode SYSTEM):
 * method, path without its query, remote address and why; never any token material.
 */
export async function authenticate(q: Queryable, req: IncomingMessage, path: string): Promise<Client> {
  const who = await identify(q, req.headers.authorization);
  if (typeof who !== 'string') {
    await touchToken(q, who.token_id);
    return who;
  }
  const details = { method: req.method ?? '?', path, remote: req.socket.remoteAddress ?? null, reason: who };
  logger.warn(details, 'http request refused: not authenticated');
  await recordAudit(q, { mode: 'SYSTEM', actor: 'SYSTEM', action_type: 'HTTP_AUTH_REFUSED', status: 'FAILURE', details });
  throw new HttpRefusal('UNAUTHORIZED', reasons[who], { 'www-authenticate': `Bearer realm="trader"${who === 'missing' ? '' : ', error="invalid_token"'}` });
}
