import type { ReconcileReport } from './reconcile.ts';

/** `trader reconcile`'s text: the outcome first, then every difference and failing market. */
export function describeReport(r: ReconcileReport, accepted: number[] | null): string {
  const head = {
    reconciled: `reconciled with ${r.exchange}: ${r.adopted} fill(s) adopted, every difference explained`,
    halted: `!!! LIVE HALTED: ${r.unexplained} unexplained difference(s) with ${r.exchange}; resolve with \`trader reconcile --accept\` (master PIN) !!!`,
    unreachable: `!!! ${r.exchange} could not be reached: nothing was compared !!!`,
  }[r.outcome];
  const lines = [
    accepted === null
      ? head
      : accepted.length === 0
        ? `nothing to accept: ${head}`
        : `accepted ${accepted.length} difference(s) with ${r.exchange}; the database holds the exchange's balances and LIVE trading is no longer halted by reconciliation`,
  ];
  for (const d of r.differences)
    lines.push(`  ${d.explained ? 'explained  ' : 'UNEXPLAINED'} ${d.kind.padEnd(18)} ${d.detail}`);
  for (const o of r.recovered) lines.push(`  order      ${o.client_order_id}: ${o.outcome} (${o.state})`);
  for (const m of r.failing_markets)
    lines.push(
      `  ${m.halted ? 'HALTED' : 'failing'}     ${m.symbol === '*' ? r.exchange : m.symbol}: ${m.failures} failure(s) in a row; ${m.error ?? ''}`,
    );
  if (r.equity !== null) lines.push(`  equity     ${r.equity.toFixed(2)} (from the exchange's balances)`);
  return lines.join('\n');
}
