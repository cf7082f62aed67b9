import { isTraderError, TraderError } from '../../core/errors.ts';
import type { Db } from '../../store/db.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { type Ask, confirmOrRefuse, refusedOnError } from '../governance/user-action.ts';
import { loadLiveAccount, noLiveAccount } from '../live-account/live-account-repo.ts';
import { getPosition, type Position } from '../positions-repo.ts';
import { tradingScope, tradingTx } from '../scope.ts';
import { loadState } from '../state-repo.ts';
import type { BookedFill } from './book-fill.ts';
import { exactSum } from './decimal-steps.ts';
import { isExchangeFault } from './exchange-port.ts';
import { ACCOUNT_WIDE, withLiveLease } from './order-lease.ts';
import type { LiveBroker } from './live-broker.ts';
import { activeProtection } from './protect-position.ts';

/**
 * `trader live close <id>`: the user closes one open LIVE position at market on the exchange.
 * The position is looked up first (nothing is asked about a position that is not open), the
 * user confirms, then `openBroker` opens the live broker (the CLI asks the master PIN there:
 * a LIVE order always needs it). Orders of unknown outcome are looked up first (a close an
 * earlier attempt left unsent is sent under its own id, never a second one), then the
 * broker's close: protection cancelled, the rest sold at market, the real fills booked.
 * The request is audited POSITION_CLOSE_REQUESTED (actor USER): SUCCESS with what was sold,
 * FAILURE with the reason. When the exchange fails half-way the position stays open and the
 * sentence says whether its stop is still on the exchange.
 */

const live = tradingScope('LIVE');

export interface UserCloseFill {
  kind: string;
  qty: number;
  price: number;
  fee: number;
  fee_asset: string;
}

export interface UserCloseReport {
  position_id: number;
  exchange: string;
  symbol: string;
  /** closed: nothing of it is left open; dust: what is left is below the market's minimums, nobody can sell it. */
  outcome: 'closed' | 'dust';
  /** What this request sold: the market sell, and a stop or target that filled while it was cancelled. */
  fills: UserCloseFill[];
  sold_qty: number;
  /** Volume-weighted over `fills`; null when nothing was sold. */
  avg_price: number | null;
  fees: { asset: string; amount: number }[];
  /** The whole position's realised P&L before fees, its fees (entry included) and the net, in the quote currency. */
  realized_pnl: number;
  fees_paid: number;
  net_pnl: number;
  /** The open quantity left in the wallet (outcome dust), else null. */
  dust_qty: number | null;
}

export interface UserCloseOptions {
  ask: Pick<Ask, 'confirm'>;
  /** Opens the live broker once the user confirmed (the master PIN); its refusal is audited. */
  openBroker: () => Promise<LiveBroker>;
  now?: Date;
}

function notOpen(id: number, p: Position | undefined): TraderError {
  return new TraderError(
    'NOT_FOUND',
    p
      ? `LIVE position ${id} (${p.symbol}) is already closed (${p.close_reason ?? 'closed'} at ${p.closed_at?.toISOString() ?? 'an earlier time'}); nothing more was sold.`
      : `There is no LIVE position ${id}; list the open ones with \`TRADER_SYSTEM_MODE=LIVE trader positions\`.`,
  );
}

function report(position: Position, booked: BookedFill[], dust_qty: number | null): UserCloseReport {
  const fills = booked.map(({ trade: t }) => ({
    kind: t.kind,
    qty: t.qty,
    price: t.price,
    fee: t.fee,
    fee_asset: t.fee_asset,
  }));
  const sold_qty = exactSum(...fills.map((f) => f.qty));
  const fees = new Map<string, number>();
  for (const f of fills) fees.set(f.fee_asset, exactSum(fees.get(f.fee_asset) ?? 0, f.fee));
  return {
    position_id: position.position_id,
    exchange: position.exchange,
    symbol: position.symbol,
    outcome: dust_qty === null ? 'closed' : 'dust',
    fills,
    sold_qty,
    avg_price: sold_qty > 0 ? fills.reduce((s, f) => s + f.qty * f.price, 0) / sold_qty : null,
    fees: [...fees].map(([asset, amount]) => ({ asset, amount })),
    realized_pnl: position.realized_pnl,
    fees_paid: position.fees_paid,
    net_pnl: position.realized_pnl - position.fees_paid,
    dust_qty,
  };
}

/** Why the position is still open, and how much of it a stop still guards on the exchange. */
async function stillOpen(db: Db, id: number, why: string): Promise<TraderError> {
  const { position, stops } = await tradingTx(db, live, async (tx) => ({
    position: (await getPosition(tx, live, id))!,
    stops: (await activeProtection(tx, live, id)).filter((o) => o.role === 'stop'),
  }));
  const guarded = exactSum(...stops.map((o) => o.qty - o.filled_qty));
  const protection =
    guarded >= position.open_qty
      ? 'protected: its stop is still on the exchange'
      : guarded > 0
        ? `with stops for ${guarded} of its ${position.open_qty} ${position.symbol} still on the exchange`
        : 'without a stop on the exchange (the next LIVE run places one again)';
  return new TraderError(
    'TRANSIENT',
    `${why.replace(/\.$/, '')}; LIVE position ${id} stays open, ${protection}. Try again with \`trader live close ${id}\`.`,
  );
}

