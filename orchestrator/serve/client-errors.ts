import http from 'node:http';
import type { Duplex } from 'node:stream';
import { TraderError } from '../../core/errors.ts';
import { logger } from '../../core/logger.ts';
import { errorDocument, statusOf } from './http-errors.ts';

/**
 * Requests Node's HTTP parser refuses before `trader serve` sees them. Node's own answer
 * is a bare status line (431 for oversized headers, 400 otherwise); this one carries the
 * same JSON error document as every other refusal. Nothing of the request is echoed.
 */
function refusalOf(err: NodeJS.ErrnoException): TraderError {
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    const kib = Math.round(http.maxHeaderSize / 1024);
    return new TraderError(
      'HEADERS_TOO_LARGE',
      `The request line and headers are larger than ${kib} KiB together; send fewer or shorter headers.`,
    );
  }
  return new TraderError('BAD_INPUT', 'The request is not valid HTTP/1.1; check the client that sent it.');
}

/** The server's 'clientError' listener: answer with JSON when the socket can still take it, then close it. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset or timed-out connection has nobody waiting for an answer.
  if (err.code === 'ECONNRESET' || err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || !socket.writable) {
    socket.destroy();
    return;
  }
  const refusal = refusalOf(err);
  const status = statusOf(refusal);
  const body = JSON.stringify(errorDocument(refusal));
  logger.warn({ status, reason: err.code ?? 'unknown' }, 'http request refused by the parser');
  socket.end(
    [
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}`,
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      'cache-control: no-store',
      'connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}
