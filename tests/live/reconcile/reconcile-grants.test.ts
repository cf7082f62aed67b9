import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tradingScope, tradingTx } from '../../../trading/scope.ts';
import { backends, freshDb, type TestDb } from '../../helpers/db.ts';

/**
 * Reconciliation's tables are LIVE's alone, and trader_live may change only what
 * reconciliation changes: a difference's record (what was found) is never rewritten or
 * removed, only stamped accepted; TEST cannot even read them.
 */
describe.each(backends)('reconciliation tables and the mode roles (%s)', (kind) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDb(kind);
    await db.query(
      `insert into trading_live.reconcile_differences (cycle_id, exchange, kind, explained, detail)
       values (gen_random_uuid(), 'binance', 'balance_mismatch', false, 'USDT moved')`,
    );
  });
  afterEach(async () => db.dispose());

  const asMode = (mode: 'TEST' | 'LIVE', sql: string) => tradingTx(db, tradingScope(mode), (tx) => tx.query(sql));

  it('TEST cannot read them', async () => {
    for (const table of ['reconcile_markets', 'reconcile_differences', 'dust'])
      await expect(asMode('TEST', `select * from trading_live.${table}`)).rejects.toThrow(/permission denied/);
  });

  it('LIVE stamps a difference accepted but cannot rewrite or delete what was found', async () => {
    await asMode('LIVE', 'update trading_live.reconcile_differences set accepted_at = now()');
    await expect(asMode('LIVE', `update trading_live.reconcile_differences set detail = 'nothing'`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(asMode('LIVE', 'delete from trading_live.reconcile_differences')).rejects.toThrow(/permission denied/);
    await expect(asMode('LIVE', 'delete from trading_live.dust')).rejects.toThrow(/permission denied/);
    await expect(asMode('LIVE', 'delete from trading_live.reconcile_markets')).rejects.toThrow(/permission denied/);
  });
});
