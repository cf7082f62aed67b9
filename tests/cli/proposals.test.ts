import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliBackend,
  cliBackends,
  demoAsOfIso,
  expectCleanError,
  expectJsonError,
  ok,
  runTrader,
  type Target,
} from '../helpers/cli.ts';
import { demoTarget } from '../helpers/demo-template.ts';

interface ProposalDoc {
  proposal_id: number;
  status: string;
  symbol: string;
  side: string;
  qty: number;
  stop: number;
  risk_pct: number;
  leverage: number;
  source_module: string;
  drawdown_pct: number;
}

/**
 * Semi-Automatic through the real bin: a run proposes, `proposals list` shows what a
 * decision needs, approval is re-checked by the risk gate at approval time (here the
 * market has moved on by months, so the gate refuses: exit 3), rejection is final.
 */
describe.each(cliBackends)('trader proposals (%s)', (kind: CliBackend) => {
  let t: Target;
  beforeAll(async () => {
    t = await demoTarget(kind);
    await ok(t, 'mode', 'set', 'semi_auto', '--yes');
  }, 300_000);
  afterAll(async () => t?.dispose());

  it('a Semi-Automatic run proposes; list shows size, stop, risk, leverage, source and drawdown', async () => {
    const run = JSON.parse(
      (await ok(t, 'run', '--symbols', 'BTC/USDT,ETH/USDT', '--as-of', demoAsOfIso, '--offline', '--json')).stdout,
    ) as { symbols: { actions: { action: string; proposal_id: number }[] }[] };
    expect(run.symbols.map((s) => s.actions.map((a) => a.action))).toEqual([['proposed'], ['proposed']]);
    const list = JSON.parse((await ok(t, 'proposals', 'list', '--json')).stdout) as { proposals: ProposalDoc[] };
    expect(list.proposals.map((p) => [p.proposal_id, p.status, p.symbol, p.side])).toEqual([
      [2, 'pending', 'ETH/USDT', 'buy'],
      [1, 'pending', 'BTC/USDT', 'buy'],
    ]);
    expect(list.proposals[1]).toMatchObject({ leverage: 1, source_module: 'fixed_fractional_v1', drawdown_pct: 0 });
    expect(list.proposals[1]!.risk_pct).toBeCloseTo(1, 3);
    const text = (await ok(t, 'proposals', 'list', '--status', 'pending')).stdout;
    expect(text).toMatch(
      /^id +status +side +qty +symbol +entry +stop +risk +leverage +source +drawdown +expires \/ note\n/,
    );
    expect(text).toMatch(
      /^#2 +PENDING +buy +[\d.]+ +ETH\/USDT +~[\d.]+ +[\d.]+ +1\.00% \([\d.]+ USDT\) +1x +fixed_fractional_v1 +0\.00% +expires \d{4}-/m,
    );
  }, 180_000);

  it("approval needs confirmation; at approval time the gate re-checks against today's price and refuses (exit 3)", async () => {
    expectCleanError(
      await runTrader(['proposals', 'approve', '1'], t.env),
      2,
      /^trader: This change needs confirmation; run it in a terminal or add --yes\.$/,
      { extraLines: /^#1 PENDING/ },
    );
    const r = await runTrader(['proposals', 'approve', '1', '--yes'], t.env);
    expectCleanError(
      r,
      3,
      /^trader: Proposal 1 was approved but refused at execution: risk [\d.]+% of equity \(the intent claimed 1\.00%\) exceeds the medium profile limit of 1\.00%/,
    );
    const list = JSON.parse((await ok(t, 'proposals', 'list', '--json')).stdout) as { proposals: ProposalDoc[] };
    expect(list.proposals.find((p) => p.proposal_id === 1)!.status).toBe('failed');
    expectCleanError(
      await runTrader(['proposals', 'approve', '1', '--yes'], t.env),
      2,
      /^trader: Proposal 1 was already failed at /,
    );
  }, 180_000);

  it('reject is final; unknown and malformed ids are clean errors; nothing was traded', async () => {
    expect((await ok(t, 'proposals', 'reject', '2', '--yes', '--note', 'news risk')).stdout.trim()).toBe(
      'Rejected #2.',
    );
    expectCleanError(
      await runTrader(['proposals', 'approve', '2', '--yes'], t.env),
      2,
      /^trader: Proposal 2 was already rejected at /,
    );
    expectJsonError(await runTrader(['proposals', 'approve', '99', '--yes', '--json'], t.env), 'NOT_FOUND');
    expectCleanError(
      await runTrader(['proposals', 'reject', 'abc'], t.env),
      2,
      /^trader: A proposal id is a positive whole number, not 'abc'\.$/,
    );
    expectCleanError(
      await runTrader(['proposals', 'list', '--status', 'maybe'], t.env),
      2,
      /^trader: --status must be one of pending, approved, rejected, expired, failed, not 'maybe'\.$/,
    );
    const status = JSON.parse((await ok(t, 'status', '--json')).stdout) as {
      open_positions: number;
      pending_proposals: number;
    };
    expect([status.open_positions, status.pending_proposals]).toEqual([0, 0]);
    const audit = JSON.parse((await ok(t, 'audit', 'search', '--entity', 'proposal', '--json')).stdout) as {
      rows: { action_type: string; status: string; entity_id: string }[];
    };
    expect(audit.rows.map((r) => `${r.entity_id} ${r.action_type} ${r.status}`)).toEqual([
      '1 TRADE_PROPOSAL_GENERATED PENDING',
      '2 TRADE_PROPOSAL_GENERATED PENDING',
      '1 TRADE_PROPOSAL_REVIEWED FAILURE',
      '1 TRADE_PROPOSAL_REVIEW_REFUSED FAILURE',
      '2 TRADE_PROPOSAL_REVIEWED REJECTED',
      '2 TRADE_PROPOSAL_REVIEW_REFUSED FAILURE',
      '99 TRADE_PROPOSAL_REVIEW_REFUSED FAILURE',
    ]);
  }, 180_000);
});
