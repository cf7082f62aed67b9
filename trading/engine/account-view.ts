import type { z } from 'zod';
import type { Positions } from '../../sdk/context-schemas.ts';
import type { Queryable } from '../../store/db.ts';
import { portfolioSnapshot } from '../portfolio.ts';
import { listOpenPositions, recentClosedPositions } from '../positions-repo.ts';
import type { TradingScope } from '../scope.ts';

export interface AccountView {
  equity: number;
  free_balance: number;
  positions: z.infer<typeof Positions>;
}

/**
 * What the modules deciding one symbol see of the account at `asOf`: equity and free cash
 * now (a position opened for an earlier symbol of the same run has paid its margin), the
 * open positions, and this market's positions closed by then, for cooldowns and re-entries.
 */
export async function accountView(
  tx: Queryable,
  scope: TradingScope,
  o: { exchange: string; symbol: string; asOf: Date },
): Promise<AccountView> {
  const snapshot = await portfolioSnapshot(tx, scope, o.asOf);
  const open = (await listOpenPositions(tx, scope)).filter((p) => p.opened_at <= o.asOf);
  const closed = await recentClosedPositions(tx, scope, { ...o, limit: 20 });
  return {
    equity: snapshot.equity,
    free_balance: snapshot.free_balance,
    positions: {
      open: open.map((p) => ({
        position_id: p.position_id,
        symbol: p.symbol,
        side: p.side,
        qty: p.open_qty,
        entry: p.entry_price,
        stop: p.stop_price,
        leverage: p.leverage,
        opened_at: p.opened_at.toISOString(),
        take_profits_left: p.take_profits.filter((t) => t.filled_at === null).length,
      })),
      recent_closed: closed.map((p) => ({
        position_id: p.position_id,
        symbol: p.symbol,
        side: p.side,
        entry: p.entry_price,
        opened_at: p.opened_at.toISOString(),
        closed_at: p.closed_at!.toISOString(),
        realized_pnl: p.realized_pnl - p.fees_paid,
        close_reason: p.close_reason,
      })),
    },
  };
}
