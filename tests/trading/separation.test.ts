import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordAudit } from '../../trading/audit/audit-log.ts';
import { type TradingScope, tradingScope, tradingTx } from '../../trading/scope.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';

const test = tradingScope('TEST');
const live = tradingScope('LIVE');
const tables = [
  'state',
  'risk_profiles',
  'wallets',
  'positions',
  'trades',
  'proposals',
  'orders',
  'order_fills',
] as const;

/**
 * TEST/LIVE separation is the database's job: each mode's transactions run as a role
 * with no privilege on the other mode's schema, and may write audit rows of their own
 * mode only. These attempts are what a bug would do; every one must fail.
 */
describe.each(backends)('TEST/LIVE separation on %s', (kind) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDb(kind);
  });
  afterEach(async () => db.dispose());

  const attempt = (scope: TradingScope, sql: string, params: unknown[] = []) =>
    tradingTx(db, scope, (tx) => tx.query(sql, params));

  it.each([
    ['TEST', test, live],
    ['LIVE', live, test],
  ] as const)('a %s transaction can neither read nor write the other mode', async (_name, own, other) => {
    for (const t of tables) {
      await expect(attempt(own, `select * from ${other.table(t)} limit 1`)).rejects.toThrow(/permission denied/);
      await expect(attempt(own, `select * from ${own.table(t)} limit 1`)).resolves.toBeDefined();
    }
    await expect(
      attempt(own, `insert into ${other.table('wallets')} (asset, balance) values ('BTC', 1)`),
    ).rejects.toThrow(/permission denied/);
    await expect(attempt(own, `update ${other.table('state')} set operational_mode = 'full_auto'`)).rejects.toThrow(
      /permission denied/,
    );
    const [state] = await db.query<{ operational_mode: string }>(
      `select operational_mode from ${other.table('state')}`,
    );
    expect(state!.operational_mode).toBe('observe');
  });

  it('audit rows: each mode appends its own mode only, and nobody rewrites the trail', async () => {
    await tradingTx(db, test, (tx) =>
      recordAudit(tx, { mode: 'TEST', actor: 'SYSTEM', action_type: 'PROBE', status: 'INFO' }),
    );
    await expect(
      tradingTx(db, test, (tx) =>
        recordAudit(tx, { mode: 'LIVE', actor: 'SYSTEM', action_type: 'PROBE', status: 'INFO' }),
      ),
    ).rejects.toThrow(/trader_test may not append LIVE audit rows/);
    await expect(
      tradingTx(db, live, (tx) =>
        recordAudit(tx, { mode: 'TEST', actor: 'SYSTEM', action_type: 'PROBE', status: 'INFO' }),
      ),
    ).rejects.toThrow(/trader_live may not append TEST audit rows/);
    await expect(attempt(test, "update audit_trail set status = 'FAILURE'")).rejects.toThrow(
      /permission denied|append-only/,
    );
    await expect(db.query('delete from audit_trail')).rejects.toThrow(/append-only/);
    await expect(attempt(test, 'update audit_chain_head set seq = 0')).rejects.toThrow(/permission denied/);
    await expect(db.query('update audit_chain_head set seq = 0')).rejects.toThrow(/moves only when a row is appended/);
    const rows = await db.query<{ mode: string }>('select mode from audit_trail');
    expect(rows.map((r) => r.mode)).toEqual(['TEST']);
  });

  it("publishes only its own mode's events", async () => {
    const event = (mode: string) =>
      `insert into events (mode, event_type, payload) values ('${mode}', 'TRADING_RESUMED', '{}')`;
    await attempt(test, event('TEST'));
    await attempt(live, event('LIVE'));
    await attempt(test, event('SYSTEM'));
    await expect(attempt(test, event('LIVE'))).rejects.toThrow(/row-level security/);
    await expect(attempt(live, event('TEST'))).rejects.toThrow(/row-level security/);
    await expect(attempt(test, 'update events_head set seq = 0')).rejects.toThrow(/permission denied/);
    const rows = await db.query<{ seq: number; mode: string }>('select seq, mode from events order by seq');
    expect(rows).toEqual([
      { seq: 1, mode: 'TEST' },
      { seq: 2, mode: 'LIVE' },
      { seq: 3, mode: 'SYSTEM' },
    ]);
  });

  it('only LIVE can read the encrypted API keys, and no mode can set the PIN', async () => {
    await expect(attempt(test, 'select * from api_keys')).rejects.toThrow(/permission denied/);
    await expect(attempt(live, 'select * from api_keys')).resolves.toEqual([]);
    for (const scope of [test, live]) {
      await expect(attempt(scope, "insert into master_pin (kdf, salt, hash) values ('x', 'y', 'z')")).rejects.toThrow(
        /permission denied/,
      );
    }
  });

  it('every public table is either shared with both modes or deliberately private', async () => {
    // What the TEST role may do on each private table; every other public table is shared.
    const privateTables: Record<string, string> = {
      audit_trail: 'select',
      audit_chain_head: 'select',
      master_pin: '',
      pin_attempts: '',
      pin_checks: '',
      api_keys: '',
      http_tokens: '',
      http_sessions: '',
      config_versions: 'select,insert',
      // The event bus: appended in the transaction of each change, its head moved by a trigger.
      events: 'select,insert',
      events_head: '',
    };
    const rows = await db.query<{ table_name: string; test: string; live: string }>(
      `select table_name,
              (select coalesce(string_agg(p, ',' order by o), '') from unnest(array['select', 'insert', 'update', 'delete']) with ordinality as x(p, o)
                where has_table_privilege('trader_test', 'public.' || table_name, p)) as test,
              (select coalesce(string_agg(p, ',' order by o), '') from unnest(array['select', 'insert', 'update', 'delete']) with ordinality as x(p, o)
                where has_table_privilege('trader_live', 'public.' || table_name, p)) as live
       from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
    );
    const expected = Object.fromEntries(
      rows.map((r) => [r.table_name, privateTables[r.table_name] ?? 'select,insert,update,delete']),
    );
    expect(
      Object.fromEntries(rows.map((r) => [r.table_name, r.test])),
      'grant new shared tables to trader_test and trader_live in their migration',
    ).toEqual(expected);
    const shared = rows.filter((r) => !(r.table_name in privateTables));
    expect(shared.filter((r) => r.live !== r.test).map((r) => r.table_name)).toEqual([]);
  });
});
