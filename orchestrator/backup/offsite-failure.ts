import { TraderError } from '../../core/errors.ts';
import { quote, shortText } from '../../core/quote.ts';
import type { OffsiteTarget } from './offsite-settings.ts';

/**
 * What Supabase Storage's answers mean for the user, in one sentence each. Storage answers
 * most errors with HTTP 400 and the real status in the body's `statusCode` (supabase-js
 * keeps both: `status`, `statusCode`); the API gateway in front answers a wrong `apikey`
 * with a plain 401. A network failure has neither, only the cause of `fetch failed`.
 * No sentence carries the service key: the server's own words are quoted with it blanked.
 */

export interface StorageErrorLike {
  message: string;
  status?: number;
  statusCode?: string;
  originalError?: unknown;
}

/** The status that says what went wrong: the body's, else the HTTP one. */
const statusOf = (e: StorageErrorLike) => Number(e.statusCode) || e.status;

export const isDuplicate = (e: StorageErrorLike) => statusOf(e) === 409;

/** Storage's "Bucket not found" and "Object not found" are both 404s; only the words tell them apart. */
const isMissingBucket = (e: StorageErrorLike) => statusOf(e) === 404 && /bucket/i.test(e.message);

export const isMissingObject = (e: StorageErrorLike) => statusOf(e) === 404 && !isMissingBucket(e);

/** The server's words with the service key blanked, should a server echo it. */
const blanked = (text: string, target: OffsiteTarget) => text.split(target.serviceKey).join('[service key]');

/** Why a request never got an answer: the network error's code (ECONNREFUSED, ENOTFOUND, …). */
function networkCause(e: StorageErrorLike): string {
  const cause = (e.originalError as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  return String(cause?.code ?? cause?.message ?? e.message);
}

export function storageFailure(e: StorageErrorLike, target: OffsiteTarget, doing: string): TraderError {
  const where = `Supabase Storage at ${target.url}`;
  if (e.status === undefined)
    return new TraderError(
      'TRANSIENT',
      `${where} cannot be reached while ${doing} (${shortText(blanked(networkCause(e), target))}); check the URL with \`trader backup offsite set\`, or try again later.`,
    );
  if ([e.status, statusOf(e)].some((s) => s === 401 || s === 403))
    return new TraderError(
      'CONFIG_INVALID',
      `${where} refused the service key while ${doing} (HTTP ${e.status}); store the project's service_role key again with \`trader backup offsite set\`.`,
    );
  if (isMissingBucket(e))
    return new TraderError(
      'NOT_FOUND',
      `${where} has no bucket ${quote(target.bucket)}; create it (private) in the project's dashboard, or name another with \`trader backup offsite set\`.`,
    );
  if (statusOf(e) === 413)
    return new TraderError(
      'BAD_INPUT',
      `${where} refused the file as too large while ${doing}; raise the bucket's file size limit in the project's storage settings.`,
    );
  const said = `${where} answered HTTP ${e.status} (${quote(blanked(e.message, target))}) while ${doing}`;
  // A server error may pass; anything else (an HTML 404 from a host that is no Supabase project) will not.
  return e.status >= 500
    ? new TraderError('TRANSIENT', `${said}; try again later.`)
    : new TraderError('CONFIG_INVALID', `${said}; check the project URL with \`trader backup offsite set\`.`);
}
