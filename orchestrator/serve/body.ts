import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { errorMessage, TraderError } from '../../core/errors.ts';
import { HttpRefusal, invalidRequest } from './http-errors.ts';
import { quote } from '../../core/quote.ts';

/** The largest request body `trader serve` reads: a run request is a few hundred bytes. */
export const defaultBodyLimit = 64 * 1024;

/**
 * After a 413 the rest of an oversized body is read and dropped, so the client can
 * finish sending and read the answer; past this much the connection is cut instead.
 */
const discardLimit = 8 * 1024 * 1024;

function tooLarge(limit: number): HttpRefusal {
  return new HttpRefusal(
    'PAYLOAD_TOO_LARGE',
    `The request body is larger than ${limit} bytes; send a smaller JSON document.`,
    { connection: 'close' },
  );
}

function discardRest(req: IncomingMessage, alreadyRead: number): void {
  let dropped = alreadyRead;
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > discardLimit) req.destroy();
  });
  req.resume();
}

/** Reads the whole body, refusing (413) as soon as it passes `limit` bytes, whatever Content-Length claims. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    discardRest(req, 0);
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        settled = true;
        chunks.length = 0;
        discardRest(req, size);
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (settled) return;
      settled = true;
      reject(new TraderError('BAD_INPUT', `The request body could not be read (${errorMessage(e)}); send it again.`));
    });
  });
}

const jsonType = /^application\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i;

/**
 * The body as a value of `schema`. An empty body counts as `{}` (so a schema whose
 * fields are all optional accepts it); anything else must be JSON: a malformed document
 * is a 400 with the parser's reason, a value that breaks the schema a 400 listing every
 * zod issue with its path.
 */
export async function readJson<S extends z.ZodType>(
  req: IncomingMessage,
  schema: S,
  limit: number,
): Promise<z.infer<S>> {
  const raw = await readBody(req, limit);
  const text = raw.toString('utf8');
  let value: unknown = {};
  if (text.trim().length > 0) {
    const type = req.headers['content-type'];
    if (type !== undefined && !jsonType.test(type))
      throw new TraderError(
        'BAD_INPUT',
        `Send the body as JSON with Content-Type: application/json, not ${quote(type)}.`,
      );
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new TraderError(
        'BAD_INPUT',
        `The request body is not valid JSON (${errorMessage(e)}); send one JSON object.`,
      );
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidRequest('body', parsed.error.issues);
  return parsed.data;
}

/** The query string as a value of `schema` (each parameter once; a repeated one keeps its last value). */
export function readQuery<S extends z.ZodType>(url: URL, schema: S): z.infer<S> {
  const parsed = schema.safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) throw invalidRequest('query', parsed.error.issues);
  return parsed.data;
}

/** A dashboard form's fields (application/x-www-form-urlencoded; a repeated field keeps its last value). */
export async function readFormFields(req: IncomingMessage, limit: number): Promise<Record<string, string>> {
  const raw = await readBody(req, limit);
  const type = req.headers['content-type'] ?? '';
  if (raw.length > 0 && !/^application\/x-www-form-urlencoded\s*(?:;|$)/i.test(type))
    throw new TraderError('BAD_INPUT', `Send the form as application/x-www-form-urlencoded, not ${quote(type)}.`);
  return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
}

/** A dashboard form as a value of `schema`. */
export async function readForm<S extends z.ZodType>(
  req: IncomingMessage,
  schema: S,
  limit: number,
): Promise<z.infer<S>> {
  const parsed = schema.safeParse(await readFormFields(req, limit));
  if (!parsed.success) throw invalidRequest('body', parsed.error.issues);
  return parsed.data;
}
