-- Orders sent to an exchange and the fills they got (issue 15: orders that cannot be
-- duplicated). An order is written as PENDING_SUBMIT and committed BEFORE its request
-- leaves, under a deterministic client order id, so a process killed at any step finds it
-- at the next start and asks the exchange about that id instead of sending it again.
--
-- Both modes get the tables: trading_live for real orders, trading_test as the twin that
-- keeps the two schemas identical (`like ... including all`, as 20261122030000 does) and
-- lets the order life cycle be tested as TEST against the simulator without a LIVE role.
-- The paper broker does not use it. The grants follow 20261203110000_least_privilege.sql:
-- each mode role reaches only its own schema, appends orders and fills, and updates only
-- the columns that change as an order progresses; fills are never updated or deleted.

create table trading_test.orders (
  -- Binance's charset and length for newClientOrderId (trading/live/client-order-id.ts).
  client_order_id   text primary key check (client_order_id ~ '^[.A-Za-z0-9:/_-]{1,36}$'),
  exchange          text not null,
  account           text not null default 'default',
  symbol            text not null,
  side              text not null check (side in ('buy', 'sell')),
  type              text not null check (type in ('market', 'limit', 'stop_loss_limit')),
  role              text not null check (role in ('entry', 'stop', 'take_profit', 'close')),
  qty               numeric not null check (qty > 0),
  price             numeric check (price > 0),
  stop_price        numeric check (stop_price > 0),
  state             text not null default 'PENDING_SUBMIT' check (state in (
                      'PENDING_SUBMIT', 'NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED',
                      'EXPIRED', 'RECONCILED_UNKNOWN')),
  exchange_order_id text,
  filled_qty        numeric not null default 0 check (filled_qty >= 0 and filled_qty <= qty),
  avg_price         numeric check (avg_price > 0),
  attempts          integer not null default 0 check (attempts >= 0),
  last_error        text,
  position_id       bigint,
  run_id            uuid,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  check (type <> 'limit' or price is not null),
  check (type <> 'stop_loss_limit' or (price is not null and stop_price is not null))
);
-- Recovery looks for orders whose outcome is not final yet.
create index orders_unresolved on trading_test.orders (exchange, state)
  where state in ('PENDING_SUBMIT', 'NEW', 'PARTIALLY_FILLED');

create table trading_test.order_fills (
  fill_id           bigint generated always as identity primary key,
  exchange          text not null,
  -- The exchange's trade id, once per exchange: adopting the same fill twice is refused.
  exchange_trade_id text not null,
  client_order_id   text not null,
  qty               numeric not null check (qty > 0),
  price             numeric not null check (price > 0),
  fee               numeric not null check (fee >= 0),
  fee_asset         text not null,
  ts                timestamptz not null,
  recorded_at       timestamptz not null default now(),
  unique (exchange, exchange_trade_id)
);
create index order_fills_order on trading_test.order_fills (client_order_id);

create table trading_live.orders (like trading_test.orders including all);
create table trading_live.order_fills (like trading_test.order_fills including all);
alter table trading_test.orders add foreign key (position_id) references trading_test.positions (position_id);
alter table trading_live.orders add foreign key (position_id) references trading_live.positions (position_id);
alter table trading_test.order_fills add foreign key (client_order_id) references trading_test.orders (client_order_id);
alter table trading_live.order_fills add foreign key (client_order_id) references trading_live.orders (client_order_id);

do $$
declare
  m record;
begin
  for m in select * from (values ('trading_test', 'trader_test'), ('trading_live', 'trader_live')) as x(schema_name, role_name) loop
    execute format('grant select, insert on %1$I.orders, %1$I.order_fills to %2$I', m.schema_name, m.role_name);
    execute format('grant update (state, exchange_order_id, filled_qty, avg_price, attempts, last_error, position_id,
      updated_at) on %I.orders to %I', m.schema_name, m.role_name);
    execute format('grant usage on all sequences in schema %I to %I', m.schema_name, m.role_name);
  end loop;
end $$;
