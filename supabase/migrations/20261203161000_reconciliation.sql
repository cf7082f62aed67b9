-- Reconciliation of the LIVE account with its exchange (issue 15, item 5; trading/live/reconcile/).
--
-- reconcile_markets: one row per market trader looks at on an exchange, plus '*' for the
-- exchange as a whole (balances): where the trade history was read up to, when it was last
-- checked, and how often in a row the exchange failed to answer. A market (or '*') that kept
-- failing is halted (halted_at): no new LIVE entries there, loudly, while the rest trades on.
--
-- reconcile_differences: every difference a cycle found, explained or not. An unexplained
-- one halts LIVE trading (state.halt_reason 'RECONCILIATION: ...') until the user accepts
-- it with `trader reconcile --accept` (master PIN), which stamps accepted_at.
--
-- dust: per asset, what positions left below the market's minimum quantity or notional
-- (trader cannot sell it); tracked so a balance never silently disagrees with the positions.
--
-- Fills are booked once per exchange trade id (trades.exchange_trade_id,
-- 20261203160000_live_fill_booking.sql), so adopting a fill the broker booked changes nothing.
--
-- LIVE-only tables: trader_test gets nothing on them; trader_live appends and updates only
-- the columns the code changes, as in 20261203110000_least_privilege.sql.

create table trading_live.reconcile_markets (
  exchange        text not null,
  symbol          text not null,
  trades_since    timestamptz,
  last_checked_at timestamptz,
  failures        integer not null default 0 check (failures >= 0),
  last_error      text,
  halted_at       timestamptz,
  primary key (exchange, symbol)
);

create table trading_live.reconcile_differences (
  difference_id  bigint generated always as identity primary key,
  cycle_id       uuid not null,
  found_at       timestamptz not null default now(),
  exchange       text not null,
  kind           text not null check (kind in ('fill_adopted', 'manual_fill', 'dust', 'foreign_open_order',
                   'order_unknown', 'balance_mismatch')),
  explained      boolean not null,
  symbol         text,
  asset          text,
  local_value    numeric,
  exchange_value numeric,
  detail         text not null,
  accepted_at    timestamptz,
  check (not explained or accepted_at is null)
);
create index reconcile_differences_open on trading_live.reconcile_differences (exchange)
  where not explained and accepted_at is null;

create table trading_live.dust (
  exchange    text not null,
  asset       text not null,
  qty         numeric not null check (qty >= 0),
  position_id bigint references trading_live.positions (position_id),
  updated_at  timestamptz not null default now(),
  primary key (exchange, asset)
);

grant select, insert on trading_live.reconcile_markets, trading_live.reconcile_differences, trading_live.dust
  to trader_live;
grant update (trades_since, last_checked_at, failures, last_error, halted_at)
  on trading_live.reconcile_markets to trader_live;
grant update (accepted_at) on trading_live.reconcile_differences to trader_live;
grant update (qty, position_id, updated_at) on trading_live.dust to trader_live;
grant usage on all sequences in schema trading_live to trader_live;
