import { pairKey } from '../../analysis/return-correlation.ts';
import { check, epsilon, pair, recomputedRisk } from './gate-measures.ts';
import type { GateCheck, GateInput } from './gate-types.ts';

/**
 * The correlated-cluster rule (opt-in per risk profile). Two markets are linked when
 * their return correlation is at least the profile's minimum; a cluster is a connected
 * component of the open positions and the new intent under that link (single linkage).
 * The rule refuses when the intent's cluster would carry more than cluster_cap_pct of
 * equity. Adding a position only ever merges the components it links to into its own, so
 * checking that one component keeps every cluster of an accepted set within the cap (for
 * a given correlation matrix; tests/trading/cluster-rule-properties.test.ts). A pair that
 * could not be measured is linked: not knowing is not a reason to allow more risk.
 */

interface Member {
  symbol: string;
  risk: number;
}

/** How two markets relate under the rule: linked by a measured correlation, by an unmeasured one, or not. */
function linkOf(input: GateInput, a: string, b: string): 'linked' | 'unknown' | 'apart' {
  if (a === b) return 'linked';
  const v = input.correlations?.pairs[pairKey(a, b)];
  if (typeof v !== 'number' || Number.isNaN(v)) return 'unknown';
  // Written so that a NaN minimum links everything (fails safe).
  return v < input.profile.cluster_min_correlation ? 'apart' : 'linked';
}

/** The intent's cluster (index 0 is the intent) and the unmeasured pairs that linked it. */
export function intentCluster(input: GateInput, members: readonly Member[]): { indices: number[]; unknown: string[] } {
  const inCluster = new Set([0]);
  const queue = [0];
  const unknown: string[] = [];
  while (queue.length > 0) {
    const i = queue.shift()!;
    for (let j = 0; j < members.length; j++) {
      if (inCluster.has(j)) continue;
      const link = linkOf(input, members[i]!.symbol, members[j]!.symbol);
      if (link === 'apart') continue;
      if (link === 'unknown') unknown.push(`${members[i]!.symbol}-${members[j]!.symbol}`);
      inCluster.add(j);
      queue.push(j);
    }
  }
  return { indices: [...inCluster].sort((x, y) => x - y), unknown };
}

const listed = (items: readonly string[], max = 3) =>
  items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;

export function correlationCluster(input: GateInput): GateCheck {
  const { profile, equity, intent, open_positions } = input;
  const cap = profile.cluster_cap_pct;
  if (cap === null || cap === undefined)
    return check('correlation_cluster', true, `the correlated-cluster rule is off in the ${profile.profile} profile`);
  if (!(equity > 0))
    return check(
      'correlation_cluster',
      false,
      `equity is ${equity}, so no correlated cluster's risk can be measured; nothing may be risked`,
    );
  const members: Member[] = [
    { symbol: intent.symbol, risk: recomputedRisk(input).amount },
    ...open_positions.map((p) => ({ symbol: p.symbol, risk: p.risk_amount })),
  ];
  const { indices, unknown } = intentCluster(input, members);
  const total = (indices.reduce((sum, i) => sum + members[i]!.risk, 0) / equity) * 100;
  const ok = total <= cap + epsilon;
  const [t, c] = pair(total, cap);
  // An open position in the intent's own market is in its cluster too (the one-per-symbol rule refuses that separately).
  const others = [...new Set(indices.slice(1).map((i) => members[i]!.symbol))].map((s) =>
    s === intent.symbol ? `its own open ${s} position` : s,
  );
  const withWhom = others.length ? `with ${listed(others)}` : 'no other open market';
  const unmeasured = unknown.length
    ? `; ${listed(unknown)} could not be measured, so ${unknown.length === 1 ? 'it counts' : 'they count'} as linked`
    : '';
  return check(
    'correlation_cluster',
    ok,
    `the correlated cluster of ${intent.symbol} (${withWhom}) would carry ${t}% of equity, ${ok ? 'within' : 'over'} the cap of ${c}% (markets link at a ${profile.cluster_window_days}-day return correlation of ${profile.cluster_min_correlation} or more${unmeasured})`,
  );
}
