import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { readMigrationFiles } from '../../store/migrate.ts';
import { actOnIntents } from '../../trading/engine/act-on-intents.ts';
import { rejectProposal } from '../../trading/proposals/review-proposal.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { demoAsOf, demoDb, runOptions } from '../helpers/pipeline.ts';

/**
 * One pending proposal per market and side. A second is refused with the first one's id
 * (never replaced: what you review does not change under you), by the code and by a
 * partial unique index, so concurrent runs cannot create twins either.
 */
const scope = tradingScope('TEST');
const symbols = ['BTC/USDT', 'ETH/USDT'];

describe.each(backends)('one pending proposal per market and side, on %s', (kind) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await demoDb(kind);
  });
  afterEach(async () => db.dispose());

  const setMode = (mode: string) =>
    db.query(`update trading_test.state set operational_mode = $1 where id = 1`, [mode]);
  const run = () => runPipeline(db, runOptions({ symbols, env: process.env }));
  const pending = async () =>
    (
      await db.query<{ proposal_id: number; symbol: string }>(
        "select proposal_id, symbol from trading_test.proposals where status = 'pending' order by proposal_id",
      )
    ).map((r) => [Number(r.proposal_id), r.symbol]);

  it('a second run is refused with the id of the waiting proposal; once it is decided, a new one may come', async () => {
    await setMode('semi_auto');
    const first = await run();
    const ids = first.symbols.map((s) => s.actions![0]!.proposal_id!);
    expect(first.symbols.map((s) => s.actions![0]!.action)).toEqual(['proposed', 'proposed']);

    const second = await run();
    expect(second.proposals).toEqual([]);
    for (const [i, s] of second.symbols.entries()) {
      expect(s.actions).toEqual([
        expect.objectContaining({
          action: 'rejected',
          proposal_id: ids[i],
          reasons: [expect.stringMatching(new RegExp(`^proposal #${ids[i]} for buy ${s.symbol} is still pending`))],
        }),
      ]);
    }
    expect(await pending()).toEqual([
      [ids[0], 'BTC/USDT'],
      [ids[1], 'ETH/USDT'],
    ]);
    const refused = await db.query<{ entity_id: string; status: string }>(
      "select entity_id, status from audit_trail where action_type = 'TRADE_PROPOSAL_REFUSED' order by seq",
    );
    expect(refused).toEqual(ids.map((id) => ({ entity_id: String(id), status: 'REJECTED' })));

    await rejectProposal(db, scope, ids[0]!, 'not this one');
    const third = await run();
    expect(third.symbols.map((s) => s.actions![0]!.action)).toEqual(['proposed', 'rejected']);
    expect((await pending()).map(([, s]) => s)).toEqual(['ETH/USDT', 'BTC/USDT']);
  });

  it('concurrent proposals for one market and side: exactly one is created, the others name it', async () => {
    const observed = await run(); // Observe: the intents, without proposing them
    const intent = observed.symbols[0]!.intents[0]!;
    await setMode('semi_auto');
    const source = {
      exchange: 'binance',
      timeframe: '1h',
      category: 'major',
      run_id: observed.run_id,
      strategy_id: null,
      strategy_version: null,
      as_of: demoAsOf,
    };
    const actions = (
      await Promise.all([1, 2, 3, 4].map(() => tradingTx(db, scope, (tx) => actOnIntents(tx, scope, [intent], source))))
    ).flat();
    const created = actions.filter((a) => a.action === 'proposed');
    expect(created).toHaveLength(1);
    const id = created[0]!.proposal_id!;
    expect(actions.filter((a) => a.action === 'rejected').map((a) => a.proposal_id)).toEqual([id, id, id]);
    expect(await pending()).toEqual([[id, 'BTC/USDT']]);
    // The database refuses a twin even from code that skips the check.
    await expect(
      db.query(
        `insert into trading_test.proposals (expires_at, exchange, symbol, side, qty, entry, stop, risk_pct, leverage, notional, drawdown_pct, intent, as_of)
         select expires_at, exchange, symbol, side, qty, entry, stop, risk_pct, leverage, notional, drawdown_pct, intent, as_of
           from trading_test.proposals where proposal_id = $1`,
        [id],
      ),
    ).rejects.toThrow(/proposals_one_pending/);
  });

  it('the migration keeps the oldest of twins already pending and expires the others, naming it', async () => {
    await setMode('semi_auto');
    const first = await run();
    const btc = first.symbols[0]!.actions![0]!.proposal_id!;
    await db.exec('drop index trading_test.proposals_one_pending; drop index trading_live.proposals_one_pending;');
    await db.query(
      `insert into trading_test.proposals (expires_at, exchange, symbol, side, qty, entry, stop, risk_pct, leverage, notional, drawdown_pct, intent, as_of)
       select expires_at, exchange, symbol, side, qty, entry, stop, risk_pct, leverage, notional, drawdown_pct, intent, as_of
         from trading_test.proposals where proposal_id = $1`,
      [btc],
    );
    await db.exec(readMigrationFiles().find((f) => f.version === '20261203100100')!.sql);
    const rows = await db.query<{ proposal_id: number; status: string; decision_note: string | null }>(
      "select proposal_id, status, decision_note from trading_test.proposals where symbol = 'BTC/USDT' order by proposal_id",
    );
    expect(rows.map((r) => [Number(r.proposal_id), r.status, r.decision_note])).toEqual([
      [btc, 'pending', null],
      [expect.any(Number), 'expired', `superseded: proposal #${btc} for the same market and side was already pending`],
    ]);
  });
});
