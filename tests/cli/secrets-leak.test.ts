import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../store/db.ts';
import { openPgliteDb } from '../../store/pglite-db.ts';
import { openPostgresDb } from '../../store/postgres-db.ts';
import { type LiveExchange, startLiveExchange } from '../helpers/live-exchange.ts';
import {
  type CliBackend,
  cliBackends,
  type CliResult,
  migratedTarget,
  runTrader,
  type Target,
  withInput,
} from '../helpers/cli.ts';

/**
 * The whole `trader secrets` lifecycle with distinctive secrets, then `trader live init`
 * (one refused attempt, one that succeeds against the exchange stand-in), the key file and
 * an unattended unlock (`schedule run` in LIVE), then a search for them
 * everywhere they could have landed: every command's output, every row of every table,
 * and (embedded) every byte under TRADER_HOME, in plain, hex and base64 form.
 */

const distinctive = (label: string) => `${label}-${randomBytes(30).toString('base64url')}`;
const secrets = {
  pin: distinctive('PIN'),
  apiKey: distinctive('APIKEY'),
  apiSecret: distinctive('APISECRET'),
  spareKey: distinctive('SPAREKEY'),
  spareSecret: distinctive('SPARESECRET'),
  liveKey: distinctive('LIVEKEY'),
  liveSecret: distinctive('LIVESECRET'),
};

/**
 * The forms a secret could take in storage. A base64 encoding depends on the secret's
 * offset in the surrounding bytes, so all three alignments are searched, minus the
 * edge characters that mix in the neighbouring bytes.
 */
