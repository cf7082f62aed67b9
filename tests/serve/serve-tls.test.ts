import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTraderError } from '../../core/errors.ts';
import { readTlsFiles, type TlsFiles } from '../../orchestrator/serve/tls-files.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { type Harness, serveOn } from './harness.ts';

/**
 * `trader serve --tls-cert/--tls-key`: HTTPS for callers on other machines (a hosted
 * n8n). A self-signed certificate for 127.0.0.1 is made with openssl for the run; a
 * client that trusts it gets answers, one that does not is refused by its own TLS check.
 */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trader-tls-'));
const file = (name: string) => path.join(dir, name);

function selfSigned(name: string): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.crt`),
    ],
    { stdio: 'pipe' },
  );
}

/** GET over HTTPS trusting only `ca`. */
function get(url: string, ca: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, headers }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      })
      .on('error', reject);
  });
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (isTraderError(e) && e.code === 'BAD_INPUT') return e.message;
    throw e;
  }
  throw new Error('expected a BAD_INPUT refusal');
}

beforeAll(() => {
  selfSigned('server');
  selfSigned('other');
  fs.writeFileSync(file('not-pem.crt'), 'this is not a certificate\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('reading --tls-cert and --tls-key', () => {
  it('takes both or neither, and refuses unreadable files, non-PEM and a key of another certificate in one sentence', () => {
    expect(readTlsFiles(undefined, undefined)).toBeUndefined();
    const files = readTlsFiles(file('server.crt'), file('server.key'));
    expect(files?.cert.toString()).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(refusal(() => readTlsFiles(file('server.crt'), undefined))).toBe(
      'Give both --tls-cert and --tls-key (a PEM certificate and its private key), or neither.',
    );
    expect(refusal(() => readTlsFiles(file('missing.crt'), file('server.key')))).toMatch(
      /^Cannot read the --tls-cert file .*missing\.crt \(.*ENOENT.*\); give the path of a PEM file\.$/,
    );
    expect(refusal(() => readTlsFiles(file('not-pem.crt'), file('server.key')))).toMatch(
      /not-pem\.crt and --tls-key .* are not a PEM certificate and its matching private key \(.+\)\.$/,
    );
    expect(refusal(() => readTlsFiles(file('server.crt'), file('other.key')))).toMatch(
      /are not a PEM certificate and its matching private key \(.*key values mismatch.*\)\.$/,
    );
  });
});

describe.each(backends)('trader serve over HTTPS (%s)', (kind) => {
  let db: TestDb;
  let h: Harness;
  let tls: TlsFiles;
  beforeAll(async () => {
    tls = readTlsFiles(file('server.crt'), file('server.key'))!;
    db = await freshDb(kind);
    h = await serveOn(db, { tls });
  });
  afterAll(async () => {
    await h?.server.close();
    await db?.dispose();
  });

  it('answers over TLS to a client that trusts the certificate, with the same auth; untrusted and plain-HTTP clients get nothing', async () => {
    expect(h.server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await get(`${h.server.url}/health`, tls.cert)).toMatchObject({
      status: 200,
      body: { ok: true, status: 'ok' },
    });
    expect((await get(`${h.server.url}/status`, tls.cert)).status).toBe(401);
    expect(await get(`${h.server.url}/status`, tls.cert, { authorization: `Bearer ${h.token}` })).toMatchObject({
      status: 200,
      body: { ok: true, system_mode: 'TEST' },
    });
    // A client with the default trust store refuses a self-signed certificate itself.
    await expect(fetch(`${h.server.url}/health`)).rejects.toThrow();
    await expect(get(`${h.server.url}/health`, fs.readFileSync(file('other.crt')))).rejects.toThrow(
      /self.signed|certificate/i,
    );
    await expect(fetch(`${h.server.url.replace('https:', 'http:')}/health`)).rejects.toThrow();
  });
});
