import type { liveSession } from './session.ts';
import type { DemoSummary } from './summary.ts';

type SessionFacts = Awaited<ReturnType<typeof liveSession>>['facts'];

const list = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ') || 'none';

const actions = (rows: SessionFacts['full_auto']) =>
  rows.map((a) => `${a.symbol} ${a.action}${a.reasons.length ? ` (${a.reasons.join('; ')})` : ''}`).join('; ');

/** The JSON summary of `npm run demo:live` in words, one line per figure, for stderr. */
export function describeSummary(s: DemoSummary, f: SessionFacts): string[] {
  const stops = f.while_away.btc_fills.filter((t) => t.order_type.startsWith('STOP_LOSS')).length;
  return [
    '',
    'Summary',
    `  Semi-Auto: proposal #${f.semi_auto.proposal_id} ${f.semi_auto.approval} with the PIN, position ${f.semi_auto.position_id ?? 'none'}; Full-Auto: ${actions(f.full_auto)}.`,
    `  While trader was away: ${stops} stop fill(s) of ${f.while_away.btc_fills.length} BTC/USDT fill(s) on the exchange; ${f.while_away.website_sold_eth} ETH sold by hand on the website; the next reconciliation adopted ${f.reconciled_after_away.adopted} fill(s).`,
    `  kill -9: ${f.kill.client_order_id} (ended by ${f.kill.ended_by ?? 'no signal'}) reached the exchange in ${f.kill.requests_with_its_id} request(s) and is ${f.kill.state_after_restart ?? 'unknown to the database'} after the restart; then: ${actions(f.after_restart)}.`,
    `  orders: ${s.orders.on_exchange} on the exchange (${s.orders.by_trader} sent by trader, ${s.orders.by_hand_on_website} by hand on the website); ${s.orders.in_database} in the database (${list(s.orders.by_role)}; ${list(s.orders.by_state)}).`,
    `  fills: ${s.fills.on_exchange} trade(s) on the exchange, ${s.fills.booked_in_database} booked in the database; fees paid: ${list(s.fills.fees)}.`,
    `  protective orders: ${s.protective_orders.placed} stop or target leg(s) placed by trader; ${s.protective_orders.open_on_exchange} resting on the exchange now.`,
    `  duplicates: ${s.duplicates} client order id(s) posted twice, carried by two exchange orders or unknown to the database${s.duplicates ? `: ${s.duplicate_client_order_ids.join(', ')}` : ''}.`,
    `  unprotected entries: ${s.unprotected_entries} of ${s.open_positions} open position(s) without a stop on the exchange.`,
    `  reconciliation: ${s.reconciliation.explained} explained and ${s.reconciliation.unexplained} unexplained difference(s) (${list(s.reconciliation.by_kind)}).`,
    `  balances: ${s.balances_match ? 'the exchange and the database agree' : 'the exchange and the database DIFFER'} (${s.balances.map((b) => `${b.asset} ${b.exchange}${b.match ? '' : ` vs ${b.database}`}`).join(', ')}), fees included.`,
    `  audit trail: ${f.audit_trail.intact ? 'intact' : 'BROKEN'}, ${f.audit_trail.rows} rows.`,
  ];
}
