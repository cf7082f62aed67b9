import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pairKey } from '../../analysis/return-correlation.ts';
import { checkIntent, type GateInput, type OpenPositionRisk } from '../../trading/risk-gate/gate.ts';
import { num, passingGateInput } from '../helpers/risk-arbs.ts';

/**
 * The cluster rule's invariant, the "done when": for any correlation matrix
 * (measured or not per pair), equity, cap and minimum correlation, and any sequence of
 * intents and closes fed through the whole risk gate (each accepted intent joins the open
 * positions), no cluster of the accepted set carries more combined risk than the cap.
 * Clusters are re-derived here by union-find, independently of the rule's own search.
 */

const symbols = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT', 'ADA/USDT', 'BNB/USDT'];

/** Each pair measured (any value in -1..1), unmeasured (null) or absent from the record. */
const pairsArb: fc.Arbitrary<Record<string, number | null>> = fc
  .array(fc.oneof({ arbitrary: num(-1, 1), weight: 4 }, fc.constant(null), fc.constant(undefined)), {
    minLength: 15,
    maxLength: 15,
  })
  .map((values) => {
    const out: Record<string, number | null> = {};
    let k = 0;
    for (let i = 0; i < symbols.length; i++)
      for (let j = i + 1; j < symbols.length; j++) {
        const v = values[k++];
        if (v !== undefined) out[pairKey(symbols[i]!, symbols[j]!)] = v;
      }
    return out;
  });

type Step = { kind: 'intent'; symbol: string; riskPct: number } | { kind: 'close'; pick: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('intent' as const),
      symbol: fc.constantFrom(...symbols),
      riskPct: num(0.05, 3),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), pick: fc.nat() }) },
);

/** Markets linked as the profile defines it: same market, unmeasured, or correlated at least `min`. */
function linked(pairs: Record<string, number | null>, min: number, a: string, b: string): boolean {
  if (a === b) return true;
  const v = pairs[pairKey(a, b)];
  return v === null || v === undefined || v >= min;
}

/** The largest cluster risk of a set of positions, by union-find over the linkage. */
function largestCluster(open: readonly OpenPositionRisk[], pairs: Record<string, number | null>, min: number): number {
  const parent = open.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  for (let i = 0; i < open.length; i++)
    for (let j = i + 1; j < open.length; j++)
      if (linked(pairs, min, open[i]!.symbol, open[j]!.symbol)) parent[find(i)] = find(j);
  const sums = new Map<number, number>();
  open.forEach((p, i) => sums.set(find(i), (sums.get(find(i)) ?? 0) + p.risk_amount));
  return Math.max(0, ...sums.values());
}

describe('correlated-cluster rule, as a property', () => {
  it('no cluster of an accepted set of positions carries more risk than the cap', () => {
    let clusterRefusals = 0;
    fc.assert(
      fc.property(
        pairsArb,
        num(1_000, 1_000_000),
        num(0.5, 25),
        num(0, 1),
        fc.array(stepArb, { minLength: 1, maxLength: 25 }),
        (pairs, equity, cap, min, steps) => {
          const base = passingGateInput();
          // Every other limit wide open, so the cluster rule is the one that binds.
          const profile = {
            ...base.profile,
            profile: 'high' as const,
            risk_per_trade_pct: 3,
            max_drawdown_pct: 50,
            max_open_positions: 20,
            category_cap_pct: 25,
            cluster_cap_pct: cap,
            cluster_min_correlation: min,
            cluster_window_days: 30,
          };
          let open: OpenPositionRisk[] = [];
          for (const [n, step] of steps.entries()) {
            if (step.kind === 'close') {
              if (open.length) open = open.filter((_, i) => i !== step.pick % open.length);
              continue;
            }
            const entry = 100;
            const stop = 95;
            const qty = (equity * step.riskPct) / 100 / (entry - stop);
            const input: GateInput = {
              ...base,
              state: { ...base.state, risk_profile: 'high' },
              profile,
              equity,
              free_balance: 1e12,
              category: `c${n}`,
              intent: {
                ...base.intent,
                symbol: step.symbol,
                entry,
                stop,
                qty,
                take_profits: [{ price: 110, fraction: 1 }],
              },
              open_positions: open,
              correlations: { pairs },
            };
            const v = checkIntent(input);
            if (!v.ok && v.checks.some((c) => c.rule === 'correlation_cluster' && !c.ok)) clusterRefusals++;
            if (v.ok)
              open = [...open, { symbol: step.symbol, category: `c${n}`, risk_amount: Math.abs(entry - stop) * qty }];
            expect(largestCluster(open, pairs, min)).toBeLessThanOrEqual((cap * equity) / 100 + 1e-6);
          }
        },
      ),
      { numRuns: 400 },
    );
    // The property bit: the rule refused intents, it did not pass vacuously.
    expect(clusterRefusals).toBeGreaterThan(100);
  });
});
