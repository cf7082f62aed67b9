-- Booking exchange fills into positions, trades and wallets (trading/live/book-fill.ts).
--
-- orders.plan: an entry order carries the position it opens (timeframe, category, stop,
-- take-profit ladder, risk, strategy, proposal, decision time), so its first fill can open
-- the position even when the fill is adopted later by recovery or reconciliation.
--
-- trades.exchange_trade_id: a booked exchange fill names its trade id, once per exchange,
-- so booking the same fill twice (the broker, then reconciliation) changes nothing. Paper
-- trades leave it null.
--
-- positions.qty and entry_price change as partial entry fills accumulate (the average fill
-- price, the quantity owned net of a fee paid in the base asset); each mode role may now
-- update those two columns of its own schema's positions, nothing more.

alter table trading_test.orders add column plan jsonb;
alter table trading_live.orders add column plan jsonb;

alter table trading_test.trades add column exchange_trade_id text;
alter table trading_live.trades add column exchange_trade_id text;
create unique index trades_exchange_trade on trading_test.trades (exchange, exchange_trade_id)
  where exchange_trade_id is not null;
create unique index trades_exchange_trade on trading_live.trades (exchange, exchange_trade_id)
  where exchange_trade_id is not null;

do $$
declare
  m record;
begin
  for m in select * from (values ('trading_test', 'trader_test'), ('trading_live', 'trader_live')) as x(schema_name, role_name) loop
    execute format('grant update (qty, entry_price) on %I.positions to %I', m.schema_name, m.role_name);
  end loop;
end $$;
