import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Queryable } from '../../store/db.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import type { AuthFailureLimiter, RefusalReason, RefusalSummary } from './auth-limiter.ts';
import { HttpRefusal } from './http-errors.ts';
import { activeTokens, hashToken, touchToken } from './tokens-repo.ts';

/** Who made an authenticated request: the name the token was created with. */
export interface Client {
  token_id: number;
  name: string;
}

export type AuthFailure = RefusalReason;

/** The scheme is case-insensitive (RFC 9110, section 11.1): `bearer` and `BEARER` work too. */
const bearer = /^Bearer +([A-Za-z0-9._~+/=-]{1,512}) *$/i;

/**
 * The client a presented token belongs to, or 'unknown'. Its sha256 is compared with every
 * active token's stored hash in constant time (timingSafeEqual on equal-length digests),
 * without stopping at a match.
 */
export async function identifyToken(q: Queryable, token: string): Promise<Client | 'unknown'> {
  const presented = Buffer.from(hashToken(token), 'hex');
  let found: Client | undefined;
  for (const t of await activeTokens(q)) {
    const stored = Buffer.from(t.token_hash, 'hex');
    if (stored.length === presented.length && timingSafeEqual(stored, presented) && !found)
      found = { token_id: t.token_id, name: t.name };
  }
  return found ?? 'unknown';
}

/** The client behind `Authorization: Bearer <token>`, or why there is none. */
export async function identify(q: Queryable, header: string | undefined): Promise<Client | AuthFailure> {
  if (header === undefined || header.trim() === '') return 'missing';
  const m = bearer.exec(header);
  if (!m) return 'malformed';
  return identifyToken(q, m[1]!);
}

const reasons: Record<AuthFailure, string> = {
  missing:
    'This endpoint needs the header Authorization: Bearer <token>; create a token with `trader serve token create`.',
  malformed: 'The Authorization header is not `Bearer <token>`; send Authorization: Bearer <token>.',
  unknown: 'The bearer token is not valid (unknown or revoked); create one with `trader serve token create`.',
};

/** One audit row per window of refused requests from one address, with the counts; never any token material. */
export function auditRefusals(q: Queryable, summary: RefusalSummary): Promise<void> {
  return recordAudit(q, {
    mode: 'SYSTEM',
    actor: 'SYSTEM',
    action_type: 'HTTP_AUTH_REFUSED',
    status: 'FAILURE',
    details: { ...summary },
  }).then(() => undefined);
}

/**
 * Authenticates a request, or throws 401 (a missing, malformed or unknown token) or 429
 * (this address failed too often in its current window; the token is not even looked at).
 * Refusals are counted by `limiter`, which audits them per address and window.
 */
export async function authenticate(
  q: Queryable,
  limiter: AuthFailureLimiter,
  req: IncomingMessage,
  path: string,
): Promise<Client> {
  const remote = req.socket.remoteAddress;
  const request = `${req.method ?? '?'} ${path}`;
  await refuseWhileLimited(limiter, remote, request);
  const who = await identify(q, req.headers.authorization);
  if (typeof who !== 'string') {
    await touchToken(q, who.token_id);
    return who;
  }
  limiter.refused(remote, who, request);
  throw new HttpRefusal('UNAUTHORIZED', reasons[who], {
    'www-authenticate': `Bearer realm="trader"${who === 'missing' ? '' : ', error="invalid_token"'}`,
  });
}

/** 429 while `remote` is over its failure limit: the token is not even looked at. */
export async function refuseWhileLimited(
  limiter: AuthFailureLimiter,
  remote: string | undefined,
  request: string,
): Promise<void> {
  const wait = await limiter.retryAfter(remote);
  if (wait <= 0) return;
  limiter.limited(remote, request);
  throw new HttpRefusal(
    'RATE_LIMITED',
    `Too many failed authentications from this address; try again in ${wait} s with a valid token.`,
    { 'retry-after': String(wait) },
  );
}
