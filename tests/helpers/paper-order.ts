import type { OpenOrder } from '../../trading/broker.ts';

/** A paper entry of 10 BTC/USDT at 100 with its stop at 90 (risk 100, 1%), decided at 1 Jan 2024 00:00 UTC; `over` changes any field. */
export function paperOrder(over: Partial<OpenOrder> = {}): OpenOrder {
  return {
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
    category: 'major',
    side: 'buy',
    qty: 10,
    entry: 100,
    stop: 90,
    take_profits: [],
    leverage: 1,
    risk_amount: 100,
    risk_pct: 1,
    strategy_id: null,
    strategy_version: null,
    source_module: null,
    run_id: null,
    proposal_id: null,
    as_of: new Date(Date.UTC(2024, 0, 1)),
    ...over,
  };
}
