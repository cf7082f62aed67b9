import type { z } from 'zod';
import { errorCodes, TraderError, toTraderError } from '../../core/errors.ts';
import { logger } from '../../core/logger.ts';
import { issueProblem, schemaProblems } from '../../core/schema-problems.ts';

/**
 * Every error response of `trader serve` is one JSON document,
 * `{ ok: false, error: { code, message, issues?, run_id? } }`, with `code` from the closed set in
 * core/errors.ts and the HTTP status that file maps it to. Never a stack trace: an
 * internal error is logged on the server and answered with one generic sentence.
 */

/** A refusal of HTTP itself (401, 405, 413, 429) that also sends headers (WWW-Authenticate, Allow, Connection, Retry-After). */
export class HttpRefusal extends TraderError {
  constructor(
    code: 'UNAUTHORIZED' | 'METHOD_NOT_ALLOWED' | 'PAYLOAD_TOO_LARGE' | 'RATE_LIMITED',
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message);
    this.name = 'HttpRefusal';
  }
}

export interface Issue {
  path: (string | number)[];
  message: string;
}

/** A request that failed its schema: every zod issue with its path (`where` is `body` or `query`). */
export function invalidRequest(where: 'body' | 'query', issues: z.ZodError['issues']): TraderError {
  const list: Issue[] = issues.map((i) => ({
    path: i.path.map((p) => (typeof p === 'number' ? p : String(p))),
    message: issueProblem(i),
  }));
  return new TraderError('BAD_INPUT', `${schemaProblems(`The request ${where} is invalid`, { issues }, [where])}.`, {
    issues: list,
  });
}

export function statusOf(e: TraderError): number {
  return errorCodes[e.code].http;
}

/** One JSON document, never cached. */
export function jsonResponse(status: number, doc: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(doc), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

/** The error document of a user-facing error: `{ ok: false, error: { code, message, issues?, run_id? } }`. */
export function errorDocument(err: TraderError, message = err.message): { ok: false; error: Record<string, unknown> } {
  const { issues, run_id } = (err.details ?? {}) as { issues?: Issue[]; run_id?: string };
  return {
    ok: false,
    error: { code: err.code, message, ...(issues ? { issues } : {}), ...(run_id ? { run_id } : {}) },
  };
}

/**
 * What the client is told about `e`: its code, status and sentence; an internal error is
 * logged here with `context` and told as one generic sentence.
 */
export function publicError(e: unknown, context: Record<string, unknown> = {}): { err: TraderError; message: string } {
  const err = toTraderError(e);
  if (err.code === 'INTERNAL' || !(e instanceof TraderError)) {
    logger.error({ ...context, err: e }, 'http request failed with an internal error');
    return { err, message: 'Internal error in trader; the server log has the details.' };
  }
  return { err, message: err.message };
}

/** `e` as the error document, with the refusal's headers. */
export function errorResponse(e: unknown, context: Record<string, unknown> = {}): Response {
  const { err, message } = publicError(e, context);
  return jsonResponse(statusOf(err), errorDocument(err, message), err instanceof HttpRefusal ? err.headers : {});
}
