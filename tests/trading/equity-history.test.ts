import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { equityHistory } from '../../trading/portfolio.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { updateState } from '../../trading/state-repo.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';

/**
 * The portfolio's value over time: each change of a mode's stored equity or peak is one
 * equity_history row of that mode, written by the database for every writer, as the
 * mode's own role (which may read its history and nothing of the other mode's).
 */
describe.each(backends)('equity history (%s)', (kind) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDb(kind);
  });
  afterEach(() => db.dispose());

  it('records each change of equity or peak once, per mode, oldest first', async () => {
    const test = tradingScope('TEST');
    const asOf = new Date('2024-03-05T02:00:00Z');
    await tradingTx(db, test, (tx) =>
      updateState(tx, test, { equity: 10_100, peak_equity: 10_100, equity_as_of: asOf }),
    );
    await tradingTx(db, test, (tx) => updateState(tx, test, { halted: true, halt_reason: 'MANUAL' }));
    await tradingTx(db, test, (tx) => updateState(tx, test, { equity: 9_900 }));
    const history = await tradingTx(db, test, (tx) => equityHistory(tx, test, 100));
    expect(history.map((h) => [h.equity, h.peak_equity])).toEqual([
      [10_100, 10_100],
      [9_900, 10_100],
    ]);
    const [row] = await db.query<{ as_of: Date }>('select as_of from trading_test.equity_history order by id limit 1');
    expect(row!.as_of.toISOString()).toBe(asOf.toISOString());
    expect(await tradingTx(db, tradingScope('LIVE'), (tx) => equityHistory(tx, tradingScope('LIVE'), 100))).toEqual([]);
    expect((await tradingTx(db, test, (tx) => equityHistory(tx, test, 1))).map((h) => h.equity)).toEqual([9_900]);
  });
});
