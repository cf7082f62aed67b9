import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addApiKey, listApiKeys, loadApiKey, removeApiKey } from '../../trading/secrets/key-vault.ts';
import { initPin } from '../../trading/secrets/pin.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { rejection } from '../helpers/errors.ts';

const pin = 'vault pin 314159';
const apiKey = 'AK-7f3c9e1b2d4a6f8e0c1b3d5a7f9e2c4b';
const secret = 'SK-e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8';

interface StoredRow {
  name: string;
  exchange: string;
  kdf: string;
  salt: string;
  iv: string;
  ciphertext: string;
  auth_tag: string;
}

const storedRow = async (db: TestDb, name: string) =>
  (await db.query<StoredRow>('select * from api_keys where name = $1', [name]))[0]!;

/** Flips one bit of a base64 column, the way a corrupted or edited row would look. */
async function flipBit(db: TestDb, name: string, column: 'ciphertext' | 'auth_tag' | 'iv'): Promise<void> {
  const bytes = Buffer.from((await storedRow(db, name))[column], 'base64');
  bytes[0] = bytes[0]! ^ 0x01;
  await db.query(`update api_keys set ${column} = $1 where name = $2`, [bytes.toString('base64'), name]);
}

const keyMaterial = [apiKey, secret, apiKey.slice(0, 8), secret.slice(0, 8)];

