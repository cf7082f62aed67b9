import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPipeline } from '../../engine/run/run-pipeline.ts';
import { walletLedgerCheck } from '../../trading/positions-repo.ts';
import { listProposals } from '../../trading/proposals/proposals-repo.ts';
import { approveProposal, rejectProposal } from '../../trading/proposals/review-proposal.ts';
import { tradingScope, tradingTx } from '../../trading/scope.ts';
import { backends, type TestDb } from '../helpers/db.ts';
import { demoAsOf, demoDb, runOptions } from '../helpers/pipeline.ts';

const scope = tradingScope('TEST');
const symbols = ['BTC/USDT', 'ETH/USDT'];
const oneHourLater = new Date(demoAsOf.getTime() + 3_600_000);

/** The whole loop on the real 2024 sample: pipeline → risk gate → Observe / Semi-Auto / Full-Auto. */
describe.each(backends)('the trading engine on %s', (kind) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await demoDb(kind);
  });
  afterEach(async () => db.dispose());

  const setState = (sql: string) => db.query(`update trading_test.state set ${sql} where id = 1`);
  const count = async (table: string) =>
    Number((await db.query<{ n: number }>(`select count(*)::int as n from trading_test.${table}`))[0]!.n);
  const auditActions = async () =>
    (await db.query<{ action_type: string }>('select action_type from audit_trail order by seq')).map(
      (r) => r.action_type,
    );
  const run = (asOf = demoAsOf) => runPipeline(db, runOptions({ symbols, asOf, env: process.env }));

  it('Observe (the default) records what it would do and never trades or proposes', async () => {
    const summary = await run();
    expect(summary.mode).toMatchObject({
      system_mode: 'TEST',
      operational_mode: 'observe',
      risk_profile: 'medium',
      halted: false,
    });
    expect(summary.symbols.map((s) => s.actions?.map((a) => a.action))).toEqual([['observed'], ['observed']]);
    expect([await count('positions'), await count('proposals'), await count('trades')]).toEqual([0, 0, 0]);
    // Per symbol: the signal and the profile filter's verdict (seed section 7), then the risk check.
    const observed = ['SIGNAL_GENERATED', 'SIGNAL_FILTER_PASS', 'RISK_CHECK_PASS_OBSERVE'];
    expect(await auditActions()).toEqual([...observed, ...observed]);
  });

  it('Semi-Automatic proposes; approval re-checks and executes; rejection and expiry trade nothing', async () => {
    await setState("operational_mode = 'semi_auto'");
    const summary = await run();
    const ids = summary.symbols.map((s) => s.actions![0]!.proposal_id!);
    expect(summary.symbols.map((s) => s.actions![0]!.action)).toEqual(['proposed', 'proposed']);
    expect(await count('positions')).toBe(0);

    const approved = await approveProposal(db, scope, ids[0]!, oneHourLater);
    expect(approved.status).toBe('approved');
    const rejected = await rejectProposal(db, scope, ids[1]!, 'not today');
    expect(rejected.status).toBe('rejected');
    await expect(approveProposal(db, scope, ids[1]!, oneHourLater)).rejects.toThrow(/already rejected/);
    expect(await count('positions')).toBe(1);

    const again = await run(new Date(demoAsOf.getTime() + 2 * 3_600_000));
    const pending = await tradingTx(db, scope, (tx) => listProposals(tx, scope, { status: 'pending', limit: 10 }));
    // ETH, rejected before, is proposed again, sized to the cash BTC's position left; let it expire before approval.
    expect(pending.map((p) => p.symbol)).toEqual(['ETH/USDT']);
    await db.query("update trading_test.proposals set expires_at = $1 where status = 'pending'", [
      new Date(oneHourLater.getTime() - 60_000),
    ]);
    for (const p of pending)
      expect((await approveProposal(db, scope, p.proposal_id, oneHourLater)).status).toBe('expired');
    expect(again.symbols.find((s) => s.symbol === 'BTC/USDT')!.actions?.[0]?.action ?? 'none').not.toBe('proposed'); // BTC already has its position
    expect(await count('positions')).toBe(1);
    expect(await auditActions()).toContain('TRADE_PROPOSAL_REVIEWED');
  });

  it('approval happens at approval time: a proposal approved after switching back to Observe is refused by the gate', async () => {
    await setState("operational_mode = 'semi_auto'");
    const summary = await run();
    await setState("operational_mode = 'observe'");
    const r = await approveProposal(db, scope, summary.symbols[0]!.actions![0]!.proposal_id!, oneHourLater);
    expect(r.status).toBe('failed');
    if (r.status === 'failed') expect(r.reasons.join(' ')).toMatch(/observe/i);
    expect(await count('positions')).toBe(0);
  });

  it('concurrent approvals of one proposal: exactly one wins', async () => {
    await setState("operational_mode = 'semi_auto'");
    const summary = await run();
    const id = summary.symbols[0]!.actions![0]!.proposal_id!;
    const results = await Promise.allSettled([1, 2, 3].map(() => approveProposal(db, scope, id, oneHourLater)));
    expect(
      results
        .filter((r) => r.status === 'fulfilled')
        .map((r) => (r as PromiseFulfilledResult<{ status: string }>).value.status),
    ).toEqual(['approved']);
    for (const r of results.filter((x) => x.status === 'rejected'))
      expect(String((r as PromiseRejectedResult).reason)).toMatch(/already approved/);
    expect(await count('positions')).toBe(1);
    expect(await count('trades')).toBe(1);
  });

  it('Full-Automatic executes on paper, later runs fill stops and targets, and the wallet always reconciles', async () => {
    await setState("operational_mode = 'full_auto'");
    const first = await run();
    // BTC's margin (its whole notional, unleveraged) leaves little free cash: ETH is sized to what is left
    // (margin and fees at worst-case slippage, as the gate counts them), so the gate lets both through.
    expect(first.symbols.map((s) => s.actions![0]!.action)).toEqual(['executed', 'executed']);
    const [btc, eth] = first.symbols.map((s) => s.intents[0]!);
    expect(eth!.notional).toBeLessThan(btc!.notional);
    expect(await count('positions')).toBe(2);
    const later = await run(new Date('2024-03-20T00:00:00Z'));
    expect(later.trading.fills).toBeGreaterThan(0);
    const ledger = await tradingTx(db, scope, (tx) => walletLedgerCheck(tx, scope));
    expect(ledger.reconciles).toBe(true);
    const [state] = await db.query<{ equity: string; peak_equity: string }>(
      'select equity, peak_equity from trading_test.state',
    );
    expect(Number(state!.peak_equity)).toBeGreaterThanOrEqual(Number(state!.equity));
    expect(await auditActions()).toContain('TRADE_EXECUTED');
  });

  it('with leverage activated in High, sizing takes the leverage whose margin fits, and the gate lets it through', async () => {
    await db.query(
      "update trading_test.risk_profiles set allow_leverage = true, max_leverage = 10 where profile = 'high'",
    );
    await setState(
      "operational_mode = 'full_auto', risk_profile = 'high', leverage_enabled = true, leverage_enabled_at = now()",
    );
    const summary = await runPipeline(db, runOptions({ symbols, strategyId: 'breakout', env: process.env }));
    expect(summary.symbols.map((s) => s.actions![0]!.action)).toEqual(['executed', 'executed']);
    const positions = await db.query<{
      symbol: string;
      leverage: string;
      margin: string;
      qty: string;
      entry_price: string;
    }>('select symbol, leverage, margin, qty, entry_price from trading_test.positions order by position_id');
    // BTC fits the cash unlevered; ETH's 9,897 USDT notional fits the 1,165 BTC left only at 9x (its 2% stop is far inside 9x liquidation).
    expect(positions.map((p) => Number(p.leverage))).toEqual([1, 9]);
    for (const p of positions)
      expect(Number(p.margin)).toBeCloseTo((Number(p.qty) * Number(p.entry_price)) / Number(p.leverage), 6);
    expect((await tradingTx(db, scope, (tx) => walletLedgerCheck(tx, scope))).reconciles).toBe(true);
  });

  it('while halted nothing trades: Full-Automatic intents are rejected with the reason', async () => {
    await setState("operational_mode = 'full_auto', halted = true, halt_reason = 'MANUAL: test', halted_at = now()");
    const summary = await run();
    for (const s of summary.symbols) {
      expect(s.actions![0]!.action).toBe('rejected');
      expect(s.actions![0]!.reasons.join(' ')).toMatch(/halt/i);
    }
    expect(await count('positions')).toBe(0);
    const refused = ['SIGNAL_GENERATED', 'SIGNAL_FILTER_PASS', 'RISK_CHECK_FAIL'];
    expect(await auditActions()).toEqual([...refused, ...refused]);
  });

  it('a drawdown beyond the profile limit triggers the emergency halt before anything is decided', async () => {
    await setState("operational_mode = 'full_auto', peak_equity = 20000");
    const summary = await run();
    expect(summary.trading.emergency_halt).toBe(true);
    expect(summary.mode.halted).toBe(true);
    expect(summary.symbols.every((s) => s.actions![0]!.action === 'rejected')).toBe(true);
    expect(await count('positions')).toBe(0);
    const [row] = await db.query<{ status: string }>(
      "select status from audit_trail where action_type = 'EMERGENCY_HALT_TRIGGERED'",
    );
    expect(row!.status).toBe('CRITICAL');
  });
});
