-- Trading state, kept twice: once for TEST (paper) and once for LIVE (real money).
--
-- The separation is enforced by the database, not by careful code: trading_test and
-- trading_live are separate schemas, and every trading transaction runs as the role of
-- its system mode (`set local role trader_test` / `trader_live`, see trading/scope.ts).
-- trader_test has no privilege at all on trading_live (and the reverse), so a TEST
-- process cannot read or write LIVE wallets, positions, trades or proposals, and the
-- audit trail's row-level security lets each role write rows of its own mode only.
-- Only LIVE can read the encrypted API keys.

do $$
begin
  create role trader_test nologin;
exception when duplicate_object then null;
end $$;

do $$
begin
  create role trader_live nologin;
exception when duplicate_object then null;
end $$;

-- The roles are cluster-wide; reach them from the owner so `set local role` works for
-- a connecting user who is not a superuser (Supabase's postgres user, for one).
do $$
begin
  execute format('grant trader_test, trader_live to %I', current_user);
exception when others then null; -- a superuser needs no membership
end $$;

create schema trading_test;

-- Operating state of one system mode: a single row.
create table trading_test.state (
  id                        smallint primary key default 1 check (id = 1),
  operational_mode          text not null default 'observe' check (operational_mode in ('observe', 'semi_auto', 'full_auto')),
  risk_profile              text not null default 'medium' check (risk_profile in ('low', 'medium', 'high')),
  leverage_enabled          boolean not null default false,
  leverage_enabled_at       timestamptz,
  halted                    boolean not null default false,
  emergency                 boolean not null default false,
  halt_reason               text,
  halted_at                 timestamptz,
  emergency_halt_action     text not null default 'HALT_ONLY'
                            check (emergency_halt_action in ('HALT_ONLY', 'CANCEL_ORDERS_AND_HALT', 'MARKET_CLOSE_ALL_AND_HALT')),
  close_all_acknowledged_at timestamptz,
  quote_currency            text not null default 'USDT',
  initial_balance           numeric not null default 10000 check (initial_balance > 0),
  equity                    numeric not null default 10000 check (equity >= 0),
  peak_equity               numeric not null default 10000 check (peak_equity > 0),
  drawdown_pct              numeric not null default 0 check (drawdown_pct >= 0 and drawdown_pct <= 100),
  equity_as_of              timestamptz,
  paper_fee_bps             numeric not null default 10 check (paper_fee_bps >= 0 and paper_fee_bps <= 100),
  paper_slippage_bps        numeric not null default 5 check (paper_slippage_bps >= 0 and paper_slippage_bps <= 500),
  proposal_ttl_minutes      integer not null default 60 check (proposal_ttl_minutes between 1 and 10080),
  updated_at                timestamptz not null default now(),
  check (emergency_halt_action <> 'MARKET_CLOSE_ALL_AND_HALT' or close_all_acknowledged_at is not null),
  check (not leverage_enabled or risk_profile = 'high'),
  check (not emergency or halted)
);

-- The parameters of each risk profile. Tighter per-profile bounds are checked in
-- trading/risk-profiles.ts; these checks are the last line.
create table trading_test.risk_profiles (
  profile            text primary key check (profile in ('low', 'medium', 'high')),
  risk_per_trade_pct numeric not null check (risk_per_trade_pct > 0 and risk_per_trade_pct <= 3),
  max_drawdown_pct   numeric not null check (max_drawdown_pct > 0 and max_drawdown_pct <= 50),
  max_open_positions integer not null check (max_open_positions between 1 and 50),
  category_cap_pct   numeric not null check (category_cap_pct > 0 and category_cap_pct <= 100),
  allow_leverage     boolean not null default false,
  max_leverage       numeric not null default 1 check (max_leverage >= 1 and max_leverage <= 20),
  updated_at         timestamptz not null default now(),
  check (profile = 'high' or (not allow_leverage and max_leverage = 1))
);

create table trading_test.wallets (
  asset      text primary key,
  balance    numeric not null check (balance >= 0),
  updated_at timestamptz not null default now()
);

create table trading_test.positions (
  position_id     bigint generated always as identity primary key,
  exchange        text not null,
  symbol          text not null,
  timeframe       text not null,
  category        text not null,
  side            text not null check (side in ('long', 'short')),
  qty             numeric not null check (qty > 0),
  open_qty        numeric not null check (open_qty >= 0),
  entry_price     numeric not null check (entry_price > 0),
  stop_price      numeric not null check (stop_price > 0),
  take_profits    jsonb not null default '[]'::jsonb,
  leverage        numeric not null default 1 check (leverage >= 1),
  margin          numeric not null check (margin >= 0),
  risk_amount     numeric not null check (risk_amount >= 0),
  risk_pct        numeric not null check (risk_pct >= 0),
  status          text not null default 'open' check (status in ('open', 'closed')),
  opened_at       timestamptz not null,
  checked_through timestamptz not null,
  closed_at       timestamptz,
  close_reason    text,
  realized_pnl    numeric not null default 0,
  fees_paid       numeric not null default 0,
  strategy_id     text,
  source_module   text,
  run_id          uuid,
  proposal_id     bigint,
  check ((status = 'open') = (closed_at is null))
);
create unique index positions_one_open_per_symbol on trading_test.positions (exchange, symbol) where status = 'open';

-- Every simulated (TEST) or reconciled (LIVE) fill. cash_delta is what the fill did to
-- the quote wallet, so the wallet always equals initial_balance + sum(cash_delta).
create table trading_test.trades (
  trade_id     bigint generated always as identity primary key,
  position_id  bigint not null,
  ts           timestamptz not null,
  recorded_at  timestamptz not null default now(),
  exchange     text not null,
  symbol       text not null,
  side         text not null check (side in ('buy', 'sell')),
  kind         text not null check (kind in ('entry', 'stop_loss', 'take_profit', 'close', 'emergency_close')),
  qty          numeric not null check (qty > 0),
  price        numeric not null check (price > 0),
  fee          numeric not null check (fee >= 0),
  fee_asset    text not null,
  cash_delta   numeric not null,
  realized_pnl numeric not null default 0,
  run_id       uuid
);
create index trades_position on trading_test.trades (position_id);
create index trades_symbol_ts on trading_test.trades (symbol, ts);

create table trading_test.proposals (
  proposal_id     bigint generated always as identity primary key,
  created_at      timestamptz not null default now(),
  expires_at      timestamptz not null,
  status          text not null default 'pending' check (status in ('pending', 'approved', 'rejected', 'expired', 'failed')),
  exchange        text not null,
  symbol          text not null,
  side            text not null check (side in ('buy', 'sell')),
  qty             numeric not null check (qty > 0),
  entry           numeric not null check (entry > 0),
  stop            numeric not null check (stop > 0),
  risk_pct        numeric not null,
  leverage        numeric not null check (leverage >= 1),
  notional        numeric not null,
  drawdown_pct    numeric not null,
  intent          jsonb not null,
  strategy_id     text,
  source_module   text,
  run_id          uuid,
  as_of           timestamptz not null,
  decided_at      timestamptz,
  decision_note   text,
  position_id     bigint,
  check ((status = 'pending') = (decided_at is null))
);
create index proposals_status on trading_test.proposals (status, expires_at);

-- LIVE gets the same tables (columns, defaults, checks, indexes, identities).
create schema trading_live;
create table trading_live.state (like trading_test.state including all);
create table trading_live.risk_profiles (like trading_test.risk_profiles including all);
create table trading_live.wallets (like trading_test.wallets including all);
create table trading_live.positions (like trading_test.positions including all);
create table trading_live.trades (like trading_test.trades including all);
create table trading_live.proposals (like trading_test.proposals including all);

alter table trading_test.trades add foreign key (position_id) references trading_test.positions (position_id);
alter table trading_live.trades add foreign key (position_id) references trading_live.positions (position_id);
alter table trading_test.positions add foreign key (proposal_id) references trading_test.proposals (proposal_id);
alter table trading_live.positions add foreign key (proposal_id) references trading_live.proposals (proposal_id);

-- Seed's profile parameters (section 4): Low 0.5% / 10%, Medium 1% / 20%, High 2% / 35%.
insert into trading_test.state (id) values (1);
insert into trading_live.state (id) values (1);
insert into trading_test.wallets (asset, balance) values ('USDT', 10000);
insert into trading_test.risk_profiles (profile, risk_per_trade_pct, max_drawdown_pct, max_open_positions, category_cap_pct, allow_leverage, max_leverage) values
  ('low', 0.5, 10, 3, 1.5, false, 1),
  ('medium', 1, 20, 5, 3, false, 1),
  ('high', 2, 35, 8, 6, false, 3);
insert into trading_live.risk_profiles select * from trading_test.risk_profiles;
-- LIVE starts with no known balance: it is reconciled from the exchange, never invented.
update trading_live.state set initial_balance = 1, equity = 0, peak_equity = 1;

grant usage on schema trading_test to trader_test;
grant select, insert, update on all tables in schema trading_test to trader_test;
grant usage on all sequences in schema trading_test to trader_test;
grant usage on schema trading_live to trader_live;
grant select, insert, update on all tables in schema trading_live to trader_live;
grant usage on all sequences in schema trading_live to trader_live;
-- The shared tables (registry, config, runs, logs, market data) are the same for both
-- modes. Granting them to the mode roles lets a process connect as a login role that
-- is a member of one mode role only, which makes the barrier absolute (see README,
-- "TEST and LIVE"): such a process cannot even `set role` to the other mode.
-- Later migrations grant their new tables explicitly; tests/trading/separation.test.ts
-- fails when a public table is neither granted nor listed as private.
grant usage on schema public to trader_test, trader_live;
grant select, insert, update, delete on module_registry, pipeline_config, strategy_config, asset_config, risk_config,
  pipeline_runs, pipeline_log, error_log, instruments, candles, macro_series, data_sources to trader_test, trader_live;
grant usage on all sequences in schema public to trader_test, trader_live;
grant usage on schema supabase_migrations to trader_test, trader_live;
grant select on supabase_migrations.schema_migrations to trader_test, trader_live;
