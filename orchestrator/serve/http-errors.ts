import type { ServerResponse } from 'node:http';
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

export function sendJson(
  res: ServerResponse,
  status: number,
  doc: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const body = JSON.stringify(doc);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

/** The error document of a user-facing error: `{ ok: false, error: { code, message, issues?, run_id? } }`. */
export function errorDocument(err: TraderError, message = err.message): { ok: false; error: Record<string, unknown> } {
  const { issues, run_id } = (err.details ?? {}) as { issues?: Issue[]; run_id?: string };
  return {
    ok: false,
    error: { code: err.code, message, ...(issues ? { issues } : {}), ...(run_id ? { run_id } : {}) },
  };
}

/** Answers `e` as the error document; returns the status sent. */
export function sendError(res: ServerResponse, e: unknown, context: Record<string, unknown> = {}): number {
  const err = toTraderError(e);
  const status = statusOf(err);
  let message = err.message;
  if (err.code === 'INTERNAL' || !(e instanceof TraderError)) {
    logger.error({ ...context, err: e }, 'http request failed with an internal error');
    message = 'Internal error in trader; the server log has the details.';
  }
  sendJson(res, status, errorDocument(err, message), err instanceof HttpRefusal ? err.headers : {});
  return status;
}
