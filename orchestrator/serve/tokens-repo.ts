import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { TraderError } from '../../core/errors.ts';
import { type Db, type Queryable, queryRows } from '../../store/db.ts';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import { quote } from '../../core/quote.ts';

/**
 * Bearer tokens for `trader serve` (table http_tokens). A token is 32 random bytes,
 * shown once at creation; only its sha256 is stored, so neither the table nor a
 * backup reveals a usable token. Creation and revocation are audited by name only.
 */

export const TokenName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'a token name is 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit',
  );

export const TokenListing = z.object({
  name: z.string(),
  created_at: z.date(),
  last_used_at: z.date().nullable(),
  revoked_at: z.date().nullable(),
});
export type TokenListing = z.infer<typeof TokenListing>;

export const ActiveToken = z.object({ token_id: z.number(), name: z.string(), token_hash: z.string() });
export type ActiveToken = z.infer<typeof ActiveToken>;

/** `trd_` and 43 base64url characters (256 bits). */
export function newToken(): string {
  return `trd_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function checkName(name: string): string {
  const parsed = TokenName.safeParse(name);
  if (!parsed.success)
    throw new TraderError('BAD_INPUT', `${quote(name)} is not a token name: ${parsed.error.issues[0]!.message}.`);
  return parsed.data;
}

const listing = 'name, created_at, last_used_at, revoked_at';

/** Creates a token named `name` and returns it: the only time it exists outside the caller's hands. */
export async function createToken(db: Db, rawName: string): Promise<TokenListing & { token: string }> {
  const name = checkName(rawName);
  const token = newToken();
  const taken = new TraderError(
    'BAD_INPUT',
    `A token named ${quote(name)} already exists; revoke it first (\`trader serve token revoke ${name}\`) or pick another --name.`,
  );
  return db
    .transaction(async (tx) => {
      if ((await tx.query('select 1 from http_tokens where name = $1 and revoked_at is null', [name])).length > 0)
        throw taken;
      const [row] = await queryRows(
        tx,
        TokenListing,
        `insert into http_tokens (name, token_hash) values ($1, $2) returning ${listing}`,
        [name, hashToken(token)],
      );
      await recordAudit(tx, {
        mode: 'SYSTEM',
        actor: 'USER',
        action_type: 'HTTP_TOKEN_CREATED',
        status: 'SUCCESS',
        details: { name },
        entity_type: 'http_token',
        entity_id: name,
      });
      return { ...row!, token };
    })
    .catch((e: unknown) => {
      // Two creations of the same name at once: the partial unique index lets one win.
      throw (e as { code?: string }).code === '23505' ? taken : e;
    });
}

export async function listTokens(q: Queryable, options: { all?: boolean } = {}): Promise<TokenListing[]> {
  const where = options.all ? '' : 'where revoked_at is null';
  return queryRows(q, TokenListing, `select ${listing} from http_tokens ${where} order by created_at, token_id`);
}

/** Revokes the active token named `name`; it and its dashboard sessions stop authenticating with the next request. */
export async function revokeToken(db: Db, rawName: string): Promise<TokenListing> {
  const name = checkName(rawName);
  return db.transaction(async (tx) => {
    const [row] = await queryRows(
      tx,
      TokenListing,
      `update http_tokens set revoked_at = now() where name = $1 and revoked_at is null returning ${listing}`,
      [name],
    );
    if (!row)
      throw new TraderError(
        'NOT_FOUND',
        `There is no active token named ${quote(name)}; see \`trader serve token list\`.`,
      );
    // Its dashboard sessions end with it (they would stop authenticating anyway: a session joins its token).
    const ended = await tx.query(
      `update http_sessions s set ended_at = now() from http_tokens t
       where t.name = $1 and s.token_id = t.token_id and s.ended_at is null returning 1`,
      [name],
    );
    await recordAudit(tx, {
      mode: 'SYSTEM',
      actor: 'USER',
      action_type: 'HTTP_TOKEN_REVOKED',
      status: 'SUCCESS',
      details: { name, sessions_ended: ended.length },
      entity_type: 'http_token',
      entity_id: name,
    });
    return row;
  });
}

export async function activeTokens(q: Queryable): Promise<ActiveToken[]> {
  return queryRows(q, ActiveToken, 'select token_id, name, token_hash from http_tokens where revoked_at is null');
}

/** Records use, at most once a minute per token (a write per request would be wasted work). */
export async function touchToken(q: Queryable, tokenId: number): Promise<void> {
  await q.query(
    "update http_tokens set last_used_at = now() where token_id = $1 and (last_used_at is null or last_used_at < now() - interval '1 minute')",
    [tokenId],
  );
}
