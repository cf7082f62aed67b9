import { afterEach, describe, expect, it } from 'vitest';
import { clearEmergencyHalt, haltTrading } from '../../trading/governance/halt.ts';
import { closeAllPhrase } from '../../trading/governance/halt-action.ts';
import { cancelAllPhrase, panicHalt } from '../../trading/governance/panic.ts';
import type { Ask } from '../../trading/governance/user-action.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { initPin } from '../../trading/secrets/pin.ts';
import { type HaltAction, loadState } from '../../trading/state-repo.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { expectTraderError } from '../helpers/errors.ts';
import { haltSceneAsOf, seedHaltScene } from '../helpers/halt-scene.ts';

/**
 * The PANIC button in TEST, on both backends: the extreme confirmation (the warning counts
 * what is cancelled and sold, a typed phrase), then the emergency halt's own path with the
 * configured action when it closes all, and cancel-and-halt otherwise. (LIVE, on the
 * exchange simulator: tests/live/panic.test.ts.)
 */

const scope = tradingScope('TEST');
const PIN = 'panic-pin-2718';

function answers(typed?: string) {
  const asked: { warning: string; phrase: string }[] = [];
  const ask: Pick<Ask, 'phrase'> = {
    phrase: async (warning, phrase) => (asked.push({ warning, phrase }), typed ?? phrase),
  };
  return { ask, asked };
}
const noBroker = async () => {
  throw new Error('TEST never opens a live broker');
};

describe.each(backends)('PANIC in TEST on %s', (kind) => {
  let db: TestDb;
  afterEach(async () => db?.dispose());
  const state = () => tradingTx(db, scope, (t) => loadState(t, scope));
  const count = async (sql: string) => Number((await db.query<{ n: number }>(sql))[0]!.n);
  const openPositions = () => count(`select count(*) as n from trading_test.positions where status = 'open'`);
  const pending = () => count(`select count(*) as n from trading_test.proposals where status = 'pending'`);
  const audits = () =>
    db.query<{ actor: string; action_type: string; status: string; details: Record<string, unknown> }>(
      `select actor, action_type, status, details from audit_trail where action_type <> 'TRADE_EXECUTED' order by seq`,
    );
  const setUp = async (action: HaltAction, drawdown = 5) => {
    db = await freshDb(kind);
    await seedHaltScene(db, action, drawdown);
  };
  const panic = (ask: Pick<Ask, 'phrase'>, reason?: string) =>
    panicHalt(db, scope, { reason, ask, openBroker: noBroker, now: haltSceneAsOf });

  it('with HALT_ONLY configured: cancels and halts as an emergency, the position keeps its stop', async () => {
    await setUp('HALT_ONLY');
    const a = answers();
    const r = await panic(a.ask, 'flash crash');
    expect(a.asked).toHaveLength(1);
    expect(a.asked[0]!.phrase).toBe(cancelAllPhrase);
    expect(a.asked[0]!.warning).toMatch(/PANIC in TEST: trading stops as an EMERGENCY/);
    expect(a.asked[0]!.warning).toMatch(/2 pending proposal\(s\) will be cancelled/);
    expect(a.asked[0]!.warning).toMatch(/The 1 open position\(s\) stay open with their stops/);
    expect(r).toMatchObject({ action: 'CANCEL_ORDERS_AND_HALT', proposals_cancelled: 2, closed: null, exchange: null });
    expect(r.state).toMatchObject({ halted: true, emergency: true, halt_reason: 'PANIC: flash crash' });
    expect([await pending(), await openPositions()]).toEqual([0, 1]);
    expect((await audits()).map((x) => [x.actor, x.action_type, x.status])).toEqual([
      ['USER', 'EMERGENCY_HALT_TRIGGERED', 'CRITICAL'],
      ['SYSTEM', 'PROPOSALS_CANCELLED', 'SUCCESS'],
    ]);
    expect((await audits())[0]!.details).toMatchObject({
      reason: 'UserPanic',
      note: 'flash crash',
      action: 'CANCEL_ORDERS_AND_HALT',
    });
  });

  it('with MARKET_CLOSE_ALL_AND_HALT configured: sells every position at market, with the slippage warning', async () => {
    await setUp('MARKET_CLOSE_ALL_AND_HALT');
    const a = answers();
    const r = await panic(a.ask);
    expect(a.asked[0]!.phrase).toBe(closeAllPhrase);
    expect(a.asked[0]!.warning).toMatch(/All 1 open position\(s\) will be SOLD AT MARKET on paper.*severe slippage/);
    expect(r).toMatchObject({ action: 'MARKET_CLOSE_ALL_AND_HALT', proposals_cancelled: 2, closed: 1 });
    expect(r.state.halt_reason).toBe('PANIC');
    expect([await pending(), await openPositions()]).toEqual([0, 0]);
    expect(await count(`select count(*) as n from trading_test.trades where kind = 'emergency_close'`)).toBe(1);
    expect((await audits()).map((x) => x.action_type)).toContain('EMERGENCY_CLOSE_ALL');
  });

  it('a wrong phrase halts nothing, cancels nothing and is audited FAILURE', async () => {
    await setUp('MARKET_CLOSE_ALL_AND_HALT');
    await expectTraderError(
      panic(answers('close all').ask),
      'BAD_INPUT',
      /did not match; type CLOSE ALL AT MARKET exactly\. Nothing was halted\./,
    );
    expect(await state()).toMatchObject({ halted: false, emergency: false });
    expect([await pending(), await openPositions()]).toEqual([2, 1]);
    expect(await audits()).toEqual([
      {
        actor: 'USER',
        action_type: 'EMERGENCY_HALT_TRIGGERED',
        status: 'FAILURE',
        details: expect.objectContaining({ reason: 'UserPanic', confirmation: 'phrase_mismatch' }),
      },
    ]);
  });

  it('escalates a manual halt, keeps the reason of an earlier emergency, and a clear within the limit keeps the peak', async () => {
    await setUp('HALT_ONLY', 5);
    await haltTrading(db, scope, 'maintenance', { confirm: async () => true });
    expect((await panic(answers().ask, 'worse')).state).toMatchObject({ emergency: true, halt_reason: 'PANIC: worse' });
    // A second PANIC on an emergency halt changes the halt's reason no more; it is audited again.
    expect((await panic(answers().ask, 'again')).state.halt_reason).toBe('PANIC: worse');
    await initPin(db, PIN);
    const cleared = await clearEmergencyHalt(db, scope, { pin: async () => PIN });
    // A drawdown of 5% under the limit of 20%: the old peak stays, so the 5% already lost still counts.
    expect(cleared.state).toMatchObject({ halted: false, emergency: false, peak_equity: 10_000, drawdown_pct: 5 });
  });
});
