import fs from 'node:fs';
import tls from 'node:tls';
import { errorMessage, TraderError } from '../../core/errors.ts';
import { pathText } from '../../core/quote.ts';

/** A PEM certificate (chain) and its private key, as `https.createServer` takes them. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/**
 * Only a regular file is read: a FIFO would block `trader serve` until a writer appears and
 * a device such as /dev/zero never ends. Opened without blocking, its type checked on the handle.
 */
function read(file: string, flag: string): Buffer {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    if (!fs.fstatSync(fd).isFile())
      throw new TraderError(
        'BAD_INPUT',
        `The ${flag} file ${file} is not a regular file; give the path of a PEM file.`,
      );
    return fs.readFileSync(fd);
  } catch (e) {
    if (e instanceof TraderError) throw e;
    throw new TraderError(
      'BAD_INPUT',
      `Cannot read the ${flag} file ${pathText(file)} (${pathText(errorMessage(e))}); give the path of a PEM file.`,
    );
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Reads `--tls-cert` and `--tls-key` and proves they make a TLS context (PEM, a key that
 * matches the certificate) before anything listens, so a bad pair is one sentence at
 * start, not a failed handshake per request. Both or neither.
 */
export function readTlsFiles(certFile: string | undefined, keyFile: string | undefined): TlsFiles | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined)
    throw new TraderError(
      'BAD_INPUT',
      'Give both --tls-cert and --tls-key (a PEM certificate and its private key), or neither.',
    );
  const files = { cert: read(certFile, '--tls-cert'), key: read(keyFile, '--tls-key') };
  try {
    tls.createSecureContext(files);
  } catch (e) {
    throw new TraderError(
      'BAD_INPUT',
      `--tls-cert ${certFile} and --tls-key ${keyFile} are not a PEM certificate and its matching private key (${errorMessage(e)}).`,
    );
  }
  return files;
}