export async function closeLiveByUser(db: Db, positionId: number, o: UserCloseOptions): Promise<UserCloseReport> {
  if (!(await tradingTx(db, live, loadLiveAccount))) throw noLiveAccount();
  const { state, position } = await tradingTx(db, live, async (tx) => ({
    state: await loadState(tx, live),
    position: await getPosition(tx, live, positionId),
  }));
  if (position?.status !== 'open') throw notOpen(positionId, position);
  const audit = {
    action_type: 'POSITION_CLOSE_REQUESTED',
    details: { position_id: positionId, symbol: position.symbol },
  };
  await confirmOrRefuse(
    db,
    live,
    state.risk_profile,
    o.ask,
    `Sell ${position.open_qty} ${position.symbol} at market on ${position.exchange} now, closing LIVE position ${positionId} (its stop and targets are cancelled first)?`,
    { action_type: 'POSITION_CLOSE_REQUEST', details: audit.details },
    new TraderError('BAD_INPUT', `You did not confirm; LIVE position ${positionId} stays open.`),
  );
  const done = (status: 'SUCCESS' | 'FAILURE', details: Record<string, unknown>) =>
    tradingTx(db, live, (tx) =>
      recordAudit(tx, {
        mode: 'LIVE',
        actor: 'USER',
        action_type: audit.action_type,
        status,
        risk_profile: state.risk_profile,
        details: { ...audit.details, ...details },
        entity_type: 'position',
        entity_id: String(positionId),
      }),
    );
  const fail = async (e: TraderError): Promise<never> => {
    await done('FAILURE', { reason: e.message });
    throw e;
  };
  const broker = await refusedOnError(db, live, state.risk_profile, audit, o.openBroker);
  let closed;
  try {
    // Recovery looks at every market: the whole account is held, as a run's prelude holds it.
    closed = await withLiveLease(db, ACCOUNT_WIDE, { label: `closing position ${positionId} by hand` }, async () => {
      await broker.recover(db);
      return broker.close(db, positionId, { reason: 'user', ts: o.now ?? new Date(), run_id: null });
    });
  } catch (e) {
    if (isExchangeFault(e))
      return fail(await stillOpen(db, positionId, `The close did not go through on ${broker.exchange} (${e.message})`));
    if (isTraderError(e)) return fail(e);
    throw e;
  }
  const after = (await tradingTx(db, live, (tx) => getPosition(tx, live, positionId)))!;
  // Closed before anything was sold: recovery booked a stop, a target or an earlier close.
  if (after.status === 'closed' && closed.booked.length === 0) return fail(notOpen(positionId, after));
  if (after.status === 'open' && !closed.dust)
    return fail(
      await stillOpen(
        db,
        positionId,
        closed.problem ?? `${after.open_qty} ${after.symbol} is still open after the sale`,
      ),
    );
  const r = report(after, closed.booked, after.status === 'open' ? after.open_qty : null);
  await done('SUCCESS', {
    outcome: r.outcome,
    sold_qty: r.sold_qty,
    avg_price: r.avg_price,
    fees: r.fees,
    realized_pnl: r.realized_pnl,
    dust_qty: r.dust_qty,
  });
  return r;
}

const n = (x: number) => String(Number(x.toPrecision(10)));
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;

/** The report in words, for the terminal. */
export function describeUserClose(r: UserCloseReport): string {
  const quote = r.symbol.split('/')[1];
  const sold =
    r.sold_qty > 0
      ? `sold ${n(r.sold_qty)} ${r.symbol} at an average ${n(r.avg_price!)} (${r.fills.map((f) => `${f.kind} ${n(f.qty)} at ${n(f.price)}`).join(', ')}), fees ${r.fees.map((f) => `${n(f.amount)} ${f.asset}`).join(' + ')}`
      : 'nothing sold';
  const pnl = `realised P&L ${signed(r.realized_pnl)} ${quote} before fees, ${signed(r.net_pnl)} after all its fees (${r.fees_paid.toFixed(2)} ${quote})`;
  if (r.outcome === 'closed') return `Closed LIVE position ${r.position_id} on ${r.exchange}: ${sold}; ${pnl}.`;
  return `LIVE position ${r.position_id} on ${r.exchange}: ${sold}; the ${n(r.dust_qty!)} ${r.symbol} left is below the market's minimums, nobody can sell it: it stays in the wallet as dust, its stop and targets cancelled; ${pnl}.`;
}
