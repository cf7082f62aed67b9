import type { BinanceSimulator } from '../../simulator/binance-simulator.ts';
import type { DatabaseRecords, ExchangeRecords } from './summary.ts';
import type { TraderCli } from './trader-cli.ts';

/**
 * Both sides' records at the end of `npm run demo:live`: the simulator's as the exchange
 * keeps them, the database's read through `trader db sql --json` (the embedded database
 * is reachable only through the CLI). Numeric columns are cast to float8 to arrive as JSON
 * numbers.
 */
export async function gatherRecords(
  cli: TraderCli,
  sim: BinanceSimulator,
  stepSizes: Record<string, number>,
): Promise<{ exchange: ExchangeRecords; database: DatabaseRecords }> {
  const orders = await cli.sql<DatabaseRecords['orders'][number]>(
    'select client_order_id, symbol, role, state from trading_live.orders order by created_at, client_order_id',
  );
  const [fills] = await cli.sql<{ n: number }>(
    'select count(distinct exchange_trade_id)::int as n from trading_live.trades where exchange_trade_id is not null',
  );
  const open = await cli.sql<DatabaseRecords['open_positions'][number]>(
    "select position_id::int, symbol, open_qty::float8 from trading_live.positions where status = 'open' order by position_id",
  );
  const wallets = await cli.sql<{ asset: string; balance: number }>(
    'select asset, balance::float8 from trading_live.wallets order by asset',
  );
  const differences = await cli.sql<DatabaseRecords['differences'][number]>(
    'select kind, explained from trading_live.reconcile_differences order by difference_id',
  );
  const exchangeOrders = sim.orders().map((o) => ({ ...o }));
  const ids = new Set([...exchangeOrders.map((o) => o.clientOrderId), ...orders.map((o) => o.client_order_id)]);
  return {
    exchange: {
      orders: exchangeOrders,
      trades: sim.trades().map((t) => ({ ...t })),
      balances: sim.balances(),
      posts: Object.fromEntries([...ids].map((id) => [id, sim.orderPosts(id)])),
      step_sizes: stepSizes,
    },
    database: {
      orders,
      fills: fills?.n ?? 0,
      open_positions: open,
      wallets: Object.fromEntries(wallets.map((w) => [w.asset, w.balance])),
      differences,
    },
  };
}
