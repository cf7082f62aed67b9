import type { DemoSummary } from './summary.ts';

const list = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ') || 'none';

/** The JSON summary of `npm run demo:live` in words, one line per figure, for stderr. */
export function describeSummary(s: DemoSummary): string[] {
  return [
    '',
    'Summary',
    `  orders: ${s.orders.on_exchange} on the exchange (${s.orders.by_trader} sent by trader, ${s.orders.by_hand_on_website} by hand on the website); ${s.orders.in_database} in the database (${list(s.orders.by_role)}; ${list(s.orders.by_state)}).`,
    `  fills: ${s.fills.on_exchange} trade(s) on the exchange, ${s.fills.booked_in_database} booked in the database; fees paid: ${list(s.fills.fees)}.`,
    `  protective orders: ${s.protective_orders.placed} stop or target leg(s) placed by trader; ${s.protective_orders.open_on_exchange} resting on the exchange now.`,
    `  duplicates: ${s.duplicates} client order id(s) posted twice, carried by two exchange orders or unknown to the database${s.duplicates ? `: ${s.duplicate_client_order_ids.join(', ')}` : ''}.`,
    `  unprotected entries: ${s.unprotected_entries} of ${s.open_positions} open position(s) without a stop on the exchange.`,
    `  reconciliation: ${s.reconciliation.explained} explained and ${s.reconciliation.unexplained} unexplained difference(s) (${list(s.reconciliation.by_kind)}).`,
    `  balances: ${s.balances_match ? 'the exchange and the database agree' : 'the exchange and the database DIFFER'} (${s.balances.map((b) => `${b.asset} ${b.exchange}${b.match ? '' : ` vs ${b.database}`}`).join(', ')}), fees included.`,
  ];
}