function encodedForms(plain: string): string[] {
  const bytes = Buffer.from(plain, 'utf8');
  const forms = [plain, bytes.toString('hex'), bytes.toString('hex').toUpperCase()];
  for (let shift = 0; shift < 3; shift++) {
    const inner = Buffer.concat([Buffer.alloc(shift), bytes])
      .toString('base64')
      .slice(4, -4);
    forms.push(inner, inner.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}

const needles = Object.entries(secrets).flatMap(([name, plain]) =>
  encodedForms(plain).map((form) => ({ name, form, bytes: Buffer.from(form, 'utf8') })),
);

/** Every place (`where`) holding any form of any secret. */
function hits(where: string, haystack: Buffer): string[] {
  return needles.filter((n) => haystack.includes(n.bytes)).map((n) => `${n.name} in ${where}`);
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

const scannedSchemas = ['public', 'trading_test', 'trading_live', 'supabase_migrations'];

/** Every row of every table in the scanned schemas, each cast to text. */
async function tableTexts(db: Db): Promise<{ table: string; rows: string[] }[]> {
  const tables = await db.query<{ schemaname: string; tablename: string }>(
    'select schemaname, tablename from pg_tables where schemaname = any($1) order by 1, 2',
    [scannedSchemas],
  );
  const out = [];
  for (const { schemaname, tablename } of tables) {
    const rows = await db.query<{ row: string }>(`select t::text as row from "${schemaname}"."${tablename}" t`);
    out.push({ table: `${schemaname}.${tablename}`, rows: rows.map((r) => r.row) });
  }
  return out;
}

describe('the leak scan itself', () => {
  it('finds a secret embedded plainly, as hex or as base64 at any offset', () => {
    for (const shift of [0, 1, 2, 5]) {
      const around = (inner: Buffer) => Buffer.concat([randomBytes(shift), inner, randomBytes(7)]);
      const plain = Buffer.from(secrets.apiSecret);
      expect(hits('probe', around(plain))).toContain('apiSecret in probe');
      expect(hits('probe', Buffer.from(around(plain).toString('base64')))).toContain('apiSecret in probe');
      expect(hits('probe', Buffer.from(around(plain).toString('base64url')))).toContain('apiSecret in probe');
      expect(hits('probe', Buffer.from(around(plain).toString('hex')))).toContain('apiSecret in probe');
    }
    expect(hits('probe', randomBytes(4096))).toEqual([]);
  });
});

describe.each(cliBackends)('no secret leaves the vault (%s)', (kind: CliBackend) => {
  let t: Target;
  let exchange: LiveExchange;
  const results: CliResult[] = [];
  const run = async (input: string | undefined, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = await runTrader(args, { ...t.env, ...env }, undefined, input);
    results.push(r);
    return r;
  };

  beforeAll(async () => {
    t = await migratedTarget(kind);
    exchange = await startLiveExchange({ apiKey: secrets.liveKey, secret: secrets.liveSecret });
    const { pin } = secrets;
    const toExchange = { TRADER_EXCHANGE_URL_BINANCE: exchange.url };
    // The unattended unlock reconciles the account with the exchange: with the stand-in, so the
    // decrypted keys really sign its requests (the real api.binance.com is never asked), and
    // no retries against an unreachable host cost seconds.
    const inLive = { TRADER_SYSTEM_MODE: 'LIVE', ...toExchange };
    const liveInit = ['live', 'init', '--max-order-notional', '100', '--max-daily-notional', '500'];
    const phrase = 'I ACCEPT THE RISK OF LIVE TRADING';
    const steps: [string | undefined, string[], number, NodeJS.ProcessEnv?][] = [
      [`${pin}\n${pin}\n`, ['secrets', 'init'], 0],
      [`${pin}\n${secrets.apiKey}\n${secrets.apiSecret}\n`, ['secrets', 'add', 'main', '--exchange', 'binance'], 0],
      [
        `${pin}\n${secrets.spareKey}\n${secrets.spareSecret}\n`,
        ['secrets', 'add', 'spare', '--exchange', 'kraken', '--json'],
        0,
      ],
      [undefined, ['secrets', 'list'], 0],
      [undefined, ['secrets', 'list', '--json'], 0],
      [`${pin}\n`, ['secrets', 'check', 'main'], 0],
      [`${pin}\n`, ['secrets', 'check', 'spare', '--json'], 0],
      [`${pin}x\n`, ['secrets', 'check', 'main'], 2],
      [`${pin}\n`, ['secrets', 'remove', 'spare', '--yes'], 0],
      [`${pin}\n${secrets.apiKey}\n${secrets.apiSecret}\n`, ['secrets', 'add', 'main', '--exchange', 'binance'], 2],
      // The governance commands that take the PIN, a wrong attempt included, and the views that print state.
      [undefined, ['risk', 'set', 'high', '--yes'], 0],
      [undefined, ['risk', 'edit', 'high', '--allow-leverage', 'true', '--yes'], 0],
      [`CONFIRM LEVERAGE\n${pin}x\n`, ['leverage', 'enable'], 2],
      [`CONFIRM LEVERAGE\n${pin}\n`, ['leverage', 'enable', '--json'], 0],
      [undefined, ['halt', '--reason', 'leak scenario', '--yes'], 0],
      [undefined, ['resume', '--yes'], 0],
      [undefined, ['status'], 0],
      // Going live: a refused secret (bad signature), the real init, the key file, an unattended unlock.
      [`${phrase}\n${pin}\n${secrets.liveKey}\n${secrets.spareSecret}\n`, liveInit, 2, toExchange],
      [`${phrase}\n${pin}\n${secrets.liveKey}\n${secrets.liveSecret}\n`, [...liveInit, '--json'], 0, toExchange],
      [`${pin}\n`, ['live', 'key-file'], 0],
      [undefined, ['schedule', 'run', '--once'], 0, inLive],
      [undefined, ['status', '--json'], 0, inLive],
      [undefined, ['audit', 'tail', '-n', '100', '--json'], 0],
    ];
    for (const [input, args, exit, env] of steps) {
      const r = await run(input, args, env);
      expect(r.code, `trader ${args.join(' ')}: ${r.stderr}`).toBe(exit);
    }
  }, 300_000);
  afterAll(async () => {
    await t?.dispose();
    await exchange?.close();
  });

  it('no command prints any of them', () => {
    expect(results).toHaveLength(23);
    expect(
      results.flatMap((r, i) => [
        ...hits(`stdout of command ${i}`, Buffer.from(r.stdout)),
        ...hits(`stderr of command ${i}`, Buffer.from(r.stderr)),
      ]),
    ).toEqual([]);
  });

  it('no file under TRADER_HOME holds them, in any encoding', () => {
    const home = t.env.TRADER_HOME!;
    const files = filesUnder(home);
    if (kind === 'pglite') expect(files.some((f) => f.includes(`${path.sep}pgdata${path.sep}`))).toBe(true);
    expect(files.flatMap((f) => hits(path.relative(home, f), fs.readFileSync(f)))).toEqual([]);
  });

  it('no row of any table holds them, while the stored key still decrypts', async () => {
    const db =
      kind === 'pglite'
        ? await openPgliteDb({ dataDir: path.join(t.env.TRADER_HOME!, 'pgdata') })
        : await openPostgresDb(t.url!);
    try {
      const tables = await tableTexts(db);
      const names = tables.map((x) => x.table);
      expect(names).toEqual(
        expect.arrayContaining([
          'public.api_keys',
          'public.master_pin',
          'public.audit_trail',
          'supabase_migrations.schema_migrations',
        ]),
      );
      // The scan must see the data it protects: one stored key and the audit rows of the scenario.
      expect(tables.find((x) => x.table === 'public.api_keys')!.rows).toHaveLength(2);
      expect(tables.find((x) => x.table === 'trading_live.account')!.rows).toHaveLength(1);
      const audit = tables.find((x) => x.table === 'public.audit_trail')!.rows;
      expect(audit.length).toBeGreaterThanOrEqual(23);
      // The unattended unlock happened (and is audited) before the scan.
      expect(audit.some((row) => row.includes('LIVE_KEYS_UNLOCKED') && row.includes('key_file'))).toBe(true);
      expect(tables.flatMap((x) => x.rows.flatMap((row, i) => hits(`${x.table} row ${i}`, Buffer.from(row))))).toEqual(
        [],
      );
    } finally {
      await db.close();
    }
    // Scanned and closed: the CLI can still use the key with the PIN.
    expect((await withInput(t, `${secrets.pin}\n`, 'secrets', 'check', 'main')).code).toBe(0);
  }, 120_000);
});