describe.each(backends)('API key vault (%s)', (kind) => {
  // One database per backend, the PIN set once (a fresh database and an scrypt hash per case
  // cost most of this file's time); each case starts as on a fresh one: no API keys, no
  // wrong PINs counted. The audit trail only grows, so cases read their own part of it.
  let db: TestDb;
  beforeAll(async () => {
    db = await freshDb(kind);
    await initPin(db, pin);
  });
  afterAll(async () => db?.dispose());
  beforeEach(async () => {
    await db.query('delete from api_keys');
    await db.query('update pin_attempts set failed_count = 0, last_failed_at = null, locked_until = null');
  });

  it('encrypts under the PIN and decrypts back to the same key and secret', async () => {
    const listed = await addApiKey(db, pin, { name: 'binance-main', exchange: 'binance', apiKey, secret });
    expect(listed).toEqual({ name: 'binance-main', exchange: 'binance', created_at: expect.any(Date) });
    expect(await loadApiKey(db, pin, 'binance-main')).toEqual({ exchange: 'binance', apiKey, secret });

    const row = await storedRow(db, 'binance-main');
    expect(row.kdf).toBe('scrypt:N=32768,r=8,p=1');
    expect(Buffer.from(row.salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(row.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(row.auth_tag, 'base64')).toHaveLength(16);
    const raw = JSON.stringify(row) + Buffer.from(row.ciphertext, 'base64').toString('latin1');
    for (const m of keyMaterial) expect(raw).not.toContain(m);
  });

  it('uses a fresh salt and IV for every key, even for the same plaintext', async () => {
    await addApiKey(db, pin, { name: 'a', exchange: 'binance', apiKey, secret });
    await addApiKey(db, pin, { name: 'b', exchange: 'binance', apiKey, secret });
    const [a, b] = [await storedRow(db, 'a'), await storedRow(db, 'b')];
    expect(a.salt).not.toBe(b.salt);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it('trims whitespace around pasted keys and refuses empty ones without echoing them', async () => {
    await addApiKey(db, pin, { name: 'padded', exchange: 'okx', apiKey: `  ${apiKey}\t`, secret: ` ${secret} ` });
    expect(await loadApiKey(db, pin, 'padded')).toEqual({ exchange: 'okx', apiKey, secret });
    const empty = await rejection(addApiKey(db, pin, { name: 'empty', exchange: 'okx', apiKey: '   ', secret }));
    expect(empty.code).toBe('BAD_INPUT');
    expect(empty.message).toBe('The API key and API secret must not be empty; enter both.');
    expect(empty.message).not.toContain(secret);
  });

  it('refuses malformed names and exchange ids', async () => {
    const name = await rejection(addApiKey(db, pin, { name: 'Bad Name', exchange: 'binance', apiKey, secret }));
    expect([name.code, name.message]).toEqual([
      'BAD_INPUT',
      expect.stringMatching(/^'Bad Name' is not an API key name/),
    ]);
    const exchange = await rejection(addApiKey(db, pin, { name: 'ok', exchange: 'Binance!', apiKey, secret }));
    expect([exchange.code, exchange.message]).toEqual([
      'BAD_INPUT',
      expect.stringMatching(/^'Binance!' is not an exchange id/),
    ]);
    expect(await listApiKeys(db)).toEqual([]);
  });

  it('verifies the PIN before storing: a wrong PIN stores nothing and counts as a miss', async () => {
    const e = await rejection(addApiKey(db, 'not the pin', { name: 'main', exchange: 'binance', apiKey, secret }));
    expect([e.code, e.message]).toEqual(['BAD_INPUT', 'Wrong PIN.']);
    expect(await listApiKeys(db)).toEqual([]);
    expect((await db.query<{ failed_count: number }>('select failed_count from pin_attempts'))[0]!.failed_count).toBe(
      1,
    );
  });

  it('refuses a duplicate name and keeps the first key', async () => {
    await addApiKey(db, pin, { name: 'main', exchange: 'binance', apiKey, secret });
    const e = await rejection(
      addApiKey(db, pin, { name: 'main', exchange: 'kraken', apiKey: 'other-key', secret: 'other-secret' }),
    );
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toBe(
      "An API key named 'main' already exists; remove it first with `trader secrets remove main`.",
    );
    expect(await loadApiKey(db, pin, 'main')).toEqual({ exchange: 'binance', apiKey, secret });
  });

  it('a wrong PIN cannot decrypt', async () => {
    await addApiKey(db, pin, { name: 'main', exchange: 'binance', apiKey, secret });
    const e = await rejection(loadApiKey(db, `${pin}!`, 'main'));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toBe(
      "API key 'main' does not decrypt with this PIN (a wrong PIN or an altered row); if the PIN is right, remove the key and add it again.",
    );
  });

  it.each(['ciphertext', 'auth_tag', 'iv'] as const)(
    'a tampered %s fails with a clean error that carries nothing of the key',
    async (column) => {
      await addApiKey(db, pin, { name: 'main', exchange: 'binance', apiKey, secret });
      await flipBit(db, 'main', column);
      const e = await rejection(loadApiKey(db, pin, 'main'));
      expect(e.code).toBe('CONFIG_INVALID');
      expect(e.message).toMatch(/^API key 'main' does not decrypt with this PIN/);
      expect(e.details).toBeUndefined();
      for (const m of keyMaterial) expect(`${e.message}${String(e.stack)}`).not.toContain(m);
    },
  );

  it('a key moved to another exchange, renamed or given unknown KDF parameters no longer decrypts', async () => {
    await addApiKey(db, pin, { name: 'main', exchange: 'binance', apiKey, secret });
    await db.query(`update api_keys set exchange = 'kraken' where name = 'main'`);
    expect((await rejection(loadApiKey(db, pin, 'main'))).code).toBe('CONFIG_INVALID');
    await db.query(`update api_keys set exchange = 'binance', name = 'renamed' where name = 'main'`);
    expect((await rejection(loadApiKey(db, pin, 'renamed'))).code).toBe('CONFIG_INVALID');
    await db.query(`update api_keys set name = 'main', kdf = 'scrypt:N=1073741824,r=8,p=1' where name = 'renamed'`);
    expect((await rejection(loadApiKey(db, pin, 'main'))).code).toBe('CONFIG_INVALID');
    await db.query(`update api_keys set kdf = 'scrypt:N=32768,r=8,p=1' where name = 'main'`);
    expect(await loadApiKey(db, pin, 'main')).toEqual({ exchange: 'binance', apiKey, secret });
  });

  it('lists names, exchanges and times only, and removes by name', async () => {
    await addApiKey(db, pin, { name: 'zeta', exchange: 'kraken', apiKey, secret });
    await addApiKey(db, pin, { name: 'alpha', exchange: 'binance', apiKey, secret });
    const listed = await listApiKeys(db);
    expect(listed.map((k) => Object.keys(k).sort())).toEqual([
      ['created_at', 'exchange', 'name'],
      ['created_at', 'exchange', 'name'],
    ]);
    expect(listed.map((k) => [k.name, k.exchange])).toEqual([
      ['alpha', 'binance'],
      ['zeta', 'kraken'],
    ]);

    expect(await removeApiKey(db, 'zeta')).toMatchObject({ name: 'zeta', exchange: 'kraken' });
    expect((await listApiKeys(db)).map((k) => k.name)).toEqual(['alpha']);
    for (const missing of [removeApiKey(db, 'zeta'), loadApiKey(db, pin, 'zeta')]) {
      const e = await rejection(missing);
      expect([e.code, e.message]).toEqual(['NOT_FOUND', "No API key named 'zeta'; see `trader secrets list`."]);
    }
  });

  it('audits adding, decrypting (and failing to), and removing, with name and exchange only', async () => {
    const before = (await db.query<{ seq: string }>('select coalesce(max(seq), 0) as seq from audit_trail'))[0]!.seq;
    await addApiKey(db, pin, { name: 'main', exchange: 'binance', apiKey, secret });
    await loadApiKey(db, pin, 'main');
    await rejection(loadApiKey(db, 'wrong pin!', 'main'));
    await removeApiKey(db, 'main');

    const rows = await db.query<{
      mode: string;
      actor: string;
      action_type: string;
      status: string;
      details: unknown;
      entity_id: string | null;
    }>(
      `select mode, actor, action_type, status, details, entity_id from audit_trail
        where seq > $1 and action_type like 'API_KEY_%' order by seq`,
      [before],
    );
    const keyDetails = { name: 'main', exchange: 'binance' };
    expect(rows.map((r) => [r.action_type, r.status, r.details, r.entity_id])).toEqual([
      ['API_KEY_ADDED', 'SUCCESS', keyDetails, 'main'],
      ['API_KEY_DECRYPTED', 'SUCCESS', { ...keyDetails, via: 'pin' }, 'main'],
      ['API_KEY_DECRYPTED', 'FAILURE', { ...keyDetails, via: 'pin', reason: 'decryption_failed' }, 'main'],
      ['API_KEY_REMOVED', 'SUCCESS', keyDetails, 'main'],
    ]);
    for (const r of rows) expect([r.mode, r.actor]).toEqual(['SYSTEM', 'USER']);
    const everything = JSON.stringify(await db.query('select * from audit_trail'));
    for (const m of [...keyMaterial, pin]) expect(everything).not.toContain(m);
  });
});
