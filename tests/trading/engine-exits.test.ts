import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { closeByUser } from '../../trading/engine/close-by-user.ts';
import { paperBroker } from '../../trading/paper/paper-broker.ts';
import { walletLedgerCheck } from '../../trading/positions-repo.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { rejection } from '../helpers/errors.ts';
import { addSlots, demoAsOf, importSample, registerFixtures, runOptions } from '../helpers/pipeline.ts';

const scope = tradingScope('TEST');
const later = new Date(demoAsOf.getTime() + 3 * 3_600_000);

/** Exit requests from a risk module: closed by the broker in Full-Auto, recorded otherwise; and a close by the user. */
describe.each(backends)('closing invalidated trades on %s', (kind) => {
  let db: TestDb;
  let positionId: number;
  beforeEach(async () => {
    db = await freshDb(kind);
    await importSample(db, 'BTC');
    await registerFixtures(db, ['context/fixture_state_v1.ts', 'risk/exit_all_v1.ts']);
    await addSlots(db, [
      { stage: 'context', module_id: 'fixture_state_v1' },
      { stage: 'risk', module_id: 'exit_all_v1' },
    ]);
    const opened = await tradingTx(db, scope, (tx) =>
      paperBroker(scope).open(tx, {
        exchange: 'binance',
        symbol: 'BTC/USDT',
        timeframe: '1h',
        category: 'major',
        side: 'buy',
        qty: 0.01,
        entry: 68506.04,
        stop: 60000,
        take_profits: [{ price: 90000, fraction: 1 }],
        leverage: 1,
        risk_amount: 85.06,
        risk_pct: 0.85,
        strategy_id: null,
        strategy_version: null,
        source_module: 'test',
        run_id: null,
        proposal_id: null,
        as_of: demoAsOf,
      }),
    );
    if (!opened.ok) throw new Error(opened.message);
    positionId = opened.position_id;
  });
  afterEach(async () => db.dispose());

  const status = async () =>
    (
      await db.query<{ status: string }>('select status from trading_test.positions where position_id = $1', [
        positionId,
      ])
    )[0]!.status;

  it('modules see the open position; Observe records the exit request and leaves the position open', async () => {
    const summary = await runPipeline(db, runOptions({ asOf: later }));
    expect(summary.symbols[0]!.exits).toEqual([
      { position_id: positionId, symbol: 'BTC/USDT', action: 'recorded', reason: `fixture invalidates #${positionId}` },
    ]);
    expect(await status()).toBe('open');
    const [row] = await db.query<{ action_type: string }>(
      "select action_type from audit_trail where action_type like 'EXIT_%'",
    );
    expect(row!.action_type).toBe('EXIT_REQUEST_RECORDED');
  });

  it('Full-Automatic closes it at the newest close, even while halted (closing only lowers risk)', async () => {
    await db.query(
      "update trading_test.state set operational_mode = 'full_auto', halted = true, halt_reason = 'MANUAL: test', halted_at = now()",
    );
    const summary = await runPipeline(db, runOptions({ asOf: later }));
    const exit = summary.symbols[0]!.exits![0]!;
    expect(exit).toMatchObject({ position_id: positionId, action: 'closed' });
    expect(await status()).toBe('closed');
    const [trade] = await db.query<{ kind: string; ts: Date }>(
      "select kind, ts from trading_test.trades where kind <> 'entry'",
    );
    expect(trade!.kind).toBe('close');
    expect(trade!.ts.toISOString()).toBe(later.toISOString()); // the close time of the newest candle closed by as_of
    expect((await tradingTx(db, scope, (tx) => walletLedgerCheck(tx, scope))).reconciles).toBe(true);
    // A second run finds nothing to close: the position is no longer in the modules' view.
    const again = await runPipeline(db, runOptions({ asOf: new Date(later.getTime() + 3_600_000) }));
    expect(again.symbols[0]!.exits).toBeUndefined();
  });

  it('the user closes a position; closing it again is a clean NOT_FOUND', async () => {
    const fill = await closeByUser(db, scope, positionId, later);
    expect(fill).toMatchObject({ position_id: positionId, kind: 'close', closed: true });
    expect(await status()).toBe('closed');
    expect((await rejection(closeByUser(db, scope, positionId, later))).code).toBe('NOT_FOUND');
    const rows = await db.query<{ actor: string; action_type: string }>(
      "select actor, action_type from audit_trail where actor = 'USER'",
    );
    expect(rows).toEqual([{ actor: 'USER', action_type: 'POSITION_CLOSE_REQUESTED' }]);
  });
});
