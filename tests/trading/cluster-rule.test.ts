import { describe, expect, it } from 'vitest';
import { checkIntent, type GateInput } from '../../trading/risk-gate/gate.ts';
import { passingGateInput } from '../helpers/risk-arbs.ts';

/**
 * The correlated-cluster rule's sentences and edge cases. The base: 10,000 equity, a BTC
 * long risking 80 (0.8%) and an open ETH position risking 100 (1%).
 */

function input(
  cluster: { cap: number | null; min?: number },
  pairs?: Record<string, number | null>,
  over: Partial<GateInput> = {},
): GateInput {
  const base = passingGateInput();
  return {
    ...base,
    profile: {
      ...base.profile,
      cluster_cap_pct: cluster.cap,
      cluster_min_correlation: cluster.min ?? 0.7,
      cluster_window_days: 30,
    },
    ...(pairs ? { correlations: { pairs } } : {}),
    ...over,
  };
}

const cluster = (i: GateInput) => checkIntent(i).checks.find((c) => c.rule === 'correlation_cluster')!;

describe('correlated-cluster rule', () => {
  it('is off by default: it passes, says so and reads no correlations', () => {
    const off = input({ cap: null }, undefined, {
      open_positions: [{ symbol: 'ETH/USDT', category: 'x', risk_amount: 1e9 }],
    });
    expect(cluster(off)).toEqual({
      rule: 'correlation_cluster',
      ok: true,
      detail: 'the correlated-cluster rule is off in the medium profile',
    });
  });

  it('refuses when the correlated open position and the intent together carry more than the cap', () => {
    const v = checkIntent(input({ cap: 1.5 }, { 'BTC/USDT|ETH/USDT': 0.85 }));
    expect(v.ok).toBe(false);
    expect(v.reasons).toEqual([
      'the correlated cluster of BTC/USDT (with ETH/USDT) would carry 1.80% of equity, over the cap of 1.50% (markets link at a 30-day return correlation of 0.7 or more)',
    ]);
    expect(cluster(input({ cap: 2 }, { 'BTC/USDT|ETH/USDT': 0.85 }))).toMatchObject({
      ok: true,
      detail:
        'the correlated cluster of BTC/USDT (with ETH/USDT) would carry 1.80% of equity, within the cap of 2.00% (markets link at a 30-day return correlation of 0.7 or more)',
    });
  });

  it('a correlation below the minimum keeps the markets apart', () => {
    expect(cluster(input({ cap: 1.5 }, { 'BTC/USDT|ETH/USDT': 0.69 }))).toEqual({
      rule: 'correlation_cluster',
      ok: true,
      detail:
        'the correlated cluster of BTC/USDT (no other open market) would carry 0.80% of equity, within the cap of 1.50% (markets link at a 30-day return correlation of 0.7 or more)',
    });
    // Negative correlations are apart too (a minimum of 0 links only co-moving markets).
    expect(cluster(input({ cap: 1.5, min: 0 }, { 'BTC/USDT|ETH/USDT': -0.4 })).ok).toBe(true);
  });

  it('a pair that could not be measured counts as linked, and the sentence says so', () => {
    const unknown = 'BTC/USDT-ETH/USDT could not be measured, so it counts as linked';
    const cases: Record<string, number | null>[] = [
      { 'BTC/USDT|ETH/USDT': null },
      {},
      { 'BTC/USDT|ETH/USDT': Number.NaN },
    ];
    for (const pairs of cases) {
      const c = cluster(input({ cap: 1.5 }, pairs));
      expect(c.ok).toBe(false);
      expect(c.detail).toContain(`0.7 or more; ${unknown})`);
    }
    // No correlations given at all (a caller that did not measure): every pair is unknown.
    expect(cluster(input({ cap: 1.5 })).ok).toBe(false);
  });

  it('links by single linkage: a chain of correlated markets is one cluster', () => {
    const open = [
      { symbol: 'ETH/USDT', category: 'major', risk_amount: 50 },
      { symbol: 'SOL/USDT', category: 'alt', risk_amount: 50 },
      { symbol: 'XRP/USDT', category: 'alt', risk_amount: 400 },
    ];
    const pairs = {
      'BTC/USDT|ETH/USDT': 0.9,
      'ETH/USDT|SOL/USDT': 0.8,
      'BTC/USDT|SOL/USDT': 0.3,
      'BTC/USDT|XRP/USDT': 0.1,
      'ETH/USDT|XRP/USDT': 0.1,
      'SOL/USDT|XRP/USDT': 0.1,
    };
    const c = cluster(input({ cap: 1.7 }, pairs, { open_positions: open }));
    // BTC (80) + ETH (50) + SOL via ETH (50) = 1.80%; XRP's 400 stays in its own cluster.
    expect(c).toMatchObject({ ok: false });
    expect(c.detail).toMatch(
      /^the correlated cluster of BTC\/USDT \(with ETH\/USDT, SOL\/USDT\) would carry 1\.80% of equity, over/,
    );
  });

  it("an open position in the intent's own market is in its cluster, and named so", () => {
    const same = { open_positions: [{ symbol: 'BTC/USDT', category: 'major', risk_amount: 100 }] };
    expect(cluster(input({ cap: 1.5 }, {}, same)).detail).toBe(
      'the correlated cluster of BTC/USDT (with its own open BTC/USDT position) would carry 1.80% of equity, over the cap of 1.50% (markets link at a 30-day return correlation of 0.7 or more)',
    );
  });

  it("counts the intent's risk from its prices and quantity, not the risk it claims", () => {
    const base = input({ cap: 1.5 }, { 'BTC/USDT|ETH/USDT': 0.1 });
    const claimsLittle = { ...base, intent: { ...base.intent, qty: 0.2, risk_amount: 10, risk_pct: 0.1 } };
    expect(cluster(claimsLittle).detail).toContain('would carry 2.00% of equity, over the cap of 1.50%');
  });

  it('fails closed on a missing or non-number value', () => {
    const pairs = { 'BTC/USDT|ETH/USDT': 0.1 };
    expect(cluster(input({ cap: 1.5 }, pairs, { equity: 0 }))).toMatchObject({
      ok: false,
      detail: "equity is 0, so no correlated cluster's risk can be measured; nothing may be risked",
    });
    expect(cluster(input({ cap: 1.5 }, pairs, { equity: Number.NaN })).ok).toBe(false);
    expect(cluster(input({ cap: Number.NaN }, pairs)).ok).toBe(false);
    // A NaN minimum links every pair, so the open ETH position joins the cluster.
    expect(cluster(input({ cap: 1.5, min: Number.NaN }, pairs)).ok).toBe(false);
    const nanRisk = { open_positions: [{ symbol: 'ETH/USDT', category: 'major', risk_amount: Number.NaN }] };
    expect(cluster(input({ cap: 1.5 }, { 'BTC/USDT|ETH/USDT': 0.9 }, nanRisk)).ok).toBe(false);
  });
});
