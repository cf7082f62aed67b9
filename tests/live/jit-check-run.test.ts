import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BinanceSimulator } from '../../simulator/binance-simulator.ts';
import type { ExchangePort } from '../../trading/live/exchange-port.ts';
import { runJitChecks, type JitRequest } from '../../trading/live/jit-check-run.ts';
import { JitCheckName } from '../../trading/live/jit-checks.ts';
import { describeLiveStatus, loadLiveStatus } from '../../trading/live-account/live-status.ts';
import { tradingScope } from '../../trading/scope.ts';
import { backends, freshDb, type TestDb } from '../helpers/db.ts';
import { btcIntent, liveStateSql, simPort, startSim } from './live-fixtures.ts';

const scope = tradingScope('LIVE');
const intent = btcIntent;
const request = (over: Partial<JitRequest> = {}): JitRequest => ({
  symbol: 'BTC/USDT',
  order: { side: 'buy', type: 'market', qty: 0.01 },
  decision_price: 60_000,
  intent,
  ...over,
});

/** The checks' I/O against the simulator (real ccxt) and the LIVE state, on both backends. */
describe.each(backends)('just-in-time checks before a live order (%s)', (kind) => {
  let db: TestDb;
  let sim: BinanceSimulator;
  let port: ExchangePort;
  beforeEach(async () => {
    db = await freshDb(kind);
    await db.exec(liveStateSql);
    ({ sim } = await startSim());
    port = await simPort(sim);
  });
  afterEach(async () => {
    await sim.close();
    await db.dispose();
  });

  const audits = () =>
    db.query<{ action_type: string; details: { reason: string; failed: { check: string }[] } }>(
      `select action_type, details from audit_trail where action_type like 'JIT_%' order by seq`,
    );
  const accountQueries = () => sim.requests.filter((r) => r.path === '/api/v3/account').length;

  it('passes a sound order, measuring the clock first, and audits nothing', async () => {
    const v = await runJitChecks(db, scope, port, request());
    expect(v).toMatchObject({ ok: true, failure: null, order: { qty: 0.01 } });
    // Every check ran, in order; only 'exchange' (the facts could not be gathered) is absent.
    expect(v.checks.map((c) => c.check)).toEqual(JitCheckName.options.filter((c) => c !== 'exchange'));
    expect(port.clockOffsetMs()).not.toBeNull();
    expect(accountQueries()).toBe(1);
    expect(await audits()).toEqual([]);
  });

  it('a balance on the exchange short of the order and its fee: JIT_CHECK_INSUFFICIENT_FUNDS, audited', async () => {
    sim.setBalance('USDT', 600);
    const v = await runJitChecks(db, scope, port, request());
    expect(v.failure).toBe('JIT_CHECK_INSUFFICIENT_FUNDS');
    expect(v.reason).toBe(
      'The buy order on BTC/USDT was not sent: the order needs 600.6 with fees and 600 is free; margin and fees of 606.61 (at 100 bps worst-case slippage) exceed the free balance of 600.00.',
    );
    const [row] = await audits();
    expect(row).toMatchObject({ action_type: 'JIT_CHECK_INSUFFICIENT_FUNDS', details: { reason: v.reason } });
    // trader status in LIVE shows the refusal: counted today, the newest one with its reason.
    const status = await loadLiveStatus(db, { now: new Date() });
    expect(status.jit_refusals).toMatchObject({
      today: 1,
      last: { action_type: 'JIT_CHECK_INSUFFICIENT_FUNDS', symbol: 'BTC/USDT', reason: v.reason },
    });
    const tomorrow = await loadLiveStatus(db, { now: new Date(Date.now() + 86_400_000) });
    expect(tomorrow.jit_refusals).toMatchObject({ today: 0, last: { reason: v.reason } });
    expect(describeLiveStatus({ ...status, initialised: true })).toContainEqual(
      expect.stringMatching(
        /^just-in-time {7}1 order\(s\) refused today \(UTC\); last \S+ BTC\/USDT JIT_CHECK_INSUFFICIENT_FUNDS: The buy order/,
      ),
    );
  });

  it('a price that ran away from the decision: JIT_CHECK_FAILURE', async () => {
    sim.setPrice('BTC/USDT', 61_000);
    const v = await runJitChecks(db, scope, port, request());
    expect(v).toMatchObject({ ok: false, failure: 'JIT_CHECK_FAILURE' });
    expect((await audits()).map((a) => a.details.failed.map((f) => f.check))).toEqual([['fresh_price']]);
  });

  it('require_jit_checks off skips the balance query, never the risk gate', async () => {
    await db.exec(`update trading_live.state set halted = true, halt_reason = 'by hand', halted_at = now()`);
    const v = await runJitChecks(db, scope, port, request({ require_jit_checks: false }));
    expect(accountQueries()).toBe(0);
    expect(v.failure).toBe('JIT_CHECK_FAILURE');
    expect(v.checks.find((c) => c.check === 'risk_gate')).toMatchObject({ ok: false });
  });

  it('an exchange that cannot answer: the trade is aborted and audited, not crashed', async () => {
    sim.faults.serverError(503, { path: '/api/v3/ticker' });
    const v = await runJitChecks(db, scope, port, request());
    expect(v).toMatchObject({ ok: false, failure: 'JIT_CHECK_FAILURE', checks: [{ check: 'exchange', ok: false }] });
    expect(v.reason).toMatch(/^The buy order on BTC\/USDT was not sent: the checks could not be made \(.+\)\.$/);
    expect(await audits()).toHaveLength(1);
  });
});
