import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/**
 * A Postgres SCRAM-SHA-256 password verifier (RFC 5802, RFC 7677), computed here so that
 * `create role ... password '<verifier>'` never carries the password itself: the statement
 * text may end up in the server's log (log_statement = ddl) or in pg_stat_statements.
 * Postgres stores a verifier given this way as it is, exactly as psql's \password does.
 *
 * The password must be printable ASCII, for which SASLprep (the normalisation the server
 * applies at login) changes nothing.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
